// Package osprio lowers the operating-system scheduling priority of background work
// (training, scene building, rasterising), so that the window's frames get the CPU first on
// a machine with few cores.
//
// An unprivileged process can raise a thread's nice value but not lower it again, so a
// lowered thread must never run other goroutines: Lower locks the goroutine to its thread
// for good, and the Go runtime discards a locked thread when its goroutine exits.
package osprio

import "runtime"

// Lower locks the calling goroutine to its OS thread and raises that thread's nice value by
// inc (Linux; elsewhere it only locks). Call it at the top of a goroutine that does only
// background work; the thread ends with the goroutine.
func Lower(inc int) {
	runtime.LockOSThread()
	lower(inc)
}

// Go runs fn on a new goroutine whose thread has its nice value raised by inc.
func Go(inc int, fn func()) {
	go func() {
		Lower(inc)
		fn()
	}()
}
