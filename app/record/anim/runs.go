package anim

import (
	"errors"
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/ui/grid"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// The runs scene: the instability lab's default grid, rows of the original recipe above a
// row of the live default, nine seeds training side by side.
const (
	DefaultRunsSteps = 4000 // training steps the runs scene covers by default
	runsCols         = 3
	runsMeasures     = 12 // measurements of every run over the scene (and one at the end)
)

// runsRows are the recipes of the runs scene's rows (the app's Runs workspace's default).
func runsRows() []string { return []string{"original", "original", run.DefaultRecipe} }

// gridRun is one cell of the runs scene: its trainer and what the last frame showed.
type gridRun struct {
	label   string
	seed    uint64
	tr      *flow.Trainer
	err     error // training diverged (the trainer keeps the last good weights)
	meas    quality.Result
	measAt  int // the step measured, −1 before the first measurement
	measFor *flow.MFlow
}

// runsFrame is what one frame of the runs scene shows.
type runsFrame struct {
	step  int
	cells []grid.Cell
	err   error
}

// newRuns sets up the runs scene: a goroutine trains the nine runs to each frame's step
// (two at a time; each run's numbers depend only on its seed), measures them every few
// frames and hands the frames' cells over a bounded queue.
func newRuns(m *Movie, o Options) error {
	total := o.Steps
	if total == 0 {
		total = DefaultRunsSteps
	}
	x, err := run.FromDataset(o.Data)
	if err != nil {
		return err
	}
	curve, err := quality.SpiralCurve(quality.SpiralRotations, quality.SpiralArmPoints)
	if err != nil {
		return err
	}
	ix := quality.NewIndex(curve)
	var runs []*gridRun
	for r, recipe := range runsRows() {
		st, err := run.RecipeSettings(run.LiveConfig, recipe)
		if err != nil {
			return err
		}
		label, _ := run.ResolveRecipe(run.LiveConfig, recipe)
		for c := range runsCols {
			seed := o.Seed + uint64(r*runsCols+c)
			f, err := flow.New(st.Flow, seed)
			if err != nil {
				return err
			}
			cfg := st.Train
			cfg.Seed = seed
			tr, err := flow.NewTrainer(f, x, cfg)
			if err != nil {
				return err
			}
			tr.SetSerial(true)
			runs = append(runs, &gridRun{label: label, seed: seed, tr: tr, measAt: -1})
		}
	}
	frames := make(chan runsFrame, 2)
	quit := make(chan struct{})
	done := make(chan struct{})
	every := m.n / runsMeasures // frames between measurements; short movies are measured at the end only
	if every < 2 {
		every = m.n
	}
	go func() {
		defer close(done)
		defer close(frames)
		meters := [2]*quality.Meter{quality.NewMeterIndex(ix), quality.NewMeterIndex(ix)}
		for i := 0; i < m.n; i++ {
			target := stepAt(i, m.n, total)
			measure := i%every == every-1 || i == m.n-1
			each(runs, func(w int, g *gridRun) {
				for g.err == nil && !g.tr.Done() && g.tr.Steps() < target {
					if _, err := g.tr.Step(); err != nil {
						g.err = err
					}
				}
				if f := g.tr.Snapshot(); measure && f != g.measFor {
					ev := *f
					ev.Workers = 1
					g.meas, g.measAt, g.measFor = meters[w].Measure(&ev, x), g.tr.Steps(), f
				}
			})
			fr := runsFrame{step: target, cells: make([]grid.Cell, len(runs))}
			for k, g := range runs {
				fr.cells[k] = runsCell(g, k, o.Data.X)
			}
			select {
			case frames <- fr:
			case <-quit:
				return
			}
		}
	}()
	m.stop = func() {
		close(quit)
		<-done
	}
	r := plane.NewRenderer()
	sub := "rows: original, original, " + runs[len(runs)-1].label + " (the live default) · live S8 H32 B1 K8 · 4000 points · learned: d2m95 and core m2d95 ≤ 0.05"
	m.frame = func(i int, dst *image.RGBA) error {
		fr, ok := <-frames
		if !ok {
			return fmt.Errorf("anim: the runs stopped before frame %d", i)
		}
		learned := 0
		for _, c := range fr.cells {
			if !c.NoBadge && c.Verdict == quality.Learned {
				learned++
			}
		}
		title := fmt.Sprintf("Nine M-Flow runs on Two Spirals · step %d · learned %d of %d", fr.step, learned, len(fr.cells))
		grid.Draw(r, dst, o.Data.X, fr.cells, grid.Options{Title: title, Subtitle: sub, Columns: runsCols})
		return nil
	}
	return nil
}

// each calls fn for every run on two goroutines (w is the goroutine's index).
func each(runs []*gridRun, fn func(w int, g *gridRun)) {
	var wg sync.WaitGroup
	next := make(chan *gridRun, len(runs))
	for _, g := range runs {
		next <- g
	}
	close(next)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range next {
				fn(w, g)
			}
		}()
	}
	wg.Wait()
}

// runsCell returns run k's panel: its curve now, its last measurement, its step.
func runsCell(g *gridRun, k int, data []float32) grid.Cell {
	f := g.tr.Snapshot()
	ev := *f
	ev.Workers = 1
	lo, hi := grid.Range(&ev, data, 300)
	core, tails := grid.CurvesN(&ev, lo, hi, 900, 250)
	c := grid.Cell{Seed: g.seed, Label: g.label, Step: g.tr.Steps(), Core: core, Tails: tails,
		Curve: grid.RunColour(k), D2M95: math.NaN(), M2D95Core: math.NaN(), NoBadge: true}
	if g.measAt >= 0 {
		c.Verdict, c.D2M95, c.M2D95Core, c.NoBadge = g.meas.Verdict, g.meas.D2M95, g.meas.M2D95Core, false
		if g.measAt != g.tr.Steps() {
			c.Note = fmt.Sprintf("measured at step %d", g.measAt)
		}
	}
	switch {
	case g.err != nil && errors.Is(g.err, flow.ErrDiverged):
		c.Verdict, c.NoBadge, c.Note = quality.Diverged, false, "diverged: last good weights"
	case g.err != nil:
		c.Note = "stopped: " + g.err.Error()
	case g.tr.Done():
		c.Note = "finished: best-validation weights"
	}
	return c
}
