//go:build unix

package scene

import "syscall"

// processCPU returns the CPU time (user + system, all threads) used so far
// by this process, in nanoseconds, so that benchmarks on a busy machine can
// report work done rather than wall time.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
