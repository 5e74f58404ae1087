package charts

import (
	"image/color"

	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// swatch says how a legend entry shows its series.
type swatch uint8

const (
	swatchLine   swatch = iota // a short line
	swatchMarker               // a dot on a thin line
	swatchBox                  // a filled square
)

// legendItem is one entry of a legend strip.
type legendItem struct {
	label string
	color color.NRGBA
	kind  swatch
}

// legendLayout is where a legend strip's entries go: rows of items, each row's width.
type legendLayout struct {
	rows   [][]legendItem
	widths []vg.Length
	rowH   vg.Length
	sty    text.Style
	swW    vg.Length // swatch width
	gap    vg.Length // swatch to text
	sep    vg.Length // between entries
}

// layoutLegend breaks items into rows no wider than width.
func (f *frame) layoutLegend(items []legendItem, width vg.Length) legendLayout {
	l := legendLayout{sty: f.textStyle(f.sz.label, f.st.Text)}
	l.sty.XAlign, l.sty.YAlign = draw.XLeft, draw.YCenter
	l.swW = f.sz.label * 1.4
	l.gap = f.sz.label * 0.35
	l.sep = f.sz.label * 1.0
	l.rowH = l.sty.Height("Ag") * 1.3
	var row []legendItem
	var w vg.Length
	for _, it := range items {
		iw := l.swW + l.gap + l.sty.Width(it.label)
		if it.kind == swatchBox {
			iw = l.rowH*0.62 + l.gap + l.sty.Width(it.label)
		}
		if len(row) > 0 && w+l.sep+iw > width {
			l.rows, l.widths = append(l.rows, row), append(l.widths, w)
			row, w = nil, 0
		}
		if len(row) > 0 {
			w += l.sep
		}
		row = append(row, it)
		w += iw
	}
	if len(row) > 0 {
		l.rows, l.widths = append(l.rows, row), append(l.widths, w)
	}
	return l
}

// height returns the strip's height.
func (l *legendLayout) height() vg.Length { return vg.Length(len(l.rows)) * l.rowH }

// draw draws the strip centred at the top of c and returns c without it.
func (l *legendLayout) draw(c draw.Canvas, f *frame) draw.Canvas {
	y := c.Max.Y - l.rowH/2
	for i, row := range l.rows {
		x := c.Center().X - l.widths[i]/2
		for j, it := range row {
			if j > 0 {
				x += l.sep
			}
			switch it.kind {
			case swatchBox:
				s := l.rowH * 0.62
				c.FillPolygon(it.color, []vg.Point{{X: x, Y: y - s/2}, {X: x + s, Y: y - s/2}, {X: x + s, Y: y + s/2}, {X: x, Y: y + s/2}})
				x += s
			case swatchMarker:
				c.StrokeLine2(draw.LineStyle{Color: it.color, Width: f.sz.line * 0.6}, x, y, x+l.swW, y)
				c.DrawGlyphNoClip(draw.GlyphStyle{Color: it.color, Radius: f.sz.line * 1.6, Shape: draw.CircleGlyph{}}, vg.Point{X: x + l.swW/2, Y: y})
				x += l.swW
			default:
				c.StrokeLine2(draw.LineStyle{Color: it.color, Width: f.sz.line * 1.3}, x, y, x+l.swW, y)
				x += l.swW
			}
			x += l.gap
			c.FillText(l.sty, vg.Point{X: x, Y: y}, it.label)
			x += l.sty.Width(it.label)
		}
		y -= l.rowH
	}
	c.Max.Y -= l.height()
	return c
}
