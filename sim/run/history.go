package run

import "math"

// MaxHistory bounds the number of points a History keeps; when full, neighbouring points
// are merged and the resolution halves, so memory stays fixed however long training runs.
const MaxHistory = 2048

// Point is one entry of the loss history: the means over the steps it covers.
type Point struct {
	Step     int     // last step covered
	Loss     float64 // weighted training loss
	MSE, NLL float64 // loss parts (NaN when not computed)
	ValLoss  float64 // latest validation loss at Step (NaN before the first epoch end)
	GradNorm float64 // gradient norm before clipping
}

// History is an immutable, downsampled record of a run's training curve. A nil History is
// empty.
type History struct {
	points []Point
	stride int
}

// Len returns the number of points.
func (h *History) Len() int {
	if h == nil {
		return 0
	}
	return len(h.points)
}

// At returns point i (0 ≤ i < Len).
func (h *History) At(i int) Point { return h.points[i] }

// Points returns a copy of all points, oldest first.
func (h *History) Points() []Point {
	if h == nil {
		return nil
	}
	return append([]Point(nil), h.points...)
}

// Stride returns the number of steps each point covers (a power of two). The newest
// Stride−1 steps at most are not in the history yet.
func (h *History) Stride() int {
	if h == nil {
		return 1
	}
	return h.stride
}

// histBuilder accumulates steps into points. Points handed out in a History are never
// written again: appends go past the published length, and halving allocates a new array.
type histBuilder struct {
	pts    []Point
	stride int
	acc    accum
	val    float64
	pub    *History // cached view of pts, nil after a change
}

type accum struct {
	n      int
	step   int
	sum    [4]float64 // loss, mse, nll, gradnorm
	counts [4]int
}

func newHistBuilder() histBuilder {
	return histBuilder{pts: make([]Point, 0, MaxHistory), stride: 1, val: math.NaN()}
}

// add records one step.
func (b *histBuilder) add(step int, loss, mse, nll, gradNorm float64) {
	a := &b.acc
	for i, v := range [4]float64{loss, mse, nll, gradNorm} {
		if !math.IsNaN(v) {
			a.sum[i] += v
			a.counts[i]++
		}
	}
	a.n++
	a.step = step
	if a.n < b.stride {
		return
	}
	mean := func(i int) float64 {
		if a.counts[i] == 0 {
			return math.NaN()
		}
		return a.sum[i] / float64(a.counts[i])
	}
	b.pts = append(b.pts, Point{Step: a.step, Loss: mean(0), MSE: mean(1), NLL: mean(2), ValLoss: b.val, GradNorm: mean(3)})
	*a = accum{}
	b.pub = nil
	if len(b.pts) == MaxHistory {
		b.halve()
	}
}

// setVal records the validation loss for the following points.
func (b *histBuilder) setVal(v float64) { b.val = v }

// halve merges neighbouring points into a fresh array and doubles the stride.
func (b *histBuilder) halve() {
	out := make([]Point, 0, MaxHistory)
	for i := 0; i+1 < len(b.pts); i += 2 {
		p, q := b.pts[i], b.pts[i+1]
		out = append(out, Point{Step: q.Step, Loss: mean2(p.Loss, q.Loss), MSE: mean2(p.MSE, q.MSE),
			NLL: mean2(p.NLL, q.NLL), ValLoss: q.ValLoss, GradNorm: mean2(p.GradNorm, q.GradNorm)})
	}
	b.pts = out
	b.stride *= 2
}

// mean2 averages two values, ignoring a NaN one.
func mean2(a, b float64) float64 {
	switch {
	case math.IsNaN(a):
		return b
	case math.IsNaN(b):
		return a
	}
	return (a + b) / 2
}

// view returns the immutable History of the points so far.
func (b *histBuilder) view() *History {
	if b.pub == nil {
		n := len(b.pts)
		b.pub = &History{points: b.pts[:n:n], stride: b.stride}
	}
	return b.pub
}
