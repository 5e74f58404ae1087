//go:build unix

package record

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts cmd in a process group of its own, so that Ctrl-C in the terminal
// reaches only mflowlab, which then stops ffmpeg and removes the partial file itself.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
