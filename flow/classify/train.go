package classify

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// trainChunkRows is the number of batch rows that run forward and backward as one unit in
// a gradient computation. It is fixed so that gradients never depend on the number of cores.
const trainChunkRows = 256

// Workspace holds the reusable memory of parameter-gradient computations: the batch's
// activations and per-layer gradients, and the summed gradient of TrainStep. After the first
// step with a given batch size, a step allocates almost nothing. A Workspace must not be used
// by two calls at once.
type Workspace struct {
	arena nn.Arena
	tape  tape
	loss  []float64
	grad  []float32
}

// NewWorkspace returns an empty workspace; it grows on first use.
func NewWorkspace() *Workspace { return &Workspace{} }

// TrainStep computes the mean cross-entropy of the batch (per the model's recipe) and its
// parameter gradient, and applies one Adam step with learning rate lr. It returns the loss
// before the step; when that loss is NaN or infinite no step is taken. ws may be nil.
func (m *MLP) TrainStep(ws *Workspace, x nn.Mat, y []int32, adam *nn.Adam, lr float64) float64 {
	if ws == nil {
		ws = NewWorkspace()
	}
	if len(ws.grad) != len(m.P) {
		ws.grad = make([]float32, len(m.P))
	} else {
		clear(ws.grad)
	}
	loss := m.ParamGrad(ws, x, y, ws.grad)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss
	}
	adam.Update(m.P, ws.grad, lr)
	return loss
}

// TrainConfig is a training recipe: Epochs passes over the data in shuffled batches of Batch
// rows, Adam with learning rate LR, and the shuffling drawn from Seed.
type TrainConfig struct {
	Epochs, Batch int
	LR            float64
	Seed          uint64
	// Adam continues from a saved optimiser state when non-nil (it is updated in place);
	// nil starts a fresh one.
	Adam *nn.Adam
}

// OriginalTrainConfig is the original classifier recipe: 60 epochs, batch 512, lr 1e-4.
func OriginalTrainConfig() TrainConfig {
	return TrainConfig{Epochs: 60, Batch: 512, LR: 1e-4}
}

// Validate reports absurd or non-finite settings.
func (c TrainConfig) Validate() error {
	switch {
	case c.Epochs < 1 || c.Epochs > 1_000_000:
		return fmt.Errorf("classify: epochs %d out of range [1, 1000000]", c.Epochs)
	case c.Batch < 1 || c.Batch > 1<<20:
		return fmt.Errorf("classify: batch size %d out of range [1, %d]", c.Batch, 1<<20)
	case !(c.LR > 0) || c.LR > 10 || math.IsInf(c.LR, 0):
		return fmt.Errorf("classify: learning rate %v must be positive, finite and at most 10", c.LR)
	}
	return nil
}

// EpochReport describes one finished training epoch.
type EpochReport struct {
	Epoch, Epochs int     // 1-based epoch number and the total
	Steps         int     // optimiser steps taken so far in this run
	TrainLoss     float64 // mean per-sample loss over the epoch's batches
	EvalAccuracy  float64 // accuracy on the evaluation set after the epoch (NaN without one)
}

// CheckData returns an error naming the first problem with a labelled data set for this
// model: wrong column count, a label count that differs from the rows, a non-finite value or
// a label out of range. what names the set in the message.
func (m *MLP) CheckData(what string, x nn.Mat, y []int32) error {
	if x.Cols != m.In || len(x.Data) != x.Rows*x.Cols {
		return fmt.Errorf("classify: %s has %d×%d values, the model takes %d columns", what, x.Rows, x.Cols, m.In)
	}
	if len(y) != x.Rows {
		return fmt.Errorf("classify: %s has %d rows but %d labels", what, x.Rows, len(y))
	}
	for i, v := range x.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("classify: %s row %d column %d is %v", what, i/x.Cols, i%x.Cols, v)
		}
	}
	for i, c := range y {
		if c < 0 || int(c) >= m.Classes {
			return fmt.Errorf("classify: %s row %d has label %d, want 0…%d", what, i, c, m.Classes-1)
		}
	}
	return nil
}

// Train fits the model to (x, y) with Adam on shuffled mini-batches (the last batch of an
// epoch may be smaller), reporting the mean training loss and the accuracy on (evalX, evalY)
// after every epoch to progress (which may be nil; an empty evaluation set is allowed). It
// stops with ctx's error when ctx is cancelled and with an error naming the epoch and step
// when the loss becomes NaN or infinite; the parameters then hold the last good step's values.
func (m *MLP) Train(ctx context.Context, x nn.Mat, y []int32, evalX nn.Mat, evalY []int32, cfg TrainConfig, progress func(EpochReport)) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if x.Rows == 0 {
		return fmt.Errorf("classify: no training data")
	}
	if err := m.CheckData("training data", x, y); err != nil {
		return err
	}
	if evalX.Rows > 0 || len(evalY) > 0 {
		if err := m.CheckData("evaluation data", evalX, evalY); err != nil {
			return err
		}
	}
	adam := cfg.Adam
	if adam == nil {
		adam = nn.NewAdam(len(m.P))
	} else if len(adam.M) != len(m.P) || len(adam.V) != len(m.P) {
		return fmt.Errorf("classify: optimiser state for %d parameters, model has %d", len(adam.M), len(m.P))
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x747261696e))
	order := make([]int, x.Rows)
	for i := range order {
		order[i] = i
	}
	batch := min(cfg.Batch, x.Rows)
	bx := nn.NewMat(batch, m.In)
	by := make([]int32, batch)
	ws := NewWorkspace()
	steps := 0
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var sum float64
		for b, start := 0, 0; start < x.Rows; b, start = b+1, start+batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			n := min(batch, x.Rows-start)
			xb, yb := bx.Slice(0, n), by[:n]
			for i, r := range order[start : start+n] {
				copy(xb.Row(i), x.Row(r))
				yb[i] = y[r]
			}
			loss := m.TrainStep(ws, xb, yb, adam, cfg.LR)
			steps++
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return fmt.Errorf("classify: training diverged: loss %v at epoch %d, step %d of the epoch (lr %g)", loss, epoch, b+1, cfg.LR)
			}
			sum += loss * float64(n)
		}
		if progress != nil {
			acc := math.NaN()
			if evalX.Rows > 0 {
				acc = m.Accuracy(evalX, evalY)
			}
			progress(EpochReport{Epoch: epoch, Epochs: cfg.Epochs, Steps: steps, TrainLoss: sum / float64(x.Rows), EvalAccuracy: acc})
		}
	}
	return nil
}
