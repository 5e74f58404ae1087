package charts

import (
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is a set of loss-chart series, one bit each.
type Series uint8

// The loss chart's series.
const (
	SeriesLoss     Series = 1 << iota // weighted training loss of the batch
	SeriesMSE                         // projection MSE part
	SeriesNLL                         // negative log-likelihood part
	SeriesVal                         // validation loss (markers)
	SeriesGradNorm                    // gradient norm, in its own panel below

	AllSeries = SeriesLoss | SeriesMSE | SeriesNLL | SeriesVal | SeriesGradNorm
)

// LossHistory is a training history as parallel slices, one entry per recorded step. NaN
// marks a value not computed at that step; a nil slice an absent series. A series shorter
// than Step covers the first steps only; entries past len(Step) are ignored.
type LossHistory struct {
	Step     []float64 // x values: the training step of each entry
	Loss     []float64 // weighted training loss of the batch
	MSE, NLL []float64 // the training loss's parts, unweighted
	Val      []float64 // validation loss, usually set only at epoch ends
	GradNorm []float64 // gradient norm before clipping
	// Phases are the training phases in order, each from its Step on; with two or more the
	// chart shades every second one, draws a dashed line where each begins and names it.
	Phases []PhaseMark
}

// LossOptions says how to draw a loss chart.
type LossOptions struct {
	W, H  int    // image size in pixels
	DPI   int    // resolution that fonts and widths (in points) are scaled by; 0 means DefaultDPI
	LogY  bool   // logarithmic loss and gradient-norm axes; values ≤ 0 are left out
	Show  Series // which series to draw; DefaultLossOptions shows all
	Title string // drawn above the chart when not empty
	// Raw draws only the per-step values. Otherwise a series with many steps is drawn
	// faintly with a moving average (over 1/60 of the steps shown; geometric on a log axis)
	// on top, so the trend reads through batch noise.
	Raw   bool
	Style *Style // nil means DefaultStyle()
}

// DefaultLossOptions returns options for a w×h pixel chart at DefaultDPI showing every
// series on a linear axis.
func DefaultLossOptions(w, h int) LossOptions {
	return LossOptions{W: w, H: h, Show: AllSeries}
}

// LossChart draws a loss chart into a new image; see Renderer.Loss.
func LossChart(h LossHistory, o LossOptions) *image.RGBA {
	var r Renderer
	return r.Loss(h, o)
}

// lossSeries describes one series of the loss chart.
type lossSeries struct {
	which  Series
	vals   []float64
	label  string
	color  color.NRGBA
	kind   swatch
	grad   bool // drawn in the gradient-norm panel
	start  int  // its points are r.xys[start:end]
	end    int
	points int    // valid points
	smooth [2]int // its moving average is r.xys[smooth[0]:smooth[1]]
}

// smoothMinPoints is the number of points from which a series gets a moving average.
const smoothMinPoints = 300

// Loss draws the training history h: the loss parts as lines and the validation loss as
// markers against the step, with a legend above, and the gradient norm in a small panel
// below sharing the step axis. Missing values break lines; a history with no data gives
// empty axes saying so. The image belongs to r (see Renderer).
func (r *Renderer) Loss(h LossHistory, o LossOptions) *image.RGBA {
	st := DefaultStyle()
	if o.Style != nil {
		st = *o.Style
	}
	f := r.begin(o.W, o.H, o.DPI, &st)
	if !f.ok {
		return f.img
	}
	dpi := float64(o.DPI)
	if dpi <= 0 {
		dpi = DefaultDPI
	}
	c := draw.Crop(f.dc, f.sz.tick*0.5, -f.sz.tick*0.8, f.sz.tick*0.4, -f.sz.tick*0.4)
	c = f.drawTitle(c, o.Title)

	series := [...]lossSeries{
		{which: SeriesMSE, vals: h.MSE, label: "MSE", color: st.MSE},
		{which: SeriesNLL, vals: h.NLL, label: "NLL", color: st.NLL},
		{which: SeriesLoss, vals: h.Loss, label: "loss", color: st.Loss},
		{which: SeriesVal, vals: h.Val, label: "val loss", color: st.Val, kind: swatchMarker},
		{which: SeriesGradNorm, vals: h.GradNorm, label: "grad norm", color: st.GradNorm, grad: true},
	}
	xlo, xhi, lossY, gradY := r.gather(&h, series[:], o)
	showLoss := o.Show&(SeriesLoss|SeriesMSE|SeriesNLL|SeriesVal) != 0
	showGrad := o.Show&SeriesGradNorm != 0

	// Legend strip, with shorter labels when the long ones need a second row.
	var items []legendItem
	for _, s := range series {
		if s.points > 0 {
			items = append(items, legendItem{label: s.label, color: s.color, kind: s.kind})
		}
	}
	if len(items) > 0 {
		lg := f.layoutLegend(items, c.Max.X-c.Min.X)
		if len(lg.rows) > 1 {
			for i := range items {
				items[i].label = shortLabel(items[i].label)
			}
			lg = f.layoutLegend(items, c.Max.X-c.Min.X)
		}
		c = lg.draw(c, &f)
		c.Max.Y -= f.sz.tick * 0.3
	}

	if !showLoss && !showGrad {
		f.message(c, "no series selected")
		return f.img
	}
	if !(xhi >= xlo) {
		xlo, xhi = 0, 1
	} else if xhi == xlo {
		xlo, xhi = xlo-1, xhi+1
	}
	xt := linTicks{n: 3, compact: true}
	var panels []*plot.Plot
	var yts []*yAxis
	mk := func(yr span, label string, grad bool) {
		p := f.newPlot()
		p.X.Min, p.X.Max = xlo, xhi
		p.X.Padding = 0
		p.Y.Label.Text = label
		ya := &yAxis{log: o.LogY}
		ya.setRange(p, yr)
		if phaseMarksShown(h.Phases) {
			p.Add(&phaseBands{f: &f, marks: h.Phases})
		}
		p.Add(grid{x: &xt, y: ya, style: draw.LineStyle{Color: st.Grid, Width: vg.Points(0.6)}})
		// Raw lines first (faint when smoothed), then the averages, then the markers.
		for i := range series {
			s := &series[i]
			if s.grad != grad || s.points == 0 || s.kind != swatchLine {
				continue
			}
			sty := draw.LineStyle{Color: s.color, Width: f.sz.line}
			if s.smooth[1] > s.smooth[0] {
				sty = draw.LineStyle{Color: lighten(s.color, 0.62), Width: f.sz.line * 0.7}
			}
			p.Add(&polyline{r: r, data: r.xys[s.start:s.end], dpi: dpi, style: sty})
		}
		for i := range series {
			s := &series[i]
			if s.grad == grad && s.smooth[1] > s.smooth[0] {
				p.Add(&polyline{r: r, data: r.xys[s.smooth[0]:s.smooth[1]], dpi: dpi,
					style: draw.LineStyle{Color: s.color, Width: f.sz.line * 1.15}})
			}
		}
		for i := range series {
			s := &series[i]
			if s.grad == grad && s.points > 0 && s.kind == swatchMarker {
				p.Add(&markers{data: r.xys[s.start:s.end], color: s.color, radius: f.sz.line * 1.35,
					join: draw.LineStyle{Color: withAlpha(s.color, 0x90), Width: f.sz.line * 0.6}})
			}
		}
		if phaseMarksShown(h.Phases) && len(panels) == 0 {
			p.Add(&phaseBands{f: &f, marks: h.Phases, labels: true}) // names on top, in the top panel
		}
		if yr.empty() {
			p.Add(note{f: &f, text: "no data yet"})
		}
		panels = append(panels, p)
		yts = append(yts, ya)
	}
	if showLoss {
		mk(lossY, "loss", false)
	}
	if showGrad {
		label := "grad"
		if !showLoss {
			label = "grad norm"
		}
		mk(gradY, label, true)
	}
	for _, p := range panels[:len(panels)-1] {
		// Only the bottom panel labels the step axis.
		p.X.Tick.Marker = plot.ConstantTicks(nil)
		p.X.Tick.Length = 0
		p.X.LineStyle.Width = 0
	}
	bottom := panels[len(panels)-1]
	bottom.X.Label.Text = "step"
	bottom.X.Tick.Marker = &xt

	f.stack(c, panels, yts, &xt)
	return f.img
}

// gather collects the valid points of each shown series into r.xys — separators at gaps in
// lines, and after them the moving averages — and returns the step range and the value
// ranges of the loss and gradient panels.
func (r *Renderer) gather(h *LossHistory, series []lossSeries, o LossOptions) (xlo, xhi float64, lossY, gradY span) {
	xlo, xhi = math.Inf(1), math.Inf(-1)
	for _, x := range h.Step {
		if isFinite(x) {
			xlo, xhi = math.Min(xlo, x), math.Max(xhi, x)
		}
	}
	lossY.reset()
	gradY.reset()
	r.xys = r.xys[:0]
	for i := range series {
		s := &series[i]
		s.start, s.end = len(r.xys), len(r.xys)
		if o.Show&s.which == 0 {
			continue
		}
		yr := &lossY
		if s.grad {
			yr = &gradY
		}
		gap := false
		for j := range min(len(h.Step), len(s.vals)) {
			x, y := h.Step[j], s.vals[j]
			if !isFinite(x) || !isFinite(y) || (o.LogY && y <= 0) {
				gap = true
				continue
			}
			if gap && s.points > 0 && s.kind == swatchLine {
				r.xys = append(r.xys, brk())
			}
			gap = false
			r.xys = append(r.xys, xy{x, y})
			yr.add(y)
			s.points++
		}
		s.end = len(r.xys)
	}
	for i := range series {
		s := &series[i]
		s.smooth = [2]int{len(r.xys), len(r.xys)}
		if !o.Raw && s.kind == swatchLine && s.points >= smoothMinPoints {
			r.xys = movingAverage(r.xys, s.start, s.end, (xhi-xlo)/120, o.LogY, s.points/(2*max(o.W, 1)))
			s.smooth[1] = len(r.xys)
		}
	}
	return xlo, xhi, lossY, gradY
}

// stack lays the panels out from the top of c down — a second (gradient) panel gets about
// 30 % of the data height — sets the tick densities from the resulting sizes, aligns the
// data areas' left and right edges, and draws them.
func (f *frame) stack(c draw.Canvas, panels []*plot.Plot, yts []*yAxis, xt *linTicks) {
	canv := make([]draw.Canvas, len(panels))
	if len(panels) == 2 {
		gap := f.sz.tick * 0.7
		ht := c.Max.Y - c.Min.Y
		ovT := ht - height(panels[0].DataCanvas(c))
		ovB := ht - height(panels[1].DataCanvas(c))
		avail := ht - ovT - ovB - gap
		cb := c
		cb.Max.Y = c.Min.Y + ovB + avail*0.3
		ct := c
		ct.Min.Y = cb.Max.Y + gap
		canv[0], canv[1] = ct, cb
	} else {
		canv[0] = c
	}
	for i, p := range panels {
		dc := p.DataCanvas(canv[i])
		yts[i].n = max(2, int(height(dc)/(f.sz.tick*2.3)))
		xt.n = max(2, int(width(dc)/(f.sz.tick*5.5)))
	}
	var left, right vg.Length
	for i, p := range panels {
		dc := p.DataCanvas(canv[i])
		left = max(left, dc.Min.X-canv[i].Min.X)
		right = max(right, canv[i].Max.X-dc.Max.X)
	}
	for i, p := range panels {
		dc := p.DataCanvas(canv[i])
		canv[i] = draw.Crop(canv[i], left-(dc.Min.X-canv[i].Min.X), -(right - (canv[i].Max.X - dc.Max.X)), 0, 0)
		p.Draw(canv[i])
	}
}

// shortLabel returns the compact legend label of a loss series.
func shortLabel(l string) string {
	switch l {
	case "val loss":
		return "val"
	case "grad norm":
		return "grad"
	}
	return l
}

// yAxis is a value axis's ticker: logarithmic or linear with about n labels.
type yAxis struct {
	log bool
	n   int
}

// Ticks implements plot.Ticker.
func (a *yAxis) Ticks(lo, hi float64) []plot.Tick {
	if a.log {
		return logTicks{maxLabels: a.n}.Ticks(lo, hi)
	}
	return linTicks{n: a.n}.Ticks(lo, hi)
}

// setRange sets p's y axis to show yr with a little room, on a's scale.
func (a *yAxis) setRange(p *plot.Plot, yr span) {
	a.n = 3
	p.Y.Tick.Marker = a
	lo, hi := yr.lo, yr.hi
	switch {
	case yr.empty() && a.log:
		lo, hi = 0.1, 1
	case yr.empty():
		lo, hi = 0, 1
	case a.log:
		l0, l1 := math.Log10(lo), math.Log10(hi)
		pad := math.Max((l1-l0)*0.04, 0.02)
		if l1 == l0 {
			pad = 0.3
		}
		lo, hi = math.Pow(10, math.Max(l0-pad, -300)), math.Pow(10, math.Min(l1+pad, 300))
	default:
		pad := (hi - lo) * 0.05
		if pad == 0 {
			pad = math.Max(math.Abs(lo)*0.1, 1e-9)
		}
		if l, h := lo-pad, hi+pad; isFinite(l) && isFinite(h) {
			lo, hi = l, h
		}
	}
	if a.log {
		p.Y.Scale = plot.LogScale{}
	}
	p.Y.Min, p.Y.Max = lo, hi
}

// movingAverage appends to xys the centred moving average of xys[start:end] over a window
// of ±hw in x — of log10 y when logY — keeping the separators between runs. It keeps about
// every stride-th point of each run (and its last): the average is smooth, so a couple of
// points per pixel column are plenty.
func movingAverage(xys []xy, start, end int, hw float64, logY bool, stride int) []xy {
	f := func(v float64) float64 { return v }
	if logY {
		f = math.Log10
	}
	stride = max(stride, 1)
	for a := start; a < end; {
		b := a
		for b < end && !math.IsNaN(xys[b].y) {
			b++
		}
		var sum float64
		lo, hi := a, a // the window is xys[lo:hi]
		for i := a; i < b; i++ {
			for hi < b && xys[hi].x <= xys[i].x+hw {
				sum += f(xys[hi].y)
				hi++
			}
			for lo < hi && xys[lo].x < xys[i].x-hw {
				sum -= f(xys[lo].y)
				lo++
			}
			if (i-a)%stride != 0 && i != b-1 {
				continue
			}
			y := xys[i].y
			if hi > lo {
				y = sum / float64(hi-lo)
				if logY {
					y = math.Pow(10, y)
				}
			}
			xys = append(xys, xy{xys[i].x, y})
		}
		if b < end {
			xys = append(xys, brk())
		}
		a = b + 1
	}
	return xys
}

// span is a running range of values.
type span struct{ lo, hi float64 }

func (s *span) reset()      { s.lo, s.hi = math.Inf(1), math.Inf(-1) }
func (s *span) empty() bool { return !(s.hi >= s.lo) }
func (s *span) add(v float64) {
	s.lo, s.hi = math.Min(s.lo, v), math.Max(s.hi, v)
}

// note writes a short text in the middle of the data area.
type note struct {
	f    *frame
	text string
}

// Plot implements plot.Plotter.
func (n note) Plot(c draw.Canvas, _ *plot.Plot) { n.f.message(c, n.text) }

// isFinite reports whether v is neither NaN nor infinite.
func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// withAlpha returns c with alpha a.
func withAlpha(c color.NRGBA, a uint8) color.NRGBA { c.A = a; return c }

// height and width return a canvas's size.
func height(c draw.Canvas) vg.Length { return c.Max.Y - c.Min.Y }
func width(c draw.Canvas) vg.Length  { return c.Max.X - c.Min.X }
