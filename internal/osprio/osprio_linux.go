package osprio

import "syscall"

// lower raises the calling thread's nice value by inc. A failure leaves the priority as it
// was: it only costs smoothness.
func lower(inc int) {
	tid := syscall.Gettid()
	cur, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return
	}
	// The raw system call returns 20 − nice.
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(20-cur+inc, 19))
}
