package anim

import (
	"context"
	"fmt"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

// TrainFlow trains a fresh flow with the app's live default recipe for the given number of steps
// on data and returns it, reporting each step to progress (which may be nil). It stops
// with ctx's error when ctx is cancelled.
func TrainFlow(ctx context.Context, data *spirals.Dataset, seed uint64, steps int, progress func(step int)) (*flow.MFlow, error) {
	tr, err := newLiveTrainer(data, seed)
	if err != nil {
		return nil, err
	}
	for tr.Steps() < steps && !tr.Done() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, err := tr.Step(); err != nil {
			return nil, fmt.Errorf("anim: training the flow: %w", err)
		}
		if progress != nil {
			progress(tr.Steps())
		}
	}
	return tr.Model(), nil
}
