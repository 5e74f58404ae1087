// Package pytorchtest helps tests check PyTorch files against torch itself: it runs Python
// scripts that use torch, skipping the test with one clear line when Python or torch is
// missing, and compares written archives with ones torch.save made.
package pytorchtest

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// EnvVar names the environment variable that overrides the Python interpreter.
const EnvVar = "MFLOWLAB_PYTHON"

// DefaultPython is the interpreter used when EnvVar is unset.
const DefaultPython = "/usr/bin/python3"

// noTorch is the exit status the preamble uses when torch cannot be imported.
const noTorch = 77

const preamble = "import sys\ntry:\n    import torch\nexcept Exception as e:\n    print('torch unavailable:', e)\n    sys.exit(77)\n"

// Run runs script (Python source, with torch already imported) with args and returns what
// it printed. It skips t when the interpreter or torch is missing and fails t, showing the
// output, when the script exits with an error.
func Run(t testing.TB, script string, args ...string) string {
	t.Helper()
	python := os.Getenv(EnvVar)
	if python == "" {
		python = DefaultPython
	}
	if _, err := exec.LookPath(python); err != nil {
		t.Skipf("python not found at %s (set %s): skipping the PyTorch check", python, EnvVar)
		return ""
	}
	cmd := exec.Command(python, append([]string{"-c", preamble + script}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == noTorch {
		t.Skipf("%s cannot import torch (%s): skipping the PyTorch check", python, bytes.TrimSpace(out.Bytes()))
		return ""
	}
	if err != nil {
		t.Fatalf("%s failed: %v\nstdout:\n%s\nstderr:\n%s", python, err, out.String(), errOut.String())
	}
	return out.String()
}

// CompareArchives fails t unless got equals want byte for byte outside the serialization id's
// name hash (its first 20 digits) and the two copies of that record's CRC.
func CompareArchives(t testing.TB, got, want []byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("written file has %d bytes, torch's has %d", len(got), len(want))
	}
	zr, err := zip.NewReader(bytes.NewReader(want), int64(len(want)))
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[int]bool{}
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, "/.data/serialization_id") {
			continue
		}
		off, err := f.DataOffset()
		if err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			allowed[int(off)+i] = true // name hash digits
		}
		for i := range 4 {
			allowed[int(off)+40+4+i] = true // CRC in the data descriptor
		}
		name := bytes.LastIndex(want, []byte(f.Name)) // its central directory entry
		for i := range 4 {
			allowed[name-46+16+i] = true
		}
	}
	if len(allowed) != 28 {
		t.Fatalf("torch's file has no serialization id record")
	}
	bad := 0
	for i := range want {
		if got[i] != want[i] && !allowed[i] {
			if bad++; bad <= 5 {
				lo, hi := max(i-16, 0), min(i+16, len(want))
				t.Errorf("byte %d differs: got %x…, torch wrote %x…", i, got[lo:hi], want[lo:hi])
			}
		}
	}
	if bad > 5 {
		t.Errorf("%d bytes differ in all", bad)
	}
}
