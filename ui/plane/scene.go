package plane

import (
	"image"
	"image/color"
	"math"
	"sync"
)

// Renderer draws plane layers into images. It owns the scratch buffers,
// sprites and glyph caches that make repeated frames allocation-free. The
// zero value is ready to use; a Renderer is not safe for concurrent use.
type Renderer struct {
	// Threads is how many goroutines Render may use; 0 or 1 renders on the
	// calling goroutine. The picture does not depend on it.
	Threads int
	// Go, when set, starts the helper goroutines of a threaded Render (a window runs them on
	// threads of lower priority); nil uses the go statement.
	Go func(fn func())

	band    band        // the band being drawn by Render, if any
	helpers []*Renderer // per-thread state for parallel bands
	img     image.RGBA  // header of the band being drawn
	wg      sync.WaitGroup
	job     job // work for this helper

	mask       coverMask
	text       textCache
	sprites    spriteSet
	heat       heatScratch
	paints     []paint
	pts        []float32
	buf        []byte
	paletteBuf []color.NRGBA
}

// NewRenderer returns a ready Renderer.
func NewRenderer() *Renderer { return &Renderer{} }

// band says which rows of the full frame the current drawing covers, so
// that labels anchored to the frame's edges land in the right place.
type band struct {
	y0, fullH int // first row of the band in the frame, frame height; fullH 0: not banded
}

// frameH returns the height of the whole frame that surface s is part of.
func (r *Renderer) frameH(s surface) int {
	if r.band.fullH > 0 {
		return r.band.fullH
	}
	return s.h
}

// frameBottom returns the y of the frame's bottom edge in s's coordinates.
func (r *Renderer) frameBottom(s surface) float32 {
	return float32(r.frameH(s) - r.band.y0)
}

// bandRows is the height of the horizontal bands Render draws one at a
// time: each band's pixels and coverage mask stay in cache while all
// layers are drawn over it, and bands can be drawn in parallel.
const bandRows = 128

// LayerMask selects the layers Render draws, one bit per layer.
type LayerMask uint32

// Layers of the plane, in drawing order.
const (
	LayerBoundary     LayerMask = 1 << iota // decision-region tint and the p = 0.5 contour
	LayerAxes                               // grid lines at round coordinates, tick labels
	LayerDensity                            // log-density heat map
	LayerPoints                             // data points
	LayerGrid                               // warped latent grid lines
	LayerManifold                           // the learned manifold curve
	LayerTrajectories                       // projection trajectories
	LayerProbes                             // attack probes
	LayerScaleBar                           // scale bar in the bottom-right corner

	LayerAll = LayerBoundary | LayerAxes | LayerDensity | LayerPoints | LayerGrid |
		LayerManifold | LayerTrajectories | LayerProbes | LayerScaleBar
)

// Has reports whether every layer of l is selected in m.
func (m LayerMask) Has(l LayerMask) bool { return m&l == l }

// Probe is one attacked point: the clean point X, the adversarial point
// Adv and its on-manifold projection Defended, with the optional paths
// between them (data-space polylines; empty means a straight arrow).
type Probe struct {
	X, Adv, Defended [2]float64
	Path             []float32 // attack path from X to Adv
	Projection       []float32 // projection path from Adv to Defended
	Case             byte      // 'A'..'D' for the outcome badge, 0 for none
	Selected         bool      // drawn with a highlight
}

// Scene is everything shown in one frame of the plane. Nil or empty
// fields are skipped, as are layers not selected in Layers.
type Scene struct {
	Viewport Viewport
	Style    Style
	Layers   LayerMask

	Heatmap *Grid // class-1 probability in [0, 1]

	Density                *Grid   // log-density; NaN or −Inf where undefined
	DensityMin, DensityMax float32 // colour range; DensityMax ≤ DensityMin means the grid's finite range

	Points []float32 // data points x0, y0, x1, y1, …
	Labels []int32   // class of each point, or nil

	GridLines    [][]float32 // warped latent grid lines (data-space polylines)
	Manifold     []float32   // the learned manifold (data-space polyline, NaN breaks)
	Trajectories [][]float32 // projection trajectories (data-space polylines)
	Probes       []Probe
}

// Render draws the scene into dst, covering min(dst size, viewport size)
// from dst's top-left corner, in this order: background, decision regions
// and contour, axes, density, points, warped grid, manifold, trajectories,
// probes, scale bar.
func (r *Renderer) Render(dst *image.RGBA, sc *Scene) {
	s := viewSurface(dst, sc.Viewport)
	if s.w == 0 {
		return
	}
	nb := (s.h + bandRows - 1) / bandRows
	nt := min(max(r.Threads, 1), nb)
	for len(r.helpers) < nt-1 {
		r.helpers = append(r.helpers, &Renderer{})
	}
	var dr densityRange
	if sc.Layers.Has(LayerDensity) && sc.Density != nil {
		dr.lo, dr.hi = sc.DensityMin, sc.DensityMax
		if !(dr.hi > dr.lo) {
			dr.lo, dr.hi = finiteRange(sc.Density.V)
		}
	}
	for t := 1; t < nt; t++ {
		h := r.helpers[t-1]
		h.job = job{wg: &r.wg, dst: dst, sc: sc, dr: dr, h: s.h, first: t, step: nt}
		r.wg.Add(1)
		if r.Go != nil {
			r.Go(h.runJob)
		} else {
			go h.runJob()
		}
	}
	r.renderBands(nil, dst, sc, dr, s.h, 0, nt)
	r.wg.Wait()
	for _, h := range r.helpers[:nt-1] {
		h.job = job{} // drop references to the caller's data
	}
}

// job is the share of a frame handed to a helper goroutine.
type job struct {
	wg             *sync.WaitGroup
	dst            *image.RGBA
	sc             *Scene
	dr             densityRange
	h, first, step int
}

func (r *Renderer) runJob() {
	j := &r.job
	r.renderBands(j.wg, j.dst, j.sc, j.dr, j.h, j.first, j.step)
}

// densityRange is the value range the density layer is coloured over.
type densityRange struct{ lo, hi float32 }

// renderBands draws bands first, first+step, … of the frame.
func (r *Renderer) renderBands(wg *sync.WaitGroup, dst *image.RGBA, sc *Scene, dr densityRange, h, first, step int) {
	if wg != nil {
		defer wg.Done()
	}
	for y0 := first * bandRows; y0 < h; y0 += step * bandRows {
		r.renderBand(dst, sc, dr, y0, min(y0+bandRows, h), h)
	}
	r.band = band{}
}

// renderBand draws rows [y0, y1) of the frame.
func (r *Renderer) renderBand(dst *image.RGBA, sc *Scene, dr densityRange, y0, y1, h int) {
	full := sc.Viewport
	vp := full
	vp.H = y1 - y0
	// Shift the centre so that frame row y0 becomes the band's row 0.
	vp.Center[1] = full.Center[1] + (float64(full.H)/2-float64(y0)-float64(vp.H)/2)/full.Scale
	b := dst.Rect
	r.img = image.RGBA{
		Pix:    dst.Pix[dst.PixOffset(b.Min.X, b.Min.Y+y0):],
		Stride: dst.Stride,
		Rect:   image.Rect(0, 0, min(b.Dx(), full.W), y1-y0),
	}
	r.band = band{y0: y0, fullH: h}
	r.layers(&r.img, vp, sc, dr)
}

// layers draws every selected layer of sc into dst through viewport vp.
func (r *Renderer) layers(dst *image.RGBA, vp Viewport, sc *Scene, dr densityRange) {
	st, on := &sc.Style, sc.Layers
	s := viewSurface(dst, vp)
	if s.w == 0 {
		return
	}
	s.clear(st.Background)
	if on.Has(LayerBoundary) && sc.Heatmap != nil {
		r.DrawHeatmap(dst, vp, sc.Heatmap, &st.Heat)
		r.DrawContour(dst, vp, sc.Heatmap, 0.5, st.BoundaryWidth, st.Boundary)
	}
	if on.Has(LayerAxes) {
		r.DrawAxes(dst, vp, st)
	}
	if on.Has(LayerDensity) && sc.Density != nil {
		r.DrawDensity(dst, vp, sc.Density, &st.Density, dr.lo, dr.hi, st.DensityAlpha)
	}
	if on.Has(LayerPoints) && len(sc.Points) > 0 {
		r.paletteBuf = append(append(r.paletteBuf[:0], st.Classes...), st.Unlabelled)
		r.DrawPoints(dst, vp, sc.Points, sc.Labels, r.paletteBuf, st.PointRadius, st.PointAlpha)
	}
	if on.Has(LayerGrid) && len(sc.GridLines) > 0 {
		r.DrawPolylines(dst, vp, sc.GridLines, st.GridWidth, st.GridLine)
	}
	if on.Has(LayerManifold) && len(sc.Manifold) > 0 {
		if st.ManifoldCasing.A > 0 && st.CasingWidth > 0 {
			r.DrawPolyline(dst, vp, sc.Manifold, st.ManifoldWidth+2*st.CasingWidth, st.ManifoldCasing)
		}
		r.DrawPolyline(dst, vp, sc.Manifold, st.ManifoldWidth, st.Manifold)
	}
	if on.Has(LayerTrajectories) && len(sc.Trajectories) > 0 {
		r.drawTrajectories(dst, vp, sc.Trajectories, st)
	}
	if on.Has(LayerProbes) {
		for i := range sc.Probes {
			r.DrawProbe(dst, vp, &sc.Probes[i], st)
		}
	}
	if on.Has(LayerScaleBar) {
		r.DrawScaleBar(dst, vp, st)
	}
}

// drawTrajectories strokes the trajectories with a dot at each start, all
// composited together.
func (r *Renderer) drawTrajectories(dst *image.RGBA, vp Viewport, lines [][]float32, st *Style) {
	s := viewSurface(dst, vp)
	if s.w == 0 || st.Trajectory.A == 0 {
		return
	}
	m := &r.mask
	m.begin(s.w, s.h)
	a := vp.affine()
	for _, l := range lines {
		strokeData(m, l, a, st.TrajectoryWidth/2, 1)
		if st.TrajectoryStart > 0 && len(l) >= 2 {
			m.disc(a.ax*l[0]+a.bx, a.ay*l[1]+a.by, st.TrajectoryStart, 1)
		}
	}
	m.flush(s, paintOf(st.Trajectory))
}

// finiteRange returns the smallest and largest finite values of v (0, 1
// if there are none).
func finiteRange(v []float32) (lo, hi float32) {
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	for _, x := range v {
		if x-x == 0 {
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	if !(hi >= lo) {
		return 0, 1
	}
	return lo, hi
}

// probePath puts the pixel polyline of a probe leg into r.pts: the given
// data path, or the straight segment from a to b when it has fewer than
// two points.
func (r *Renderer) probePath(vp Viewport, path []float32, a, b [2]float64) []float32 {
	if len(path) >= 4 {
		r.pts = toPixels(r.pts, path, vp.affine())
		return r.pts
	}
	x0, y0 := vp.ToPixel(a[0], a[1])
	x1, y1 := vp.ToPixel(b[0], b[1])
	r.pts = append(r.pts[:0], x0, y0, x1, y1)
	return r.pts
}

// DrawProbe draws one attack probe: the attack path (red, arrow into the
// adversarial point), the projection path (gold, arrow into the defended
// point), the three markers and the case badge.
func (r *Renderer) DrawProbe(dst *image.RGBA, vp Viewport, p *Probe, st *Style) {
	s := viewSurface(dst, vp)
	if s.w == 0 {
		return
	}
	m := &r.mask
	m.begin(s.w, s.h)
	ms := st.MarkerSize
	rad := ms / 2
	xx, xy := vp.ToPixel(p.X[0], p.X[1])
	ax, ay := vp.ToPixel(p.Adv[0], p.Adv[1])
	dx, dy := vp.ToPixel(p.Defended[0], p.Defended[1])
	if p.Selected && st.Selection.A > 0 {
		// A light glow under the whole probe and a ring around the clean point.
		hw := st.ProbeWidth/2 + 3
		strokePx(m, r.probePath(vp, p.Path, p.X, p.Adv), hw, 1)
		strokePx(m, r.probePath(vp, p.Projection, p.Adv, p.Defended), hw, 1)
		for _, q := range [...][2]float32{{xx, xy}, {ax, ay}, {dx, dy}} {
			m.disc(q[0], q[1], rad+3.5, 1)
		}
		m.disc(xx, xy, rad+7, 1)
		m.flush(s, paintOf(st.SelectionGlow))
		m.ring(xx, xy, rad+5, 0.8, 1)
		m.flush(s, paintOf(st.Selection))
	}
	// Paths: arrows ending at the edge of the target marker.
	pts := r.probePath(vp, p.Path, p.X, p.Adv)
	arrowPx(m, pts[:trimEnd(pts, rad+1.5)], st.ProbeWidth)
	m.flush(s, paintOf(st.Attack))
	pts = r.probePath(vp, p.Projection, p.Adv, p.Defended)
	arrowPx(m, pts[:trimEnd(pts, rad+1.5)], st.ProbeWidth)
	m.flush(s, paintOf(st.Projection))

	// Markers: clean point white with a dark rim, adversarial red with a
	// light rim, defended gold with a dark rim.
	lw := max(1.2, ms/8)
	m.disc(xx, xy, rad, 1)
	m.disc(dx, dy, rad, 1)
	m.flush(s, paintOf(st.MarkerOutline))
	m.disc(xx, xy, rad-lw, 1)
	m.flush(s, paintOf(st.Original))
	m.disc(dx, dy, rad-lw, 1)
	m.flush(s, paintOf(st.Projection))
	m.disc(ax, ay, rad, 1)
	m.flush(s, paintOf(st.Original))
	m.disc(ax, ay, rad-lw, 1)
	m.flush(s, paintOf(st.Attack))

	if p.Case >= 'A' && p.Case <= 'D' && st.BadgeSize > 0 {
		off := rad + 0.9*st.BadgeSize
		r.DrawBadge(dst, xx+off, xy-off, string(rune(p.Case)), st.BadgeSize, st.CaseColors[p.Case-'A'], st.BadgeText)
	}
}

// SameExceptProbes reports whether a and b draw the same picture apart from their probes: the
// same viewport, layers and density range, and the very same layer data, compared by
// identity (a scene builder hands unchanged layers on as the same slices). Styles are not
// compared. A caller can then keep a picture of a's other layers and draw only b's probes
// over it (DrawProbes).
func SameExceptProbes(a, b *Scene) bool {
	return a.Viewport == b.Viewport && a.Layers == b.Layers &&
		a.DensityMin == b.DensityMin && a.DensityMax == b.DensityMax &&
		a.Heatmap == b.Heatmap && a.Density == b.Density &&
		sameSlice(a.Points, b.Points) && sameSlice(a.Labels, b.Labels) &&
		sameSlice(a.GridLines, b.GridLines) && sameSlice(a.Manifold, b.Manifold) &&
		sameSlice(a.Trajectories, b.Trajectories)
}

// sameSlice reports whether a and b are the same slice: same length and backing array.
func sameSlice[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// DrawProbes draws sc's probes (when the probes layer is on) over whatever dst holds.
func (r *Renderer) DrawProbes(dst *image.RGBA, sc *Scene) {
	if !sc.Layers.Has(LayerProbes) {
		return
	}
	r.band = band{}
	for i := range sc.Probes {
		r.DrawProbe(dst, sc.Viewport, &sc.Probes[i], &sc.Style)
	}
}
