package app

import "runtime"

// Raises of the nice value of the window's background threads: the frames (nice 0) come
// first, then the pictures of the plane, then training and jobs. On 2 cores without them
// a frame's llvmpipe work waits behind the workers (mflowlab bench --frame: 31 ms median
// before, 20 ms after, with training running).
const (
	niceScene  = 5
	niceRaster = 5
	niceJobs   = 10
)

// windowProcs lets more goroutines run Go code at once than there are cores: the training,
// scene, raster and job workers sit on low-priority threads (package osprio), and with only
// one Go processor per core a frame would wait behind them for the Go scheduler instead of
// getting the CPU from the kernel's.
func windowProcs() {
	runtime.GOMAXPROCS(runtime.NumCPU() + 6)
}
