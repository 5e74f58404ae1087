// Package run is the app's background trainer: a Run owns a data set, an M-Flow and its
// flow.Trainer, trains in its own goroutine and publishes immutable, versioned Snapshots
// through an atomic pointer. Controls (start, pause, single steps, speed, reset, settings)
// are safe from any goroutine and never wait for a training step. A Pool runs several Runs
// at once and shares the cores between them fairly.
//
// One data path: the training goroutine publishes, readers call Latest and never share a
// lock with the trainer. An injected notify function tells the reader (the window) that a
// new snapshot is there, at most about 30 times a second.
package run
