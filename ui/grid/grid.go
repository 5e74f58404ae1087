// Package grid draws many training runs as small multiples into an *image.RGBA on the CPU:
// one panel per run with the data faint, the learned curve bold (thin and light beyond the
// data's ends), the run's seed, its verdict as a coloured badge and its distances. Every
// panel shows the same data box, so the panels compare at a glance. It uses the plane
// package's anti-aliased raster and text, and has no window dependency.
package grid

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strings"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
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
	if opt.CellSize <= 0 {
		opt.CellSize = 340
	}
	if opt.Columns <= 0 {
		opt.Columns = Columns(len(cells))
	}
	if opt.View == ([4]float64{}) {
		opt.View = [4]float64{-1.45, 1.45, -1.45, 1.45}
	}
	cols := max(1, min(opt.Columns, len(cells)))
	rows := max(1, (len(cells)+cols-1)/cols)
	cs := opt.CellSize
	gap, margin := max(8, cs/28), max(16, cs/14)
	w := 2*margin + cols*cs + (cols-1)*gap
	r := plane.NewRenderer()
	titleSize, subSize := float32(cs)/15, float32(cs)/23
	sub := wrap(r, opt.Subtitle, subSize, float32(w-2*margin))
	head := float32(0)
	if opt.Title != "" {
		head += titleSize * 1.3
	}
	head += float32(len(sub)) * subSize * 1.45
	if head > 0 {
		head += float32(cs) / 22
	}
	h := 2*margin + int(head) + rows*cs + (rows-1)*gap
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(paper), image.Point{}, draw.Src)
	y := float32(margin)
	if opt.Title != "" {
		y += titleSize
		r.DrawText(img, float32(margin), y, opt.Title, plane.TextStyle{Size: titleSize, Color: ink})
		y += titleSize * 0.3
	}
	for _, line := range sub {
		y += subSize * 1.45
		r.DrawText(img, float32(margin), y, line, plane.TextStyle{Size: subSize, Color: softInk})
	}
	for i := range cells {
		x0 := margin + (i%cols)*(cs+gap)
		y0 := margin + int(head) + (i/cols)*(cs+gap)
		panel(r, img, image.Rect(x0, y0, x0+cs, y0+cs), data, &cells[i], opt.View)
	}
	return img
}

// panel draws one cell into the rectangle rc of img.
func panel(r *plane.Renderer, img *image.RGBA, rc image.Rectangle, data []float32, c *Cell, view [4]float64) {
	draw.Draw(img, rc, image.NewUniform(panelEdge), image.Point{}, draw.Src)
	inner := rc.Inset(1)
	draw.Draw(img, inner, image.NewUniform(panelBg), image.Point{}, draw.Src)
	sub := img.SubImage(inner).(*image.RGBA)
	cs := float32(rc.Dx())
	vp := plane.Fit(view[0], view[1], view[2], view[3], inner.Dx(), inner.Dy(), 0)
	r.DrawPoints(sub, vp, data, nil, []color.NRGBA{dataColour}, max(0.9, cs/380), 0.22)
	r.DrawPolylines(sub, vp, c.Tails, max(1.2, cs/300), tailCol)
	r.DrawPolyline(sub, vp, c.Core, max(2.2, cs/130), curveCol)

	label := cs / 20
	halo := color.NRGBA{248, 248, 246, 220}
	r.DrawText(sub, cs*0.04, cs*0.04+label, fmt.Sprintf("seed %d", c.Seed), plane.TextStyle{Size: label, Color: ink, Halo: halo})
	col, ok := badge[c.Verdict]
	if !ok {
		col = [2]color.NRGBA{softInk, paper}
	}
	text := c.Verdict.String()
	tw, _ := r.MeasureText(text, label*0.9)
	r.DrawBadge(sub, cs*0.96-tw/2-0.42*label*0.9, cs*0.04+label*0.62, text, label*0.9, col[0], col[1])
	small := cs / 25
	dist := fmt.Sprintf("d2m95 %.3f", c.D2M95)
	if !math.IsNaN(c.M2D95Core) {
		dist += fmt.Sprintf("   core m2d95 %.3f", c.M2D95Core)
	}
	r.DrawText(sub, cs*0.04, cs*0.955, dist, plane.TextStyle{Size: small, Color: softInk, Halo: halo})
}

// Curves returns a flow's learned curve for a panel: Core is f⁻¹((t, 0)) for t from lo to
// hi (the data's h_M range, quality.Result.Lo and Hi), and Tails the curve for t one range
// length beyond either end. A non-finite or empty range gives no curve.
func Curves(f *flow.MFlow, lo, hi float64) (core []float32, tails [][]float32) {
	if !(hi >= lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil, nil
	}
	const nCore, nTail = 3000, 1500
	span := max(hi-lo, 1e-3)
	ts := make([]float64, 0, nCore+2*nTail)
	ts = append(ts, flow.Linspace(lo-span, lo, nTail)...)
	ts = append(ts, flow.Linspace(lo, hi, nCore)...)
	ts = append(ts, flow.Linspace(hi, hi+span, nTail)...)
	h := nn.NewMat(len(ts), 2)
	for i, t := range ts {
		h.Data[2*i] = float32(t)
	}
	x, _ := f.OuterInverse(h)
	a, b := 2*nTail, 2*(nTail+nCore)
	return x.Data[a:b], [][]float32{x.Data[:a], x.Data[b:]}
}

// wrap breaks text into lines no wider than width pixels at the given size, at spaces.
func wrap(r *plane.Renderer, text string, size, width float32) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		try := word
		if line != "" {
			try = line + " " + word
		}
		if tw, _ := r.MeasureText(try, size); tw > width && line != "" {
			lines, line = append(lines, line), word
			continue
		}
		line = try
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
