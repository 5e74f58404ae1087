package anim

import (
	"math"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/scene"
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
// data's region, found as the app's plane finds them (scene.LatentExtent) with a smaller
// sample so that it stays cheap when recomputed every frame.
func latentExtent(f *flow.MFlow, data *spirals.Dataset) (lo, hi, vMax float64) {
	return scene.LatentExtent(f, data, extentData, extentLattice)
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
		if l := scene.CutToView(x.Data[2*r:2*(r+p.n)], t.view); len(l) > 0 {
			lines = append(lines, l)
		}
		r += p.n
	}
	m, _ := t.latentLine(f, 0, lo-2*span, hi+2*span)
	return lines, scene.CutToView(m, t.view)
}
