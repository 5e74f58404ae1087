// Package grid draws many training runs as small multiples into an *image.RGBA on the CPU:
// one panel per run with the data faint, the learned curve bold (thin and light beyond the
// data's ends), the run's seed, its verdict as a coloured badge and its distances. Every
// panel shows the same data box, so the panels compare at a glance. It uses the plane
// package's anti-aliased raster and text, and has no window dependency.
package grid

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// Cell is one run's panel.
type Cell struct {
	Seed             uint64
	Verdict          quality.Verdict
	D2M95, M2D95Core float64     // NaN M2D95Core: not measured (no known curve)
	Core             []float32   // the learned curve between the data's ends, x0, y0, x1, y1, …
	Tails            [][]float32 // the learned curve beyond the data's ends

	// Optional, for the app's live grid and labelled figures:
	Title   string      // replaces "seed N" as the panel's name when set (e.g. "checkpoint A")
	Label   string      // a second line under the name (e.g. the recipe)
	Step    int         // training step shown bottom right; negative: none
	Note    string      // a line above the distances (e.g. "diverged: last good weights")
	Curve   color.NRGBA // the learned curve's colour; zero: the default dark blue
	NoBadge bool        // no verdict badge (not measured yet)
	Pending string      // badge text in grey instead of the verdict (e.g. "measuring")
	Dim     bool        // drawn faded (e.g. a fork before its fork step)
	Gridded [][]float32 // warped latent grid lines, drawn faint under the data
}

// Options set the picture's layout. Zero fields take defaults.
type Options struct {
	Title    string     // first line above the panels
	Subtitle string     // second, smaller line
	CellSize int        // panel side in pixels (default 340)
	Columns  int        // panels per row (default: the count near √n that fills the rows best)
	View     [4]float64 // data box xmin, xmax, ymin, ymax shown in every panel (default ±1.45)
}

// Palette: paper white, faint data, a dark curve; verdict badges in colours that stay
// distinct for the common colour-vision deficiencies (green/orange/red differ in lightness).
var (
	paper      = color.NRGBA{255, 255, 255, 255}
	panelBg    = color.NRGBA{248, 248, 246, 255}
	panelEdge  = color.NRGBA{205, 205, 200, 255}
	dataColour = color.NRGBA{120, 120, 130, 255}
	curveCol   = color.NRGBA{24, 48, 110, 255}
	tailCol    = color.NRGBA{24, 48, 110, 90}
	ink        = color.NRGBA{30, 30, 34, 255}
	softInk    = color.NRGBA{88, 88, 96, 255}
	badge      = map[quality.Verdict][2]color.NRGBA{
		quality.Learned:  {{27, 122, 62, 255}, {255, 255, 255, 255}},
		quality.Partial:  {{232, 160, 20, 255}, {30, 30, 34, 255}},
		quality.Failed:   {{192, 40, 40, 255}, {255, 255, 255, 255}},
		quality.Diverged: {{96, 60, 140, 255}, {255, 255, 255, 255}},
	}
)

// Columns returns the default number of panels per row for n panels: of the counts from
// ⌈√n⌉ to ⌈√n⌉+2, the one that leaves the fewest empty places in the last row (the
// smallest on a tie).
func Columns(n int) int {
	if n <= 1 {
		return 1
	}
	base := int(math.Ceil(math.Sqrt(float64(n))))
	best, bestEmpty := base, n
	for c := base; c <= min(n, base+2); c++ {
		if empty := (c - n%c) % c; empty < bestEmpty {
			best, bestEmpty = c, empty
		}
	}
	return best
}

// Render draws the panels of cells over the data points (x0, y0, x1, y1, …) and returns
// the picture.
func Render(data []float32, cells []Cell, opt Options) *image.RGBA {
	opt = opt.defaults(len(cells))
	r := plane.NewRenderer()
	l := layoutFor(r, len(cells), opt, opt.CellSize)
	img := image.NewRGBA(image.Rect(0, 0, l.w, l.h))
	l.draw(r, img, image.Point{}, data, cells, opt)
	return img
}

// Draw draws the panels of cells into dst like Render, with the largest panels that fit,
// centred on paper (a frame of an animation of fixed size).
func Draw(r *plane.Renderer, dst *image.RGBA, data []float32, cells []Cell, opt Options) {
	opt = opt.defaults(len(cells))
	size := dst.Rect.Size()
	lo, hi := 8, max(8, min(size.X, size.Y))
	for lo < hi { // the largest panel side whose layout fits
		mid := (lo + hi + 1) / 2
		if l := layoutFor(r, len(cells), opt, mid); l.w <= size.X && l.h <= size.Y {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	l := layoutFor(r, len(cells), opt, lo)
	draw.Draw(dst, dst.Rect, image.NewUniform(paper), image.Point{}, draw.Src)
	l.draw(r, dst, dst.Rect.Min.Add(image.Pt((size.X-l.w)/2, (size.Y-l.h)/2)), data, cells, opt)
}

// defaults fills the zero fields of o for n panels.
func (o Options) defaults(n int) Options {
	if o.CellSize <= 0 {
		o.CellSize = 340
	}
	if o.Columns <= 0 {
		o.Columns = Columns(n)
	}
	if o.View == ([4]float64{}) {
		o.View = [4]float64{-1.45, 1.45, -1.45, 1.45}
	}
	return o
}

// figLayout is the geometry of a picture of panels of side cs.
type figLayout struct {
	cols, cs, gap, margin int
	titleSize, subSize    float32
	title, sub            []string // the title's and the subtitle's lines
	head                  float32  // height of the title and subtitle
	w, h                  int
}

func layoutFor(r *plane.Renderer, n int, opt Options, cs int) figLayout {
	l := figLayout{cs: cs, cols: max(1, min(opt.Columns, n))}
	rows := max(1, (n+l.cols-1)/l.cols)
	l.gap, l.margin = max(8, cs/28), max(16, cs/14)
	l.w = 2*l.margin + l.cols*cs + (l.cols-1)*l.gap
	l.titleSize, l.subSize = float32(cs)/15, float32(cs)/23
	l.title = r.Wrap(opt.Title, l.titleSize, float32(l.w-2*l.margin))
	l.sub = r.Wrap(opt.Subtitle, l.subSize, float32(l.w-2*l.margin))
	l.head += float32(len(l.title)) * l.titleSize * 1.3
	l.head += float32(len(l.sub)) * l.subSize * 1.45
	if l.head > 0 {
		l.head += float32(cs) / 22
	}
	l.h = 2*l.margin + int(l.head) + rows*cs + (rows-1)*l.gap
	return l
}

// draw draws the title, subtitle and panels with the picture's top-left corner at org.
func (l figLayout) draw(r *plane.Renderer, img *image.RGBA, org image.Point, data []float32, cells []Cell, opt Options) {
	draw.Draw(img, image.Rectangle{Min: org, Max: org.Add(image.Pt(l.w, l.h))}, image.NewUniform(paper), image.Point{}, draw.Src)
	x0, y := float32(org.X+l.margin), float32(org.Y+l.margin)
	for i, line := range l.title {
		if i > 0 {
			y += l.titleSize * 0.3
		}
		y += l.titleSize
		r.DrawText(img, x0, y, line, plane.TextStyle{Size: l.titleSize, Color: ink})
	}
	if len(l.title) > 0 {
		y += l.titleSize * 0.3
	}
	for _, line := range l.sub {
		y += l.subSize * 1.45
		r.DrawText(img, x0, y, line, plane.TextStyle{Size: l.subSize, Color: softInk})
	}
	for i := range cells {
		x := org.X + l.margin + (i%l.cols)*(l.cs+l.gap)
		yy := org.Y + l.margin + int(l.head) + (i/l.cols)*(l.cs+l.gap)
		DrawCell(r, img, image.Rect(x, yy, x+l.cs, yy+l.cs), data, &cells[i], opt.View)
	}
}

// Curves returns a flow's learned curve for a panel: Core is f⁻¹((t, 0)) for t from lo to
// hi (the data's h_M range, quality.Result.Lo and Hi), and Tails the curve for t one range
// length beyond either end. A non-finite or empty range gives no curve.
func Curves(f *flow.MFlow, lo, hi float64) (core []float32, tails [][]float32) {
	return CurvesN(f, lo, hi, 3000, 1500)
}
