package app

import "runtime"

// windowProcs lets more goroutines run Go code at once than there are cores: the training,
// scene, raster and job workers sit on background threads of the lowest priority (package
// osprio), and with only one Go processor per core a frame would wait behind them for the
// Go scheduler instead of getting the CPU from the kernel's.
func windowProcs() {
	runtime.GOMAXPROCS(runtime.NumCPU() + 6)
}
