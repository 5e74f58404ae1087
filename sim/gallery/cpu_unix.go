//go:build unix

package gallery

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used (user + system); 0 when unknown.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
