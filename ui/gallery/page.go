package gallery

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"github.com/mflowlab/mflowlab/ui/plane"
)

// PageSize is the number of samples on one page of the app's gallery.
const PageSize = 24

// PageLayout places a page of samples in a picture: Cols×Rows blocks, each a header (case
// badge, index, true class), four square tiles of Tile pixels side by side and a caption
// line under them. Sizes follow Scale (pixels per dp, 1 at 96 dpi).
type PageLayout struct {
	Size       image.Point       // the picture
	Cols, Rows int               // blocks across and down
	Tile       int               // side of one tile in pixels
	Gap        int               // between the tiles of a block
	Head       int               // header height above the tiles
	Caption    int               // caption height under the tiles
	Text       float32           // caption text size in pixels
	Blocks     []image.Rectangle // one per sample slot, in page order
}

// NewPageLayout returns the layout of n samples (at most PageSize are placed) in a picture
// of size, choosing the number of columns (2 to 4) that gives the largest tiles. Tiles of
// 64 pixels or more are whole multiples of 32, so every image pixel is a square of
// the same size; smaller tiles are nearest-neighbour too, with pixels one unit apart.
func NewPageLayout(size image.Point, n int, scale float32) PageLayout {
	if !(scale > 0) {
		scale = 1
	}
	n = max(1, min(n, PageSize))
	l := PageLayout{Size: size}
	l.Text = 11 * scale
	l.Head = int(19 * scale)
	l.Caption = int(17 * scale)
	l.Gap = max(2, int(4*scale))
	margin, colGap, rowGap := int(10*scale), int(14*scale), int(7*scale)
	best := -1
	for cols := 2; cols <= 4; cols++ {
		rows := (n + cols - 1) / cols
		if n <= 4 {
			rows = 1
			cols = n
		}
		bw := (size.X - 2*margin - (cols-1)*colGap) / cols
		tw := (bw - 3*l.Gap) / 4
		bh := (size.Y - 2*margin - (rows-1)*rowGap) / rows
		th := bh - l.Head - l.Caption
		t := min(tw, th)
		if t > best {
			best, l.Cols, l.Rows = t, cols, rows
		}
		if n <= 4 {
			break
		}
	}
	t := max(8, best)
	if t >= 64 {
		t -= t % Side
	}
	l.Tile = t
	bw := 4*t + 3*l.Gap
	bh := l.Head + t + l.Caption
	w := l.Cols*bw + (l.Cols-1)*colGap
	x0, y0 := max(margin, (size.X-w)/2), margin
	for i := range n {
		x := x0 + (i%l.Cols)*(bw+colGap)
		y := y0 + (i/l.Cols)*(bh+rowGap)
		l.Blocks = append(l.Blocks, image.Rect(x, y, x+bw, y+bh))
	}
	return l
}

// At returns the slot of the block under pixel p, or −1.
func (l PageLayout) At(p image.Point) int {
	for i, b := range l.Blocks {
		if p.In(b) {
			return i
		}
	}
	return -1
}

// TileRect returns tile k (0 original, 1 adversarial, 2 perturbation, 3 projected) of
// slot i.
func (l PageLayout) TileRect(i, k int) image.Rectangle {
	b := l.Blocks[i]
	p := image.Pt(b.Min.X+k*(l.Tile+l.Gap), b.Min.Y+l.Head)
	return image.Rectangle{Min: p, Max: p.Add(image.Pt(l.Tile, l.Tile))}
}

// PageOptions set what a page shows besides its samples.
type PageOptions struct {
	Classes  []string // class names by label
	Amplify  float32  // perturbation gain (default: AutoAmplify of the page's samples)
	Selected int      // slot drawn with a selection frame, −1 for none
	Waiting  string   // caption of pending samples (default "attacking…")
	BG       color.NRGBA
}

// Pending reports whether s is still being attacked: it has its original but no
// adversarial or projected image yet.
func (s *Sample) Pending() bool { return len(s.Adv) != Pixels || len(s.Proj) != Pixels }

// DrawPage draws samples (at most len(l.Blocks)) into dst as laid out by l: per sample a
// header, the four tiles — original, adversarial, perturbation ×gain around grey, projected —
// and the class and confidence under each (green when right, red when wrong). A pending
// sample (Sample.Pending) shows its original and hatched placeholders. Every Orig must hold
// Pixels values; a wrong length panics.
func DrawPage(r *plane.Renderer, dst *image.RGBA, l PageLayout, samples []Sample, opt PageOptions) {
	for i := range samples {
		if len(samples[i].Orig) != Pixels {
			panic(fmt.Sprintf("gallery: DrawPage: sample %d has an original of %d values, want %d", i, len(samples[i].Orig), Pixels))
		}
	}
	bg := opt.BG
	if bg.A == 0 {
		bg = paper
	}
	draw.Draw(dst, dst.Rect, image.NewUniform(bg), image.Point{}, draw.Src)
	if !(opt.Amplify > 0) {
		var done []Sample
		for _, s := range samples {
			if !s.Pending() {
				done = append(done, s)
			}
		}
		opt.Amplify = AutoAmplify(done)
	}
	for i := range min(len(samples), len(l.Blocks)) {
		drawSlot(r, dst, l, i, &samples[i], opt)
	}
}

// drawSlot draws sample s in slot i.
func drawSlot(r *plane.Renderer, dst *image.RGBA, l PageLayout, i int, s *Sample, opt PageOptions) {
	b := l.Blocks[i]
	if i == opt.Selected {
		sel := color.NRGBA{59, 111, 182, 255}
		fillRect(dst, b.Inset(-4), sel)
		fillRect(dst, b.Inset(-1), paper)
	} else {
		fillRect(dst, b.Inset(-1), paper)
	}
	x, y := float32(b.Min.X), float32(b.Min.Y)
	mid := y + float32(l.Head)*0.45
	if !s.Pending() && !s.Stale {
		bgc, fg := caseColours(s.Case)
		r.DrawBadge(dst, x+l.Text*0.75, mid, s.Case.String(), l.Text*0.85, bgc, fg)
	}
	head := fmt.Sprintf("#%d · %s", s.Index, className(opt.Classes, s.Label))
	hs := fit(r, head, l.Text, float32(b.Dx())-l.Text*2)
	r.DrawText(dst, x+l.Text*1.7, mid, head, plane.TextStyle{Size: hs, Color: ink, Middle: true})
	for k := range 4 {
		tr := l.TileRect(i, k)
		drawTile(dst, tr, s, k, opt.Amplify)
		if k > 0 && s.Stale && !s.Pending() {
			veil(dst, tr)
		}
		cx := float32(tr.Min.X) + float32(l.Tile)/2
		cy := float32(tr.Max.Y) + float32(l.Caption)*0.55
		var text string
		col := softInk
		switch {
		case k == 2 && s.Stale && !s.Pending():
			text = "updating…"
		case k == 2 && !s.Pending():
			text = fmt.Sprintf("×%g", opt.Amplify)
		case k == 2:
			text = opt.Waiting
			if text == "" {
				text = "attacking…"
			}
		default:
			p := [4]*Pred{&s.OrigP, &s.AdvP, nil, &s.ProjP}[k]
			if (k > 0 && s.Pending()) || p.Class < 0 {
				continue // not computed yet
			}
			name := className(opt.Classes, p.Class)
			text = fmt.Sprintf("%s %.0f%%", name, 100*p.Conf)
			if tw, _ := r.MeasureText(text, l.Text*0.85); tw > float32(l.Tile+l.Gap-1) {
				text = fmt.Sprintf("%s %.0f%%", shortName(name), 100*p.Conf) // keep it legible
			}
			col = wrong
			if p.Class == s.Label {
				col = right
			}
			if k > 0 && s.Stale {
				col = frame
			}
		}
		size := fit(r, text, l.Text*0.95, float32(l.Tile+l.Gap-1))
		r.DrawText(dst, cx, cy, text, plane.TextStyle{Size: size, Color: col, Align: plane.AlignCenter, Middle: true})
	}
}

// shortName abbreviates CIFAR-10's two long class names for narrow captions.
func shortName(name string) string {
	switch name {
	case "automobile":
		return "car"
	case "airplane":
		return "plane"
	}
	return name
}

// DrawImageRect draws the image px (Pixels values in [0, 1]) scaled to fill rect with
// nearest-neighbour sampling, clipped to dst. It panics when px has the wrong length.
func DrawImageRect(dst *image.RGBA, rect image.Rectangle, px []float32) {
	if len(px) != Pixels {
		panic(fmt.Sprintf("gallery: DrawImageRect of %d values, want %d", len(px), Pixels))
	}
	drawPlanesRect(dst, rect, func(c, i int) uint8 { return toByte(px[c*Side*Side+i]) })
}

// drawPerturbationRect draws gain·(adv − orig) around mid-grey scaled to fill rect.
func drawPerturbationRect(dst *image.RGBA, rect image.Rectangle, orig, adv []float32, gain float32) {
	drawPlanesRect(dst, rect, func(c, i int) uint8 {
		j := c*Side*Side + i
		return toByte(0.5 + gain*(adv[j]-orig[j]))
	})
}

// drawPlanesRect fills rect with the image whose channel c at pixel i has byte v(c, i),
// nearest-neighbour: picture pixel (x, y) shows image pixel (x·Side/w, y·Side/h).
func drawPlanesRect(dst *image.RGBA, rect image.Rectangle, v func(c, i int) uint8) {
	w, h := rect.Dx(), rect.Dy()
	if w <= 0 || h <= 0 {
		return
	}
	clip := rect.Intersect(dst.Rect)
	for py := clip.Min.Y; py < clip.Max.Y; py++ {
		row := ((py - rect.Min.Y) * Side / h) * Side
		o := dst.PixOffset(clip.Min.X, py)
		for px := clip.Min.X; px < clip.Max.X; px++ {
			i := row + (px-rect.Min.X)*Side/w
			dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2], dst.Pix[o+3] = v(0, i), v(1, i), v(2, i), 255
			o += 4
		}
	}
}

// drawTile draws tile k of s (original, adversarial, perturbation ×gain, projected) into r
// with its frame; a pending sample's computed tiles are hatched.
func drawTile(dst *image.RGBA, r image.Rectangle, s *Sample, k int, gain float32) {
	fillRect(dst, r.Inset(-1), frame)
	switch {
	case k == 0:
		DrawImageRect(dst, r, s.Orig)
	case s.Pending():
		hatch(dst, r)
	case k == 1:
		DrawImageRect(dst, r, s.Adv)
	case k == 2:
		drawPerturbationRect(dst, r, s.Orig, s.Adv, gain)
	default:
		DrawImageRect(dst, r, s.Proj)
	}
}

// veil washes out r: results of earlier settings, still shown while new ones are computed.
func veil(dst *image.RGBA, r image.Rectangle) {
	c := r.Intersect(dst.Rect)
	for y := c.Min.Y; y < c.Max.Y; y++ {
		o := dst.PixOffset(c.Min.X, y)
		for x := c.Min.X; x < c.Max.X; x++ {
			for k := range 3 {
				dst.Pix[o+k] = uint8((uint32(dst.Pix[o+k])*2 + 3*255) / 5)
			}
			o += 4
		}
	}
}

// hatch fills r with light diagonal stripes: a tile still being computed.
func hatch(dst *image.RGBA, r image.Rectangle) {
	c := r.Intersect(dst.Rect)
	for y := c.Min.Y; y < c.Max.Y; y++ {
		o := dst.PixOffset(c.Min.X, y)
		for x := c.Min.X; x < c.Max.X; x++ {
			v := uint8(236)
			if (x+y)/6%2 == 0 {
				v = 246
			}
			dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2], dst.Pix[o+3] = v, v, v, 255
			o += 4
		}
	}
}

// fillRect fills r (clipped to dst) with the opaque colour c.
func fillRect(dst *image.RGBA, r image.Rectangle, c color.NRGBA) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Src)
}
