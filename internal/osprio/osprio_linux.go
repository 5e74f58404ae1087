package osprio

import "syscall"

// lower sets the calling thread's nice value to Nice. A failure leaves the priority as it
// was: it only costs smoothness.
func lower() {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), Nice)
}
