// Package app is mflowlab's desktop application: the Gio window loop, the UI that wires the
// background training run, the classifier and the data set to the plane, the side panel and
// the charts, and the app's subcommands (screenshot, bench --frame).
//
// The frame never trains or waits for training: it reads the newest immutable snapshot of
// the run, hands its inputs to the scene builder (a worker goroutine), and paints the newest
// CPU-rasterised plane as one image; everything slow — scenes, rasters, hover readouts,
// charts, file loads — happens on other goroutines and arrives through atomic pointers or
// the lab's result queue. UI is independent of the OS window, so tests and the headless
// commands drive it with their own frames and synthesized input.
package app
