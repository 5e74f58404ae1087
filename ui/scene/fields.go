package scene

import (
	"math"
	"slices"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// Pixel spacing of the sampled fields at each quality.
const (
	heatStepFull    = 4
	heatStepDraft   = 8
	densStepFull    = 2 // density drawn from …
	densStepDraft   = 4
	densCoarseFull  = 8 // … flow evaluated at
	densCoarseDraft = 16
)

// How many points are evaluated between checks for a newer request: about
// 20 ms of work for the original classifier or a live flow, 100 ms for
// the original flow on two cores.
const (
	clfChunk  = 8192
	flowChunk = 2048
)

// densitySpan is the width, in nats, of the log-density colour range below
// its top.
const densitySpan = 40

// step returns the lattice spacing in pixels for quality q.
func step(q Quality, full, draft int) int {
	if q == Draft {
		return draft
	}
	return full
}

// lattice returns an empty grid over the data rectangle of v with samples
// about px pixels apart (at least 2×2).
func lattice(v plane.Viewport, px int) *plane.Grid {
	xmin, xmax, ymin, ymax := v.DataRect()
	nx := max((v.W+px-1)/px+1, 2)
	ny := max((v.H+px-1)/px+1, 2)
	if !(xmax > xmin) {
		xmax = xmin + 1
	}
	if !(ymax > ymin) {
		ymax = ymin + 1
	}
	return &plane.Grid{X0: xmin, X1: xmax, Y0: ymin, Y1: ymax, NX: nx, NY: ny, V: make([]float32, nx*ny)}
}

// evalGrid fills g.V with eval of its lattice points, chunk points at a
// time. It returns false, leaving g partly filled, as soon as stop reports
// true between chunks; stop may be nil.
func evalGrid(g *plane.Grid, chunk int, eval func(x nn.Mat, out []float32), stop func() bool) bool {
	n := g.NX * g.NY
	dx := (g.X1 - g.X0) / float64(g.NX-1)
	dy := (g.Y1 - g.Y0) / float64(g.NY-1)
	x := nn.NewMat(min(n, chunk), 2)
	for k0 := 0; k0 < n; k0 += chunk {
		if stop != nil && stop() {
			return false
		}
		k1 := min(n, k0+chunk)
		xs := x.Slice(0, k1-k0)
		for k := k0; k < k1; k++ {
			i, j := k%g.NX, k/g.NX
			r := xs.Row(k - k0)
			r[0], r[1] = float32(g.X0+float64(i)*dx), float32(g.Y0+float64(j)*dy)
		}
		eval(xs, g.V[k0:k1])
	}
	return true
}

// heatGrid returns the class-1 probability of clf over view v, or nil if
// stopped.
func heatGrid(clf *classify.MLP, v plane.Viewport, q Quality, stop func() bool) *plane.Grid {
	g := lattice(v, step(q, heatStepFull, heatStepDraft))
	ok := evalGrid(g, clfChunk, func(x nn.Mat, out []float32) {
		p := clf.Probs(x)
		for i := range out {
			out[i] = p.At(i, 1)
		}
	}, stop)
	if !ok {
		return nil
	}
	return g
}

// densityGrid is the PIE log-density over a view and its colour range.
type densityGrid struct {
	g      *plane.Grid
	lo, hi float32
}

// densGrid returns the PIE log-density of f over view v and the colour
// range to show it with, or a nil grid if stopped.
//
// With ε = 0.01 the density is a ridge far thinner than any affordable
// lattice, but it is −v²/(2ε²) plus a smooth part, and v itself is
// smooth. So the flow is evaluated on a coarse lattice, v and the smooth
// part are interpolated bilinearly onto a fine one, and the ridge is put
// back exactly there.
func densGrid(f *flow.MFlow, v plane.Viewport, q Quality, stop func() bool) densityGrid {
	coarse := lattice(v, step(q, densCoarseFull, densCoarseDraft))
	smooth := &plane.Grid{X0: coarse.X0, X1: coarse.X1, Y0: coarse.Y0, Y1: coarse.Y1, NX: coarse.NX, NY: coarse.NY, V: make([]float32, len(coarse.V))}
	a := float64(f.Inner.Scale.View(f.P)[0])
	b := float64(f.Inner.Shift.View(f.P)[0])
	// The constant terms of spec 5.3 for n = 2, d = 1.
	k := -math.Log(2*math.Pi) - math.Log(flow.DefaultPIEEps) + math.Log(math.Abs(a)+1e-6)
	off := 0
	ok := evalGrid(coarse, flowChunk, func(x nn.Mat, out []float32) {
		h, ld := f.OuterForward(x)
		for i := range out {
			u := a*float64(h.At(i, 0)) + b
			out[i] = h.At(i, 1)
			smooth.V[off+i] = float32(-0.5*u*u + float64(ld[i]) + k)
		}
		off += len(out)
	}, stop)
	if !ok {
		return densityGrid{}
	}
	g := lattice(v, step(q, densStepFull, densStepDraft))
	inv := 1 / (2 * flow.DefaultPIEEps * flow.DefaultPIEEps)
	for j := 0; j < g.NY; j++ {
		y := g.Y0 + (g.Y1-g.Y0)*float64(j)/float64(g.NY-1)
		for i := 0; i < g.NX; i++ {
			x := g.X0 + (g.X1-g.X0)*float64(i)/float64(g.NX-1)
			vv := float64(coarse.At(x, y))
			g.V[j*g.NX+i] = float32(float64(smooth.At(x, y)) - vv*vv*inv)
		}
	}
	lo, hi := densityRange(g.V)
	return densityGrid{g: g, lo: lo, hi: hi}
}

// densityRange picks the colour range of a log-density grid: the top is a
// high percentile of the finite values (so a few spikes do not wash the
// rest out), the bottom densitySpan nats below it.
func densityRange(v []float32) (lo, hi float32) {
	stride := max(1, len(v)/50000)
	fin := make([]float32, 0, len(v)/stride+1)
	for i := 0; i < len(v); i += stride {
		if x := v[i]; x-x == 0 {
			fin = append(fin, x)
		}
	}
	if len(fin) == 0 {
		return 0, 1
	}
	slices.Sort(fin)
	hi = fin[int(math.Round(0.999*float64(len(fin)-1)))]
	return hi - densitySpan, hi
}

// matOf returns the points as an n×2 matrix.
func matOf(pts [][2]float64) nn.Mat {
	m := nn.NewMat(len(pts), 2)
	for i, p := range pts {
		m.Data[2*i], m.Data[2*i+1] = float32(p[0]), float32(p[1])
	}
	return m
}
