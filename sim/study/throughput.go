package study

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mflowlab/mflowlab/flow"
)

// Throughput measures how fast `mflowlab runs` trains: one run per seed, all at once, each
// on its own goroutine with serial steps as One trains them (no measurements). A run trains
// a new flow of its seed, or a copy of from[i] when from is given (one flow per seed: a
// step's cost depends a little on the weights). Every run first takes skip steps untimed
// (past a recipe's cheaper start-up phases, say); then all train together for d, and the
// sum of their step rates is returned in steps a second.
func Throughput(ctx context.Context, spec *Spec, seeds []uint64, from []*flow.MFlow, skip int, d time.Duration) (float64, error) {
	if err := spec.Validate(); err != nil {
		return 0, err
	}
	if len(seeds) == 0 || skip < 0 || d <= 0 {
		return 0, fmt.Errorf("study: throughput of %d runs after %d steps for %v: want runs, skip ≥ 0 and a positive time", len(seeds), skip, d)
	}
	if len(from) != 0 && len(from) != len(seeds) {
		return 0, fmt.Errorf("study: throughput of %d runs from %d flows", len(seeds), len(from))
	}
	trainers := make([]*flow.Trainer, len(seeds))
	for i, seed := range seeds {
		tc := spec.Settings.Train
		tc.Seed = seed
		var m *flow.MFlow
		var err error
		if len(from) > 0 {
			if from[i] == nil || from[i].Cfg != spec.Settings.Flow {
				return 0, fmt.Errorf("study: throughput run %d: its flow is missing or not of the spec's architecture", i)
			}
			m = from[i].Clone()
		} else if m, err = flow.New(spec.Settings.Flow, seed); err != nil {
			return 0, err
		}
		if trainers[i], err = flow.NewTrainer(m, spec.Data, tc); err != nil {
			return 0, err
		}
		trainers[i].SetSerial(true)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		ready, wg sync.WaitGroup
		go0       = make(chan struct{})
		rates     = make([]float64, len(seeds))
		errs      = make([]error, len(seeds))
	)
	step := func(tr *flow.Trainer, seed uint64) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if tr.Done() {
			return fmt.Errorf("study: run of seed %d finished its epochs at step %d while its throughput was measured", seed, tr.Steps())
		}
		_, err := tr.Step()
		return err
	}
	ready.Add(len(seeds))
	wg.Add(len(seeds))
	for i, tr := range trainers {
		go func() {
			defer wg.Done()
			for tr.Steps() < skip && errs[i] == nil {
				errs[i] = step(tr, seeds[i])
			}
			ready.Done()
			if errs[i] != nil {
				cancel()
				return
			}
			<-go0
			n0, t0 := tr.Steps(), time.Now()
			end := t0.Add(d)
			for time.Now().Before(end) {
				if errs[i] = step(tr, seeds[i]); errs[i] != nil {
					cancel()
					return
				}
			}
			rates[i] = float64(tr.Steps()-n0) / time.Since(t0).Seconds()
		}()
	}
	ready.Wait()
	close(go0)
	wg.Wait()
	var first error // a run's own error before the cancellations it caused
	for _, err := range errs {
		if err != nil && (first == nil || errors.Is(first, context.Canceled)) {
			first = err
		}
	}
	if first != nil {
		return 0, first
	}
	total := 0.0
	for _, r := range rates {
		total += r
	}
	return total, nil
}
