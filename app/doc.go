// Package app is mflowlab's desktop application: the Gio window loop, the list of
// workspaces that the shell (package app/shell) shows — the Two Spirals plane
// (app/ws/plane) first, the Runs grid (app/ws/runs), the CIFAR-10 gallery (app/ws/cifar) —
// and the app's headless subcommands (screenshot, bench --frame, bench --learn, bench
// --gallery).
//
// The frame never trains or waits for training: workspaces read the newest immutable
// snapshots of their runs and paint the newest CPU rasters; everything slow happens on
// other goroutines. The shell is independent of the OS window, so tests and the headless
// commands drive it with their own frames and synthesized input.
package app
