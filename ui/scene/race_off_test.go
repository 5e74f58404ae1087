//go:build !race

package scene

// raceOn reports that the race detector is on; the slowest tests then skip.
const raceOn = false
