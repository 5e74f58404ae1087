package cifar

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mflowlab/mflowlab/internal/testref"
)

// DefaultDir returns the user's CIFAR-10 folder, where `mflowlab data cifar10` downloads
// to: $XDG_DATA_HOME/mflowlab/cifar10, or ~/.local/share/mflowlab/cifar10 when
// XDG_DATA_HOME is unset or not absolute.
func DefaultDir() (string, error) {
	if x := os.Getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "mflowlab", "cifar10"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cifar: no data folder: %w (set XDG_DATA_HOME)", err)
	}
	return filepath.Join(home, ".local", "share", "mflowlab", "cifar10"), nil
}

// SharedDir returns the folder of the shared reference test batch (cifar10/ in the folder
// named by MFLOWLAB_SHARED, or ../shared beside the source tree), or an error saying where
// it looked.
func SharedDir() (string, error) {
	shared, err := testref.Find()
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "testref: ")
		if !strings.Contains(msg, testref.EnvVar) {
			msg += " (set " + testref.EnvVar + ")"
		}
		return "", fmt.Errorf("cifar: shared test batch: %s", msg)
	}
	return filepath.Join(shared, "cifar10"), nil
}

// Find returns the first usable CIFAR-10 location (one Load accepts) among dirs, then
// DefaultDir, then SharedDir. Only the layout is checked, not every record. The error
// lists every place it looked and why each was refused.
func Find(dirs ...string) (string, error) {
	var looked []string
	try := func(p string) bool {
		if _, err := resolve(p); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				looked = append(looked, p+": not found")
			} else {
				looked = append(looked, strings.TrimPrefix(err.Error(), "cifar: "))
			}
			return false
		}
		return true
	}
	for _, d := range dirs {
		if d != "" && try(d) {
			return d, nil
		}
	}
	if d, err := DefaultDir(); err != nil {
		looked = append(looked, strings.TrimPrefix(err.Error(), "cifar: "))
	} else if try(d) {
		return d, nil
	}
	if d, err := SharedDir(); err != nil {
		looked = append(looked, strings.TrimPrefix(err.Error(), "cifar: "))
	} else if try(d) {
		return d, nil
	}
	return "", fmt.Errorf("cifar: no CIFAR-10 data found (run `mflowlab data cifar10` to download the official archive, %d MB); looked in:\n  %s",
		ArchiveMB, strings.Join(looked, "\n  "))
}
