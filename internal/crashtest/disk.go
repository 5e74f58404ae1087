package crashtest

import (
	"os"
	"os/exec"
	"testing"
)

// SmallDisk mounts a tmpfs of the given size (such as "64k") on a new folder and returns
// the folder; it is unmounted when the test ends. The test is skipped, with one line
// saying why, when not running as root or when mounting fails.
func SmallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("full-disk test needs root to mount a small tmpfs")
	}
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("full-disk test: mounting a %s tmpfs failed: %v %s", size, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("unmounting %s: %v %s", dir, err, out)
		}
	})
	return dir
}
