package scene

import (
	"math"
	"slices"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// Sizes of the warped latent grid and the manifold curve.
const (
	gridLevels     = 21   // latent lines per direction (the middle horizontal one is the manifold)
	gridPoints     = 200  // points per coarse grid line
	manifoldCoarse = 2000 // points of the coarse manifold
	rangeSample    = 2000 // most data points encoded to find the latent extent
	rangeLattice   = 33   // lattice points per side over the data's bounding box
	boxMargin      = 0.5  // lines are cut outside the view grown by this fraction of its size on every side
)

// latentLine is one latent segment f⁻¹((t, c)) (horizontal) or f⁻¹((c, t))
// (vertical) for t on [t0, t1], sampled at len(pts)/2 evenly spaced t.
type latentLine struct {
	horizontal bool
	c, t0, t1  float64
	pts        []float32 // data-space polyline
}

// latentGeom is a flow's warped latent grid and manifold before they are
// fitted to a view.
type latentGeom struct {
	hmLo, hmHi, vMax float64 // latent extent of the data region
	lines            []latentLine
	manifold         latentLine
}

// newLatentGeom encodes the data's region to find its latent extent and
// maps the grid lines and the manifold through f⁻¹. It returns nil if
// stopped.
func newLatentGeom(f *flow.MFlow, data *spirals.Dataset, stop func() bool) *latentGeom {
	g := &latentGeom{}
	g.hmLo, g.hmHi, g.vMax = LatentExtent(f, data, rangeSample, rangeLattice)
	span := g.hmHi - g.hmLo
	hLevels := make([]float64, 0, gridLevels-1)
	for i, c := range flow.Linspace(-g.vMax, g.vMax, gridLevels) {
		if i != gridLevels/2 { // v = 0 is the manifold, drawn on its own
			hLevels = append(hLevels, c)
		}
	}
	for _, c := range hLevels {
		g.lines = append(g.lines, latentLine{horizontal: true, c: c, t0: g.hmLo - 0.5*span, t1: g.hmHi + 0.5*span})
	}
	for _, c := range flow.Linspace(g.hmLo, g.hmHi, gridLevels) {
		g.lines = append(g.lines, latentLine{c: c, t0: -1.5 * g.vMax, t1: 1.5 * g.vMax})
	}
	g.manifold = latentLine{horizontal: true, t0: g.hmLo - 2*span, t1: g.hmHi + 2*span}

	ls := make([]*latentLine, 0, len(g.lines)+1)
	ns := make([]int, 0, len(g.lines)+1)
	for i := range g.lines {
		ls, ns = append(ls, &g.lines[i]), append(ns, gridPoints)
	}
	ls, ns = append(ls, &g.manifold), append(ns, manifoldCoarse)
	if !sampleLines(f, ls, ns, stop) {
		return nil
	}
	return g
}

// LatentExtent returns the range [hmLo, hmHi] of h_M and the half range
// vMax of v over the data's region: percentiles of the outer latent
// coordinates of at most maxSample data points and a lattice×lattice grid
// over the data's bounding box grown by 15 % (the spec's [−2.3, 2.3]² view
// without data). The plane and the recorded animations share it.
func LatentExtent(f *flow.MFlow, data *spirals.Dataset, maxSample, lattice int) (hmLo, hmHi, vMax float64) {
	x0, x1, y0, y1 := -2.3, 2.3, -2.3, 2.3
	var sub []float32
	if data != nil && data.N() > 0 && len(data.X) >= 2*data.N() {
		x0, x1, y0, y1 = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for i := 0; i < data.N(); i++ {
			x, y := float64(data.X[2*i]), float64(data.X[2*i+1])
			if isFinite(x) && isFinite(y) {
				x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
			}
		}
		if !(x1 >= x0 && y1 >= y0) {
			x0, x1, y0, y1 = -2.3, 2.3, -2.3, 2.3
		}
		stride := max(1, data.N()/max(1, maxSample))
		for i := 0; i < data.N(); i += stride {
			sub = append(sub, data.X[2*i], data.X[2*i+1])
		}
	}
	mx, my := 0.15*max(x1-x0, 0.5), 0.15*max(y1-y0, 0.5)
	x0, x1, y0, y1 = x0-mx, x1+mx, y0-my, y1+my
	lattice = max(lattice, 2)
	nl := lattice * lattice
	pts := nn.NewMat(nl+len(sub)/2, 2)
	for j := 0; j < lattice; j++ {
		for i := 0; i < lattice; i++ {
			r := pts.Row(j*lattice + i)
			r[0] = float32(x0 + (x1-x0)*float64(i)/float64(lattice-1))
			r[1] = float32(y0 + (y1-y0)*float64(j)/float64(lattice-1))
		}
	}
	copy(pts.Data[2*nl:], sub)
	h, _ := f.OuterForward(pts)
	hm := make([]float64, 0, h.Rows)
	av := make([]float64, 0, nl)
	for i := 0; i < h.Rows; i++ {
		a, v := float64(h.At(i, 0)), float64(h.At(i, 1))
		if isFinite(a) {
			hm = append(hm, a)
		}
		if i < nl && isFinite(v) {
			av = append(av, math.Abs(v))
		}
	}
	hmLo, hmHi, vMax = -3, 3, 1
	if len(hm) > 0 {
		slices.Sort(hm)
		lo, hi := percentile(hm, 0.02), percentile(hm, 0.98)
		if hi-lo > 1e-6 && hi-lo < 1e6 {
			hmLo, hmHi = lo, hi
		}
	}
	if len(av) > 0 {
		slices.Sort(av)
		if v := percentile(av, 0.95); v > 1e-6 && v < 1e6 {
			vMax = v
		}
	}
	return hmLo, hmHi, vMax
}

// percentile returns the q-quantile of the sorted values s (nearest rank).
func percentile(s []float64, q float64) float64 {
	return s[int(math.Round(q*float64(len(s)-1)))]
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// sampleLines maps n[i] evenly spaced latent points of each line ls[i]
// through f⁻¹ in batches, storing them in ls[i].pts. It returns false if
// stopped between batches.
func sampleLines(f *flow.MFlow, ls []*latentLine, n []int, stop func() bool) bool {
	total := 0
	for _, k := range n {
		total += k
	}
	h := nn.NewMat(total, 2)
	r := 0
	for i, l := range ls {
		for j, t := range flow.Linspace(l.t0, l.t1, n[i]) {
			row := h.Row(r + j)
			if l.horizontal {
				row[0], row[1] = float32(t), float32(l.c)
			} else {
				row[0], row[1] = float32(l.c), float32(t)
			}
		}
		r += n[i]
	}
	x, ok := inverseChunked(f, h, stop)
	if !ok {
		return false
	}
	r = 0
	for i, l := range ls {
		l.pts = x.Data[2*r : 2*(r+n[i])]
		r += n[i]
	}
	return true
}

// inverseChunked returns f⁻¹(h), evaluated flowChunk rows at a time with
// a stop check before each chunk.
func inverseChunked(f *flow.MFlow, h nn.Mat, stop func() bool) (nn.Mat, bool) {
	x := nn.NewMat(h.Rows, 2)
	for r0 := 0; r0 < h.Rows; r0 += flowChunk {
		if stop != nil && stop() {
			return nn.Mat{}, false
		}
		r1 := min(h.Rows, r0+flowChunk)
		xs, _ := f.OuterInverse(h.Slice(r0, r1))
		copy(x.Data[2*r0:2*r1], xs.Data)
	}
	return x, true
}

// box is an axis-aligned data rectangle.
type box struct{ x0, x1, y0, y1 float32 }

// cutBox returns the view's data rectangle grown by boxMargin of its size
// on every side: geometry outside it is dropped.
func cutBox(v plane.Viewport) box {
	xmin, xmax, ymin, ymax := v.DataRect()
	mx, my := boxMargin*(xmax-xmin), boxMargin*(ymax-ymin)
	return box{float32(xmin - mx), float32(xmax + mx), float32(ymin - my), float32(ymax + my)}
}

func (b box) has(x, y float32) bool { return x >= b.x0 && x <= b.x1 && y >= b.y0 && y <= b.y1 }

// touches reports whether the bounding box of the segment (x0, y0)–(x1, y1)
// meets b.
func (b box) touches(x0, y0, x1, y1 float32) bool {
	return max(x0, x1) >= b.x0 && min(x0, x1) <= b.x1 && max(y0, y1) >= b.y0 && min(y0, y1) <= b.y1
}

func finite32(v float32) bool { return v-v == 0 }

// CutToView returns a copy of polyline pts with the points outside the view grown by half
// its size on every side replaced by NaN breaks (as the plane's grid and manifold layers are
// cut), or nil if no point is inside: far-flung parts of a flow's curves then cost nothing
// to draw.
func CutToView(pts []float32, v plane.Viewport) []float32 { return cut(pts, cutBox(v)) }

// cut returns a copy of polyline pts with the points outside b replaced by
// a single NaN per run and NaN runs at the ends dropped, or nil if no
// point is inside b.
func cut(pts []float32, b box) []float32 {
	nan := float32(math.NaN())
	var out []float32
	gap := false
	for i := 0; i+1 < len(pts); i += 2 {
		x, y := pts[i], pts[i+1]
		if !b.has(x, y) { // also NaN
			gap = true
			continue
		}
		if gap && len(out) > 0 {
			out = append(out, nan, nan)
		}
		gap = false
		out = append(out, x, y)
	}
	return out
}

// fitView cuts g's lines and manifold to view v. At Full quality their
// visible parts are first refined until they look smooth. It returns
// ok = false if stopped.
func (g *latentGeom) fitView(f *flow.MFlow, v plane.Viewport, q Quality, stop func() bool) (lines [][]float32, manifold []float32, ok bool) {
	b := cutBox(v)
	cs := make([]*curve, 0, len(g.lines)+1)
	for i := range g.lines {
		cs = append(cs, newCurve(&g.lines[i], gridSegPx, gridTolPx))
	}
	cs = append(cs, newCurve(&g.manifold, manifoldSegPx, manifoldTolPx))
	if q == Full && !refine(f, cs, b, v.Scale, stop) {
		return nil, nil, false
	}
	for i, c := range cs {
		pts := cut(c.pts, b)
		if len(pts) == 0 {
			continue
		}
		if i == len(cs)-1 {
			manifold = pts
		} else {
			lines = append(lines, pts)
		}
	}
	return lines, manifold, true
}
