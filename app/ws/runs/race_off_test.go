//go:build !race

package runs

// raceOn reports that the race detector is on: measuring an original-size checkpoint then
// takes minutes, and that test skips.
const raceOn = false
