package cli

import (
	"fmt"
	"image/png"
	"io"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/internal/atomicfile"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/study"
	"github.com/mflowlab/mflowlab/ui/grid"
)

// gridCell is what a run's panel needs, kept when the run finishes (not its weights).
type gridCell struct {
	core  []float32
	tails [][]float32
}

// cellOf computes the learned curve of a finished run for its panel, on one goroutine.
func cellOf(r study.Result, m *flow.MFlow) *gridCell {
	ev := *m
	ev.Workers = 1
	core, tails := grid.Curves(&ev, r.Quality.Lo, r.Quality.Hi)
	return &gridCell{core: core, tails: tails}
}

// writeGrid draws the runs as small multiples and writes the PNG atomically.
func writeGrid(path string, spec *study.Spec, res []study.Result, cells map[uint64]*gridCell, shard study.Shard) error {
	gc := make([]grid.Cell, len(res))
	learned := 0
	for i, r := range res {
		gc[i] = grid.Cell{Seed: r.Seed, Verdict: r.Verdict, D2M95: r.Quality.D2M95, M2D95Core: r.Quality.M2D95Core}
		if c := cells[r.Seed]; c != nil {
			gc[i].Core, gc[i].Tails = c.core, c.tails
		}
		if r.Verdict == quality.Learned {
			learned++
		}
	}
	title := fmt.Sprintf("M-Flow runs on Two Spirals: config %s, recipe %s — learned %d of %d", spec.Config, spec.Recipe, learned, len(res))
	if shard.Count > 1 {
		title += fmt.Sprintf(" (shard %v)", shard)
	}
	cfg := spec.Settings.Flow
	perms := "random permutations"
	if cfg.Alternate {
		perms = "alternating couplings"
	}
	sub := fmt.Sprintf("S%d H%d B%d K%d, %s · %s · %d points · %s weights evaluated · learned curve bold between the data's ends, light beyond · same axes in every panel",
		cfg.Steps, cfg.Hidden, cfg.Blocks, cfg.Bins, perms, budgetText(spec), spec.Data.Rows, spec.Weights)
	img := grid.Render(spec.Data.Data, gc, grid.Options{Title: title, Subtitle: sub})
	return atomicfile.Write(path, func(w io.Writer) error {
		if err := png.Encode(w, img); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	})
}
