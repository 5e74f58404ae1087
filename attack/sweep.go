package attack

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
)

// SweepResult holds the counts of the cases A–D for every ε of a sweep over N points.
type SweepResult struct {
	Eps    []float64
	Counts [][4]int // Counts[i] = {A, B, C, D} at Eps[i]
	N      int
}

// EpsStar returns the index of the ε with the highest attack success (A + C), the first one
// on ties; −1 for an empty sweep.
func (r *SweepResult) EpsStar() int {
	best := -1
	for i, c := range r.Counts {
		if best < 0 || c[0]+c[2] > r.Counts[best][0]+r.Counts[best][2] {
			best = i
		}
	}
	return best
}

// AttackRate returns the attack success rate (A + C)/N at index i.
func (r *SweepResult) AttackRate(i int) float64 {
	c := r.Counts[i]
	return float64(c[0]+c[2]) / float64(r.N)
}

// UndoneShare returns the share of successful attacks that the defence undid, A/(A + C), at
// index i (NaN when no attack succeeded).
func (r *SweepResult) UndoneShare(i int) float64 {
	c := r.Counts[i]
	if c[0]+c[2] == 0 {
		return math.NaN()
	}
	return float64(c[0]) / float64(c[0]+c[2])
}

// Linspace returns count values evenly spaced from start to stop inclusive, computed as
// numpy.linspace does (start + i·step, the last value exactly stop).
func Linspace(start, stop float64, count int) []float64 {
	if count <= 0 {
		return nil
	}
	out := make([]float64, count)
	if count == 1 {
		out[0] = start
		return out
	}
	step := (stop - start) / float64(count-1)
	for i := range out {
		out[i] = float64(i)*step + start
	}
	out[count-1] = stop
	return out
}

// MaxSweepEps is the most ε values a sweep accepts.
const MaxSweepEps = 100000

// sweepRows is how many adversarial points the FGSM sweep projects in one call: enough to
// keep every core busy, small enough that cancellation and progress stay prompt.
const sweepRows = 1 << 16

// Sweep attacks every row of x (true labels y) at every ε in eps with the parameters p (p.Eps
// is ignored) and counts the cases A–D of the projection defence with flow fl. The attacked
// model is clf: pass Defended{Clf: bare, Flow: f} for the adaptive attack; cases are always
// judged with the bare classifier (Bare(clf)) and the defence flow fl.
//
// FGSM takes its gradient at the clean point, so the gradient is computed once per point and
// reused for every ε. PGD runs once per ε with the same seed; Alpha = 0 there means
// 2.5·ε/Steps for each ε. progress, when non-nil, is called with the number of (point, ε)
// pairs done out of the total. The sweep stops with ctx's error when ctx is cancelled. Bad
// parameters, labels or points return an error; a wrong number of labels panics.
func Sweep(ctx context.Context, clf Classifier, fl *flow.MFlow, x nn.Mat, y []int32, eps []float64, p Params, progress func(done, total int)) (*SweepResult, error) {
	return sweep(ctx, clf, fl, x, y, eps, p, progress, sweepRows)
}

// SweepWith is Sweep with any projection defence proj (PCA, an image M-Flow, …); pass
// Defended{Clf: bare, Proj: proj} as clf for the adaptive attack. Rows go to the classifier
// and the projection in bounded batches, so thousands of images sweep in fixed memory; PGD
// reports progress after every gradient step.
func SweepWith(ctx context.Context, clf Classifier, proj Projector, x nn.Mat, y []int32, eps []float64, p Params, progress func(done, total int)) (*SweepResult, error) {
	if clf == nil || proj == nil {
		return nil, errors.New("attack: Sweep needs a classifier and a projection")
	}
	if len(y) != x.Rows {
		panic(fmt.Sprintf("attack: Sweep: %d labels for %d rows", len(y), x.Rows))
	}
	if err := checkProjector(proj, x.Cols); err != nil {
		return nil, err
	}
	return sweepWith(ctx, clf, proj, x, y, eps, p, progress, sweepRows, chunkRows(x.Cols))
}

// sweep is Sweep with FGSM's batches holding about batchRows adversarial points.
func sweep(ctx context.Context, clf Classifier, fl *flow.MFlow, x nn.Mat, y []int32, eps []float64, p Params, progress func(done, total int), batchRows int) (*SweepResult, error) {
	if clf == nil || fl == nil {
		return nil, errors.New("attack: Sweep needs a classifier and a flow")
	}
	if len(y) != x.Rows {
		panic(fmt.Sprintf("attack: Sweep: %d labels for %d rows", len(y), x.Rows))
	}
	if fl.Cfg.N != x.Cols {
		return nil, fmt.Errorf("attack: the flow maps %d-dimensional points; the data has %d columns", fl.Cfg.N, x.Cols)
	}
	return sweepWith(ctx, clf, FlowProjector{Flow: fl}, x, y, eps, p, progress, batchRows, chunkRows(x.Cols))
}

// sweepWith is the sweep after the model checks; the classifier and the projection see at
// most chunk rows at a time.
func sweepWith(ctx context.Context, clf Classifier, proj Projector, x nn.Mat, y []int32, eps []float64, p Params, progress func(done, total int), batchRows, chunk int) (*SweepResult, error) {
	if x.Rows == 0 {
		return nil, errors.New("attack: Sweep has no points")
	}
	if len(eps) == 0 || len(eps) > MaxSweepEps {
		return nil, fmt.Errorf("attack: %d ε values; want 1 to %d", len(eps), MaxSweepEps)
	}
	steps := make([]Params, len(eps))
	for i, e := range eps {
		q := p
		q.Eps = e
		if q.Kind != FGSM && q.Alpha == 0 {
			q.Alpha = 2.5 * e / float64(max(q.Steps, 1))
			if e == 0 {
				q.Alpha = 1 // unused: ε = 0 leaves points where they are
			}
		}
		if err := q.Validate(); err != nil {
			return nil, fmt.Errorf("attack: at ε[%d] = %v: %s", i, e, strings.TrimPrefix(err.Error(), "attack: "))
		}
		steps[i] = q
	}
	if _, err := attackLabels(clf, x, y, p); err != nil {
		return nil, err
	}
	if err := checkLabels(y, NumClasses(clf)); err != nil {
		return nil, err
	}
	if err := p.checkBox(x.Cols); err != nil {
		return nil, err
	}
	if err := checkFinite(x); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &SweepResult{Eps: append([]float64(nil), eps...), Counts: make([][4]int, len(eps)), N: x.Rows}
	total := x.Rows * len(eps)
	last := 0
	report := func(done int) {
		if progress != nil && (done > last || done == 0) {
			last = done
			progress(done, total)
		}
	}
	report(0)
	bare := Bare(clf)
	if p.Kind == FGSM {
		if err := sweepFGSM(ctx, clf, bare, proj, x, y, steps, res, report, min(batchRows, chunk), chunk); err != nil {
			return nil, err
		}
		return res, nil
	}
	for i, q := range steps {
		adv := x
		if q.Eps > 0 {
			var stepped func(float64)
			if chunk < x.Rows || x.Cols > 64 {
				// Slow steps (images): report within the ε as well.
				stepped = func(f float64) { report(i*x.Rows + int(f*float64(x.Rows)*0.99)) }
			}
			r, err := run(ctx, clf, x, y, q, false, stepped, chunk)
			if err != nil {
				return nil, err
			}
			adv = r.Adv
		}
		res.Counts[i] = count(bare, proj, adv, y, 1, chunk)[0]
		report((i + 1) * x.Rows)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// sweepFGSM fills res for FGSM: one gradient per point, then groups of ε values stacked
// into large batches for the projection.
func sweepFGSM(ctx context.Context, clf, bare Classifier, proj Projector, x nn.Mat, y []int32, steps []Params, res *SweepResult, report func(int), batchRows, chunk int) error {
	labels, _ := attackLabels(clf, x, y, steps[0])
	g := lossGradRows(clf, x, labels, chunk)
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := float32(1)
	if steps[0].Targeted {
		dir = -1
	}
	s := nn.NewMat(x.Rows, x.Cols)
	for i, v := range g.Data {
		s.Data[i] = dir * sign(v)
	}
	group := max(1, batchRows/x.Rows)
	buf := nn.NewMat(min(group, len(steps))*x.Rows, x.Cols)
	for e0 := 0; e0 < len(steps); e0 += group {
		e1 := min(len(steps), e0+group)
		adv := buf.Slice(0, (e1-e0)*x.Rows)
		for e := e0; e < e1; e++ {
			blk := adv.Slice((e-e0)*x.Rows, (e-e0+1)*x.Rows)
			eps := float32(steps[e].Eps)
			for i, v := range x.Data {
				blk.Data[i] = v + eps*s.Data[i]
			}
			steps[e].clip(blk)
		}
		copy(res.Counts[e0:e1], count(bare, proj, adv, y, e1-e0, chunk))
		report(e1 * x.Rows)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// count classifies adv, which stacks blocks copies of the points labelled y, and returns
// the case counts per block. The classifier and the projection see at most chunk rows at a
// time.
func count(bare Classifier, proj Projector, adv nn.Mat, y []int32, blocks, chunk int) [][4]int {
	pa := predictRows(bare, adv, chunk)
	pd := predictRows(bare, projectRows(proj, adv, chunk), chunk)
	out := make([][4]int, blocks)
	for i := range pa {
		b, t := i/len(y), y[i%len(y)]
		out[b][CaseOf(pa[i] != t, pd[i] == t)-CaseA]++
	}
	return out
}
