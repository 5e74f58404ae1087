package charts

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PhaseMark says that a training phase (a recipe's warm start, fine-tuning, an alternating
// epoch…) begins after Step on the loss chart's step axis; Label names it.
type PhaseMark struct {
	Step  float64
	Label string
}

// phaseBands shades every second phase of the loss chart lightly and draws a dashed line
// where a phase begins (under the series), or, with labels, names each phase in a light box
// at its band's top left where the band is wide enough (over the series).
type phaseBands struct {
	f      *frame
	marks  []PhaseMark
	labels bool
}

// Plot implements plot.Plotter.
func (b *phaseBands) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	st, sz := b.f.st, b.f.sz
	dash := draw.LineStyle{Color: st.Axis, Width: sz.line * 0.7, Dashes: []vg.Length{sz.line * 3, sz.line * 2.5}}
	tsty := b.f.textStyle(sz.tick, st.Text)
	tsty.XAlign, tsty.YAlign = draw.XLeft, draw.YTop
	pad := sz.tick * 0.3
	for i, m := range b.marks {
		x0 := max(trX(m.Step), c.Min.X)
		x1 := c.Max.X
		if i+1 < len(b.marks) {
			x1 = min(trX(b.marks[i+1].Step), c.Max.X)
		}
		if x1 <= x0 {
			continue
		}
		if b.labels {
			tw, th := tsty.Width(m.Label), tsty.Height(m.Label)
			if m.Label == "" || x1-x0 < tw+4*pad {
				continue
			}
			bx, top := x0+pad, c.Max.Y-pad
			c.FillPolygon(color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xd8}, []vg.Point{
				{X: bx, Y: top - th - pad}, {X: bx + tw + 2*pad, Y: top - th - pad}, {X: bx + tw + 2*pad, Y: top}, {X: bx, Y: top}})
			c.FillText(tsty, vg.Point{X: bx + pad, Y: top - pad*0.5}, m.Label)
			continue
		}
		if i%2 == 1 {
			c.FillPolygon(st.PhaseBand, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
		}
		if i > 0 && trX(m.Step) >= c.Min.X {
			c.StrokeLine2(dash, x0, c.Min.Y, x0, c.Max.Y)
		}
	}
}

// phaseMarksShown reports whether the marks are worth drawing: at least one phase change.
func phaseMarksShown(marks []PhaseMark) bool { return len(marks) > 1 }
