package run

import (
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
)

// Snapshot is an immutable picture of a run, published after training steps (at most about
// 60 a second while running) and on every state change. Nothing in it, the flow's weights
// and the data included, is ever modified after publication; readers must not modify it
// either.
type Snapshot struct {
	Version       uint64        // increases with every publication of the run
	RunID         int           // the run's id (its index in a Pool)
	Gen           uint64        // counts the run's resets: another Gen is another flow's training
	Seed          uint64        // seed of the current flow (same as Settings.Seed)
	Settings      Settings      // settings of the current flow
	Flow          *flow.MFlow   // copy of the weights at Step
	Data          nn.Mat        // the data the flow trains on (shared, read-only)
	State         State         // life-cycle state
	Err           error         // divergence or reset error, nil otherwise
	Step, Epoch   int           // steps taken; current epoch (0-based)
	StepsPerEpoch int           // batches per epoch
	Phase         flow.Phase    // loss optimised by the last step
	Loss          float64       // weighted loss of the last step (NaN before the first)
	MSE, NLL      float64       // its parts (NaN when not computed)
	GradNorm      float64       // its gradient norm before clipping
	LR            float64       // its learning rate
	ValLoss       float64       // latest validation loss (NaN before the first epoch end)
	BestEpoch     int           // epoch of the best validation loss (−1 before the first)
	SamplesPerSec float64       // recent training throughput (0 unless running)
	History       *History      // downsampled training curve
	Phases        *Phases       // the phases (StepInfo.Phase changes) of this flow's training
	Elapsed       time.Duration // wall-clock time spent running since the last reset (pauses excluded)
}
