// Package osprio runs background work (training, scene building, rasterising) on threads of
// the lowest normal priority (nice 19), so that the window's frames get the CPU first on a
// machine with few cores.
//
// Measured with mflowlab bench --frame on 2 cores with training running: median frame 31 ms
// with all threads equal, 17–19 ms with the workers at nice 5–10, 13–15 ms at nice 19. Linux's
// SCHED_IDLE policy measured the same as nice 19 but can starve a worker indefinitely, and
// the Go runtime's stop-the-world pauses wait for every running thread, so it was not used.
//
// An unprivileged process can raise a thread's nice value but not lower it again, so a
// lowered thread must never run other goroutines: Lower locks the goroutine to its thread
// for good, and the Go runtime discards a locked thread when its goroutine exits.
package osprio

import "runtime"

// Nice is the nice value of background threads.
const Nice = 19

// Lower locks the calling goroutine to its OS thread and gives that thread the nice value
// Nice (Linux; elsewhere it only locks). Call it at the top of a goroutine that does only
// background work; the thread ends with the goroutine.
func Lower() {
	runtime.LockOSThread()
	lower()
}

// Go runs fn on a new goroutine on a background thread (see Lower).
func Go(fn func()) {
	go func() {
		Lower()
		fn()
	}()
}
