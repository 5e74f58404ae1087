package anim

import (
	"math"
	"slices"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

// The warped latent grid of the training scene. It follows the app's plane (ui/scene) —
// levels spread over the latent extent of the data, the v = 0 line drawn as the manifold —
// with fewer lines and points, since it is recomputed for every frame.
const (
	gridLevels    = 13  // latent lines per direction (the middle horizontal one is the manifold)
	gridPointsH   = 110 // points per horizontal line (along h_M)
	gridPointsV   = 70  // points per vertical line (along v)
	extentData    = 400 // most data points encoded to find the latent extent
	extentLattice = 13  // lattice points per side over the data's bounding box
)

// latentExtent returns the range [lo, hi] of h_M and the half range vMax of v over the
// data's region, as the app's plane finds them: percentiles of the outer latent
// coordinates of a data subsample and a lattice over the data's bounding box grown by 15 %.
func latentExtent(f *flow.MFlow, data *spirals.Dataset) (lo, hi, vMax float64) {
	x0, x1, y0, y1 := bounds(data.X)
	mx, my := 0.15*max(x1-x0, 0.5), 0.15*max(y1-y0, 0.5)
	x0, x1, y0, y1 = x0-mx, x1+mx, y0-my, y1+my
	nl := extentLattice * extentLattice
	stride := max(1, data.N()/extentData)
	nd := (data.N() + stride - 1) / stride
	pts := nn.NewMat(nl+nd, 2)
	for j := 0; j < extentLattice; j++ {
		for i := 0; i < extentLattice; i++ {
			r := pts.Row(j*extentLattice + i)
			r[0] = float32(x0 + (x1-x0)*float64(i)/float64(extentLattice-1))
			r[1] = float32(y0 + (y1-y0)*float64(j)/float64(extentLattice-1))
		}
	}
	for k := 0; k < nd; k++ {
		copy(pts.Row(nl+k), data.X[2*k*stride:2*k*stride+2])
	}
	h, _ := f.OuterForward(pts)
	var hm, av []float64
	for i := 0; i < h.Rows; i++ {
		a, v := float64(h.At(i, 0)), float64(h.At(i, 1))
		if finite(a) {
			hm = append(hm, a)
		}
		if i < nl && finite(v) {
			av = append(av, math.Abs(v))
		}
	}
	lo, hi, vMax = -3, 3, 1
	if len(hm) > 0 {
		slices.Sort(hm)
		a, b := quantile(hm, 0.02), quantile(hm, 0.98)
		if b-a > 1e-6 && b-a < 1e6 {
			lo, hi = a, b
		}
	}
	if len(av) > 0 {
		slices.Sort(av)
		if v := quantile(av, 0.95); v > 1e-6 && v < 1e6 {
			vMax = v
		}
	}
	return lo, hi, vMax
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// quantile returns the q-quantile of the sorted values s (nearest rank).
func quantile(s []float64, q float64) float64 {
	return s[int(math.Round(q*float64(len(s)-1)))]
}

// latentPiece is a segment of a latent line: h_M on [t0, t1] at v = c (horizontal), or v on
// [t0, t1] at h_M = c, sampled at n evenly spaced points.
type latentPiece struct {
	horizontal bool
	c, t0, t1  float64
	n          int
}

// warpedGrid returns the latent grid lines of f mapped into data space through f⁻¹ in one
// batch, and the manifold (the line v = 0, sampled finely where it is in view), both cut
// to the neighbourhood of the view.
func (t *frameTools) warpedGrid(f *flow.MFlow, data *spirals.Dataset) (lines [][]float32, manifold []float32) {
	lo, hi, vMax := latentExtent(f, data)
	span := hi - lo
	var ps []latentPiece
	for i, c := range flow.Linspace(-vMax, vMax, gridLevels) {
		if i != gridLevels/2 {
			ps = append(ps, latentPiece{true, c, lo - 0.5*span, hi + 0.5*span, gridPointsH})
		}
	}
	for _, c := range flow.Linspace(lo, hi, gridLevels) {
		ps = append(ps, latentPiece{false, c, -1.5 * vMax, 1.5 * vMax, gridPointsV})
	}
	total := 0
	for _, p := range ps {
		total += p.n
	}
	lat := nn.NewMat(total, 2)
	r := 0
	for _, p := range ps {
		for _, v := range flow.Linspace(p.t0, p.t1, p.n) {
			row := lat.Row(r)
			if p.horizontal {
				row[0], row[1] = float32(v), float32(p.c)
			} else {
				row[0], row[1] = float32(p.c), float32(v)
			}
			r++
		}
	}
	x, _ := f.OuterInverse(lat)
	r = 0
	for _, p := range ps {
		if l := t.clip(x.Data[2*r : 2*(r+p.n)]); len(l) > 0 {
			lines = append(lines, l)
		}
		r += p.n
	}
	m, _ := t.latentLine(f, 0, lo-2*span, hi+2*span)
	return lines, t.clip(m)
}
