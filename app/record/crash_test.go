package record

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/internal/crashtest"
)

// recordForever is the body of the recorder children: it records frames to name in the
// crash-test folder until it is killed.
func recordForever(t *testing.T, name string) {
	dir := crashtest.ChildDir()
	if dir == "" {
		t.Skip("runs only as the child of TestKillWhileRecording")
	}
	frames := testFrames(96, 96, 8)
	s, err := Open(filepath.Join(dir, name), 96, 96, 20)
	if err != nil {
		t.Fatal(err)
	}
	crashtest.Ready()
	for i := 0; ; i++ {
		if err := s.WriteFrame(frames[i%len(frames)]); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHelperGIFRecorder is a child of TestKillWhileRecording.
func TestHelperGIFRecorder(t *testing.T) { recordForever(t, "anim.gif") }

// TestHelperPNGRecorder is a child of TestKillWhileRecording.
func TestHelperPNGRecorder(t *testing.T) { recordForever(t, "frames") }

// snapshot returns the bytes of the file at path, or of every file in the folder at path.
func snapshot(t *testing.T, path string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{""}
	if fi.IsDir() {
		names = entries(t, path)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(path, n))
		if err != nil {
			t.Fatal(err)
		}
		out[n] = b
	}
	return out
}

func sameSnapshot(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// TestKillWhileRecording kills a process in the middle of recording a GIF and a PNG
// folder over an earlier recording: the earlier recording is untouched, the killed
// recorder's temporary file or folder is left, and the next recording to the same path
// removes it when it opens.
func TestKillWhileRecording(t *testing.T) {
	if crashtest.ChildDir() != "" {
		t.Skip("not in the child")
	}
	for _, c := range []struct{ helper, name string }{{"TestHelperGIFRecorder", "anim.gif"}, {"TestHelperPNGRecorder", "frames"}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, c.name)
			writeAll(t, path, testFrames(96, 96, 3), 20)
			before := snapshot(t, path)
			for try := range 2 {
				crashtest.KillWhileWriting(t, c.helper, dir, crashtest.After(time.Duration(try)*40*time.Millisecond, dir))
				if !sameSnapshot(before, snapshot(t, path)) {
					t.Fatalf("try %d: the earlier recording changed", try)
				}
				left := crashtest.Temporaries(t, dir)
				if len(left) == 0 {
					t.Fatalf("try %d: the killed recorder left no temporary (was it killed while recording?)", try)
				}
				s, err := Open(path, 96, 96, 20)
				if err != nil {
					t.Fatal(err)
				}
				if got := crashtest.Temporaries(t, dir); len(got) != 1 {
					t.Fatalf("try %d: after the next Open the folder holds temporaries %v (killed recorder left %v)", try, got, left)
				}
				s.Abort()
				if got := crashtest.Temporaries(t, dir); len(got) != 0 {
					t.Fatalf("try %d: temporaries %v after Abort", try, got)
				}
			}
		})
	}
}

// TestPNGFolderRestoredAfterKillDuringReplace: a recorder killed between moving the
// earlier PNG folder aside and renaming the new one into place leaves the earlier folder
// under the aside name; the next recording to that path puts it back before it starts.
func TestPNGFolderRestoredAfterKillDuringReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "frames")
	writeAll(t, path, testFrames(32, 32, 2), 20)
	before := snapshot(t, path)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	tmp := filepath.Join(dir, fmt.Sprintf(".frames.tmp-%d-00000000000000ff", dead))
	if err := os.Rename(path, tmp+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, 32, 32, 20)
	if err != nil {
		t.Fatal(err)
	}
	s.Abort()
	if !sameSnapshot(before, snapshot(t, path)) {
		t.Fatal("the earlier recording was not restored")
	}
	if got := crashtest.Temporaries(t, dir); len(got) != 0 {
		t.Fatalf("temporaries left: %v", got)
	}
}
