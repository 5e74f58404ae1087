// Package crashtest helps tests check crash safety: it kills a writer child process with
// SIGKILL in the middle of a write, and mounts a tiny file system to fill up. It is used
// only by tests.
package crashtest

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// envChild is set in a child started by KillWhileWriting to the folder it writes to.
const envChild = "MFLOWLAB_CRASHTEST_DIR"

// ChildDir returns the folder a helper test started by KillWhileWriting writes to, or ""
// when the test runs normally (helpers then skip).
func ChildDir() string { return os.Getenv(envChild) }

// Writing is what a helper prints (Ready) once it has started writing.
const Writing = "writing"

// Ready tells the parent that the helper has begun its writes.
func Ready() {
	os.Stdout.WriteString(Writing + "\n")
	os.Stdout.Sync()
}

// KillWhileWriting re-executes the test binary running only the test helper, with dir
// in its environment, waits until the helper has printed Writing and then until inFlight
// reports a write in progress (polled every millisecond), and kills the child with
// SIGKILL. It fails the test if that takes more than 20 seconds, and returns whether the
// kill came while inFlight was true (the child may finish a write in between).
func KillWhileWriting(t *testing.T, helper, dir string, inFlight func() bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), envChild+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	started := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			if !sent && strings.TrimSpace(sc.Text()) == Writing {
				started <- true
				sent = true
			}
		}
		if !sent {
			started <- false
		}
	}()
	deadline := time.After(20 * time.Second)
	select {
	case ok := <-started:
		if !ok {
			t.Fatalf("helper %s exited without starting to write", helper)
		}
	case <-deadline:
		t.Fatalf("helper %s did not start writing within 20 s", helper)
	}
	for !inFlight() {
		select {
		case <-deadline:
			t.Fatalf("helper %s: no write in progress seen within 20 s", helper)
		case <-time.After(time.Millisecond):
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait() // reaped, so its PID no longer counts as running
}

// Temporaries lists the names in dir that are atomicfile temporaries (".NAME.tmp-…").
func Temporaries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") && strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// HasTemporary reports whether dir holds an atomicfile temporary with at least one byte
// (or a non-empty temporary folder).
func HasTemporary(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") || !strings.Contains(e.Name(), ".tmp-") {
			continue
		}
		if e.IsDir() {
			if sub, _ := os.ReadDir(dir + "/" + e.Name()); len(sub) > 0 {
				return true
			}
			continue
		}
		if fi, err := e.Info(); err == nil && fi.Size() > 0 {
			return true
		}
	}
	return false
}

// After returns an inFlight test for KillWhileWriting that holds once delay has passed
// since its first call and a temporary with data is present in dir.
func After(delay time.Duration, dir string) func() bool {
	var start time.Time
	return func() bool {
		if start.IsZero() {
			start = time.Now()
		}
		return time.Since(start) >= delay && HasTemporary(dir)
	}
}
