package anim

import (
	"fmt"
	"image"
	"math"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// DefaultTrainingSteps is how many training steps the training scene covers by default.
const DefaultTrainingSteps = 1500

// snapshot is the flow after a frame's training steps.
type snapshot struct {
	f     *flow.MFlow
	step  int
	mse   float64 // mean projection MSE of the steps since the previous frame
	phase string  // the training phase of the last step ("" before the first)
	err   error
}

// stepAt returns the training step shown by frame i of n covering total steps.
func stepAt(i, n, total int) int {
	if n <= 1 {
		return total
	}
	return int(math.Round(float64(i) * float64(total) / float64(n-1)))
}

// newLiveTrainer returns a fresh flow with the app's live default (the recipe registry's
// default for the live config, run.LiveDefault) and its trainer.
func newLiveTrainer(data *spirals.Dataset, seed uint64) (*flow.Trainer, error) {
	s := run.LiveDefault()
	f, err := flow.New(s.Flow, seed)
	if err != nil {
		return nil, err
	}
	x, err := run.FromDataset(data)
	if err != nil {
		return nil, err
	}
	cfg := s.Train
	cfg.Seed = seed
	return flow.NewTrainer(f, x, cfg)
}

// newTraining sets up the training scene: a trainer goroutine runs ahead of the frames
// (by a bounded queue of snapshots) while each frame maps the snapshot's latent grid and
// manifold into the plane.
func newTraining(m *Movie, o Options) error {
	total := o.Steps
	if total == 0 {
		total = DefaultTrainingSteps
	}
	tr, err := newLiveTrainer(o.Data, o.Seed)
	if err != nil {
		return err
	}
	t := newTools(o)
	t.drawBase(&plane.Scene{Style: t.style, Layers: plane.LayerAll,
		Heatmap: t.heatLayer(o.Clf, 1), Points: o.Data.X, Labels: o.Data.Y})

	snaps := make(chan snapshot, 2)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(snaps)
		phase := ""
		for i := 0; i < m.n; i++ {
			target := stepAt(i, m.n, total)
			var sum float64
			var cnt int
			var err error
			for tr.Steps() < target && err == nil && !tr.Done() {
				select {
				case <-quit:
					return
				default:
				}
				var info flow.StepInfo
				info, err = tr.Step()
				if !math.IsNaN(info.MSE) {
					sum += info.MSE
					cnt++
				}
				if err == nil {
					phase = info.Phase.String()
				}
			}
			s := snapshot{f: tr.Snapshot(), step: tr.Steps(), mse: math.NaN(), err: err, phase: phase}
			if cnt > 0 {
				s.mse = sum / float64(cnt)
			}
			select {
			case snaps <- s:
			case <-quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	m.stop = func() {
		close(quit)
		<-done
	}
	m.frame = func(i int, dst *image.RGBA) error {
		s, ok := <-snaps
		if !ok {
			return fmt.Errorf("anim: training stopped before frame %d", i)
		}
		if s.err != nil {
			return fmt.Errorf("anim: training step %d: %w", s.step+1, s.err)
		}
		grid, man := t.warpedGrid(s.f, o.Data)
		if err := t.start(dst); err != nil {
			return err
		}
		t.r.DrawPolylines(dst, t.view, grid, t.style.GridWidth*1.1, t.style.GridLine)
		t.drawManifold(dst, man, 1)
		sub := []string{"M-Flow learning the Two Spirals manifold"}
		if !math.IsNaN(s.mse) {
			sub = append(sub, fmt.Sprintf("projection MSE %.4f", s.mse))
		}
		if s.phase != "" {
			sub = append(sub, "phase: "+s.phase)
		}
		t.caption(dst, fmt.Sprintf("step %d", s.step), sub...)
		return nil
	}
	return nil
}
