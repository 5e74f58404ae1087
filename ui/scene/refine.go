package scene

import (
	"math"
	"slices"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
)

// Adaptive refinement of the latent lines at Full quality. A visible
// segment is split at its parameter midpoint while it is longer than
// segMin pixels and the last split showed the curve bending (the midpoint
// more than tol pixels off the chord), or while it is longer than
// maxSegPx. Where the flow stretches a tiny latent interval over a long
// way, the split never settles; such segments longer than jumpPx are left
// out instead of drawn as straight lines.
const (
	gridSegPx, gridTolPx         = 3, 0.3
	manifoldSegPx, manifoldTolPx = 1.5, 0.15
	maxSegPx                     = 24
	jumpPx                       = 40
	maxRounds                    = 10
	refineBudget                 = 24000 // most points added per view, over all lines
)

// curve is a latent line being refined: points pts at increasing latent
// parameters ts, and per segment whether it is known to be flat enough.
type curve struct {
	horizontal  bool
	c           float64
	ts          []float64
	pts         []float32
	settled     []bool
	segMin, tol float64
}

// newCurve starts a curve from a coarse latent line; the line is not
// modified.
func newCurve(l *latentLine, segMin, tol float64) *curve {
	n := len(l.pts) / 2
	return &curve{
		horizontal: l.horizontal, c: l.c,
		ts: flow.Linspace(l.t0, l.t1, n), pts: l.pts,
		settled: make([]bool, max(n-1, 0)),
		segMin:  segMin, tol: tol,
	}
}

// split is one segment to be halved: segment k of curve ci.
type split struct {
	ci, k int
	px    float64
}

// refine splits the visible segments of the curves (data box b, scale px
// per unit) round by round until they are smooth, a round adds nothing,
// or the budget is spent. It returns false if stopped.
func refine(f *flow.MFlow, cs []*curve, b box, scale float64, stop func() bool) bool {
	budget := refineBudget
	var todo []split
	for round := 0; round < maxRounds && budget > 0; round++ {
		todo = todo[:0]
		for ci, c := range cs {
			for k := range c.settled {
				if px, vis := segPx(c.pts, k, b, scale); vis && (px > maxSegPx || (!c.settled[k] && px > c.segMin)) {
					todo = append(todo, split{ci, k, px})
				}
			}
		}
		if len(todo) == 0 {
			break
		}
		if len(todo) > budget { // the longest first
			slices.SortFunc(todo, func(a, b split) int { return -cmpFloat(a.px, b.px) })
			todo = todo[:budget]
			slices.SortFunc(todo, func(a, b split) int {
				if a.ci != b.ci {
					return a.ci - b.ci
				}
				return a.k - b.k
			})
		}
		budget -= len(todo)
		h := nn.NewMat(len(todo), 2)
		for i, s := range todo {
			c := cs[s.ci]
			t := 0.5 * (c.ts[s.k] + c.ts[s.k+1])
			r := h.Row(i)
			if c.horizontal {
				r[0], r[1] = float32(t), float32(c.c)
			} else {
				r[0], r[1] = float32(c.c), float32(t)
			}
		}
		x, ok := inverseChunked(f, h, stop)
		if !ok {
			return false
		}
		for i := 0; i < len(todo); {
			j := i
			for j < len(todo) && todo[j].ci == todo[i].ci {
				j++
			}
			cs[todo[i].ci].insert(todo[i:j], x.Data[2*i:2*j], scale)
			i = j
		}
	}
	for _, c := range cs {
		c.dropJumps(b, scale)
	}
	return true
}

// insert adds the midpoints x of the segments s, which are in order, and
// records whether each split showed the curve flat.
func (c *curve) insert(s []split, x []float32, scale float64) {
	n := len(c.ts)
	ts := make([]float64, 0, n+len(s))
	pts := make([]float32, 0, 2*(n+len(s)))
	set := make([]bool, 0, n+len(s)-1)
	j := 0
	for k := 0; k < n; k++ {
		ts = append(ts, c.ts[k])
		pts = append(pts, c.pts[2*k], c.pts[2*k+1])
		if k+1 == n {
			break
		}
		if j < len(s) && s[j].k == k {
			mx, my := x[2*j], x[2*j+1]
			t := 0.5 * (c.ts[k] + c.ts[k+1])
			d := chordDist(c.pts[2*k:2*k+4], mx, my) * scale
			flat := d <= c.tol // false for NaN
			ts = append(ts, t)
			pts = append(pts, mx, my)
			set = append(set, flat, flat)
			j++
		} else {
			set = append(set, c.settled[k])
		}
	}
	c.ts, c.pts, c.settled = ts, pts, set
}

// dropJumps breaks the curve (with a NaN point) at visible segments that
// never settled and are longer than jumpPx.
func (c *curve) dropJumps(b box, scale float64) {
	jump := func(k int) bool {
		px, vis := segPx(c.pts, k, b, scale)
		return vis && !c.settled[k] && px > jumpPx
	}
	if !anyIndex(len(c.settled), jump) {
		return
	}
	nan := float32(math.NaN())
	out := make([]float32, 0, len(c.pts)+8)
	for k := range c.ts {
		out = append(out, c.pts[2*k], c.pts[2*k+1])
		if k < len(c.settled) && jump(k) {
			out = append(out, nan, nan)
		}
	}
	c.pts = out // ts and settled no longer match the points: the curve is finished
	c.ts, c.settled = nil, nil
}

// anyIndex reports whether f(i) holds for some i in [0, n).
func anyIndex(n int, f func(int) bool) bool {
	for i := 0; i < n; i++ {
		if f(i) {
			return true
		}
	}
	return false
}

// segPx returns the pixel length of segment k of polyline pts and whether
// it is drawable and touches b.
func segPx(pts []float32, k int, b box, scale float64) (float64, bool) {
	x0, y0, x1, y1 := pts[2*k], pts[2*k+1], pts[2*k+2], pts[2*k+3]
	if !(finite32(x0) && finite32(y0) && finite32(x1) && finite32(y1)) || !b.touches(x0, y0, x1, y1) {
		return 0, false
	}
	return math.Hypot(float64(x1-x0), float64(y1-y0)) * scale, true
}

// chordDist returns the distance (data units) from (x, y) to the segment
// ab given as a = (ab[0], ab[1]), b = (ab[2], ab[3]).
func chordDist(ab []float32, x, y float32) float64 {
	ax, ay, bx, by := float64(ab[0]), float64(ab[1]), float64(ab[2]), float64(ab[3])
	px, py := float64(x)-ax, float64(y)-ay
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = min(max((px*dx+py*dy)/l2, 0), 1)
	}
	return math.Hypot(px-t*dx, py-t*dy)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
