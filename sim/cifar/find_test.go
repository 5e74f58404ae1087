package cifar

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/internal/testref"
)

func TestDefaultDir(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/xdg/data")
	if d, err := DefaultDir(); err != nil || d != "/xdg/data/mflowlab/cifar10" {
		t.Errorf("with XDG_DATA_HOME: %q, %v", d, err)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, x := range []string{"", "relative/path"} {
		t.Setenv("XDG_DATA_HOME", x)
		if d, err := DefaultDir(); err != nil || d != filepath.Join(home, ".local/share/mflowlab/cifar10") {
			t.Errorf("XDG_DATA_HOME=%q: %q, %v", x, d, err)
		}
	}
}

// TestFind: the given folders come first, then the user's data folder, then the shared test
// batch; with nothing usable the error lists every place and why.
func TestFind(t *testing.T) {
	root := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(root, "xdg"))
	t.Setenv(testref.EnvVar, filepath.Join(root, "shared"))
	user, _ := DefaultDir()
	shared := filepath.Join(root, "shared", "cifar10")
	given := filepath.Join(root, "given")
	empty := writeFolder(t, filepath.Join(root, "empty"), nil)

	_, err := Find(given, empty)
	if err == nil {
		t.Fatal("found data where there is none")
	}
	for _, want := range []string{given + ": not found", empty + ": no CIFAR-10 data here", "shared test batch: reference material not found", "mflowlab data cifar10"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}

	writeFolder(t, shared, []member{{TestBatch, batch(5, 0)}})
	if p, err := Find(given, empty); err != nil || p != shared {
		t.Errorf("shared only: %q, %v", p, err)
	}
	writeFolder(t, user, []member{{ArchiveName, tarGz(t, ArchiveDir+"/", officialMembers())}})
	if p, err := Find(given); err != nil || p != user {
		t.Errorf("user folder: %q, %v", p, err)
	}
	writeFolder(t, given, []member{{"mine.bin", batch(5, 0)}})
	os.Rename(filepath.Join(given, "mine.bin"), filepath.Join(given, TestBatch))
	if p, err := Find(given); err != nil || p != given {
		t.Errorf("given folder: %q, %v", p, err)
	}
}
