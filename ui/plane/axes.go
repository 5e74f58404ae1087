package plane

import (
	"image"
	"math"
	"strconv"
)

// NiceStep returns the smallest step of the form {1, 2, 5}·10^k that is at
// least min (> 0); it returns 1 for non-positive or non-finite min.
func NiceStep(min float64) float64 {
	if !(min > 0) || math.IsInf(min, 1) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(min)))
	for _, m := range [...]float64{1, 2, 5, 10} {
		if s := m * p; s >= min*(1-1e-9) {
			return s
		}
	}
	return 10 * p
}

// niceNearest returns the {1, 2, 5}·10^k closest to v (> 0) in ratio.
func niceNearest(v float64) float64 {
	hi := NiceStep(v)
	lo := hi / 2 // below 1·10^k is 5·10^(k−1), below 2·10^k is 10^k
	if math.Round(hi/math.Pow(10, math.Floor(math.Log10(hi)+1e-9))) == 5 {
		lo = hi / 2.5 // below 5·10^k is 2·10^k
	}
	if hi/v < v/lo {
		return hi
	}
	return lo
}

// formatTick appends v written with the decimals that step needs, using a
// true minus sign.
func formatTick(buf []byte, v, step float64) []byte {
	dec := 0
	if step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	if math.Abs(v) < step*1e-6 {
		v = 0
	}
	if v < 0 {
		buf = append(buf, "−"...)
		v = -v
	}
	return strconv.AppendFloat(buf, v, 'f', dec, 64)
}

// DrawAxes draws light grid lines at round data coordinates (steps of
// {1, 2, 5}·10^k, at least st.TickSpacing pixels apart), stronger lines at
// x = 0 and y = 0, and tick labels along the bottom and left edges.
func (r *Renderer) DrawAxes(dst *image.RGBA, vp Viewport, st *Style) {
	s := viewSurface(dst, vp)
	if s.w == 0 || !(vp.Scale > 0) {
		return
	}
	step := NiceStep(float64(st.TickSpacing) / vp.Scale)
	xmin, xmax, ymin, ymax := vp.DataRect()
	line, zero := paintOf(st.AxisLine), paintOf(st.AxisZero)
	for k := math.Ceil(xmin / step); k*step <= xmax; k++ {
		px, _ := vp.ToPixel(k*step, 0)
		p := line
		if k == 0 {
			p = zero
		}
		s.vline(int(math.Floor(float64(px))), 0, s.h, p, p.a)
	}
	for k := math.Ceil(ymin / step); k*step <= ymax; k++ {
		_, py := vp.ToPixel(0, k*step)
		p := line
		if k == 0 {
			p = zero
		}
		s.hline(0, s.w, int(math.Floor(float64(py))), p, p.a)
	}
	if !(st.FontSize > 0) {
		return
	}
	ts := TextStyle{Size: st.FontSize, Color: st.AxisText, Halo: st.TextHalo, Align: AlignCenter}
	pad := 0.55 * st.FontSize
	_, ch := r.MeasureText("0", st.FontSize)
	// Keep the bottom-left corner for the y labels and the scale bar corner free.
	left := 3.5 * st.FontSize
	for k := math.Ceil(xmin / step); k*step <= xmax; k++ {
		px, _ := vp.ToPixel(k*step, 0)
		if px < left || px > float32(s.w)-2*st.FontSize {
			continue
		}
		r.buf = formatTick(r.buf[:0], k*step, step)
		drawText(r, s, px+0.5, r.frameBottom(s)-pad, r.buf, ts)
	}
	ts.Align, ts.Middle = AlignLeft, true
	// Labels reach beyond their tick: include ticks just outside s.
	ext := 2 * float64(st.FontSize) / vp.Scale
	for k := math.Ceil((ymin - ext) / step); k*step <= ymax+ext; k++ {
		_, py := vp.ToPixel(0, k*step)
		if fy := py + float32(r.band.y0); fy < ch+pad || fy > float32(r.frameH(s))-ch-2*pad {
			continue
		}
		r.buf = formatTick(r.buf[:0], k*step, step)
		drawText(r, s, pad, py+0.5, r.buf, ts)
	}
}

// DrawScaleBar draws a bar of a round data length (about a tenth of the
// image width) with its value, in the bottom-right corner.
func (r *Renderer) DrawScaleBar(dst *image.RGBA, vp Viewport, st *Style) {
	s := viewSurface(dst, vp)
	if s.w == 0 || !(vp.Scale > 0) {
		return
	}
	target := math.Max(60, math.Min(160, float64(s.w)/9))
	l := niceNearest(target / vp.Scale)
	lp := float32(l * vp.Scale)
	fs := st.FontSize
	x1 := float32(s.w) - 1.6*fs
	x0 := x1 - lp
	y := r.frameBottom(s) - 2.6*fs
	m := &r.mask
	m.begin(s.w, s.h)
	// Light casing first so the bar reads on any background.
	m.capsule(x0, y, x1, y, 2.6, 1)
	m.capsule(x0, y-4, x0, y+4, 2.4, 1)
	m.capsule(x1, y-4, x1, y+4, 2.4, 1)
	m.flush(s, paintOf(st.TextHalo))
	m.capsule(x0, y, x1, y, 0.9, 1)
	m.capsule(x0, y-3.5, x0, y+3.5, 0.7, 1)
	m.capsule(x1, y-3.5, x1, y+3.5, 0.7, 1)
	m.flush(s, paintOf(st.AxisText))
	if fs > 0 {
		r.buf = formatTick(r.buf[:0], l, l)
		drawText(r, s, (x0+x1)/2, y-0.5*fs, r.buf, TextStyle{Size: fs, Color: st.AxisText, Halo: st.TextHalo, Align: AlignCenter})
	}
}
