// Package anim draws the frames of mflowlab's recorded animations ("scenes"): an M-Flow
// training live, a latent level set swept through the flow, a classifier's decision
// boundary forming, points projected onto the learned manifold, an adversarial attack
// undone by the projection, and a grid of runs training side by side.
//
// A Movie computes each frame's model state (training steps, flow evaluations) and draws
// it with the plane rasteriser into an *image.RGBA; package record encodes the frames.
// Layers that do not change during a scene are drawn once into a base image that every
// frame starts from. Everything is seeded: the same options give the same frames.
package anim

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strings"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/plane"
	"github.com/mflowlab/mflowlab/ui/scene"
)

// Scene names.
const (
	Training   = "training"   // a fresh M-Flow trained live: warped latent grid and manifold moving
	LevelSet   = "levelset"   // the latent line v = c swept through a trained flow from −2.2 to 2.2 and back
	Boundary   = "boundary"   // a fresh classifier's decision boundary forming over its training
	Projection = "projection" // a lattice of points travelling along their projection paths onto the manifold
	Attack     = "attack"     // PGD attacks moving points off the manifold, then projected back, with their A–D cases
	Runs       = "runs"       // nine runs training side by side (original recipe rows above the live default), measured
)

// Names returns the scene names in presentation order.
func Names() []string { return []string{Training, LevelSet, Boundary, Projection, Attack, Runs} }

// NeedsFlow reports whether scene draws a trained flow that the caller must supply.
func NeedsFlow(scene string) bool {
	return scene == LevelSet || scene == Projection || scene == Attack
}

// Options configure a Movie.
type Options struct {
	Flow   *flow.MFlow      // the trained flow of levelset, projection and attack
	Clf    *classify.MLP    // the classifier whose regions tint training, projection and attack; nil for none
	Data   *spirals.Dataset // the points drawn (and trained on); nil: 4000 generated Two Spirals points
	Seed   uint64           // fixes every random choice: initial weights, batches, chosen probes
	Frames int              // number of frames, ≥ 1
	W, H   int              // frame size in pixels
	Steps  int              // training, boundary and runs: optimiser steps covered; 0 for the scene's default
	// Range is the levelset sweep's largest |c|: the latent line v = c goes from −Range to
	// +Range and back. 0 means DefaultLevelRange, as in the original videos; AutoLevelRange
	// picks a range from the flow that keeps the line in view (see levelRange).
	Range float64
}

// Levelset sweep ranges.
const (
	DefaultLevelRange = 2.2 // v = c from −2.2 to 2.2, the original "spiral_horizontal_line_transform" videos
	AutoLevelRange    = -1  // Options.Range: the 93rd percentile of |v| over the view (1.2 for checkpoint D)
	MaxLevelRange     = 100 // largest Options.Range accepted
)

// Limits on the options.
const (
	MaxFrames = 100_000 // most frames of one movie
	MinSide   = 16      // smallest frame side
	MaxSteps  = 1_000_000
)

// DefaultData returns the Two Spirals data the app starts with (4000 points, noise 3,
// 1.2 turns), drawn from seed.
func DefaultData(seed uint64) (*spirals.Dataset, error) {
	return spirals.Generate(4000, 3, 1.2, seed)
}

// Movie produces the frames of one scene in order.
type Movie struct {
	name  string
	n, i  int
	frame func(i int, dst *image.RGBA) error
	stop  func()
}

// New prepares the movie of the named scene: it loads or computes everything the frames
// share (data, static layers, attack results). Close releases it.
func New(name string, o Options) (*Movie, error) {
	if o.Frames < 1 || o.Frames > MaxFrames {
		return nil, fmt.Errorf("anim: %d frames out of range [1, %d]", o.Frames, MaxFrames)
	}
	if o.W < MinSide || o.H < MinSide || o.W > 8192 || o.H > 8192 {
		return nil, fmt.Errorf("anim: frame size %d×%d out of range [%d, 8192] per side", o.W, o.H, MinSide)
	}
	if o.Steps < 0 || o.Steps > MaxSteps {
		return nil, fmt.Errorf("anim: %d training steps out of range [0, %d]", o.Steps, MaxSteps)
	}
	if r := o.Range; r != 0 && r != AutoLevelRange && !(r > 0 && r <= MaxLevelRange) {
		return nil, fmt.Errorf("anim: levelset range %v out of range (0, %d]", r, MaxLevelRange)
	}
	if !slices.Contains(Names(), name) {
		return nil, fmt.Errorf("anim: unknown scene %q (want one of %s)", name, strings.Join(Names(), ", "))
	}
	if NeedsFlow(name) {
		if o.Flow == nil {
			return nil, fmt.Errorf("anim: the %s scene needs a trained flow", name)
		}
		if o.Flow.Cfg.N != 2 || o.Flow.Cfg.D != 1 {
			return nil, fmt.Errorf("anim: the flow has n=%d, d=%d; the plane needs n=2, d=1", o.Flow.Cfg.N, o.Flow.Cfg.D)
		}
	}
	if o.Clf != nil && (o.Clf.In != 2 || o.Clf.Classes != 2) {
		return nil, fmt.Errorf("anim: the classifier maps %d inputs to %d classes; the plane needs 2 and 2", o.Clf.In, o.Clf.Classes)
	}
	if o.Data == nil {
		d, err := DefaultData(o.Seed)
		if err != nil {
			return nil, err
		}
		o.Data = d
	}
	if o.Data.N() < 4 || len(o.Data.X) != 2*o.Data.N() {
		return nil, errors.New("anim: the data set needs at least 4 points with 2 coordinates each")
	}
	m := &Movie{name: name, n: o.Frames, stop: func() {}}
	var err error
	switch name {
	case Training:
		err = newTraining(m, o)
	case LevelSet:
		err = newLevelSet(m, o)
	case Boundary:
		err = newBoundary(m, o)
	case Projection:
		err = newProjection(m, o)
	case Attack:
		err = newAttack(m, o)
	case Runs:
		err = newRuns(m, o)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Len returns the number of frames.
func (m *Movie) Len() int { return m.n }

// Name returns the scene's name.
func (m *Movie) Name() string { return m.name }

// Next draws the next frame into dst, which must be W×H. It returns an error after the
// last frame or when the scene's computation fails (e.g. training diverged).
func (m *Movie) Next(dst *image.RGBA) error {
	if m.i >= m.n {
		return errors.New("anim: no frames left")
	}
	if err := m.frame(m.i, dst); err != nil {
		return err
	}
	m.i++
	return nil
}

// Close stops any background work of the movie.
func (m *Movie) Close() { m.stop() }

// frameTools is what every scene draws with: the view fitted to the data, the style, a
// renderer and the base image holding the layers that do not change.
type frameTools struct {
	view  plane.Viewport
	style plane.Style
	r     *plane.Renderer
	base  *image.RGBA
	text  float32 // caption font size
}

func newTools(o Options) *frameTools {
	x0, x1, y0, y1 := bounds(o.Data.X)
	margin := max(8, 0.035*float64(min(o.W, o.H)))
	t := &frameTools{
		view:  plane.Fit(x0, x1, y0, y1, o.W, o.H, margin),
		style: plane.DefaultStyle(),
		r:     plane.NewRenderer(),
		base:  image.NewRGBA(image.Rect(0, 0, o.W, o.H)),
		text:  float32(math.Round(min(30, max(11, float64(min(o.W, o.H))/34)))),
	}
	t.r.Threads = 2
	// Sizes scale with the frame, the app's look at 800 pixels.
	k := float32(min(o.W, o.H)) / 800
	if k < 1 {
		s := &t.style
		k = max(k, 0.5)
		s.PointRadius *= max(k, 0.7)
		s.ManifoldWidth *= k
		s.CasingWidth *= k
		s.ProbeWidth *= max(k, 0.75)
		s.MarkerSize *= max(k, 0.75)
		s.BadgeSize = max(9, s.BadgeSize*k)
		s.FontSize = max(9, s.FontSize*k)
		s.TickSpacing *= k
	}
	return t
}

// bounds returns the bounding box of the finite points xy.
func bounds(xy []float32) (x0, x1, y0, y1 float64) {
	x0, y0 = math.Inf(1), math.Inf(1)
	x1, y1 = math.Inf(-1), math.Inf(-1)
	for i := 0; i+1 < len(xy); i += 2 {
		x, y := float64(xy[i]), float64(xy[i+1])
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			continue
		}
		x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
	}
	if !(x1 > x0 && y1 > y0) {
		return -2.3, 2.3, -2.3, 2.3
	}
	return x0, x1, y0, y1
}

// drawBase renders sc into the base image.
func (t *frameTools) drawBase(sc *plane.Scene) {
	sc.Viewport = t.view
	t.r.Render(t.base, sc)
}

// start copies the base image into dst.
func (t *frameTools) start(dst *image.RGBA) error {
	if dst.Bounds().Size() != t.base.Bounds().Size() {
		return fmt.Errorf("anim: frame is %v, the movie is %v", dst.Bounds().Size(), t.base.Bounds().Size())
	}
	b := dst.Bounds()
	for y := 0; y < b.Dy(); y++ {
		copy(dst.Pix[dst.PixOffset(b.Min.X, b.Min.Y+y):][:4*b.Dx()], t.base.Pix[y*t.base.Stride:])
	}
	return nil
}

// captionLine is one line under a caption's title, optionally led by a case badge.
type captionLine struct {
	badge byte // 'A'…'D' for a case badge before the text, 0 for none
	text  string
}

// caption draws a title and smaller lines below it in the top-left corner, on a
// translucent panel that keeps them legible over the plane.
func (t *frameTools) caption(dst *image.RGBA, title string, lines ...string) {
	cl := make([]captionLine, len(lines))
	for i, l := range lines {
		cl[i].text = l
	}
	t.captionLines(dst, title, cl)
}

// captionLines draws a caption whose lines may carry case badges.
func (t *frameTools) captionLines(dst *image.RGBA, title string, lines []captionLine) {
	ink := color.NRGBA{0x2b, 0x2f, 0x38, 0xff}
	small := float32(math.Round(float64(t.text) * 0.72))
	pad := float32(math.Round(float64(t.text) * 0.55))
	x := pad + float32(math.Round(float64(t.text)*0.5))
	y := pad + float32(math.Round(float64(t.text)*1.4))
	indent := small * 1.7 // room for a badge
	w, _ := t.r.MeasureText(title, t.text)
	h := float32(math.Round(float64(t.text) * 1.4))
	step := small * 1.45
	for _, l := range lines {
		lw, _ := t.r.MeasureText(l.text, small)
		if l.badge != 0 {
			lw += indent
			h += step * 0.25
		}
		w = max(w, lw)
		h += step
	}
	t.panel(dst, image.Rect(int(pad), int(pad), int(x+w+pad+1), int(pad+h+pad+t.text*0.35)))
	t.r.DrawText(dst, x, y, title, plane.TextStyle{Size: t.text, Color: ink})
	for _, l := range lines {
		y += step
		lx := x
		if l.badge >= 'A' && l.badge <= 'D' {
			y += step * 0.25
			_, ch := t.r.MeasureText("A", small)
			t.r.DrawBadge(dst, x+indent*0.4, y-ch/2, string(rune(l.badge)), small*0.9,
				t.style.CaseColors[l.badge-'A'], t.style.BadgeText)
			lx += indent
		}
		t.r.DrawText(dst, lx, y, l.text, plane.TextStyle{Size: small, Color: t.style.AxisText})
	}
}

// panel blends the background colour at 88 % over the rectangle r of dst and draws a thin
// border around it.
func (t *frameTools) panel(dst *image.RGBA, r image.Rectangle) {
	r = r.Intersect(dst.Bounds())
	bg := t.style.Background
	line := color.NRGBA{0xcf, 0xd0, 0xd1, 0xff} // the background darkened by a fifth
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			a := uint32(225)
			c := bg
			if x == r.Min.X || x == r.Max.X-1 || y == r.Min.Y || y == r.Max.Y-1 {
				c, a = line, 255
			}
			p := dst.Pix[dst.PixOffset(x, y):]
			p[0] = uint8((uint32(c.R)*a + uint32(p[0])*(255-a) + 127) / 255)
			p[1] = uint8((uint32(c.G)*a + uint32(p[1])*(255-a) + 127) / 255)
			p[2] = uint8((uint32(c.B)*a + uint32(p[2])*(255-a) + 127) / 255)
		}
	}
}

// heatLayer returns the decision-region grid of clf over the view, or nil without a
// classifier.
func (t *frameTools) heatLayer(clf *classify.MLP, version uint64) *plane.Grid {
	if clf == nil {
		return nil
	}
	res := scene.Build(scene.Inputs{Clf: clf, ClfVersion: version, View: t.view, Layers: plane.LayerBoundary})
	return res.Scene.Heatmap
}

// drawManifold strokes the manifold polyline with its casing.
func (t *frameTools) drawManifold(dst *image.RGBA, m []float32, alpha float64) {
	st := &t.style
	casing, line := st.ManifoldCasing, st.Manifold
	casing.A = uint8(math.Round(float64(casing.A) * alpha))
	line.A = uint8(math.Round(float64(line.A) * alpha))
	if casing.A > 0 && st.CasingWidth > 0 {
		t.r.DrawPolyline(dst, t.view, m, st.ManifoldWidth+2*st.CasingWidth, casing)
	}
	t.r.DrawPolyline(dst, t.view, m, st.ManifoldWidth, line)
}

// clipKeep returns a copy of polyline pts with the points outside the view grown by half
// its size on every side set to NaN, keeping the point count.
func (t *frameTools) clipKeep(pts []float32) []float32 {
	x0, x1, y0, y1 := t.view.DataRect()
	mx, my := 0.5*(x1-x0), 0.5*(y1-y0)
	bx0, bx1, by0, by1 := float32(x0-mx), float32(x1+mx), float32(y0-my), float32(y1+my)
	nan := float32(math.NaN())
	out := make([]float32, len(pts))
	for i := 0; i+1 < len(pts); i += 2 {
		x, y := pts[i], pts[i+1]
		if !(x >= bx0 && x <= bx1 && y >= by0 && y <= by1) {
			x, y = nan, nan
		}
		out[i], out[i+1] = x, y
	}
	return out
}

// smooth is the ease-in-out curve 3t² − 2t³ on [0, 1], clamped outside.
func smooth(t float64) float64 {
	t = max(0, min(1, t))
	return t * t * (3 - 2*t)
}

// phase returns how far frame i of n is through the interval [a, b] of the movie's
// timeline (fractions of its length), clamped to [0, 1].
func phase(i, n int, a, b float64) float64 {
	if n <= 1 {
		return 1
	}
	t := float64(i) / float64(n-1)
	if b <= a {
		if t >= a {
			return 1
		}
		return 0
	}
	return max(0, min(1, (t-a)/(b-a)))
}

// alongPath returns the polyline path (x0, y0, …) up to position s (in points, 0 … n−1,
// fractional between points) and that end point.
func alongPath(dst, path []float32, s float64) ([]float32, [2]float64) {
	n := len(path) / 2
	s = max(0, min(float64(n-1), s))
	k := int(s)
	dst = append(dst[:0], path[:2*(k+1)]...)
	end := [2]float64{float64(path[2*k]), float64(path[2*k+1])}
	if f := s - float64(k); f > 0 && k+1 < n {
		end[0] += f * (float64(path[2*k+2]) - end[0])
		end[1] += f * (float64(path[2*k+3]) - end[1])
		dst = append(dst, float32(end[0]), float32(end[1]))
	}
	return dst, end
}
