package charts

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// CasesData is an ε sweep: the counts of the cases A–D at each ε.
type CasesData struct {
	Eps    []float64
	Counts [][4]int // Counts[i] = {A, B, C, D} at Eps[i]
}

// CasesOptions says how to draw a cases chart.
type CasesOptions struct {
	W, H  int    // image size in pixels
	DPI   int    // resolution that fonts and widths (in points) are scaled by; 0 means DefaultDPI
	Title string // drawn above the chart when not empty
	// Labels name the cases A, B, C, D in the legend; empty entries get the descriptive
	// labels when the legend has room for them and the bare letters otherwise.
	Labels      [4]string
	HideEpsStar bool   // leave out the dashed ε* line
	Rates       bool   // add the attack success and the undone share at ε* under its label
	Style       *Style // nil means DefaultStyle()
}

// SlideCasesOptions returns options for a 1200×750 pixel chart at 150 dpi (8×5 inches) with
// the rates at ε*, for slides and reports.
func SlideCasesOptions() CasesOptions {
	return CasesOptions{W: 1200, H: 750, DPI: 150, Rates: true}
}

// CaseLabels returns the legend labels of the cases A–D: the bare letters, or with long
// set, a letter and what happened.
func CaseLabels(long bool) [4]string {
	if !long {
		return [4]string{"A", "B", "C", "D"}
	}
	return [4]string{
		"A  attack succeeded, defence undid it",
		"B  attack failed, defence kept the label",
		"C  attack succeeded, defence failed",
		"D  attack failed, defence broke the label",
	}
}

// EpsStar returns the index of the ε with the highest attack success rate (A + C over all
// cases there), the first one on ties; −1 when no ε has any counted point.
func (d CasesData) EpsStar() int {
	best, bestRate := -1, -1.0
	for i := range min(len(d.Eps), len(d.Counts)) {
		c := d.Counts[i]
		n := c[0] + c[1] + c[2] + c[3]
		if n <= 0 || !isFinite(d.Eps[i]) {
			continue
		}
		if r := float64(c[0]+c[2]) / float64(n); r > bestRate {
			best, bestRate = i, r
		}
	}
	return best
}

// CasesChart draws a cases chart into a new image; see Renderer.Cases.
func CasesChart(d CasesData, o CasesOptions) *image.RGBA {
	var r Renderer
	return r.Cases(d, o)
}

// WriteCasesPNG draws a cases chart and writes it to path as a PNG, atomically.
func WriteCasesPNG(path string, d CasesData, o CasesOptions) error {
	return SavePNG(path, CasesChart(d, o))
}

// Cases draws the sweep d as stacked relative frequencies of the cases D, C, B, A (from the
// bottom) against ε, with ε* — the ε of the highest attack success — as a dashed line
// labelled with its value, and a legend above. Rows whose ε is not finite or whose counts
// are all zero are left out; ε need not be sorted. The image belongs to r (see Renderer).
func (r *Renderer) Cases(d CasesData, o CasesOptions) *image.RGBA {
	st := DefaultStyle()
	if o.Style != nil {
		st = *o.Style
	}
	f := r.begin(o.W, o.H, o.DPI, &st)
	if !f.ok {
		return f.img
	}
	c := draw.Crop(f.dc, f.sz.tick*0.5, -f.sz.tick*1.1, f.sz.tick*0.4, -f.sz.tick*0.4)
	c = f.drawTitle(c, o.Title)

	// Valid rows, sorted by ε.
	var rows []caseRow
	for i := range min(len(d.Eps), len(d.Counts)) {
		k := d.Counts[i]
		n := float64(k[0] + k[1] + k[2] + k[3])
		if n <= 0 || !isFinite(d.Eps[i]) || k[0] < 0 || k[1] < 0 || k[2] < 0 || k[3] < 0 {
			continue
		}
		dd, cc, bb := float64(k[3])/n, float64(k[2])/n, float64(k[1])/n
		rows = append(rows, caseRow{eps: d.Eps[i], cum: [4]float64{dd, dd + cc, dd + cc + bb, 1}})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].eps < rows[j].eps })

	// Legend: the long labels when they fit in two rows, else the letters.
	labels := CaseLabels(true)
	items := make([]legendItem, 4)
	for try := 0; try < 2; try++ {
		for k := range items {
			l := o.Labels[k]
			if l == "" {
				l = labels[k]
			}
			items[k] = legendItem{label: l, color: st.Cases[k], kind: swatchBox}
		}
		if lg := f.layoutLegend(items, c.Max.X-c.Min.X); len(lg.rows) <= 2 || try == 1 {
			c = lg.draw(c, &f)
			break
		}
		labels = CaseLabels(false)
	}
	c.Max.Y -= f.sz.tick * 0.4

	p := f.newPlot()
	p.X.Label.Text = "ε"
	p.Y.Label.Text = "relative frequency"
	p.X.Padding, p.Y.Padding = 0, 0
	p.Y.Min, p.Y.Max = 0, 1
	xt := &linTicks{n: 5}
	yt := &pctTicks{n: 6}
	p.X.Tick.Marker, p.Y.Tick.Marker = xt, yt
	switch {
	case len(rows) == 0:
		p.X.Min, p.X.Max = 0, 0.3
		p.Add(grid{x: xt, y: yt, style: draw.LineStyle{Color: st.Grid, Width: vg.Points(0.6)}})
		p.Add(note{f: &f, text: "no sweep yet"})
	default:
		lo, hi := rows[0].eps, rows[len(rows)-1].eps
		if hi == lo {
			// One ε: a band of a little width around it.
			w := math.Max(math.Abs(lo)*0.05, 0.005)
			rows = []caseRow{{eps: lo - w, cum: rows[0].cum}, {eps: lo + w, cum: rows[0].cum}}
			lo, hi = lo-w, lo+w
		}
		p.X.Min, p.X.Max = lo, hi
		b := &bands{}
		for k := 0; k < 4; k++ {
			// Painted from the top band down, each from 0 up to its cumulative top, so
			// neighbouring bands never leave an anti-aliased seam between them.
			b.fills[k] = st.Cases[k]
			b.tops[k] = make([]xy, len(rows))
			for i, rw := range rows {
				b.tops[k][i] = xy{rw.eps, rw.cum[3-k]}
			}
		}
		p.Add(b)
		p.Add(grid{y: yt, style: draw.LineStyle{Color: color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0x50}, Width: vg.Points(0.6)}})
		if j := d.EpsStar(); j >= 0 && !o.HideEpsStar {
			k := d.Counts[j]
			n := float64(k[0] + k[1] + k[2] + k[3])
			m := &epsStar{f: &f, eps: d.Eps[j], color: st.Marker}
			m.lines = append(m.lines, "ε* = "+strconvEps(d.Eps[j], epsSpacing(rows)))
			if o.Rates {
				m.lines = append(m.lines, fmt.Sprintf("attack success %.1f%%", 100*float64(k[0]+k[2])/n))
				if k[0]+k[2] > 0 {
					m.lines = append(m.lines, fmt.Sprintf("defence undid %.1f%%", 100*float64(k[0])/float64(k[0]+k[2])))
				}
			}
			p.Add(m)
		}
	}
	dc := p.DataCanvas(c)
	xt.n = max(2, int(width(dc)/(f.sz.tick*4.5)))
	yt.n = max(2, int(height(dc)/(f.sz.tick*3.2))+1)
	p.Draw(c)
	return f.img
}

// caseRow is one ε of a sweep with the cumulative shares from the bottom: D, D+C, D+C+B, 1.
type caseRow struct {
	eps float64
	cum [4]float64
}

// epsSpacing returns the smallest positive gap between neighbouring ε.
func epsSpacing(rows []caseRow) float64 {
	gap := math.Inf(1)
	for i := 1; i < len(rows); i++ {
		if g := rows[i].eps - rows[i-1].eps; g > 0 && g < gap {
			gap = g
		}
	}
	return gap
}

// strconvEps writes ε with two decimals, or more when neighbouring ε on the grid need them
// to differ (at most four).
func strconvEps(eps, spacing float64) string {
	dec := 2
	if isFinite(spacing) && spacing > 0 {
		dec = min(max(2, int(math.Ceil(-math.Log10(spacing)))), 4)
	}
	return fmt.Sprintf("%.*f", dec, eps)
}

// bands fills the stacked areas: tops[k] is the upper edge of band k (A first), filled
// down to 0 in fills[k], in order.
type bands struct {
	tops  [4][]xy
	fills [4]color.NRGBA
}

// Plot implements plot.Plotter.
func (b *bands) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for k := 0; k < 4; k++ {
		t := b.tops[k]
		if len(t) == 0 {
			continue
		}
		poly := make([]vg.Point, 0, len(t)+2)
		for _, d := range t {
			poly = append(poly, vg.Point{X: trX(d.x), Y: trY(d.y)})
		}
		poly = append(poly, vg.Point{X: trX(t[len(t)-1].x), Y: c.Min.Y}, vg.Point{X: trX(t[0].x), Y: c.Min.Y})
		c.FillPolygon(b.fills[k], poly)
	}
}

// epsStar draws the dashed vertical line at ε* and a boxed label near its top.
type epsStar struct {
	f     *frame
	eps   float64
	color color.NRGBA
	lines []string
}

// Plot implements plot.Plotter.
func (m *epsStar) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(m.eps)
	sz := m.f.sz
	dash := draw.LineStyle{Color: m.color, Width: sz.line * 1.1, Dashes: []vg.Length{sz.line * 4, sz.line * 3}}
	c.StrokeLine2(dash, x, c.Min.Y, x, c.Max.Y)

	sty := m.f.textStyle(sz.label, m.color)
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YTop
	small := m.f.textStyle(sz.tick, m.color)
	small.XAlign, small.YAlign = draw.XLeft, draw.YTop
	pad := sz.tick * 0.4
	var w, h vg.Length
	for i, l := range m.lines {
		s := sty
		if i > 0 {
			s = small
		}
		w = max(w, s.Width(l))
		h += s.Height(l) * 1.15
	}
	w += 2 * pad
	h += 2*pad - sty.Height("A")*0.15
	x0 := x + sz.tick*0.5
	if x0+w > c.Max.X {
		x0 = x - sz.tick*0.5 - w
	}
	x0 = max(x0, c.Min.X)
	top := c.Max.Y - sz.tick*0.5
	box := []vg.Point{{X: x0, Y: top - h}, {X: x0 + w, Y: top - h}, {X: x0 + w, Y: top}, {X: x0, Y: top}}
	c.FillPolygon(color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xe0}, box)
	y := top - pad
	for i, l := range m.lines {
		s := sty
		if i > 0 {
			s = small
		}
		c.FillText(s, vg.Point{X: x0 + pad, Y: y}, l)
		y -= s.Height(l) * 1.15
	}
}
