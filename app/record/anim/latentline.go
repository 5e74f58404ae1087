package anim

import (
	"math"
	"slices"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// viewLatent summarises the outer latent coordinates (h_M, v) = f(x) over a coarse lattice
// of the view: the ranges a latent line must cover to be seen there.
type viewLatent struct {
	hmLo, hmHi float64 // h_M over the view
	vAbs       []float64
}

// viewLatentOf evaluates f on an n×n lattice over the view.
func viewLatentOf(f *flow.MFlow, view plane.Viewport, n int) viewLatent {
	xmin, xmax, ymin, ymax := view.DataRect()
	pts := nn.NewMat(n*n, 2)
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			r := pts.Row(j*n + i)
			r[0] = float32(xmin + (xmax-xmin)*float64(i)/float64(n-1))
			r[1] = float32(ymin + (ymax-ymin)*float64(j)/float64(n-1))
		}
	}
	h, _ := f.OuterForward(pts)
	vl := viewLatent{hmLo: math.Inf(1), hmHi: math.Inf(-1)}
	for i := 0; i < h.Rows; i++ {
		a, v := float64(h.At(i, 0)), float64(h.At(i, 1))
		if finite(a) && finite(v) {
			vl.hmLo, vl.hmHi = min(vl.hmLo, a), max(vl.hmHi, a)
			vl.vAbs = append(vl.vAbs, math.Abs(v))
		}
	}
	if !(vl.hmHi > vl.hmLo) {
		vl.hmLo, vl.hmHi = -3, 3
	}
	slices.Sort(vl.vAbs)
	return vl
}

// levelRange returns the largest |c| of the level-set sweep v = c: the 93rd percentile of
// |v| over the view, rounded up to a tenth, so that the line stays in sight while it sweeps
// (1.2 for reference checkpoint D, whose v reaches ±2.2 only at the view's edges).
func (vl viewLatent) levelRange() float64 {
	if len(vl.vAbs) == 0 {
		return 1
	}
	return max(0.1, math.Ceil(10*quantile(vl.vAbs, 0.93))/10)
}

// Sampling of a latent line: lineStart even steps first, then segments near the view are
// halved until the midpoint lies within flatPx of the chord (and the chord is at most
// maxChordPx long), for at most refineRounds rounds and maxLinePoints points.
const (
	lineStart     = 250
	refineRounds  = 12
	maxLinePoints = 8000
	flatPx        = 0.3
	minChordPx    = 1.5
	maxChordPx    = 40
)

// latentLine returns the horizontal latent line f⁻¹((t, c)) for t on [t0, t1] as a data-space
// polyline with the t of each point: flow.LatentLines at even steps, then batches of
// midpoints wherever the line near the view is not yet flat to a fraction of a pixel.
func (t *frameTools) latentLine(f *flow.MFlow, c, t0, t1 float64) (xy []float32, ts []float64) {
	xy = append([]float32(nil), f.LatentLines(true, []float64{c}, t0, t1, lineStart)[0].Data...)
	ts = flow.Linspace(t0, t1, lineStart)
	done := make([]bool, lineStart-1) // segment i (from point i to i+1) needs no more points
	x0, x1, y0, y1 := t.view.DataRect()
	mx, my := 0.1*(x1-x0), 0.1*(y1-y0)
	x0, x1, y0, y1 = x0-mx, x1+mx, y0-my, y1+my
	px := 1 / t.view.Scale // one pixel in data units
	for round := 0; round < refineRounds; round++ {
		var mids []int // segments to halve, by start index
		for i := range done {
			if done[i] {
				continue
			}
			ax, ay, bx, by := float64(xy[2*i]), float64(xy[2*i+1]), float64(xy[2*i+2]), float64(xy[2*i+3])
			switch {
			case !(finite(ax) && finite(ay) && finite(bx) && finite(by)),
				max(ax, bx) < x0 || min(ax, bx) > x1 || max(ay, by) < y0 || min(ay, by) > y1,
				math.Hypot(bx-ax, by-ay) < minChordPx*px:
				done[i] = true
			default:
				mids = append(mids, i)
			}
		}
		if len(mids) == 0 || len(ts)+len(mids) > maxLinePoints {
			break
		}
		lat := nn.NewMat(len(mids), 2)
		for k, i := range mids {
			lat.Set(k, 0, float32((ts[i]+ts[i+1])/2))
			lat.Set(k, 1, float32(c))
		}
		mxy, _ := f.OuterInverse(lat)
		nxy := make([]float32, 0, len(xy)+2*len(mids))
		nts := make([]float64, 0, len(ts)+len(mids))
		ndone := make([]bool, 0, len(done)+len(mids))
		k := 0
		for i := range ts {
			nxy = append(nxy, xy[2*i], xy[2*i+1])
			nts = append(nts, ts[i])
			if i == len(done) {
				break
			}
			if k < len(mids) && mids[k] == i {
				m := [2]float64{float64(mxy.Data[2*k]), float64(mxy.Data[2*k+1])}
				a := [2]float64{float64(xy[2*i]), float64(xy[2*i+1])}
				b := [2]float64{float64(xy[2*i+2]), float64(xy[2*i+3])}
				flat := chordDist(m, a, b) < flatPx*px && math.Hypot(b[0]-a[0], b[1]-a[1]) < maxChordPx*px
				nxy = append(nxy, float32(m[0]), float32(m[1]))
				nts = append(nts, (ts[i]+ts[i+1])/2)
				ndone = append(ndone, flat, flat)
				k++
			} else {
				ndone = append(ndone, done[i])
			}
		}
		xy, ts, done = nxy, nts, ndone
	}
	return xy, ts
}

// chordDist returns the distance from m to the segment from a to b.
func chordDist(m, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	s := 0.0
	if l2 > 0 {
		s = max(0, min(1, ((m[0]-a[0])*dx+(m[1]-a[1])*dy)/l2))
	}
	return math.Hypot(m[0]-a[0]-s*dx, m[1]-a[1]-s*dy)
}

// unit maps a value in [lo, hi] to [0, 1], clamped.
func unit(v, lo, hi float64) float64 {
	return math.Max(0, math.Min(1, (v-lo)/(hi-lo)))
}
