package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

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
	// AlongCurve: training rows sorted by U, their U, the sampler and the resampled batch.
	byU    []int
	sortU  []float32
	rng    *rand.Rand
	xbatch nn.Mat
	picked []int
}

// curveStream separates the along-curve sampler's random stream from the others.
const curveStream = 0x63757276

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
	if cfg.AlongCurve {
		g.byU = make([]int, len(cc.U))
		for i := range g.byU {
			g.byU[i] = i
		}
		sort.SliceStable(g.byU, func(a, b int) bool { return cc.U[g.byU[a]] < cc.U[g.byU[b]] })
		g.sortU = make([]float32, len(cc.U))
		for i, r := range g.byU {
			g.sortU[i] = cc.U[r]
		}
		g.rng = rand.New(rand.NewPCG(cfg.Seed, curveStream))
	}
	return g, nil
}

func (g *geodesic) searchSteps() int {
	if g.cfg.Starts <= 1 {
		return 0 // one start: nothing to choose, its steps count as unrolling
	}
	return g.cfg.Starts * g.candSteps()
}

// candSteps is the length of one candidate of the search phase.
func (g *geodesic) candSteps() int { return g.cfg.StartSteps + g.cfg.CandAlign }

// candAligning reports whether step (0-based) of the search phase is one of a candidate's
// aligning steps.
func (g *geodesic) candAligning(step int) bool {
	return g.cfg.CandAlign > 0 && step%g.candSteps() >= g.cfg.StartSteps
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
	x := t.batch
	if g.byU != nil {
		rows = g.alongCurve(len(rows))
		if g.xbatch.Rows != len(rows) {
			g.xbatch = nn.NewMat(len(rows), 2)
		}
		for i, r := range rows {
			copy(g.xbatch.Row(i), t.train.Row(r))
		}
		x = g.xbatch
	}
	if g.tbatch.Rows != len(rows) {
		g.tbatch = nn.NewMat(len(rows), 2)
	}
	for i, r := range rows {
		copy(g.tbatch.Row(i), g.targets.Row(r))
	}
	loss := w * t.m.OuterTargetGrad(t.ws, x, g.tbatch, g.hOnly, w, t.grad)
	if ph == PhaseAlign || ph == PhaseJoint || (ph == PhaseSearch && g.candAligning(t.step)) {
		loss += w * t.m.InverseTargetGrad(t.ws, x, g.tbatch, g.both, w, t.grad)
	}
	return loss
}

// alongCurve draws n training rows uniformly along the curve: a uniform geodesic coordinate,
// then the row whose U is nearest to it.
func (g *geodesic) alongCurve(n int) []int {
	g.picked = g.picked[:0]
	lo, hi := float64(g.sortU[0]), float64(g.sortU[len(g.sortU)-1])
	for range n {
		u := float32(lo + (hi-lo)*g.rng.Float64())
		j := sort.Search(len(g.sortU), func(k int) bool { return g.sortU[k] >= u })
		if j == len(g.sortU) || (j > 0 && u-g.sortU[j-1] < g.sortU[j]-u) {
			j--
		}
		g.picked = append(g.picked, g.byU[j])
	}
	return g.picked
}

// afterStep ends a candidate of the search phase once it has taken its steps: it scores the
// candidate over all training rows, keeps the best, and starts the next candidate (or, after
// the last, continues from the best) with a fresh optimiser.
func (g *geodesic) afterStep(t *Trainer) {
	s := g.searchSteps()
	if s == 0 || t.step > s || t.step%g.candSteps() != 0 {
		return
	}
	score := g.regressionLoss
	if g.cfg.CandAlign > 0 {
		score = dataD2M95
	}
	if l := score(t.m, t.train); l < g.bestLoss || g.bestP == nil {
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

// dataD2M95 is the 95th percentile of |project(x) − x| over the rows of x: how far the data
// lie from the learned curve, measured from the data alone (+Inf when not finite).
func dataD2M95(m *MFlow, x nn.Mat) float64 {
	p := m.Project(x)
	d := make([]float64, x.Rows)
	for i := range d {
		d[i] = math.Hypot(float64(p.Data[2*i]-x.Data[2*i]), float64(p.Data[2*i+1]-x.Data[2*i+1]))
		if math.IsNaN(d[i]) {
			return math.Inf(1)
		}
	}
	sort.Float64s(d)
	return d[min(len(d)-1, int(math.Ceil(0.95*float64(len(d))))-1)]
}

// Continued returns the configuration for training on from weights that were already
// trained: the geodesic recipe's start-up phases are skipped (only its joint phase and
// anchor remain), other recipes are unchanged.
func (c TrainConfig) Continued() TrainConfig {
	c.Starts, c.StartSteps, c.Unroll, c.Align, c.CandAlign = 0, 0, 0, 0, 0
	return c
}
