package cifar

import (
	"context"
	"fmt"
	"image"
	"math"
	"strconv"

	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/widget"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/ui/charts"
	"github.com/mflowlab/mflowlab/ui/grid"
	"github.com/mflowlab/mflowlab/ui/plane"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// chart is a picture in a side-panel section drawn by a background job whenever its key
// changes (one job at a time; the newest key wins).
type chart struct {
	pic  widgets.Picture
	r    image.Rectangle // where it is painted, section pixels
	key  string          // of the picture shown or being drawn
	busy bool
	want string // a key that arrived while busy
	seq  uint64
}

// update starts drawing the chart for key when it changed; draw runs in the background.
func (ch *chart) update(c *CIFAR, key string, draw func() *image.RGBA) {
	if key == ch.key {
		return
	}
	if ch.busy {
		ch.want = key
		c.host.Invalidate()
		return
	}
	ch.key, ch.busy, ch.want = key, true, ""
	job := func() func() {
		img := draw()
		return func() {
			ch.busy = false
			ch.seq++
			ch.pic.Set(img, ch.seq)
		}
	}
	if c.sync {
		job()()
		return
	}
	c.host.Go(func(context.Context) func() { return job() })
}

// ready reports whether the chart shows its newest key.
func (ch *chart) ready() bool { return !ch.busy && ch.want == "" && ch.pic.Image() != nil }

// place reserves h pixels for the chart on f (a placeholder box until it is drawn).
func (ch *chart) place(f *widgets.Form, h int) {
	ch.r = f.Rect(h)
	if ch.pic.Image() == nil {
		f.L.Box(ch.r, f.Dp(4), f.T.Card, f.T.Border)
	}
}

// paint paints the chart over the section drawn at org.
func (ch *chart) paint(gtx layout.Context, org image.Point) {
	if ch.pic.Image() == nil || ch.r.Empty() {
		return
	}
	st := op.Offset(org.Add(ch.r.Min)).Push(gtx.Ops)
	g := gtx
	g.Constraints = layout.Exact(ch.r.Size())
	ch.pic.Layout(g)
	st.Pop()
}

// casesSection charts the cases A–D against ε for the CNN and defence, non-adaptive and
// adaptive, as the engine refines them.
type casesSection struct {
	c            *CIFAR
	plain, adapt chart
}

// Form lays out the section (widgets.Section).
func (s *casesSection) Form(f *widgets.Form) {
	c := s.c
	th := c.th
	cc := (*CaseCurve)(nil)
	if c.snap != nil {
		cc = c.snap.Cases
	}
	note := "not started"
	if cc != nil {
		note = fmt.Sprintf("%d values of ε", len(cc.Eps))
	}
	f.Section("Cases against ε", note, th.Muted)
	if cc == nil || len(cc.Eps) == 0 {
		f.Caption("computed in the background once the gallery is ready")
		return
	}
	if n := curvePoints(cc); n < 2 {
		// one value of ε is not a curve: say what is being computed instead
		f.Caption(fmt.Sprintf("computing the curve: %d of %d values of ε so far…", n, len(cc.Eps)))
		return
	}
	w, h := f.W, f.Dp(170)
	dpi := int(96 * float32(f.Dp(100)) / 100)
	for _, k := range []struct {
		ch       *chart
		counts   [][4]int
		adaptive bool
	}{{&s.plain, cc.Plain, false}, {&s.adapt, cc.Adaptive, true}} {
		kind := kindName(c.settings.Attack.Kind)
		title := kind + ", non-adaptive · ε in grey levels (/255)"
		if k.adaptive {
			title = kind + ", adaptive · ε in grey levels (/255)"
		}
		d := charts.CasesData{}
		for i, e := range cc.Eps {
			if i < len(k.counts) && i < len(cc.N) && cc.N[i] > 0 {
				d.Eps = append(d.Eps, math.Round(e*255*100)/100)
				d.Counts = append(d.Counts, k.counts[i])
			}
		}
		key := fmt.Sprintf("%v %v %d %d %s", d.Eps, d.Counts, w, h, title)
		k.ch.update(c, key, func() *image.RGBA {
			return charts.CasesChart(d, charts.CasesOptions{W: w, H: h, DPI: dpi, Title: title})
		})
		k.ch.place(f, h)
		f.Gap(4)
	}
	f.Caption("stacked shares of the cases; dashed: ε of the strongest attack")
}

// Paint implements widgets.Overpainter.
func (s *casesSection) Paint(gtx layout.Context, org image.Point) {
	s.plain.paint(gtx, org)
	s.adapt.paint(gtx, org)
}

// curvePoints returns how many of the curve's ε values have counted images.
func curvePoints(cc *CaseCurve) int {
	n := 0
	for i := range cc.Eps {
		if i < len(cc.N) && cc.N[i] > 0 {
			n++
		}
	}
	return n
}

// ready reports whether the charts show the newest curve and that every value of ε has
// been counted on some images (the first pass), so that headless screenshots show a curve.
func (s *casesSection) ready() bool {
	c := s.c
	if c.snap == nil || c.snap.Cases == nil || len(c.snap.Cases.Eps) == 0 {
		return true
	}
	if cc := c.snap.Cases; curvePoints(cc) < len(cc.Eps) && c.snap.Err == nil {
		return false
	}
	return s.plain.ready() && s.adapt.ready()
}

// gallerySection holds the gallery's filters and the shuffle seed.
type gallerySection struct {
	c                  *CIFAR
	cls                widgets.Choice // "all" or a class number
	prevC, nextC       widget.Clickable
	kase               widgets.Choice
	succeeded, changed widgets.Toggle
	seed               widgets.Field
	shuffle            widget.Clickable
}

func (g *gallerySection) init() {
	g.kase.Value = "all"
	g.seed.Check = checkInt
}

// Form lays out the section (widgets.Section).
func (g *gallerySection) Form(f *widgets.Form) {
	c := g.c
	th := c.th
	f.Section("Gallery", fmt.Sprintf("page %d of %d", c.page+1, c.pages()), th.Muted)
	ln := f.Labelled("class", 24)
	if ln.Button(&g.prevC, widgets.Secondary, "‹", f.Dp(28)) {
		g.stepClass(-1)
	}
	name := "all classes"
	if k := c.filter.Class; k > 0 && k <= len(c.snapClasses()) {
		name = c.snapClasses()[k-1]
	}
	ln.LabelW(name, f.Dp(96), th.Text)
	if ln.Button(&g.nextC, widgets.Secondary, "›", f.Dp(28)) {
		g.stepClass(1)
	}
	ln = f.Labelled("case", 24)
	if ln.Segmented(&g.kase, []string{"all", "A", "B", "C", "D"}, []string{"all", "A", "B", "C", "D"}, ln.Rest()) {
		c.filter.Case = attack.CaseNone
		if g.kase.Value != "all" {
			c.filter.Case = attack.CaseA + attack.Case(g.kase.Value[0]-'A')
		}
		c.page = 0
	}
	ln = f.Line(22)
	if ln.Check(&g.succeeded, "attack succeeded") {
		c.filter.Succeeded, c.page = g.succeeded.Value, 0
	}
	if ln.Check(&g.changed, "defence changed the answer") {
		c.filter.Changed, c.page = g.changed.Value, 0
	}
	ln = f.Labelled("seed", 24)
	ln.Field(&g.seed, ln.Rest()-f.Dp(6)-f.ButtonWidth("Shuffle"), "1")
	if ln.Button(&g.shuffle, widgets.Secondary, "Shuffle", 0) {
		g.reshuffle()
	} else if g.seed.Submitted() {
		g.applySeed()
	}
	f.Caption(fmt.Sprintf("a pool of %d images drawn from the eval split with the seed", c.settings.Pool))
}

// stepClass moves the class filter through all, class 0 … class 9 (FilterSpec.Class 0 …
// 10).
func (g *gallerySection) stepClass(d int) {
	c := g.c
	k := (c.filter.Class + d + 11) % 11
	c.filter.Class, c.page = k, 0
}

// reshuffle draws a new pool with the next seed.
func (g *gallerySection) reshuffle() {
	c := g.c
	g.seed.SetText(strconv.FormatUint(c.settings.Seed+1, 10))
	g.applySeed()
}

// applySeed draws the pool with the seed field's seed.
func (g *gallerySection) applySeed() {
	c := g.c
	seed, err := strconv.ParseUint(g.seed.Text(), 10, 64)
	if err != nil || seed == 0 {
		c.host.Errorf("seed: a whole number ≥ 1")
		return
	}
	s := c.settings
	s.Seed = seed
	c.page = 0
	c.CloseDetail()
	c.Apply(s)
}

// accuracyChart draws the default CNN's training history: the eval accuracy per epoch, or
// the training loss when no accuracy was recorded (a checkpoint without evaluation data).
func accuracyChart(log []cnn.Progress, w, h int, scale float32) *image.RGBA {
	acc := grid.Series{Colour: grid.RunColour(0), Bold: true}
	loss := acc
	epochs := 1
	for _, p := range log {
		epochs = max(epochs, p.Epochs)
		if !p.EpochDone {
			continue
		}
		if !math.IsNaN(p.EvalAccuracy) {
			acc.X = append(acc.X, float64(p.Epoch))
			acc.Y = append(acc.Y, p.EvalAccuracy)
		}
		if !math.IsNaN(p.Loss) && !math.IsInf(p.Loss, 0) {
			loss.X = append(loss.X, float64(p.Epoch))
			loss.Y = append(loss.Y, p.Loss)
		}
	}
	r := plane.NewRenderer()
	if len(acc.X) == 0 && len(loss.X) > 0 {
		return grid.Lines(r, []grid.Series{loss}, grid.LinesOptions{W: w, H: h, Scale: scale,
			Title: "CNN training loss per epoch", XMax: float64(epochs), XMark: -1})
	}
	return grid.Lines(r, []grid.Series{acc}, grid.LinesOptions{W: w, H: h, Scale: scale,
		Title: "CNN eval accuracy per epoch", XMax: float64(epochs), YMin: 0, YMax: 1, XMark: -1})
}
