//go:build race

package anim

// raceOn reports that the race detector is on: the runs scene is then rendered once, small.
const raceOn = true
