package grid

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"

	"github.com/mflowlab/mflowlab/ui/plane"
)

// Series is one run's curve in a Lines chart.
type Series struct {
	X, Y   []float64   // the points, X increasing; NaN Y values break the line
	Colour color.NRGBA // the run's colour
	Bold   bool        // highlighted: drawn wide and on top
}

// Rule is a horizontal reference line of a Lines chart (e.g. a verdict threshold).
type Rule struct {
	Y     float64
	Label string
}

// LinesOptions set a Lines chart's size and axes. Zero fields take defaults.
type LinesOptions struct {
	W, H   int     // pixels
	Scale  float32 // text and line scale (1 at 96 dpi)
	Title  string  // top left
	LogY   bool    // logarithmic y axis (values ≤ 0 are left out)
	XMax   float64 // right end of the x axis (default: the largest X)
	YMin   float64 // bottom of the y axis (default: the smallest Y)
	YMax   float64 // top of the y axis (default: the largest Y)
	Rules  []Rule
	Dimmed bool    // a series is bold: the others are drawn lighter
	XMark  float64 // a vertical line at this x (e.g. the step a timeline shows); negative: none
}

// Chart geometry (pixels at scale 1).
const (
	chartPadL = 40
	chartPadR = 8
	chartPadT = 20
	chartPadB = 18
)

// Lines draws series as overlaid line charts on one pair of axes and returns the picture
// (with r's text): x is the training step, y a loss or a distance.
func Lines(r *plane.Renderer, series []Series, o LinesOptions) *image.RGBA {
	if o.Scale <= 0 {
		o.Scale = 1
	}
	w, h := max(o.W, 60), max(o.H, 40)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(paper), image.Point{}, draw.Src)
	sc := o.Scale
	plot := image.Rect(int(chartPadL*sc), int(chartPadT*sc), w-int(chartPadR*sc), h-int(chartPadB*sc))
	text := 10.5 * sc
	r.DrawText(img, 4*sc, 13*sc, o.Title, plane.TextStyle{Size: text, Color: ink})
	if plot.Dx() < 10 || plot.Dy() < 10 {
		return img
	}
	ty := func(v float64) float64 { return v }
	if o.LogY {
		ty = func(v float64) float64 {
			if v <= 0 {
				return math.NaN()
			}
			return math.Log10(v)
		}
	}
	xmax, ymin, ymax := 0.0, math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for i, x := range s.X {
			xmax = math.Max(xmax, x)
			if y := ty(s.Y[i]); !math.IsNaN(y) && !math.IsInf(y, 0) {
				ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
			}
		}
	}
	if o.XMax > 0 {
		xmax = o.XMax
	}
	if o.YMin != 0 || o.YMax != 0 {
		ymin, ymax = ty(o.YMin), ty(o.YMax)
	}
	if !(ymax > ymin) {
		if math.IsInf(ymin, 0) || math.IsNaN(ymin) {
			ymin, ymax = 0, 1
		} else {
			ymin, ymax = ymin-0.5, ymax+0.5
		}
	}
	if !(xmax > 0) {
		xmax = 1
	}
	pad := (ymax - ymin) * 0.04
	ymin, ymax = ymin-pad, ymax+pad
	px := func(x float64) float32 { return float32(plot.Min.X) + float32(x/xmax)*float32(plot.Dx()) }
	py := func(y float64) float32 {
		return float32(plot.Max.Y) - float32((y-ymin)/(ymax-ymin))*float32(plot.Dy())
	}
	// The plot's pixels as data coordinates: a unit viewport with y flipped.
	vp := plane.Viewport{Center: [2]float64{float64(w) / 2, float64(h) / 2}, Scale: 1, W: w, H: h}
	line := func(xy []float32, width float32, c color.NRGBA) {
		for i := 1; i < len(xy); i += 2 {
			xy[i] = float32(h) - xy[i]
		}
		r.DrawPolyline(img, vp, xy, width, c)
	}
	grid := color.NRGBA{228, 228, 224, 255}
	axisText := plane.TextStyle{Size: 9 * sc, Color: softInk}
	for _, t := range yTicks(ymin, ymax, o.LogY) {
		y := py(t.v)
		line([]float32{float32(plot.Min.X), y, float32(plot.Max.X), y}, 1, grid)
		st := axisText
		st.Align, st.Middle = plane.AlignRight, true
		r.DrawText(img, float32(plot.Min.X)-3*sc, y, t.label, st)
	}
	for _, x := range niceTicks(0, xmax, max(2, plot.Dx()/int(70*sc))) {
		st := axisText
		st.Align = plane.AlignCenter
		r.DrawText(img, px(x), float32(plot.Max.Y)+12*sc, strconv.FormatFloat(x, 'f', -1, 64), st)
	}
	for _, rl := range o.Rules {
		y := ty(rl.Y)
		if math.IsNaN(y) || y < ymin || y > ymax {
			continue
		}
		yy := py(y)
		for x := float32(plot.Min.X); x < float32(plot.Max.X); x += 8 * sc {
			line([]float32{x, yy, min(x+4*sc, float32(plot.Max.X)), yy}, 1, color.NRGBA{150, 150, 150, 255})
		}
		st := axisText
		st.Align = plane.AlignRight
		r.DrawText(img, float32(plot.Max.X)-2*sc, yy-3*sc, rl.Label, st)
	}
	if o.XMark > 0 && o.XMark <= xmax {
		x := px(o.XMark)
		line([]float32{x, float32(plot.Min.Y), x, float32(plot.Max.Y)}, 1.5*sc, color.NRGBA{60, 60, 70, 200})
	}
	border := color.NRGBA{190, 190, 186, 255}
	line([]float32{float32(plot.Min.X), float32(plot.Min.Y), float32(plot.Min.X), float32(plot.Max.Y), float32(plot.Max.X), float32(plot.Max.Y)}, 1, border)

	draws := func(bold bool) {
		for _, s := range series {
			if s.Bold != bold {
				continue
			}
			c, wd := s.Colour, 1.3*sc
			if s.Bold {
				wd = 2.6 * sc
			} else if o.Dimmed {
				c.A = 70
			}
			xy := make([]float32, 0, 2*len(s.X))
			flush := func() {
				if len(xy) >= 4 {
					line(xy, wd, c)
				} else if len(xy) == 2 {
					line([]float32{xy[0], xy[1], xy[0] + 0.5, xy[1]}, wd+1, c)
				}
				xy = xy[:0]
			}
			for i, x := range s.X {
				y := ty(s.Y[i])
				if math.IsNaN(y) || math.IsInf(y, 0) {
					flush()
					continue
				}
				y = math.Max(ymin, math.Min(ymax, y))
				xy = append(xy, px(x), py(y))
			}
			flush()
		}
	}
	draws(false)
	draws(true)
	return img
}

// tick is an axis tick: its position on the (transformed) axis and its label.
type tick struct {
	v     float64
	label string
}

// yTicks returns ticks between lo and hi: decades on a log axis (powers of ten, with 2 and
// 5 between when few decades show), else nice round values.
func yTicks(lo, hi float64, logY bool) []tick {
	var out []tick
	if !logY {
		for _, v := range niceTicks(lo, hi, 4) {
			out = append(out, tick{v, strconv.FormatFloat(v, 'g', 4, 64)})
		}
		return out
	}
	mults := []float64{1}
	if hi-lo < 2.5 {
		mults = []float64{1, 2, 5}
	}
	for d := math.Floor(lo); d <= math.Ceil(hi); d++ {
		for _, m := range mults {
			v := d + math.Log10(m)
			if v >= lo && v <= hi {
				out = append(out, tick{v, fmt.Sprint(strconv.FormatFloat(m*math.Pow(10, d), 'g', 3, 64))})
			}
		}
	}
	return out
}

// niceTicks returns about n round values between lo and hi (steps of 1, 2 or 5 times a
// power of ten).
func niceTicks(lo, hi float64, n int) []float64 {
	if !(hi > lo) || n < 1 {
		return nil
	}
	raw := (hi - lo) / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step := p
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			step = m * p
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

// RunColour gives run i of a grid its colour, shared by its curve and its chart lines:
// distinct hues of similar strength, the first nine well apart.
func RunColour(i int) color.NRGBA {
	p := [...]color.NRGBA{
		{31, 119, 180, 255}, {214, 39, 40, 255}, {44, 160, 44, 255}, {148, 103, 189, 255},
		{255, 127, 14, 255}, {23, 190, 207, 255}, {140, 86, 75, 255}, {227, 119, 194, 255},
		{188, 189, 34, 255}, {57, 59, 121, 255}, {99, 121, 57, 255}, {140, 109, 49, 255},
		{132, 60, 57, 255}, {123, 65, 115, 255}, {82, 84, 163, 255}, {127, 127, 127, 255},
	}
	return p[(i%len(p)+len(p))%len(p)]
}
