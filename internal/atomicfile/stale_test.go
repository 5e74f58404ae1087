package atomicfile

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// deadPID returns the PID of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestTempNames(t *testing.T) {
	p := filepath.Join("d", "model.mfl")
	n := filepath.Base(tempName(p, ".mp4"))
	pid, ok := writerPID(p, n)
	if !ok || pid != os.Getpid() || !strings.HasPrefix(n, ".model.mfl.tmp-") || !strings.HasSuffix(n, ".mp4") {
		t.Fatalf("temporary %q: pid %d %v", n, pid, ok)
	}
	for _, bad := range []string{".model.mfl.tmp123", ".model.mfl.tmp-12", ".model.mfl.tmp--1-x", ".model.mfl.tmp-012-x",
		".model.mfl.tmp-x-1", ".other.mfl.tmp-12-x", "model.mfl", ".model.mfl.tmp-5.tmp-12-x"} {
		if _, ok := writerPID(p, bad); ok {
			t.Errorf("%q taken for a temporary of %s", bad, p)
		}
	}
}

// TestCleanStale: temporaries of dead writers go, those of live ones (this process) and
// other files stay, and a folder output moved aside by a dead writer comes back.
func TestCleanStale(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.csv")
	dead := deadPID(t)
	mine := filepath.Base(tempName(p, ""))
	for _, n := range []string{
		fmt.Sprintf(".out.csv.tmp-%d-abc", dead),
		fmt.Sprintf(".out.csv.tmp-%d-def.mp4", dead),
		mine,
		".out.csv.tmp123", // old-style name: owner unknown, kept
		fmt.Sprintf(".other.csv.tmp-%d-abc", dead),
		"out.csv",
	} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, fmt.Sprintf(".out.csv.tmp-%d-folder", dead)), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, fmt.Sprintf(".out.csv.tmp-%d-folder", dead), "frame_00000.png"), nil, 0o600)
	if n := CleanStale(p); n != 3 {
		t.Errorf("CleanStale removed %d, want 3", n)
	}
	want := []string{".other.csv.tmp-" + fmt.Sprint(dead) + "-abc", ".out.csv.tmp123", mine, "out.csv"}
	slices.Sort(want)
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Errorf("left %v, want %v", got, want)
	}

	// A recording folder moved aside by a writer killed before it renamed the new one in.
	rec := filepath.Join(dir, "rec")
	aside := filepath.Join(dir, fmt.Sprintf(".rec.tmp-%d-1234%s", dead, oldSuffix))
	os.Mkdir(aside, 0o755)
	os.WriteFile(filepath.Join(aside, "frame_00000.png"), []byte("old"), 0o644)
	newer := filepath.Join(dir, fmt.Sprintf(".rec.tmp-%d-1234", dead))
	os.Mkdir(newer, 0o755)
	if n := CleanStale(rec); n != 2 {
		t.Errorf("CleanStale removed or restored %d, want 2", n)
	}
	if b, err := os.ReadFile(filepath.Join(rec, "frame_00000.png")); err != nil || string(b) != "old" {
		t.Errorf("the moved-aside recording was not restored: %q %v", b, err)
	}
	if _, err := os.Stat(newer); !os.IsNotExist(err) {
		t.Errorf("the dead writer's new folder is still there: %v", err)
	}
}

// TestWriteCleansStale: the next Write to a path removes what a killed writer left.
func TestWriteCleansStale(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.mfl")
	stale := filepath.Join(dir, fmt.Sprintf(".a.mfl.tmp-%d-0123456789abcdef", deadPID(t)))
	os.WriteFile(stale, []byte("half"), 0o600)
	if err := Write(p, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"a.mfl"}) {
		t.Errorf("left %v", got)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
}
