package run

import (
	"fmt"
	"math"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
)

// Settings are everything a Run needs to build and train a flow besides the data.
type Settings struct {
	Flow  flow.Config      // architecture
	Train flow.TrainConfig // hyper-parameters; Train.Seed is replaced by Seed
	Seed  uint64           // fixes the initial weights, permutations, validation split and batch order
	// SingleCore runs each step on one core (same numbers), leaving the other core to the
	// window; the app sets it so frames stay smooth while training runs flat out.
	SingleCore bool
	// LowPriority, when set on the settings a run is created with, runs its training goroutine
	// on a background thread of the lowest OS priority (package osprio), so that a window's
	// frames come first.
	LowPriority bool
}

// Live training defaults, chosen by measuring the projection MSE over the first 500–1000
// steps on Two Spirals for several learning rates, NLL weights, clipping and batch sizes:
// lr 2e-3 learns visibly fastest without the oscillations that 3e-3 and above show.
const (
	liveLR        = 2e-3
	liveNLLWeight = 0.01
	liveValFrac   = 0.1
	liveEpochs    = 100_000
)

// DefaultSettings returns the joint recipe at the live size, the base the live recipes of
// the registry build on: flow.LiveConfig, batch flow.LiveBatch, Adam lr 2e-3 without
// annealing, projection MSE ×100 plus PIE NLL ×0.01, 10 % validation and so many epochs that
// training goes on for hours. The app's live default is LiveDefault, the registry's choice.
func DefaultSettings() Settings {
	return Settings{
		Flow: flow.LiveConfig(),
		Train: flow.TrainConfig{Recipe: flow.RecipeJoint, Epochs: liveEpochs, Batch: flow.LiveBatch,
			LR: liveLR, ValFrac: liveValFrac, MSEWeight: 100, NLLWeight: liveNLLWeight,
			PIEEps: flow.DefaultPIEEps},
		Seed: 1,
	}
}

// OriginalSettings returns the original research recipe: flow.OriginalConfig with
// flow.OriginalTraining.
func OriginalSettings() Settings {
	return Settings{Flow: flow.OriginalConfig(), Train: flow.OriginalTraining(), Seed: 1}
}

// Validate reports bad architecture or training values.
func (s Settings) Validate() error {
	if err := s.Flow.Validate(); err != nil {
		return err
	}
	return s.Train.Validate()
}

// trainConfig returns the training configuration with the run's seed.
func (s Settings) trainConfig() flow.TrainConfig {
	c := s.Train
	c.Seed = s.Seed
	return c
}

// checkData reports data that cannot be trained on: a broken shape or a non-finite value
// (naming its row).
func checkData(data nn.Mat) error {
	if data.Rows < 1 || data.Cols < 1 || len(data.Data) != data.Rows*data.Cols {
		return fmt.Errorf("run: data is %d×%d with %d values; want at least one row and column", data.Rows, data.Cols, len(data.Data))
	}
	for i, v := range data.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("run: data row %d column %d holds %v", i/data.Cols, i%data.Cols, v)
		}
	}
	return nil
}

// checkFit reports settings that do not fit the data: a dimension mismatch or a validation
// share that leaves no training rows.
func checkFit(s Settings, data nn.Mat) error {
	if data.Cols != s.Flow.N {
		return fmt.Errorf("run: data has %d columns but the flow expects n=%d", data.Cols, s.Flow.N)
	}
	if nVal := int(math.Round(s.Train.ValFrac * float64(data.Rows))); data.Rows-nVal < 1 {
		return fmt.Errorf("run: validation share %v of %d rows leaves none for training", s.Train.ValFrac, data.Rows)
	}
	return nil
}
