package runs

import (
	"context"
	"image"
	"time"

	"gioui.org/layout"
	"gioui.org/op"

	"github.com/mflowlab/mflowlab/sim/cohort"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/ui/grid"
	"github.com/mflowlab/mflowlab/ui/plane"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// Charts' sizes (dp) and refresh policy.
const (
	chartH     = 150
	chartEvery = flowEvery // at most this often while the runs train
)

// chartKey is what the charts depend on.
type chartKey struct {
	version uint64 // the cohort State's
	bold    int    // member highlighted, −1 for none
	step    int    // the timeline's step, −1 when live
	w, h    int
	scale   float32
	cells   int
}

// chartsSection charts every run's loss and d2m95 over the steps in the runs' colours; the
// hovered or selected cell's lines are bold. Both are drawn in a background job.
type chartsSection struct {
	u          *Runs
	loss, dist widgets.Picture
	lossR      image.Rectangle
	distR      image.Rectangle
	key        chartKey
	busy       bool
	at         time.Time
	seq        uint64
	w, h       int
	scale      float32
}

// Form lays out the section (widgets.Section) and starts a chart job when needed.
func (c *chartsSection) Form(f *widgets.Form) {
	u := c.u
	th := u.th
	f.Section("Loss and d2m95", "per run", th.Muted)
	c.w, c.h, c.scale = f.W, f.Dp(chartH), float32(f.Dp(100))/100
	c.lossR = f.Rect(c.h)
	f.Gap(4)
	c.distR = f.Rect(c.h)
	f.Gap(2)
	f.Caption("dashed: learned ≤ 0.05, failed ≥ 0.15 · bold: the cell under the pointer or selected")
	for _, r := range []struct {
		p *widgets.Picture
		r image.Rectangle
	}{{&c.loss, c.lossR}, {&c.dist, c.distR}} {
		if r.p.Image() == nil {
			f.L.Box(r.r, f.Dp(4), th.Card, th.Border)
		}
	}
	c.update(f.Gtx)
}

// Paint paints the chart images over the section drawn at org (widgets.Overpainter).
func (c *chartsSection) Paint(gtx layout.Context, org image.Point) {
	for _, r := range []struct {
		p *widgets.Picture
		r image.Rectangle
	}{{&c.loss, c.lossR}, {&c.dist, c.distR}} {
		if r.p.Image() == nil {
			continue
		}
		st := op.Offset(org.Add(r.r.Min)).Push(gtx.Ops)
		g := gtx
		g.Constraints = layout.Exact(r.r.Size())
		r.p.Layout(g)
		st.Pop()
	}
}

// update starts a chart job when the charts' inputs changed (while training at most every
// chartEvery).
func (c *chartsSection) update(gtx layout.Context) {
	u := c.u
	if c.w < 60 || c.busy {
		return
	}
	st := u.state()
	step, live := u.tl.at(st)
	if live {
		step = -1
	}
	bold := u.gv.sel
	if h := u.gv.hover; h >= 0 && h < len(u.gv.ids) {
		bold = u.gv.ids[h]
	}
	k := chartKey{version: st.Version, bold: bold, step: step, w: c.w, h: c.h, scale: c.scale, cells: len(u.gv.ids)}
	if k == c.key {
		return
	}
	onlyTraining := k.bold == c.key.bold && k.step == c.key.step && k.w == c.key.w && k.cells == c.key.cells
	if onlyTraining && sameTick(gtx.Now, c.at, chartEvery) && !u.sync {
		// on the cells' clock: the next chart comes with a batch of cells
		gtx.Execute(op.InvalidateCmd{At: gtx.Now.Truncate(chartEvery).Add(chartEvery + afterTick)})
		return
	}
	c.key, c.at, c.busy = k, gtx.Now, true
	loss, dist := chartSeries(u.shown(st), bold)
	w, h, sc := c.w, c.h, c.scale
	xmark := float64(step)
	job := func() func() {
		r := plane.NewRenderer()
		li := grid.Lines(r, loss, grid.LinesOptions{W: w, H: h, Scale: sc, Title: "training loss", LogY: true, Dimmed: bold >= 0, XMark: xmark})
		di := grid.Lines(r, dist, grid.LinesOptions{W: w, H: h, Scale: sc, Title: "d2m95 (data to manifold)", LogY: true, Dimmed: bold >= 0, XMark: xmark,
			Rules: []grid.Rule{{Y: quality.LearnedMax, Label: "learned"}, {Y: quality.FailedMin, Label: "failed"}}})
		return func() {
			c.busy = false
			c.seq++
			c.loss.Set(li, c.seq)
			c.dist.Set(di, c.seq)
		}
	}
	if u.sync {
		job()()
		return
	}
	u.host.Go(func(context.Context) func() { return job() })
}

// chartSeries returns each live cell's loss history and measured d2m95 as chart series.
func chartSeries(cells []cohort.Member, bold int) (loss, dist []grid.Series) {
	for i, m := range cells {
		if m.Snap == nil {
			continue
		}
		col := palette(i)
		h := m.Snap.History
		n := h.Len()
		stride := max(1, n/400)
		s := grid.Series{Colour: col, Bold: m.ID == bold}
		for j := 0; j < n; j += stride {
			p := h.At(j)
			s.X = append(s.X, float64(m.ForkStep+p.Step))
			s.Y = append(s.Y, p.Loss)
		}
		loss = append(loss, s)
		d := grid.Series{Colour: col, Bold: m.ID == bold}
		for j := 0; j < m.Marks.Len(); j++ {
			mk := m.Marks.At(j)
			d.X = append(d.X, float64(m.ForkStep+mk.Step))
			d.Y = append(d.Y, mk.D2M95)
		}
		dist = append(dist, d)
	}
	return loss, dist
}

// ready reports whether both charts are drawn and no chart job runs.
func (c *chartsSection) ready() bool {
	return c.loss.Image() != nil && c.dist.Image() != nil && !c.busy
}
