package runs

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"time"

	"gioui.org/f32"
	"gioui.org/io/key"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/widget"

	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/cohort"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// Grid-view timing and geometry.
const (
	// A live cell takes new words (its step) at most every metaEvery and a new flow at most
	// every flowEvery, on the wall clock's multiples (the cohort's ticks), so that the
	// window draws one batch of cells per tick: each frame costs llvmpipe what the runs lose.
	metaEvery = 200 * time.Millisecond
	flowEvery = 4 * metaEvery
	// afterTick: a held change is asked for again this long after the tick, by when the
	// cohort's State of the tick has brought a frame (the timer matters when none comes).
	afterTick   = 60 * time.Millisecond
	doubleClick = 400 * time.Millisecond // longest gap between the clicks of a double-click
	clickSlop   = 4                      // a press that moves less than this is a click
	toolbarH    = 46                     // dp
	cellGap     = 8                      // dp
)

// gridView is the main area: the toolbar, the cells (linked pan and zoom, hover, select,
// double-click to open in the plane) and the timeline strip under them.
type gridView struct {
	u       *Runs
	ids     []int             // member ids of the cells shown, in order
	rects   []image.Rectangle // the cells in main-area pixels, last frame
	area    image.Rectangle   // the cells' area
	pics    []widgets.Picture
	vers    []uint64  // version painted per cell
	plan    *cellPlan // what the last frame asked the cells for
	scratch cellPlan  // this frame's, compared with plan
	hover   int       // cell index under the pointer, −1 for none
	sel     int       // member id selected, −1 for none
	hold    bool
	painted uint64 // counts changes of any painted cell (the composite's version)

	press    f32.Point
	last     f32.Point
	dragging bool
	pressed  bool
	clickID  int
	clickAt  time.Duration

	comp    *image.RGBA // the cells as one picture (Picture), and the version it shows
	compVer uint64

	bar                   widgets.Surface
	play, fit, lines, png widget.Clickable
}

func (g *gridView) init(u *Runs) { g.u, g.hover, g.sel = u, -1, -1 }

// reset forgets the cells of the previous grid.
func (g *gridView) reset() {
	g.ids, g.rects, g.pics, g.vers = nil, nil, nil, nil
	g.plan = nil
	g.hover, g.sel = -1, -1
	g.painted++
}

// Layout lays out the runs workspace's main area.
func (u *Runs) Layout(gtx layout.Context, keys bool) layout.Dimensions {
	u.ensure()
	g := &u.gv
	sz := gtx.Constraints.Max
	if keys {
		u.keys(gtx)
	}
	st := u.state()
	cells := u.shown(st)
	tlH := gtx.Dp(timelineH)
	g.area = image.Rect(0, gtx.Dp(toolbarH), sz.X, sz.Y-tlH)
	g.layoutCells(gtx, cells)
	g.toolbar(gtx, cells)
	u.tl.org = image.Pt(0, sz.Y-tlH)
	stt := op.Offset(u.tl.org).Push(gtx.Ops)
	gg := gtx
	gg.Constraints = layout.Exact(image.Pt(sz.X, tlH))
	u.tl.layout(gg, st)
	stt.Pop()
	return layout.Dimensions{Size: sz}
}

// keys handles the workspace's shortcuts: space plays or pauses, f fits the view, Enter
// opens the selected run in the plane, Escape clears the selection, l goes live.
func (u *Runs) keys(gtx layout.Context) {
	for {
		ev, ok := gtx.Event(key.Filter{Name: key.NameSpace}, key.Filter{Name: "F"}, key.Filter{Name: key.NameReturn},
			key.Filter{Name: key.NameEnter}, key.Filter{Name: key.NameEscape}, key.Filter{Name: "L"})
		if !ok {
			return
		}
		e, ok := ev.(key.Event)
		if !ok || e.State != key.Press {
			continue
		}
		switch e.Name {
		case key.NameSpace:
			if u.playing {
				u.Pause()
			} else {
				u.Play()
			}
		case "F":
			u.fitView()
		case key.NameReturn, key.NameEnter:
			u.openSelected()
		case key.NameEscape:
			u.gv.sel = -1
		case "L":
			u.tl.goLive()
		}
	}
}

// fitView shows the data's box in every cell.
func (u *Runs) fitView() {
	u.setup.View = DefaultSetup().View
	if u.data != nil {
		x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for i := 0; i+1 < len(u.data.X); i += 2 {
			x, y := float64(u.data.X[i]), float64(u.data.X[i+1])
			x0, x1, y0, y1 = math.Min(x0, x), math.Max(x1, x), math.Min(y0, y), math.Max(y1, y)
		}
		if x1 > x0 && y1 > y0 {
			mx, my := (x1-x0)/10, (y1-y0)/10
			u.setup.View = [4]float64{x0 - mx, x1 + mx, y0 - my, y1 + my}
		}
	}
}

// cellGeometry places n square cells of the setup's columns in area.
func cellGeometry(area image.Rectangle, n, cols, gap int) []image.Rectangle {
	if n == 0 {
		return nil
	}
	cols = max(1, min(cols, n))
	rows := (n + cols - 1) / cols
	side := min((area.Dx()-(cols+1)*gap)/cols, (area.Dy()-(rows+1)*gap)/rows)
	side = max(side, 16)
	w, h := cols*side+(cols-1)*gap, rows*side+(rows-1)*gap
	x0, y0 := area.Min.X+(area.Dx()-w)/2, area.Min.Y+(area.Dy()-h)/2
	out := make([]image.Rectangle, n)
	for i := range n {
		x, y := x0+(i%cols)*(side+gap), y0+(i/cols)*(side+gap)
		out[i] = image.Rect(x, y, x+side, y+side)
	}
	return out
}

// layoutCells asks for each cell's picture, paints the newest ones with the hover and
// selection frames, and handles the pointer over the cells.
func (g *gridView) layoutCells(gtx layout.Context, cells []cohort.Member) {
	u := g.u
	cols := u.setup.Cols
	if n := len(cells); n > len(u.setup.Rows)*u.setup.Cols {
		cols = max(cols, (n+len(u.setup.Rows)-1)/len(u.setup.Rows)) // references widen the grid
		cols = min(cols, 4)
	}
	g.rects = cellGeometry(g.area, len(cells), cols, gtx.Dp(cellGap))
	if len(g.pics) != len(cells) {
		g.pics, g.vers = make([]widgets.Picture, len(cells)), make([]uint64, len(cells))
		g.painted++
	}
	g.ids = g.ids[:0]
	for _, m := range cells {
		g.ids = append(g.ids, m.ID)
	}
	g.pointer(gtx)
	step, live := u.tl.at(u.state())
	p := g.planFor(step, live)
	for i, m := range cells {
		if again := u.cells.ask(p, i, m, gtx.Now); !again.IsZero() {
			gtx.Execute(op.InvalidateCmd{At: again})
		}
		if !g.hold {
			if p := u.cells.pic(m.ID); p.img != nil && p.version != g.vers[i] {
				g.vers[i] = p.version
				g.pics[i].Set(p.img, p.version)
				g.painted++
			}
		}
	}
	u.cells.flush()
	for i, m := range cells {
		r := g.rects[i]
		st := op.Offset(r.Min).Push(gtx.Ops)
		gg := gtx
		gg.Constraints = layout.Exact(r.Size())
		if g.pics[i].Image() != nil {
			g.pics[i].Layout(gg)
		} else {
			widgets.FillRect(gtx, image.Rectangle{Max: r.Size()}, u.th.Card)
		}
		st.Pop()
		switch {
		case m.ID == g.sel:
			frame(gtx, r.Inset(-3), 3, u.th.Accent)
		case i == g.hover:
			frame(gtx, r.Inset(-2), 2, widgets.WithAlpha(u.th.Accent, 110))
		}
	}
	if len(cells) == 0 {
		f := widgets.NewForm(gtx, u.th, &g.bar, g.area.Min, g.area.Dx(), gtx.Dp(60), color.NRGBA{}, gtx.Dp(20))
		f.Gap(20)
		f.Caption("no runs: set up the grid in the side panel and press Start grid")
		g.bar.PaintAt(gtx, g.area.Min)
	}
}

// planFor returns the plan of this frame's cells (the last one when nothing changed).
func (g *gridView) planFor(step int, live bool) *cellPlan {
	u := g.u
	p := &g.scratch
	sizes := p.sizes[:0]
	*p = cellPlan{co: u.co, ids: g.ids, view: u.setup.View, lines: u.setup.Grid, step: step, live: live}
	if u.co != nil {
		if d := u.co.Data().Data; len(d) > 0 {
			p.data = &d[0]
		}
	}
	p.sizes = sizes
	for _, r := range g.rects {
		p.sizes = append(p.sizes, r.Size())
	}
	if !p.same(g.plan) {
		np := *p
		np.ids, np.sizes = append([]int(nil), p.ids...), append([]image.Point(nil), p.sizes...)
		g.plan = &np
		g.u.cells.setPlan(g.plan)
	}
	return g.plan
}

// sameTick reports whether a and b fall in the same period of length d (of the wall clock).
func sameTick(a, b time.Time, d time.Duration) bool { return a.Truncate(d).Equal(b.Truncate(d)) }

// cellContent returns what cell i shows of member m at the timeline's step (its newest
// state when live): the flow and the words.
func cellContent(i int, m cohort.Member, step int, live bool) (*flow.MFlow, cellMeta) {
	nan := math.Float64bits(math.NaN())
	meta := cellMeta{Curve: palette(i), D2M95: nan, Core: nan, Label: m.Label}
	withQuality := func(q cohort.Quality) {
		switch {
		case q.Err != "":
			meta.NoBadge, meta.Note = true, "not measured: "+shorten(q.Err, 40)
		case q.Measured:
			meta.Verdict, meta.D2M95, meta.Core = q.Verdict, math.Float64bits(q.Result.D2M95), math.Float64bits(q.Result.M2D95Core)
		case q.Verdict == quality.Diverged:
			meta.Verdict = quality.Diverged
		default:
			meta.Pending = "measuring"
		}
	}
	if m.Frozen != nil {
		c := m.Frozen.Cfg
		meta.Title, meta.Label = m.Label, fmt.Sprintf("frozen · S%d H%d B%d K%d", c.Steps, c.Hidden, c.Blocks, c.Bins)
		withQuality(m.Quality)
		return m.Frozen, meta
	}
	s := m.Snap
	if s == nil {
		meta.Pending = "starting"
		return nil, meta
	}
	meta.Seed = s.Seed
	if m.Parent >= 0 {
		meta.Label = fmt.Sprintf("%s · fork of cell %d at %d", m.Label, m.Parent+1, m.ForkStep)
	}
	if live {
		meta.Step = m.ForkStep + s.Step
		withQuality(m.Quality)
		switch s.State {
		case run.Diverged:
			meta.Verdict, meta.Pending, meta.NoBadge = quality.Diverged, "", false
			meta.Note = fmt.Sprintf("diverged at step %d: last good weights", meta.Step)
		case run.Done:
			meta.Note = "finished: best-validation weights"
		}
		return s.Flow, meta
	}
	own := step - m.ForkStep
	j := m.Timeline.Find(own)
	if own < 0 || j < 0 {
		meta.Dim, meta.NoBadge, meta.Note = true, true, fmt.Sprintf("forked at step %d", m.ForkStep)
		if own >= 0 {
			meta.Note = "no weights kept yet"
		}
		return nil, meta
	}
	fr := m.Timeline.At(j)
	meta.Step = m.ForkStep + fr.Step
	if k := m.Marks.Find(fr.Step); k >= 0 {
		mk := m.Marks.At(k)
		meta.Verdict, meta.D2M95, meta.Core = mk.Verdict, math.Float64bits(mk.D2M95), math.Float64bits(mk.M2D95Core)
		if mk.Step != fr.Step {
			meta.Note = fmt.Sprintf("measured at step %d", m.ForkStep+mk.Step)
		}
	} else {
		meta.NoBadge, meta.Note = true, "not measured yet at this step"
	}
	return fr.Flow, meta
}

// shorten cuts s to about n runes.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// toolbar draws the buttons along the main area's top edge.
func (g *gridView) toolbar(gtx layout.Context, cells []cohort.Member) {
	u := g.u
	th := u.th
	org := image.Pt(gtx.Dp(10), gtx.Dp(10))
	w := gtx.Constraints.Max.X - 2*org.X
	f := widgets.NewForm(gtx, th, &g.bar, org, w, gtx.Dp(26), color.NRGBA{}, 0)
	ln := f.Line(26)
	label := "Play all"
	if u.playing {
		label = "Pause all"
	}
	if ln.Button(&g.play, widgets.Primary, label, f.Dp(96)) {
		if u.playing {
			u.Pause()
		} else {
			u.Play()
		}
	}
	if ln.Button(&g.fit, widgets.Secondary, "Fit view", 0) {
		u.fitView()
	}
	if ln.Chip(&g.lines, u.setup.Grid, "", "Latent grid") {
		u.setup.Grid = !u.setup.Grid
	}
	if ln.Button(&g.png, widgets.Quiet, "Export PNG", 0) {
		u.exportPNG(u.panel.export.path.Text())
	}
	hint := "click: select · double-click: open in the plane · drag: pan · wheel: zoom"
	fc := f.Face(widgets.Regular, th.Small)
	if rest := ln.Rest(); rest > fc.Measure(hint)+f.Dp(12) {
		ln.To(f.W - fc.Measure(hint))
		ln.Label(hint, th.Muted)
	}
	g.bar.Resize(w, gtx.Dp(26))
	g.bar.PaintAt(gtx, org)
	if f.Changed {
		gtx.Execute(op.InvalidateCmd{})
	}
}

// composite returns the cells as one picture of the cells' area, as painted, and its
// version; it is built again only when a painted cell changed.
func (g *gridView) composite() (*image.RGBA, uint64) {
	if len(g.rects) == 0 || g.area.Empty() {
		return nil, 0
	}
	if g.comp != nil && g.compVer == g.painted && g.comp.Rect.Size() == g.area.Size() {
		return g.comp, g.compVer
	}
	img := image.NewRGBA(image.Rectangle{Max: g.area.Size()})
	bg := g.u.th.Window
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{bg.R, bg.G, bg.B, 255}), image.Point{}, draw.Src)
	for i, r := range g.rects {
		if i < len(g.pics) && g.pics[i].Image() != nil {
			src := g.pics[i].Image()
			draw.Draw(img, r.Sub(g.area.Min), src, src.Rect.Min, draw.Src)
		}
	}
	g.comp, g.compVer = img, g.painted
	return img, g.painted
}

// drawn reports whether every cell shows a picture of its newest request.
func (g *gridView) drawn() bool {
	for i := range g.rects {
		if i >= len(g.pics) || g.pics[i].Image() == nil {
			return false
		}
	}
	return !g.u.cells.pending()
}

// openSelected opens the selected run in the plane: its newest weights (or the weights at
// the timeline's step), on the grid's data.
func (u *Runs) openSelected() {
	st := u.state()
	id := u.gv.sel
	if id < 0 || id >= len(st.Members) {
		u.host.Infof("select a cell first (click it)")
		return
	}
	m := st.Members[id]
	step, live := u.tl.at(st)
	f, meta := cellContent(0, m, step, live)
	if f == nil {
		u.host.Errorf("no weights to open at step %d", step)
		return
	}
	src := meta.Title
	if src == "" {
		src = fmt.Sprintf("seed %d", meta.Seed)
	}
	src = fmt.Sprintf("Runs cell %d (%s, %s) at step %d", id+1, src, m.Label, meta.Step)
	if m.Frozen != nil {
		src = fmt.Sprintf("Runs cell %d (%s)", id+1, m.Label)
	}
	d := u.setup.Data
	u.host.Show(ws.Plane, &ws.FlowRef{Flow: f, Data: u.data, Gen: &d, Source: src, Back: ws.Runs})
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
