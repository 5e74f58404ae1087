// Package study trains many M-Flow runs that differ only in their seed and gives each one
// verdict (package quality): the instrument behind `mflowlab runs`. Every run trains on one
// goroutine with serial training steps, so its numbers do not depend on how many runs share
// the machine; runs are measured every few steps and at the end, and the first step and
// training second at which a run counted as learned are kept.
package study

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/run"
)

// Spec is what all runs of a study share.
type Spec struct {
	Config, Recipe string       // names written to the results (the recipe resolved, not "default")
	Settings       run.Settings // architecture and training; Seed is replaced by each run's seed
	Weights        run.Weights  // which weights are evaluated and handed over
	// Steps is the budget of optimisation steps; a run also ends when its epochs end
	// (flow.Trainer.Done). 0: no step budget, the epochs alone decide.
	Steps int
	// Epochs, when positive, replaces the recipe's number of epochs. flow.Trainer restores
	// the best-validation weights when its epochs end; for a recipe that hands over its last
	// (or best-fit) weights and does not anneal, the epochs become a step budget instead (and
	// the trainer is given one epoch more), so the handed-over weights are the ones evaluated.
	Epochs     int
	CheckEvery int            // measure every this many steps (and at the end); 0: only at the end
	Data       nn.Mat         // training points (rows×2)
	Curve      *quality.Index // the data's noiseless curve, or nil when unknown
}

// Validate reports a spec that cannot run.
func (s *Spec) Validate() error {
	switch {
	case s.Steps < 0:
		return fmt.Errorf("study: step budget %d is negative", s.Steps)
	case s.CheckEvery < 0:
		return fmt.Errorf("study: check interval %d is negative", s.CheckEvery)
	case s.Epochs < 0:
		return fmt.Errorf("study: epoch budget %d is negative", s.Epochs)
	case s.Steps == 0 && s.Epochs == 0 && s.Settings.Train.Epochs >= 100_000:
		return fmt.Errorf("study: no step budget and %d epochs: give a budget", s.Settings.Train.Epochs)
	case s.Data.Cols != 2 || s.Data.Rows < 2:
		return fmt.Errorf("study: data is %d×%d; want at least 2 rows of 2 columns", s.Data.Rows, s.Data.Cols)
	}
	return s.Settings.Validate()
}

// CurveName returns "spiral" when the spec knows the data's curve and "none" otherwise.
func (s *Spec) CurveName() string {
	if s.Curve == nil {
		return "none"
	}
	return "spiral"
}

// Result is one run's outcome.
type Result struct {
	Seed        uint64
	Steps       int            // optimisation steps taken
	Secs        float64        // wall-clock seconds of training, the measurements excluded
	Quality     quality.Result // the final measurement of the evaluated weights
	Verdict     quality.Verdict
	BestVal     float64 // lowest validation loss seen at an epoch end (NaN before any)
	LearnedStep int     // first measured step at which the run counted as learned; −1: never
	LearnedSecs float64 // training seconds up to LearnedStep (NaN: never)
}

// Learned reports whether the run counted as learned at some measurement.
func (r *Result) Learned() bool { return r.LearnedStep >= 0 }

// Counter reports a study's progress; its fields may be read from any goroutine while the
// study runs.
type Counter struct {
	Steps   atomic.Int64 // optimisation steps taken over all runs
	Done    atomic.Int64 // runs finished
	Learned atomic.Int64 // finished runs whose final verdict is learned
}

// One trains and measures the run of seed. Cancelling ctx stops it with ctx's error; a
// divergence is not an error but the Diverged verdict. If c is not nil, its step count
// grows as training goes on. It returns the evaluated model beside the result.
func One(ctx context.Context, spec *Spec, seed uint64, c *Counter) (Result, *flow.MFlow, error) {
	tc := spec.Settings.Train
	tc.Seed = seed
	budget, lastByEpochs := spec.Steps, spec.Epochs > 0 && spec.Weights != run.WeightsBest && !tc.Cosine
	if spec.Weights == run.WeightsBestFit && tc.FitEvery == 0 {
		tc.FitEvery = DefaultFitEvery
	}
	if spec.Epochs > 0 {
		tc.Epochs = spec.Epochs
		if lastByEpochs {
			tc.Epochs++
		}
	}
	m, err := flow.New(spec.Settings.Flow, seed)
	if err != nil {
		return Result{}, nil, err
	}
	tr, err := flow.NewTrainer(m, spec.Data, tc)
	if err != nil {
		return Result{}, nil, err
	}
	tr.SetSerial(true)
	if lastByEpochs {
		if byEpochs := spec.Epochs * tr.StepsPerEpoch(); budget == 0 || byEpochs < budget {
			budget = byEpochs
		}
	}
	meter := quality.NewMeterIndex(spec.Curve)
	res := Result{Seed: seed, BestVal: math.NaN(), LearnedStep: -1, LearnedSecs: math.NaN()}
	var train time.Duration
	measured := -1
	measure := func() {
		ev := *handover(tr, spec.Weights)
		ev.Workers = 1
		res.Quality = meter.Measure(&ev, spec.Data)
		measured = tr.Steps()
		if res.Quality.Verdict == quality.Learned && res.LearnedStep < 0 {
			res.LearnedStep, res.LearnedSecs = tr.Steps(), train.Seconds()
		}
	}
	diverged := false
	for !tr.Done() && (budget == 0 || tr.Steps() < budget) {
		if err := ctx.Err(); err != nil {
			return Result{}, nil, err
		}
		before := tr.Steps()
		t0 := time.Now()
		info, err := tr.Step()
		train += time.Since(t0)
		if err != nil {
			if !errors.Is(err, flow.ErrDiverged) {
				return Result{}, nil, err
			}
			diverged = true
			break
		}
		if info.EpochEnd && !math.IsNaN(info.ValLoss) && (math.IsNaN(res.BestVal) || info.ValLoss < res.BestVal) {
			res.BestVal = info.ValLoss
		}
		if n := tr.Steps(); n > before {
			if c != nil {
				c.Steps.Add(int64(n - before))
			}
			if spec.CheckEvery > 0 && n%spec.CheckEvery == 0 {
				measure()
			}
		}
	}
	// Done restores the best weights, possibly after a no-step density epoch found them
	if measured != tr.Steps() || (tr.Done() && spec.Weights == run.WeightsBest) {
		measure()
	}
	res.Steps, res.Secs, res.Verdict = tr.Steps(), train.Seconds(), res.Quality.Verdict
	if diverged {
		res.Verdict = quality.Diverged
	}
	return res, handover(tr, spec.Weights), nil
}

// DefaultFitEvery is the fit measurement interval of run.WeightsBestFit when the recipe sets
// none.
const DefaultFitEvery = 250

// handover returns the weights a run of w hands over now: the live model, the best-validation
// one (until the trainer's last epoch restores it), or the best-fit copy.
func handover(tr *flow.Trainer, w run.Weights) *flow.MFlow {
	switch {
	case w == run.WeightsBest && !tr.Done():
		return tr.Best()
	case w == run.WeightsBestFit:
		m, _, _ := tr.BestFit()
		return m
	}
	return tr.Model()
}

// Run trains the runs of seeds, jobs at a time (jobs < 1 means 1), and returns their results
// in the order of seeds; they do not depend on jobs. done, if not nil, is called with each
// finished run and its evaluated model, from the worker goroutines (possibly at the same
// time); its error stops the study. The first error, or ctx's cancellation, stops all runs
// and is returned.
func Run(ctx context.Context, spec *Spec, seeds []uint64, jobs int, c *Counter, done func(Result, *flow.MFlow) error) ([]Result, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]Result, len(seeds))
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	for w := 0; w < max(1, min(jobs, len(seeds))); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r, m, err := One(ctx, spec, seeds[i], c)
				if err == nil && done != nil {
					err = done(r, m)
				}
				if err != nil {
					fail(err)
					continue
				}
				results[i] = r
				if c != nil {
					c.Done.Add(1)
					if r.Verdict == quality.Learned {
						c.Learned.Add(1)
					}
				}
			}
		}()
	}
feed:
	for i := range seeds {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil { // cancelled after the last run was handed out
		return nil, err
	}
	return results, nil
}
