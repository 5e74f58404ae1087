package grid

import (
	"math"
	"testing"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/quality"
)

func TestColumns(t *testing.T) {
	for n, want := range map[int]int{1: 1, 2: 2, 4: 2, 9: 3, 10: 5, 12: 4, 100: 10} {
		if got := Columns(n); got != want {
			t.Errorf("Columns(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestRenderDrawsEveryPanel(t *testing.T) {
	f, err := flow.New(flow.Config{N: 2, D: 1, Steps: 2, Hidden: 8, Blocks: 1, Bins: 4, TailBound: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	core, tails := Curves(f, -1, 1)
	if len(core) != 2*3000 || len(tails) != 2 || len(tails[0]) != 2*1500 {
		t.Fatalf("Curves: %d core values, %d tails", len(core), len(tails))
	}
	if c, tl := Curves(f, math.NaN(), 1); c != nil || tl != nil {
		t.Error("a NaN range gave a curve")
	}
	cells := []Cell{
		{Seed: 1, Verdict: quality.Learned, D2M95: 0.02, M2D95Core: 0.03, Core: core, Tails: tails},
		{Seed: 2, Verdict: quality.Failed, D2M95: 0.4, M2D95Core: math.NaN()},
		{Seed: 3, Verdict: quality.Diverged, D2M95: math.NaN(), M2D95Core: math.NaN()},
	}
	img := Render([]float32{0, 0, 0.5, 0.5}, cells, Options{Title: "t", Subtitle: "a long subtitle that wraps", CellSize: 120})
	if b := img.Bounds(); b.Dx() < 3*120 || b.Dy() < 120 {
		t.Fatalf("image %v for three 120-pixel panels in a row", b)
	}
	// the first panel holds the curve's dark colour, the panels' backgrounds are not paper
	dark := 0
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i] < 60 && img.Pix[i+1] < 80 && img.Pix[i+2] > 90 {
			dark++
		}
	}
	if dark < 100 {
		t.Errorf("%d curve-coloured pixels, want the learned curve drawn", dark)
	}
}
