package cifar

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"

	"gioui.org/f32"
	"gioui.org/io/event"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/widget"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/ui/gallery"
	"github.com/mflowlab/mflowlab/ui/plane"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// Main-area geometry (dp).
const (
	headerH = 66 // toolbar and accuracy line
)

// galleryView is the main area: the toolbar, the accuracy line, and the gallery page, the
// detail view or the first-run card under them.
type galleryView struct {
	c       *CIFAR
	content image.Rectangle    // the picture's area in main-area pixels, last frame
	layout  gallery.PageLayout // the page's geometry in the last frame
	hover   int                // page slot under the pointer, −1 for none
	pic     widgets.Picture
	picVer  uint64
	picKey  string
	prio    string // the page last handed to the engine as its priority

	bar, card                        widgets.Surface
	prev, next, adapt, back, shuffle widget.Clickable
	prevS, nextS                     widget.Clickable
	dlB, cancelB, browse, use        widget.Clickable
	path                             widgets.Field
}

func (g *galleryView) init(c *CIFAR) { g.c, g.hover = c, -1 }

// Layout implements ws.Workspace: the main area.
func (c *CIFAR) Layout(gtx layout.Context, keys bool) layout.Dimensions {
	c.ensure()
	g := &c.gv
	sz := gtx.Constraints.Max
	if keys {
		c.keys(gtx)
	}
	hh := gtx.Dp(headerH)
	g.content = image.Rect(0, hh, sz.X, sz.Y)
	s := c.snap
	switch {
	case s != nil && len(s.Samples) == 0 && s.Data == "" && (s.Err != nil || c.dl.active()):
		g.firstRun(gtx)
	case s != nil && len(s.Samples) == 0 && s.Err != nil:
		g.stopped(gtx)
	case s == nil || len(s.Samples) == 0:
		g.preparing(gtx)
	default:
		g.picture(gtx)
	}
	g.toolbar(gtx)
	return layout.Dimensions{Size: sz}
}

// keys handles the workspace's shortcuts: ← and → page (or step through the samples in
// the detail view), Escape closes the detail view, a toggles the adaptive attack.
func (c *CIFAR) keys(gtx layout.Context) {
	for {
		ev, ok := gtx.Event(key.Filter{Name: key.NameLeftArrow}, key.Filter{Name: key.NameRightArrow},
			key.Filter{Name: key.NameEscape}, key.Filter{Name: "A"})
		if !ok {
			return
		}
		e, ok := ev.(key.Event)
		if !ok || e.State != key.Press {
			continue
		}
		switch e.Name {
		case key.NameLeftArrow:
			c.step(-1)
		case key.NameRightArrow:
			c.step(1)
		case key.NameEscape:
			c.CloseDetail()
		case "A":
			c.SetAdaptive(!c.adaptive)
		}
	}
}

// step pages the gallery, or moves the detail view to the previous or next sample.
func (c *CIFAR) step(d int) {
	if c.det.open() {
		c.stepSample(d)
		return
	}
	c.SetPage(c.page + d)
}

// stepSample opens the sample d places away in the filtered gallery.
func (c *CIFAR) stepSample(d int) {
	idx := c.indices()
	for k, i := range idx {
		if i == c.det.idx {
			if j := k + d; j >= 0 && j < len(idx) {
				c.OpenDetail(idx[j])
				c.page = j / gallery.PageSize
			}
			return
		}
	}
}

// pages returns the number of gallery pages.
func (c *CIFAR) pages() int { return max(1, (len(c.indices())+gallery.PageSize-1)/gallery.PageSize) }

// SetPage shows page p (clamped).
func (c *CIFAR) SetPage(p int) { c.page = max(0, min(p, c.pages()-1)) }

// SetAdaptive shows the adaptive attack (through the defence) or the non-adaptive one.
func (c *CIFAR) SetAdaptive(on bool) {
	c.adaptive = on
	c.filter.Adaptive = on
}

// indices returns the pool indices passing the filters, in pool order.
func (c *CIFAR) indices() []int {
	s := c.snap
	if s == nil {
		return nil
	}
	f := c.filter
	f.Adaptive = c.adaptive
	key := fmt.Sprintf("%p %+v", s, f)
	if key != c.shownKey {
		c.shownKey = key
		if f == (FilterSpec{Adaptive: f.Adaptive}) {
			c.shown = make([]int, len(s.Samples))
			for i := range c.shown {
				c.shown[i] = i
			}
		} else {
			c.shown = Filter(s.Samples, f)
		}
	}
	return c.shown
}

// pageIndices returns the pool indices on the page shown.
func (c *CIFAR) pageIndices() []int {
	idx := c.indices()
	c.page = max(0, min(c.page, c.pages()-1))
	lo := min(len(idx), c.page*gallery.PageSize)
	return idx[lo:min(len(idx), lo+gallery.PageSize)]
}

// pred returns the most probable class of probs and its probability; class −1 when probs
// are all zero (not computed yet).
func pred(probs [10]float32) gallery.Pred {
	if probs == ([10]float32{}) {
		return gallery.Pred{Class: -1}
	}
	best := 0
	for k := range probs {
		if probs[k] > probs[best] {
			best = k
		}
	}
	return gallery.Pred{Class: int32(best), Conf: probs[best]}
}

// tile converts an engine sample to a picture's sample under the attack shown.
func tile(s *Sample, adaptive bool) gallery.Sample {
	a := &s.Plain
	if adaptive {
		a = &s.Adaptive
	}
	t := gallery.Sample{Index: s.Index, Label: s.Label, Orig: s.Orig, OrigP: pred(s.OrigProbs)}
	if len(a.Adv) == gallery.Pixels && len(a.Proj) == gallery.Pixels {
		t.Adv, t.Proj, t.AdvP, t.ProjP, t.Case = a.Adv, a.Proj, pred(a.AdvProbs), pred(a.ProjProbs), a.Case
		t.Stale = !s.Ready
	}
	return t
}

// picture asks for the page's or the detail view's raster, paints the newest one and
// handles the pointer over it.
func (g *galleryView) picture(gtx layout.Context) {
	c := g.c
	size := g.content.Size()
	if size.X < 40 || size.Y < 40 {
		return
	}
	scale := gtx.Metric.PxPerDp
	if c.det.open() {
		c.det.update(gtx)
		c.rz.request(c.det.job(size, scale))
	} else {
		idx := c.pageIndices()
		if k := fmt.Sprint(idx); k != g.prio {
			g.prio = k
			c.src.Priority(idx) // the engine attacks the visible page first
		}
		g.layout = gallery.NewPageLayout(size, len(idx), scale)
		c.rz.request(g.pageJob(idx, size, scale))
	}
	if p := c.rz.newest(); p.img != nil && p.version != g.picVer && !c.hold {
		g.pic.Set(p.img, p.version)
		g.picVer, g.picKey = p.version, p.key
	}
	st := op.Offset(g.content.Min).Push(gtx.Ops)
	gg := gtx
	gg.Constraints = layout.Exact(size)
	if g.pic.Image() != nil {
		g.pic.Layout(gg)
	}
	if !c.det.open() {
		g.pointer(gg)
		if h := g.hover; h >= 0 && h < len(g.layout.Blocks) && strings.HasPrefix(g.picKey, "page") {
			frame(gtx, g.layout.Blocks[h].Inset(-3), 2, widgets.WithAlpha(c.th.Accent, 150))
		}
	}
	st.Pop()
}

// pageJob is the raster of the page of pool indices idx.
func (g *galleryView) pageJob(idx []int, size image.Point, scale float32) job {
	c := g.c
	s := c.snap
	sel := -1
	samples := make([]gallery.Sample, len(idx))
	var content strings.Builder
	for k, i := range idx {
		samples[k] = tile(&s.Samples[i], c.adaptive)
		content.WriteString(sampleKey(&s.Samples[i]))
		if i == c.sel {
			sel = k
		}
	}
	l := gallery.NewPageLayout(size, len(idx), scale)
	opt := gallery.PageOptions{Classes: s.Classes, Selected: sel, BG: c.th.Window}
	switch {
	case s.Err != nil:
		opt.Waiting = "stopped"
	case !strings.HasPrefix(s.Stage, "attacking") && s.Stage != "ready":
		opt.Waiting = "waiting…" // for the models
	}
	opt.Amplify = gain(c.settings.Attack, samples)
	// The key names the page's content, not the snapshot: a snapshot that changed only
	// elsewhere (other pages, the cases curve) draws nothing new.
	key := fmt.Sprintf("page %s %v %g %v %d %g %s", content.String(), size, scale, c.adaptive, sel, opt.Amplify, opt.Waiting)
	return job{key: key, size: size, draw: func(r *plane.Renderer, dst *image.RGBA) {
		gallery.DrawPage(r, dst, l, samples, opt)
	}}
}

// sampleKey names what a sample's tiles show: its index, readiness and images (by
// address: a snapshot's images are never changed, only replaced).
func sampleKey(s *Sample) string {
	return fmt.Sprintf("%d:%t:%p:%p:%p:%p:%v;", s.Index, s.Ready, s.Plain.Adv, s.Plain.Proj, s.Adaptive.Adv, s.Adaptive.Proj, s.OrigProbs == [10]float32{})
}

// drawn reports whether the picture painted shows the newest request.
func (g *galleryView) drawn() bool {
	s := g.c.snap
	if s != nil && len(s.Samples) == 0 {
		return true // a card, not a picture
	}
	return g.c.rz.current() && g.picKey == g.c.rz.asked
}

// pointer handles the pointer over the page: hover, and a click opens the detail view.
func (g *galleryView) pointer(gtx layout.Context) {
	defer clip.Rect{Max: g.content.Size()}.Push(gtx.Ops).Pop()
	event.Op(gtx.Ops, g)
	if g.hover >= 0 {
		pointer.CursorPointer.Add(gtx.Ops)
	}
	for {
		ev, ok := gtx.Event(pointer.Filter{Target: g, Kinds: pointer.Press | pointer.Release | pointer.Move | pointer.Enter | pointer.Leave | pointer.Cancel})
		if !ok {
			return
		}
		e, ok := ev.(pointer.Event)
		if !ok {
			continue
		}
		slot := g.layout.At(image.Pt(int(e.Position.X), int(e.Position.Y)))
		switch e.Kind {
		case pointer.Move, pointer.Enter:
			g.hover = slot
		case pointer.Leave, pointer.Cancel:
			g.hover = -1
		case pointer.Press:
			gtx.Execute(key.FocusCmd{Tag: nil})
		case pointer.Release:
			idx := g.c.pageIndices()
			if slot >= 0 && slot < len(idx) {
				g.c.OpenDetail(idx[slot])
			}
		}
	}
}

// SlotCentre returns the window pixel at the centre of page slot i (the main area at the
// window's origin), for tests and headless clicks.
func (c *CIFAR) SlotCentre(i int) f32.Point {
	b := c.gv.layout.Blocks[i]
	p := b.Min.Add(b.Size().Div(2)).Add(c.gv.content.Min)
	return f32.Pt(float32(p.X), float32(p.Y))
}

// toolbar draws the buttons and the accuracy line along the main area's top edge.
func (g *galleryView) toolbar(gtx layout.Context) {
	c := g.c
	th := c.th
	org := image.Pt(gtx.Dp(10), gtx.Dp(8))
	w := gtx.Constraints.Max.X - 2*org.X
	f := widgets.NewForm(gtx, th, &g.bar, org, w, gtx.Dp(headerH), th.Window, 0)
	ln := f.Line(26)
	if c.det.open() {
		c.det.toolbar(f, ln)
	} else if c.snap == nil || len(c.snap.Samples) == 0 {
		ln.Label("CIFAR-10 gallery: attacks on real images, then the projection defence", th.Muted)
	} else {
		if ln.Button(&g.prev, widgets.Secondary, "‹", f.Dp(30)) {
			c.SetPage(c.page - 1)
		}
		ln.LabelW(fmt.Sprintf("page %d of %d", c.page+1, c.pages()), f.Dp(86), th.Text)
		if ln.Button(&g.next, widgets.Secondary, "›", f.Dp(30)) {
			c.SetPage(c.page + 1)
		}
		ln.Space(6)
		if ln.Chip(&g.adapt, c.adaptive, "a", "adaptive attack") {
			c.SetAdaptive(!c.adaptive)
		}
		if ln.Button(&g.shuffle, widgets.Quiet, "Shuffle", 0) {
			c.pan.gal.reshuffle()
		}
		if n := len(c.indices()); c.snap != nil && n != len(c.snap.Samples) {
			ln.Label(fmt.Sprintf("%d of %d match the filters", n, len(c.snap.Samples)), th.Muted)
		}
		hint := "click a sample for its detail view · ← → pages"
		fc := f.Face(widgets.Regular, th.Small)
		if rest := ln.Rest(); rest > fc.Measure(hint)+f.Dp(12) {
			ln.To(f.W - fc.Measure(hint))
			ln.Label(hint, th.Muted)
		}
	}
	f.Gap(1)
	text, col := c.accuracyLine()
	f.Text(widgets.Bold, th.Small, col, text)
	g.bar.Resize(w, f.Y)
	g.bar.PaintAt(gtx, org)
	if f.Changed {
		gtx.Execute(op.InvalidateCmd{})
	}
}

// accuracyLine returns the gallery's accuracies under both attacks: the honest numbers,
// always visible.
func (c *CIFAR) accuracyLine() (string, color.NRGBA) {
	s := c.snap
	if s != nil && s.Err != nil && c.current() {
		return "stopped: " + firstLine(s.Err), c.th.Error
	}
	if s == nil || s.Acc.N == 0 {
		return "accuracy: not measured yet", c.th.Muted
	}
	a := s.Acc
	return fmt.Sprintf("over %d images: clean %.1f%% · defence alone %.1f%% · attacked %.1f%% · defended %.1f%% (non-adaptive) · defended %.1f%% (adaptive attack)",
		a.N, 100*a.Clean, 100*a.CleanDefended, 100*a.Attacked, 100*a.Defended, 100*a.DefendedAdaptive), c.th.Text
}

// attackName describes the attack settings, e.g. "PGD L∞ ε = 8/255, 10 steps of 2/255".
func attackName(p attack.Params) string {
	s := fmt.Sprintf("%s ε = %s", kindName(p.Kind), per255(p.Eps))
	if p.Kind != attack.FGSM {
		s += fmt.Sprintf(", %d steps of %s", p.Steps, per255(p.Alpha))
	}
	if p.Targeted {
		s += fmt.Sprintf(", targeted at class %d", p.Target)
	}
	return s
}

// gain returns the perturbation gain of a picture: for an L∞ attack the power of two
// nearest 0.5/ε (the same on every page and sample), else AutoAmplify of the samples.
func gain(p attack.Params, samples []gallery.Sample) float32 {
	if p.Kind != attack.PGDL2 && p.Eps > 0 {
		k := math.Round(math.Log2(0.5 / p.Eps))
		return float32(math.Pow(2, max(0, min(8, k))))
	}
	var done []gallery.Sample
	for _, s := range samples {
		if !s.Pending() {
			done = append(done, s)
		}
	}
	return gallery.AutoAmplify(done)
}

// kindName names an attack kind for people: "FGSM", "PGD L∞", "PGD L2".
func kindName(k attack.Kind) string {
	return map[attack.Kind]string{attack.FGSM: "FGSM", attack.PGD: "PGD L∞", attack.PGDL2: "PGD L2"}[k]
}

// per255 writes a pixel-unit value in grey levels, like "8/255".
func per255(v float64) string {
	return fmt.Sprintf("%.4g/255", v*255)
}

// frame strokes the border of r, w pixels wide, in c.
func frame(gtx layout.Context, r image.Rectangle, w int, c color.NRGBA) {
	for _, s := range []image.Rectangle{
		image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+w), image.Rect(r.Min.X, r.Max.Y-w, r.Max.X, r.Max.Y),
		image.Rect(r.Min.X, r.Min.Y, r.Min.X+w, r.Max.Y), image.Rect(r.Max.X-w, r.Min.Y, r.Max.X, r.Max.Y),
	} {
		widgets.FillRect(gtx, s, c)
	}
}
