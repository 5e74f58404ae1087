//go:build linux

package cli

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"github.com/mflowlab/mflowlab/flow/cnn"
)

// threadClockName names the clock of bench --cnn's per-layer times.
const threadClockName = "thread-cpu"

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(who, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadCPU reads the calling thread's CPU clock (clock_gettime(CLOCK_THREAD_CPUTIME_ID),
// nanosecond resolution).
func threadCPU() time.Duration {
	const clockThreadCPUTime = 3
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

// processCPU returns the CPU time the process has used (user + system).
func processCPU() time.Duration { return rusage(syscall.RUSAGE_SELF) }

// benchLayersCPU times the CNN's layers in the CPU time of one locked thread, so that other
// load on the machine does not count.
func benchLayersCPU(iters int, seed uint64) []cnn.LayerTime {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return cnn.BenchLayers(iters, seed, threadCPU)
}
