// Package testref locates the read-only reference material (checkpoints, data, golden
// outputs) that lives beside the repository in ../shared.
//
// The folder is taken from the MFLOWLAB_SHARED environment variable when set; otherwise
// it is ../shared next to the module root (the nearest folder above the working directory
// that holds go.mod). Tests call Dir or Path, which skip the test with one clear line when
// the material is absent, so the suite still passes in a bare clone.
package testref

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// EnvVar names the environment variable that overrides the shared folder's location.
const EnvVar = "MFLOWLAB_SHARED"

// Find returns the shared folder for CLI use, or an error naming where it looked.
func Find() (string, error) {
	dir, err := candidate()
	if err != nil {
		return "", err
	}
	if !isDir(dir) {
		return "", fmt.Errorf("testref: reference material not found at %s (set %s)", dir, EnvVar)
	}
	return dir, nil
}

// Dir returns the shared folder, skipping the test when it is absent.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := candidate()
	if err != nil {
		t.Skipf("reference material not found: %v (set %s): skipping", err, EnvVar)
		return ""
	}
	if !isDir(dir) {
		t.Skipf("reference material not found at %s (set %s): skipping", dir, EnvVar)
		return ""
	}
	return dir
}

// Path joins rel under the shared folder, skipping the test when that file or folder is
// absent. For example Path(t, "reference", "checkpoints", "spiral_mflow_D.pt").
func Path(t testing.TB, rel ...string) string {
	t.Helper()
	dir := Dir(t)
	if dir == "" {
		return ""
	}
	p := filepath.Join(append([]string{dir}, rel...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference material not found at %s (set %s): skipping", p, EnvVar)
		return ""
	}
	return p
}

// candidate returns where the shared folder should be, without checking that it exists.
func candidate() (string, error) {
	if env := os.Getenv(EnvVar); env != "" {
		return filepath.Abs(env)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testref: working directory: %w", err)
	}
	root, err := moduleRoot(wd)
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(root), "shared"), nil
}

// moduleRoot walks up from dir to the nearest folder holding go.mod.
func moduleRoot(dir string) (string, error) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("testref: %w", err)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("testref: no go.mod above %s", dir)
		}
		d = parent
	}
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
