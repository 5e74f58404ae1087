package cifar

import (
	"context"
	"fmt"
	"image"
	"math"
	"strings"

	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/widget"

	"github.com/mflowlab/mflowlab/ui/gallery"
	"github.com/mflowlab/mflowlab/ui/plane"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// The ε slider's range and resolution, in grey levels (/255).
const (
	sliderMax  = 32
	sliderStep = 0.5
)

// target is what the detail view shows: a pool sample under one attack at one ε, for one
// generation of settings.
type target struct {
	idx      int
	eps      float64
	adaptive bool
	gen      uint64
}

// detailView is one sample seen large, with an ε slider that recomputes it on a
// background goroutine; results for an ε, sample or settings no longer wanted are dropped.
type detailView struct {
	c   *CIFAR
	idx int // pool index shown, −1 when closed
	eps float64
	gen uint64 // counts settings applied, so that results of older settings are dropped

	res     *Sample // the newest result, for resFor
	resFor  target
	err     error
	running bool
	runFor  target
	stop    context.CancelFunc
	runs    int // recomputations started (tests)

	slider      widget.Float
	sliderR     image.Rectangle // the slider's track in main-area pixels
	back, adapt widget.Clickable
	prev, next  widget.Clickable
}

func (d *detailView) init(c *CIFAR) { d.c, d.idx = c, -1 }

// open reports whether the detail view is shown.
func (d *detailView) open() bool { return d.idx >= 0 }

// invalidate drops results of older settings (new settings were applied).
func (d *detailView) invalidate() { d.gen++ }

// OpenDetail shows pool sample i in the detail view at the attack's ε.
func (c *CIFAR) OpenDetail(i int) {
	s := c.snap
	if s == nil || i < 0 || i >= len(s.Samples) {
		return
	}
	d := &c.det
	if !d.open() {
		d.eps = c.settings.Attack.Eps
	}
	d.idx, c.sel = i, i
}

// CloseDetail goes back to the gallery.
func (c *CIFAR) CloseDetail() {
	c.det.idx = -1
	c.det.cancelRun()
}

// SetDetailEps moves the ε slider to eps (pixel units), as dragging it does.
func (c *CIFAR) SetDetailEps(eps float64) {
	c.det.eps = snapEps(eps)
	c.det.slider.Value = float32(c.det.eps * 255 / sliderMax)
}

// DetailEps returns the ε the detail view shows.
func (c *CIFAR) DetailEps() float64 { return c.det.eps }

// snapEps rounds eps to the slider's resolution within its range.
func snapEps(eps float64) float64 {
	g := math.Round(eps*255/sliderStep) * sliderStep
	return max(0, min(sliderMax, g)) / 255
}

// want returns what the view should show now.
func (d *detailView) want() target {
	return target{idx: d.idx, eps: d.eps, adaptive: d.c.adaptive, gen: d.gen}
}

// fromSnapshot reports whether the engine's snapshot already holds what the view shows:
// the slider is at the attack's ε and the sample is final.
func (d *detailView) fromSnapshot() (*Sample, bool) {
	c := d.c
	s := c.snap
	if s == nil || d.idx >= len(s.Samples) || math.Abs(d.eps-c.settings.Attack.Eps) > 1e-9 {
		return nil, false
	}
	sm := &s.Samples[d.idx]
	return sm, sm.Ready
}

// update starts a recomputation when the view wants something it does not have.
func (d *detailView) update(gtx layout.Context) {
	if !d.open() {
		return
	}
	w := d.want()
	if _, ok := d.fromSnapshot(); ok || (d.res != nil && d.resFor == w) {
		return
	}
	if d.running {
		if d.runFor != w {
			d.cancelRun() // its result is dropped; a new one starts when it returns
		}
		return
	}
	if d.canStart() {
		d.start(w)
	}
}

// canStart reports whether the engine can recompute the sample now: it shows the current
// settings without an error, the sample is in its pool and the models are loaded (it is
// attacking or done). A session restored before the pool was drawn waits here.
func (d *detailView) canStart() bool {
	c := d.c
	s := c.snap
	if s == nil || !c.current() || s.Err != nil || d.idx >= len(s.Samples) {
		return false
	}
	return s.Done > 0 || s.Stage == "ready" || strings.HasPrefix(s.Stage, "attacking")
}

// start recomputes w in the background (on the frame's goroutine in sync mode).
func (d *detailView) start(w target) {
	c := d.c
	ctx, stop := context.WithCancel(c.host.Context())
	d.running, d.runFor, d.stop = true, w, stop
	d.runs++
	src := c.src
	work := func() func() {
		s, err := src.Detail(ctx, w.idx, w.eps, w.adaptive)
		return func() {
			cancelled := ctx.Err() != nil
			stop()
			d.running = false
			if cancelled || w.gen != d.gen {
				return // cancelled or stale
			}
			if err != nil {
				d.err = err
				c.host.Errorf("detail of sample %d at ε = %s: %v", w.idx, per255(w.eps), err)
				d.res, d.resFor = nil, w
				return
			}
			d.res, d.resFor, d.err = s, w, nil
		}
	}
	if c.sync {
		work()()
		return
	}
	// The slider is interactive: its recomputation keeps the normal priority instead of
	// queueing behind the engine's nice-19 workers (Host.Go's threads).
	go func() {
		apply := func() { d.running = false; c.host.Errorf("internal error recomputing sample %d", w.idx) }
		defer func() {
			if r := recover(); r != nil {
				apply = func() { d.running = false; c.host.Errorf("internal error recomputing sample %d: %v", w.idx, r) }
			}
			c.host.Post(apply)
		}()
		apply = work()
	}()
}

// cancelRun cancels a running recomputation.
func (d *detailView) cancelRun() {
	if d.stop != nil {
		d.stop()
	}
}

// ready reports whether the view shows what it wants.
func (d *detailView) ready() bool {
	if _, ok := d.fromSnapshot(); ok {
		return true
	}
	return d.res != nil && d.resFor == d.want() && !d.running
}

// shown returns the sample to draw and a note when it is not (yet) the one wanted.
func (d *detailView) shown() (*Sample, string) {
	if s, ok := d.fromSnapshot(); ok {
		return s, ""
	}
	w := d.want()
	if d.res != nil && d.resFor == w {
		return d.res, ""
	}
	note := fmt.Sprintf("computing ε = %s …", per255(d.eps))
	if d.res != nil && d.resFor.idx == w.idx && d.resFor.gen == w.gen {
		return d.res, note + fmt.Sprintf(" (showing ε = %s)", per255(d.resFor.eps))
	}
	if s := d.c.snap; s != nil && d.idx < len(s.Samples) {
		return &s.Samples[d.idx], note + " (showing the gallery's ε)"
	}
	return nil, note
}

// job is the detail view's raster.
func (d *detailView) job(size image.Point, scale float32) job {
	c := d.c
	sm, note := d.shown()
	if sm == nil {
		return job{key: "detail none", size: size, draw: func(*plane.Renderer, *image.RGBA) {}}
	}
	shownEps := d.eps
	if sm == d.res {
		shownEps = d.resFor.eps
	} else if sm != nil && d.res != sm {
		shownEps = c.settings.Attack.Eps
	}
	t := tile(sm, c.adaptive)
	a, other := &sm.Plain, &sm.Adaptive
	mode, otherMode := "non-adaptive (gradients of the bare CNN)", "adaptive"
	if c.adaptive {
		a, other = other, a
		mode, otherMode = "adaptive (gradients through the defence)", "non-adaptive"
	}
	p := c.settings.Attack
	if p.Eps > 0 {
		p.Alpha *= shownEps / p.Eps // the engine scales the step with ε
	}
	p.Eps = shownEps
	dd := gallery.Detail{
		Sample: t, Classes: c.snapClasses(), BG: c.th.Window, Note: note,
		OrigProbs: sm.OrigProbs[:], AdvProbs: a.AdvProbs[:], ProjProbs: a.ProjProbs[:],
		Lines: []string{fmt.Sprintf("%s · %s · defence %s · CNN %s", attackName(p), mode, c.settings.Defence, clfName(c.settings.Classifier)),
			fmt.Sprintf("CNN on the projected original: %s", predText(pred(sm.ProjProbs), c.snapClasses()))},
	}
	dd.Amplify = gain(p, []gallery.Sample{t})
	if len(other.Adv) == gallery.Pixels {
		dd.Other = fmt.Sprintf("The %s attack on this image at the same ε: adversarial → %s, projected → %s (case %s).",
			otherMode, predText(pred(other.AdvProbs), c.snapClasses()), predText(pred(other.ProjProbs), c.snapClasses()), other.Case)
	}
	key := fmt.Sprintf("detail %s %d %g %v %v %q %v %g", sampleKey(sm), d.idx, shownEps, c.adaptive, size, note, c.settings.Defence, scale)
	return job{key: key, size: size, draw: func(r *plane.Renderer, dst *image.RGBA) {
		gallery.DrawDetail(r, dst, dd, scale)
	}}
}

// snapClasses returns the class names of the data.
func (c *CIFAR) snapClasses() []string {
	if c.snap != nil && len(c.snap.Classes) > 0 {
		return c.snap.Classes
	}
	return []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
}

// predText writes a prediction like "cat 87%".
func predText(p gallery.Pred, classes []string) string {
	name := fmt.Sprintf("class %d", p.Class)
	if int(p.Class) < len(classes) {
		name = classes[p.Class]
	}
	return fmt.Sprintf("%s %.0f%%", name, 100*p.Conf)
}

// clfName names the classifier for the settings lines.
func clfName(path string) string {
	if path == "" {
		return "default (cached)"
	}
	return baseName(path)
}

// toolbar draws the detail view's controls: back, previous and next sample, the adaptive
// chip and the ε slider.
func (d *detailView) toolbar(f *widgets.Form, ln *widgets.Line) {
	c := d.c
	th := c.th
	if ln.Button(&d.back, widgets.Secondary, "‹ Gallery", 0) {
		c.CloseDetail()
		return
	}
	if ln.Button(&d.prev, widgets.Secondary, "‹", f.Dp(30)) {
		c.stepSample(-1)
	}
	if ln.Button(&d.next, widgets.Secondary, "›", f.Dp(30)) {
		c.stepSample(1)
	}
	ln.Space(4)
	if ln.Chip(&d.adapt, c.adaptive, "a", "adaptive") {
		c.SetAdaptive(!c.adaptive)
	}
	ln.Space(8)
	label := fmt.Sprintf("ε = %s", per255(d.eps))
	fc := f.Face(widgets.Bold, th.Small)
	lw := fc.Measure("ε = 32.5/255") + f.Dp(8)
	rest := ln.Rest()
	if rest < lw+f.Dp(80) {
		return
	}
	// The line is the toolbar's first, 26 dp high: the form's cursor is already below it
	// and its 5 dp gap.
	x, top, h := f.X+f.W-rest, f.Y-f.Dp(5)-f.Dp(26), f.Dp(26)
	f.L.Text(fc, x, top+(h+fc.Ascent-fc.Descent)/2, label, th.Text, image.Rectangle{})
	d.slide(f, image.Rect(x+lw, top, f.X+f.W-f.Dp(4), top+h))
}

// slide draws the ε slider in track (surface pixels) and takes its drags.
func (d *detailView) slide(f *widgets.Form, track image.Rectangle) {
	th := d.c.th
	gtx := f.Gtx
	if d.slider.Dragging() || d.slider.Update(gtx) {
		if e := snapEps(float64(d.slider.Value) * sliderMax / 255); e != d.eps {
			d.eps = e
			f.Changed = true
		}
	} else {
		d.slider.Value = float32(d.eps * 255 / sliderMax)
	}
	mid := (track.Min.Y + track.Max.Y) / 2
	line := image.Rect(track.Min.X, mid-f.Dp(2), track.Max.X, mid+f.Dp(2))
	f.L.Fill(line, f.Dp(2), th.Border)
	fx := track.Min.X + int(float32(track.Dx())*d.slider.Value)
	f.L.Fill(image.Rect(track.Min.X, line.Min.Y, fx, line.Max.Y), f.Dp(2), th.Accent)
	// Ticks at every 8/255, the attack's ε marked.
	for g := 0; g <= sliderMax; g += 8 {
		tx := track.Min.X + track.Dx()*g/sliderMax
		f.L.Fill(image.Rect(tx, mid+f.Dp(5), tx+1, mid+f.Dp(9)), 0, th.Muted)
	}
	ex := track.Min.X + int(float64(track.Dx())*c255(d.c.settings.Attack.Eps)/sliderMax)
	f.L.Fill(image.Rect(ex-1, mid-f.Dp(9), ex+1, mid-f.Dp(5)), 0, th.Warn)
	k := f.Dp(8)
	f.L.Box(image.Rect(fx-k, mid-k, fx+k, mid+k), k, th.Card, th.Accent)
	d.sliderR = track.Add(f.Org)
	st := op.Offset(d.sliderR.Min).Push(gtx.Ops)
	g := gtx
	g.Constraints = layout.Exact(track.Size())
	d.slider.Layout(g, layout.Horizontal, 8)
	st.Pop()
}

// c255 converts pixel units to grey levels.
func c255(v float64) float64 { return v * 255 }
