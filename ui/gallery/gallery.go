// Package gallery draws a contact sheet of attacked CIFAR-10 images into an *image.RGBA on the
// CPU: one row of tiles per sample — the original, the adversarial image, the perturbation
// amplified around mid-grey and the projection the defence classifies — each upscaled with
// crisp nearest-neighbour pixels, with the predicted class and confidence under every tile
// (green when right, red when wrong) and the sample's case A–D as a badge. It uses the plane
// package's text and badges and has no window dependency.
package gallery

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strings"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/ui/charts"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// Side is the image side in pixels and Pixels the length of one image row (3 colour planes of
// Side×Side values in [0, 1], in (channel, row, column) order, as sim/cifar stores them).
const (
	Side   = 32
	Pixels = 3 * Side * Side
)

// Pred is a classifier's answer for one tile: the class and the probability it gave it; a
// negative class is no answer yet (pages and the detail view leave its caption out).
type Pred struct {
	Class int32
	Conf  float32
}

// Sample is one attacked image: the three pictures (each Pixels values in [0, 1]), the
// classifier's answer for each, the true label, the case of the defence and the record's
// index in its file (shown as #Index).
type Sample struct {
	Index              int
	Label              int32
	Orig, Adv, Proj    []float32
	OrigP, AdvP, ProjP Pred
	Case               attack.Case
	Stale              bool // the attack's results are of earlier settings (DrawPage washes them out)
}

// Options set the sheet's text and layout. Zero fields take defaults.
type Options struct {
	Title    string   // first line, e.g. the attack and the defence
	Subtitle []string // further lines, e.g. the accuracies
	Classes  []string // class names by label (default: "class k")
	Scale    int      // nearest-neighbour upscaling of every image (default 3)
	Columns  int      // samples side by side (default 3, fewer when there are fewer samples)
	Amplify  float32  // perturbation gain (default: AutoAmplify of the samples)
}

// Palette: paper white, dark ink, verdict green and red as in ui/grid (they differ in
// lightness, so they stay apart for the common colour-vision deficiencies).
var (
	paper   = color.NRGBA{255, 255, 255, 255}
	ink     = color.NRGBA{30, 30, 34, 255}
	softInk = color.NRGBA{88, 88, 96, 255}
	frame   = color.NRGBA{205, 205, 200, 255}
	right   = color.NRGBA{27, 122, 62, 255}
	wrong   = color.NRGBA{192, 40, 40, 255}
)

// caseColours returns the badge background and text colour of a case: the fills of the
// cases chart (ui/charts), so a sheet and a chart read alike.
func caseColours(c attack.Case) (bg, fg color.NRGBA) {
	if c < attack.CaseA || c > attack.CaseD {
		return softInk, paper
	}
	bg = charts.DefaultStyle().Cases[c-attack.CaseA]
	if c == attack.CaseD {
		return bg, ink
	}
	return bg, paper
}

// AutoAmplify returns the perturbation gain for samples: the power of two nearest to
// 0.5/max|adv − orig| (so the largest change nearly spans black to white), in [1, 256]; 1
// when nothing changed.
func AutoAmplify(samples []Sample) float32 {
	var m float64
	for i := range samples {
		s := &samples[i]
		for j := range min(len(s.Orig), len(s.Adv)) {
			if d := math.Abs(float64(s.Adv[j] - s.Orig[j])); d > m {
				m = d
			}
		}
	}
	if !(m > 0) {
		return 1
	}
	k := math.Round(math.Log2(0.5 / m))
	return float32(math.Pow(2, max(0, min(8, k))))
}

// toByte maps a value in [0, 1] to a colour byte, rounding; out-of-range values clamp and NaN
// is black.
func toByte(v float32) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(v*255 + 0.5)
}

// DrawImage draws the image px (Pixels values in [0, 1], (channel, row, column) order) into
// dst with its top-left corner at pt, every pixel a scale×scale square (nearest-neighbour).
// It panics when px has the wrong length or scale < 1.
func DrawImage(dst *image.RGBA, pt image.Point, px []float32, scale int) {
	if len(px) != Pixels || scale < 1 {
		panic(fmt.Sprintf("gallery: DrawImage of %d values at scale %d, want %d values and scale ≥ 1", len(px), scale, Pixels))
	}
	drawPlanes(dst, pt, scale, func(c, i int) uint8 { return toByte(px[c*Side*Side+i]) })
}

// DrawPerturbation draws gain·(adv − orig) around mid-grey into dst at pt like DrawImage:
// no change is grey 128, brighter channels are the ones the attack raised. It panics when
// the rows have the wrong length or scale < 1.
func DrawPerturbation(dst *image.RGBA, pt image.Point, orig, adv []float32, gain float32, scale int) {
	if len(orig) != Pixels || len(adv) != Pixels || scale < 1 {
		panic(fmt.Sprintf("gallery: DrawPerturbation of %d and %d values at scale %d, want %d values and scale ≥ 1", len(orig), len(adv), scale, Pixels))
	}
	drawPlanes(dst, pt, scale, func(c, i int) uint8 {
		j := c*Side*Side + i
		return toByte(0.5 + gain*(adv[j]-orig[j]))
	})
}

// drawPlanes fills the scaled image whose channel c at pixel i (row-major) has byte v(c, i),
// clipped to dst.
func drawPlanes(dst *image.RGBA, pt image.Point, scale int, v func(c, i int) uint8) {
	for y := range Side * scale {
		py := pt.Y + y
		if py < dst.Rect.Min.Y || py >= dst.Rect.Max.Y {
			continue
		}
		row := (y / scale) * Side
		for x := range Side * scale {
			px := pt.X + x
			if px < dst.Rect.Min.X || px >= dst.Rect.Max.X {
				continue
			}
			i := row + x/scale
			o := dst.PixOffset(px, py)
			dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2], dst.Pix[o+3] = v(0, i), v(1, i), v(2, i), 255
		}
	}
}

// layout holds the sizes of one sheet in pixels.
type layout struct {
	tile, gap, head, caption, blockW, blockH, colGap, rowGap, margin int
	text, small, title                                               float32
}

func newLayout(scale int) layout {
	t := Side * scale
	f := float32(t) / 8 // text size: 12 px at scale 3
	l := layout{tile: t, gap: max(4, t/16), text: f, small: f * 0.92, title: f * 1.35}
	l.head = int(f * 1.9)
	l.caption = int(f * 1.6)
	l.blockW = 4*t + 3*l.gap
	l.blockH = l.head + t + l.caption
	l.colGap, l.rowGap, l.margin = max(12, t/4), max(8, t/8), max(14, t/6)
	return l
}

// Render draws the samples as a sheet and returns it. Every image row must hold Pixels
// values; a wrong length panics.
func Render(samples []Sample, opt Options) *image.RGBA {
	for i := range samples {
		s := &samples[i]
		if len(s.Orig) != Pixels || len(s.Adv) != Pixels || len(s.Proj) != Pixels {
			panic(fmt.Sprintf("gallery: sample %d has images of %d, %d and %d values, want %d each", i, len(s.Orig), len(s.Adv), len(s.Proj), Pixels))
		}
	}
	if opt.Scale <= 0 {
		opt.Scale = 3
	}
	if opt.Columns <= 0 {
		opt.Columns = 3
	}
	if !(opt.Amplify > 0) {
		opt.Amplify = AutoAmplify(samples)
	}
	l := newLayout(opt.Scale)
	cols := max(1, min(opt.Columns, len(samples)))
	rows := max(1, (len(samples)+cols-1)/cols)
	w := 2*l.margin + cols*l.blockW + (cols-1)*l.colGap
	r := plane.NewRenderer()

	// Heading: title, subtitle lines (wrapped), the case legend, then the column names.
	var lines []string
	for _, s := range opt.Subtitle {
		lines = append(lines, r.Wrap(s, l.text, float32(w-2*l.margin))...)
	}
	head := 0
	if opt.Title != "" {
		head += int(l.title * 1.5)
	}
	head += int(float32(len(lines)) * l.text * 1.5)
	legendLines := legend(r, nil, float32(l.margin), 0, l.text, float32(w-l.margin))
	head += int(l.text * (1.2 + 1.7*float32(legendLines))) // legend
	head += int(l.text * 2.4)                              // column names
	h := 2*l.margin + head + rows*l.blockH + (rows-1)*l.rowGap
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(paper), image.Point{}, draw.Src)

	y := float32(l.margin)
	if opt.Title != "" {
		y += l.title
		r.DrawText(img, float32(l.margin), y, opt.Title, plane.TextStyle{Size: l.title, Color: ink})
		y += l.title * 0.5
	}
	for _, s := range lines {
		y += l.text * 1.5
		r.DrawText(img, float32(l.margin), y, s, plane.TextStyle{Size: l.text, Color: softInk})
	}
	y += l.text * 1.9
	legend(r, img, float32(l.margin), y-l.text*0.35, l.text, float32(w-l.margin))
	y += l.text*1.7*float32(legendLines-1) + l.text*2.6
	gain := fmt.Sprintf("×%g", opt.Amplify)
	names := [4]string{"original", "adversarial", "perturbation " + gain, "projected"}
	for c := range cols {
		x0 := l.margin + c*(l.blockW+l.colGap)
		for k, name := range names {
			cx := float32(x0 + k*(l.tile+l.gap) + l.tile/2)
			r.DrawText(img, cx, y-l.text*0.3, name, plane.TextStyle{Size: l.small, Color: ink, Align: plane.AlignCenter})
		}
	}
	top := l.margin + head
	for i := range samples {
		x0 := l.margin + (i%cols)*(l.blockW+l.colGap)
		y0 := top + (i/cols)*(l.blockH+l.rowGap)
		block(r, img, image.Pt(x0, y0), &samples[i], opt, l, gain)
	}
	return img
}

// legend draws the four case badges with their meaning from (x, y), starting a new line
// whenever the next entry would pass maxX, and returns the number of lines; img nil only
// measures.
func legend(r *plane.Renderer, img *image.RGBA, x, y, size, maxX float32) int {
	labels := charts.CaseLabels(true)
	x0, lines := x, 1
	for k := range 4 {
		c := attack.CaseA + attack.Case(k)
		text := strings.TrimSpace(labels[k][1:])
		tw, _ := r.MeasureText(text, size*0.92)
		if x > x0 && x+size*1.5+tw > maxX {
			x, y, lines = x0, y+size*1.7, lines+1
		}
		if img != nil {
			bg, fg := caseColours(c)
			r.DrawBadge(img, x+size*0.6, y, c.String(), size*0.85, bg, fg)
			r.DrawText(img, x+size*1.5, y, text, plane.TextStyle{Size: size * 0.92, Color: softInk, Middle: true})
		}
		x += size*1.5 + tw + size*1.6
	}
	return lines
}

// block draws one sample: a header with the case badge, the record index and the true class,
// then the four tiles with their captions.
func block(r *plane.Renderer, img *image.RGBA, at image.Point, s *Sample, opt Options, l layout, gain string) {
	x, y := float32(at.X), float32(at.Y)
	bg, fg := caseColours(s.Case)
	r.DrawBadge(img, x+l.text*0.6, y+float32(l.head)*0.5, s.Case.String(), l.text*0.85, bg, fg)
	r.DrawText(img, x+l.text*1.5, y+float32(l.head)*0.5,
		fmt.Sprintf("#%d · true: %s", s.Index, className(opt.Classes, s.Label)),
		plane.TextStyle{Size: l.text, Color: ink, Middle: true})

	ty := at.Y + l.head
	tiles := [4]image.Point{}
	for k := range tiles {
		tiles[k] = image.Pt(at.X+k*(l.tile+l.gap), ty)
		rc := image.Rectangle{Min: tiles[k], Max: tiles[k].Add(image.Pt(l.tile, l.tile))}
		draw.Draw(img, rc.Inset(-1), image.NewUniform(frame), image.Point{}, draw.Src)
	}
	DrawImage(img, tiles[0], s.Orig, opt.Scale)
	DrawImage(img, tiles[1], s.Adv, opt.Scale)
	DrawPerturbation(img, tiles[2], s.Orig, s.Adv, opt.Amplify, opt.Scale)
	DrawImage(img, tiles[3], s.Proj, opt.Scale)

	cy := float32(ty+l.tile) + float32(l.caption)*0.62
	preds := [4]*Pred{&s.OrigP, &s.AdvP, nil, &s.ProjP}
	for k, p := range preds {
		cx := float32(tiles[k].X + l.tile/2)
		var text string
		col := softInk
		if p == nil {
			text = "L∞ " + linf(s.Orig, s.Adv)
		} else {
			text = fmt.Sprintf("%s %.0f%%", className(opt.Classes, p.Class), 100*p.Conf)
			col = wrong
			if p.Class == s.Label {
				col = right
			}
		}
		size := fit(r, text, l.small, float32(l.tile+l.gap-2))
		r.DrawText(img, cx, cy, text, plane.TextStyle{Size: size, Color: col, Align: plane.AlignCenter, Middle: true})
	}
}

// linf writes the largest change of a pixel channel in grey levels, like "8/255".
func linf(orig, adv []float32) string {
	var m float32
	for j := range orig {
		m = max(m, float32(math.Abs(float64(adv[j]-orig[j]))))
	}
	return fmt.Sprintf("%.3g/255", m*255)
}

// className returns the name of class k, or "class k" when there is none.
func className(classes []string, k int32) string {
	if k >= 0 && int(k) < len(classes) && classes[k] != "" {
		return classes[k]
	}
	return fmt.Sprintf("class %d", k)
}

// fit returns size, shrunk (to at most 30 % less) until text is at most width pixels wide.
func fit(r *plane.Renderer, text string, size, width float32) float32 {
	for s := size; s >= size*0.7; s -= 0.5 {
		if tw, _ := r.MeasureText(text, s); tw <= width {
			return s
		}
	}
	return size * 0.7
}
