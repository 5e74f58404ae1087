package anim

import (
	"fmt"
	"image"
	"image/color"

	"github.com/mflowlab/mflowlab/ui/plane"
	"github.com/mflowlab/mflowlab/ui/scene"
)

// The projection scene moves a lattice of about projStarts points along their projection
// paths (flow.ProjectionPaths with projSteps steps): still at first, then easing onto the
// manifold, then still again.
const (
	projStarts = 150
	projSteps  = 100
	projHold0  = 0.08 // share of the movie before the points move
	projHold1  = 0.8  // share of the movie when they arrive
)

// newProjection sets up the projection scene over the faint data and the manifold.
func newProjection(m *Movie, o Options) error {
	t := newTools(o)
	starts := scene.FieldStartPoints(t.view, projStarts)
	paths := o.Flow.ProjectionPaths(starts, projSteps)
	k := projSteps + 1
	vl := viewLatentOf(o.Flow, t.view, 41)
	span := vl.hmHi - vl.hmLo
	man, _ := t.latentLine(o.Flow, 0, vl.hmLo-0.25*span, vl.hmHi+0.25*span)

	st := t.style
	st.PointAlpha = 0.3
	t.drawBase(&plane.Scene{Style: st, Layers: plane.LayerAll, Points: o.Data.X, Labels: o.Data.Y})
	t.drawManifold(t.base, t.clipKeep(man), 1)

	trail := t.style.Trajectory
	trailW := max(1.1, 1.5*float32(min(o.W, o.H))/800)
	rad := max(2.5, 4.2*float32(min(o.W, o.H))/800)
	dark := t.style.MarkerOutline
	gold := t.style.Projection
	trails := make([][]float32, starts.Rows)
	heads := make([]float32, 2*starts.Rows)
	var startDots []float32
	for i := 0; i < starts.Rows; i++ {
		startDots = append(startDots, starts.At(i, 0), starts.At(i, 1))
	}
	m.frame = func(i int, dst *image.RGBA) error {
		lam := smooth(phase(i, m.n, projHold0, projHold1))
		s := lam * projSteps
		for p := range trails {
			var end [2]float64
			trails[p], end = alongPath(trails[p], paths.Data[2*p*k:2*(p+1)*k], s)
			heads[2*p], heads[2*p+1] = float32(end[0]), float32(end[1])
			trails[p] = t.clipKeep(trails[p])
		}
		if err := t.start(dst); err != nil {
			return err
		}
		t.r.DrawPoints(dst, t.view, startDots, nil, []color.NRGBA{trail}, rad*0.45, 1)
		t.r.DrawPolylines(dst, t.view, trails, trailW, trail)
		t.r.DrawPoints(dst, t.view, heads, nil, []color.NRGBA{dark}, rad, 1)
		t.r.DrawPoints(dst, t.view, heads, nil, []color.NRGBA{gold}, rad-1.2, 1)
		t.caption(dst, fmt.Sprintf("projection onto the manifold, λ = %.2f", lam),
			"each point x moves to f⁻¹(h_M, (1 − λ)·v), where (h_M, v) = f(x)",
			"λ = 1: every point lies on the learned manifold v = 0")
		return nil
	}
	return nil
}
