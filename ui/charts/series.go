package charts

import (
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// xy is one data point; a NaN y breaks a line.
type xy struct{ x, y float64 }

// brk returns the separator that breaks a line between two runs of points.
func brk() xy { return xy{math.NaN(), math.NaN()} }

// polyline strokes points as lines broken at separators, reduced to the minimum and maximum
// of each pixel column so that thousands of steps cost no more than the chart's width. It
// draws on its Renderer's canvas only (dense lines are painted into r.img directly).
type polyline struct {
	r     *Renderer
	data  []xy
	style draw.LineStyle
	dpi   float64
}

// transform maps data coordinates to the canvas like plot.Transforms, with the linear and
// logarithmic scales' constants worked out once instead of per point.
type transform struct {
	p        *plot.Plot
	c        draw.Canvas
	x0, xk   float64 // x' = (x − x0)·xk (of log x when xlog)
	y0, yk   float64
	xlog     bool
	ylog     bool
	fallback bool
}

// newTransform returns the transform of p's axes onto c.
func newTransform(c draw.Canvas, p *plot.Plot) transform {
	t := transform{p: p, c: c}
	axis := func(a *plot.Axis) (o, k float64, log, ok bool) {
		switch a.Scale.(type) {
		case plot.LinearScale:
			return a.Min, 1 / (a.Max - a.Min), false, true
		case plot.LogScale:
			if a.Min > 0 && a.Max > a.Min {
				lo := math.Log(a.Min)
				return lo, 1 / (math.Log(a.Max) - lo), true, true
			}
		}
		return 0, 0, false, false
	}
	var okX, okY bool
	t.x0, t.xk, t.xlog, okX = axis(&p.X)
	t.y0, t.yk, t.ylog, okY = axis(&p.Y)
	t.fallback = !okX || !okY
	return t
}

// at returns the canvas point of (x, y); y must be positive on a log axis.
func (t *transform) at(x, y float64) vg.Point {
	if t.fallback {
		trX, trY := t.p.Transforms(&t.c)
		return vg.Point{X: trX(x), Y: trY(y)}
	}
	if t.xlog {
		x = math.Log(x)
	}
	if t.ylog {
		y = math.Log(y)
	}
	return vg.Point{X: t.c.X((x - t.x0) * t.xk), Y: t.c.Y((y - t.y0) * t.yk)}
}

// denseRatio is the number of points per pixel column from which a polyline is painted as
// pixel spans instead of stroked: the stroker's cost grows with the square of a jagged
// line's crossings per row, the spans' only with the pixels they cover.
const denseRatio = 2

// Plot implements plot.Plotter.
func (l *polyline) Plot(c draw.Canvas, p *plot.Plot) {
	if float64(len(l.data)) >= denseRatio*float64(width(c))*l.dpi/72 {
		l.spans(l.r.img, c, p)
		return
	}
	tr := newTransform(c, p)
	px := vg.Length(72 / l.dpi) // one pixel in points
	path := l.r.path[:0]
	var (
		col      = math.MinInt
		lo, hi   vg.Point // extremes of the current column
		iLo, iHi int
		inRun    bool
	)
	flush := func() {
		if col == math.MinInt {
			return
		}
		a, b := lo, hi
		if iHi < iLo {
			a, b = hi, lo
		}
		if !inRun {
			path.Move(a)
			inRun = true
		} else {
			path.Line(a)
		}
		if iLo != iHi {
			path.Line(b)
		}
	}
	for i, d := range l.data {
		if math.IsNaN(d.y) {
			flush()
			col, inRun = math.MinInt, false
			continue
		}
		pt := tr.at(d.x, d.y)
		k := int(math.Floor(float64(pt.X / px)))
		if k != col {
			flush()
			col, lo, hi, iLo, iHi = k, pt, pt, i, i
			continue
		}
		if pt.Y < lo.Y {
			lo, iLo = pt, i
		}
		if pt.Y > hi.Y {
			hi, iHi = pt, i
		}
	}
	flush()
	l.r.path = path
	if len(path) == 0 {
		return
	}
	c.SetLineStyle(l.style)
	c.Stroke(path)
}

// spans paints the line one pixel column at a time: each column covers the range of the
// points falling in it and the last point of the column before, grown by half the line
// width, so a dense series looks as its stroked line would, at a fraction of the cost.
func (l *polyline) spans(img *image.RGBA, c draw.Canvas, p *plot.Plot) {
	tr := newTransform(c, p)
	s := l.dpi / 72
	ih := float64(img.Rect.Dy())
	// the data area in pixels, y down
	cx0, cx1 := int(math.Floor(float64(c.Min.X)*s)), int(math.Ceil(float64(c.Max.X)*s))
	cy0, cy1 := ih-float64(c.Max.Y)*s, ih-float64(c.Min.Y)*s
	half := math.Max(0.5, float64(l.style.Width)*s/2)
	src := premul(l.style.Color)
	col := math.MinInt
	var lo, hi, last, prev float64
	hasPrev := false
	flush := func() {
		if col == math.MinInt || col < cx0 || col >= cx1 || col < img.Rect.Min.X || col >= img.Rect.Max.X {
			return
		}
		y0 := int(math.Round(math.Max(lo-half, cy0)))
		y1 := int(math.Round(math.Min(hi+half, cy1)))
		y0, y1 = max(y0, img.Rect.Min.Y), min(y1, img.Rect.Max.Y)
		for y := y0; y < y1; y++ {
			blend(img, col, y, src)
		}
	}
	for _, d := range l.data {
		if math.IsNaN(d.y) {
			flush()
			col, hasPrev = math.MinInt, false
			continue
		}
		pt := tr.at(d.x, d.y)
		x := float64(pt.X) * s
		y := ih - float64(pt.Y)*s
		if k := int(math.Floor(x)); k != col {
			if col != math.MinInt {
				flush()
				prev, hasPrev = last, true
			}
			col, lo, hi = k, y, y
			if hasPrev {
				lo, hi = math.Min(lo, prev), math.Max(hi, prev)
			}
		} else {
			lo, hi = math.Min(lo, y), math.Max(hi, y)
		}
		last = y
	}
	flush()
}

// premul returns c as premultiplied 8-bit RGBA.
func premul(c color.Color) color.RGBA {
	r, g, b, a := c.RGBA()
	return color.RGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: uint8(a >> 8)}
}

// blend paints the premultiplied colour src over the pixel (x, y).
func blend(img *image.RGBA, x, y int, src color.RGBA) {
	i := img.PixOffset(x, y)
	px := img.Pix[i : i+4 : i+4]
	if src.A == 0xff {
		px[0], px[1], px[2], px[3] = src.R, src.G, src.B, 0xff
		return
	}
	k := uint32(0xff - src.A)
	px[0] = src.R + uint8((uint32(px[0])*k+127)/255)
	px[1] = src.G + uint8((uint32(px[1])*k+127)/255)
	px[2] = src.B + uint8((uint32(px[2])*k+127)/255)
	px[3] = src.A + uint8((uint32(px[3])*k+127)/255)
}

// markers draws a filled circle at every point, optionally joined by a thin line.
type markers struct {
	data   []xy
	color  color.Color
	radius vg.Length
	join   draw.LineStyle // Width 0: no line
}

// Plot implements plot.Plotter.
func (m *markers) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	if m.join.Width > 0 && len(m.data) > 1 {
		pts := make([]vg.Point, 0, len(m.data))
		for _, d := range m.data {
			pts = append(pts, vg.Point{X: trX(d.x), Y: trY(d.y)})
		}
		c.StrokeLines(m.join, pts)
	}
	sty := draw.GlyphStyle{Color: m.color, Radius: m.radius, Shape: draw.CircleGlyph{}}
	for _, d := range m.data {
		c.DrawGlyphNoClip(sty, vg.Point{X: trX(d.x), Y: trY(d.y)})
	}
}

// grid draws lines at the labelled ticks of the given tickers (nil: that direction has no
// lines), so a panel without tick labels can still share its neighbour's grid.
type grid struct {
	x, y  plot.Ticker
	style draw.LineStyle
}

// Plot implements plot.Plotter.
func (g grid) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	if g.x != nil {
		for _, t := range g.x.Ticks(p.X.Min, p.X.Max) {
			if x := trX(t.Value); !t.IsMinor() && c.ContainsX(x) {
				c.StrokeLine2(g.style, x, c.Min.Y, x, c.Max.Y)
			}
		}
	}
	if g.y != nil {
		for _, t := range g.y.Ticks(p.Y.Min, p.Y.Max) {
			if y := trY(t.Value); !t.IsMinor() && c.ContainsY(y) {
				c.StrokeLine2(g.style, c.Min.X, y, c.Max.X, y)
			}
		}
	}
}
