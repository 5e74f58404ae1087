package run

import "fmt"

// State is the life-cycle state of a Run.
type State int

const (
	// Idle is a freshly created or reset run that has not been started.
	Idle State = iota
	// Running trains continuously (at the set speed).
	Running
	// Paused holds training; StepOnce still takes single steps.
	Paused
	// Diverged stopped on a non-finite loss, gradient or weight, or an exploding gradient;
	// the snapshot keeps the last good weights and the error. Reset recovers.
	Diverged
	// Done finished all epochs; the flow holds the best-validation weights.
	Done
	// Stopped is final: the run's goroutine has ended (Stop or context cancellation).
	Stopped
)

var stateNames = [...]string{"idle", "running", "paused", "diverged", "done", "stopped"}

// String returns the lower-case name of the state.
func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("State(%d)", int(s))
	}
	return stateNames[s]
}
