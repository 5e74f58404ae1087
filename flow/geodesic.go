package flow

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// The geodesic recipe. Projection training alone settles, on most seeds, in a curve that
// skips half-turns of the spiral: a local minimum that no later step undoes. This recipe
// first gives the flow the right topology from the data alone, then lets the usual losses
// refine it:
//
//  1. search: Starts candidate initialisations (the run's own first) each regress h_M(x),
//     the manifold coordinate of the outer flow, onto the data's geodesic coordinate U
//     (CurveCoords) for StartSteps steps; the one with the smallest regression error over
//     all training points is kept. Whether a start can be unrolled shows early and
//     reliably in that error.
//  2. unroll: the kept start goes on regressing for Unroll steps.
//  3. align: with the h_M regression kept, the curve f⁻¹((U, 0)) is pulled onto the data
//     points for Align steps, which moves the manifold along the level sets of h_M onto the
//     data.
//  4. joint: MSE + NLL as RecipeJoint, plus both regressions of the align phase at weight
//     Anchor, so the projection loss cannot pull the curve back across a gap.
//
// Only the normal coordinate is left free in 1–2: asking it to be zero (or any fixed
// offset) makes the regression ill-posed, which is why earlier warm starts failed.

// regressWeight scales the regressions of the search, unroll and align phases (Adam is
// insensitive to it; it keeps the reported loss on the scale of MSEWeight·MSE).
const regressWeight = 100

// startStream separates the candidate starts' random streams from New's.
const startStream = 0x7374617274

type geodesic struct {
	cfg      TrainConfig
	targets  nn.Mat // (U, 0) for every training row
	tbatch   nn.Mat
	hOnly    []float64 // regression weights: h_M only
	both     []float64 // regression weights: both coordinates (the decoder side)
	cand     int       // candidate being trained in the search phase
	bestLoss float64
	bestP    []float32
}

func newGeodesic(m *MFlow, train nn.Mat, cfg TrainConfig) (*geodesic, error) {
	if m.Cfg.N != 2 || m.Cfg.D != 1 {
		return nil, fmt.Errorf("flow: the geodesic recipe needs 2-D data and a 1-D manifold, not n=%d d=%d", m.Cfg.N, m.Cfg.D)
	}
	cc, err := NewCurveCoords(train)
	if err != nil {
		return nil, err
	}
	g := &geodesic{cfg: cfg, targets: nn.NewMat(train.Rows, 2), hOnly: []float64{1, 0}, both: []float64{1, 1}, bestLoss: math.Inf(1)}
	for i, u := range cc.U {
		g.targets.Data[2*i] = u
	}
	return g, nil
}

func (g *geodesic) searchSteps() int {
	if g.cfg.Starts <= 1 {
		return 0 // one start: nothing to choose, its steps count as unrolling
	}
	return g.cfg.Starts * g.cfg.StartSteps
}

// phase returns the phase of step (0-based count of steps taken).
func (g *geodesic) phase(step int) Phase {
	s := g.searchSteps()
	switch {
	case step < s:
		return PhaseSearch
	case step < s+g.cfg.Unroll:
		return PhaseUnroll
	case step < s+g.cfg.Unroll+g.cfg.Align:
		return PhaseAlign
	}
	return PhaseJoint
}

// grad adds the recipe's regression terms for the batch (training rows rows, already in
// t.batch) into t.grad and returns their weighted loss.
func (g *geodesic) grad(t *Trainer, ph Phase, rows []int) float64 {
	w := float64(regressWeight)
	if ph == PhaseJoint {
		w = g.cfg.Anchor
		if w == 0 {
			return 0
		}
	}
	if g.tbatch.Rows != len(rows) {
		g.tbatch = nn.NewMat(len(rows), 2)
	}
	for i, r := range rows {
		copy(g.tbatch.Row(i), g.targets.Row(r))
	}
	loss := w * t.m.OuterTargetGrad(t.ws, t.batch, g.tbatch, g.hOnly, w, t.grad)
	if ph == PhaseAlign || ph == PhaseJoint {
		loss += w * t.m.InverseTargetGrad(t.ws, t.batch, g.tbatch, g.both, w, t.grad)
	}
	return loss
}

// afterStep ends a candidate of the search phase once it has taken its steps: it scores the
// candidate over all training rows, keeps the best, and starts the next candidate (or, after
// the last, continues from the best) with a fresh optimiser.
func (g *geodesic) afterStep(t *Trainer) {
	s := g.searchSteps()
	if s == 0 || t.step > s || t.step%g.cfg.StartSteps != 0 {
		return
	}
	if l := g.regressionLoss(t.m, t.train); l < g.bestLoss || g.bestP == nil {
		g.bestLoss = l
		g.bestP = append(g.bestP[:0], t.m.P...)
	}
	g.cand++
	if g.cand < g.cfg.Starts {
		rng := rand.New(rand.NewPCG(g.cfg.Seed, startStream+uint64(g.cand)))
		t.m.Arch.initParams(t.m.P, rng)
	} else {
		copy(t.m.P, g.bestP)
		g.bestP = nil
	}
	t.adam = nn.NewAdam(len(t.m.P))
}

// regressionLoss is the mean squared error of h_M against U over the rows of x.
func (g *geodesic) regressionLoss(m *MFlow, x nn.Mat) float64 {
	h, _ := m.OuterForward(x)
	var s float64
	for i := 0; i < x.Rows; i++ {
		d := float64(h.Data[2*i] - g.targets.Data[2*i])
		s += d * d
	}
	if math.IsNaN(s) {
		return math.Inf(1)
	}
	return s / float64(x.Rows)
}

// Continued returns the configuration for training on from weights that were already
// trained: the geodesic recipe's start-up phases are skipped (only its joint phase and
// anchor remain), other recipes are unchanged.
func (c TrainConfig) Continued() TrainConfig {
	c.Starts, c.StartSteps, c.Unroll, c.Align = 0, 0, 0, 0
	return c
}
