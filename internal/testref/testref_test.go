package testref

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// skipTB records a Skipf call and stops the goroutine the way testing.T does.
type skipTB struct {
	testing.TB
	msg string
}

func (s *skipTB) Helper() {}

func (s *skipTB) Skipf(format string, args ...any) {
	s.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f with a fake TB in its own goroutine and reports the result and any skip message.
func run(f func(testing.TB) string) (got, skipped string) {
	tb := &skipTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = f(tb)
	}()
	<-done
	return got, tb.msg
}

// tree makes root/repo/go.mod, root/repo/a/b and, when withShared, root/shared/reference/x.txt.
func tree(t *testing.T, withShared bool) (repo, shared string) {
	root := t.TempDir()
	repo = filepath.Join(root, "repo")
	shared = filepath.Join(root, "shared")
	if err := os.MkdirAll(filepath.Join(repo, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if withShared {
		if err := os.MkdirAll(filepath.Join(shared, "reference"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shared, "reference", "x.txt"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return repo, shared
}

func TestWalkUpFindsSharedBesideModuleRoot(t *testing.T) {
	repo, shared := tree(t, true)
	t.Setenv(EnvVar, "")
	t.Chdir(filepath.Join(repo, "a", "b"))

	got, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.EvalSymlinks(shared); mustEval(t, got) != want {
		t.Errorf("Find() = %s, want %s", got, shared)
	}
	if got, skipped := run(func(tb testing.TB) string { return Path(tb, "reference", "x.txt") }); skipped != "" || !strings.HasSuffix(got, filepath.Join("shared", "reference", "x.txt")) {
		t.Errorf("Path = %q, skipped %q", got, skipped)
	}
}

func TestEnvOverrides(t *testing.T) {
	_, shared := tree(t, true)
	t.Setenv(EnvVar, shared)
	t.Chdir(t.TempDir()) // no go.mod anywhere above: only the variable can find it

	if got, skipped := run(Dir); skipped != "" || got != shared {
		t.Errorf("Dir = %q, skipped %q; want %s", got, skipped, shared)
	}
}

func TestAbsentSkipsWithPath(t *testing.T) {
	repo, _ := tree(t, false)
	t.Setenv(EnvVar, "")
	t.Chdir(repo)

	if _, err := Find(); err == nil || !strings.Contains(err.Error(), "shared") {
		t.Errorf("Find() error = %v, want one naming the missing folder", err)
	}
	_, skipped := run(Dir)
	want := "reference material not found at "
	if !strings.HasPrefix(skipped, want) || !strings.Contains(skipped, "shared") || !strings.HasSuffix(skipped, "(set MFLOWLAB_SHARED): skipping") {
		t.Errorf("skip message = %q", skipped)
	}
}

func TestPathSkipsMissingFile(t *testing.T) {
	_, shared := tree(t, true)
	t.Setenv(EnvVar, shared)

	_, skipped := run(func(tb testing.TB) string { return Path(tb, "reference", "nope.pt") })
	if !strings.Contains(skipped, filepath.Join(shared, "reference", "nope.pt")) {
		t.Errorf("skip message = %q, want it to name the missing file", skipped)
	}
}

func mustEval(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRepositoryShared(t *testing.T) {
	p := Path(t, "reference", "README.md")
	if b, err := os.ReadFile(p); err != nil || len(b) == 0 {
		t.Fatalf("reading %s: %v (%d bytes)", p, err, len(b))
	}
}
