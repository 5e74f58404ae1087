package widgets

import (
	"hash/fnv"
	"image"
	"image/color"
	"math"
)

// cmdKind is the kind of one drawing command.
type cmdKind uint8

const (
	cmdFill   cmdKind = iota // rectangle, optionally with rounded corners
	cmdBorder                // 1-pixel outline, optionally rounded
	cmdText                  // a line of text
	cmdCheck                 // a check mark
)

// cmd is one drawing command of a List.
type cmd struct {
	kind cmdKind
	r    image.Rectangle
	rad  int
	c    color.NRGBA
	face *Face
	s    string
	x, y int
}

// List is a display list: the drawing commands of one surface, recorded every frame and
// rendered into the surface's image only when they differ from the last rendered ones.
type List struct {
	cmds []cmd
}

// Reset empties the list.
func (l *List) Reset() { l.cmds = l.cmds[:0] }

// Fill fills r with c, rounding the corners by rad pixels.
func (l *List) Fill(r image.Rectangle, rad int, c color.NRGBA) {
	if c.A > 0 && !r.Empty() {
		l.cmds = append(l.cmds, cmd{kind: cmdFill, r: r, rad: rad, c: c})
	}
}

// Border outlines r with a 1-pixel line of colour c inside r, rounding the corners by rad.
func (l *List) Border(r image.Rectangle, rad int, c color.NRGBA) {
	if c.A > 0 && !r.Empty() {
		l.cmds = append(l.cmds, cmd{kind: cmdBorder, r: r, rad: rad, c: c})
	}
}

// Box fills r with bg and outlines it with border.
func (l *List) Box(r image.Rectangle, rad int, bg, border color.NRGBA) {
	l.Fill(r, rad, bg)
	l.Border(r, rad, border)
}

// Text draws s with face f, its baseline at y, from x; clipped to clip (empty: no clip).
func (l *List) Text(f *Face, x, y int, s string, c color.NRGBA, clip image.Rectangle) {
	if s != "" && c.A > 0 {
		l.cmds = append(l.cmds, cmd{kind: cmdText, face: f, x: x, y: y, s: s, c: c, r: clip})
	}
}

// Check draws a check mark filling r.
func (l *List) Check(r image.Rectangle, c color.NRGBA) {
	l.cmds = append(l.cmds, cmd{kind: cmdCheck, r: r, c: c})
}

// key hashes the commands: equal lists draw equal pictures.
func (l *List) key(w, h int) uint64 {
	hh := fnv.New64a()
	var b [64]byte
	put := func(i int, v int) { b[i], b[i+1], b[i+2], b[i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) }
	put(0, w)
	put(4, h)
	hh.Write(b[:8])
	for i := range l.cmds {
		c := &l.cmds[i]
		b[0] = byte(c.kind)
		put(1, c.r.Min.X)
		put(5, c.r.Min.Y)
		put(9, c.r.Max.X)
		put(13, c.r.Max.Y)
		put(17, c.rad)
		b[21], b[22], b[23], b[24] = c.c.R, c.c.G, c.c.B, c.c.A
		put(25, c.x)
		put(29, c.y)
		p := uintptr(0)
		if c.face != nil {
			p = uintptr(c.face.Height)<<32 | uintptr(c.face.Ascent)
		}
		put(33, int(p))
		put(37, int(p>>32))
		put(41, len(c.s))
		hh.Write(b[:45])
		hh.Write([]byte(c.s))
	}
	return hh.Sum64()
}

// render draws the commands into dst in order.
func (l *List) render(dst *image.RGBA) {
	for i := range l.cmds {
		c := &l.cmds[i]
		switch c.kind {
		case cmdFill:
			fillRRect(dst, c.r, float64(c.rad), c.c)
		case cmdBorder:
			borderRRect(dst, c.r, float64(c.rad), c.c)
		case cmdText:
			clip := dst.Rect
			if !c.r.Empty() {
				clip = clip.Intersect(c.r)
			}
			c.face.Draw(dst, clip, c.x, c.y, c.s, c.c)
		case cmdCheck:
			drawCheck(dst, c.r, c.c)
		}
	}
}

// blend composites colour c with coverage a (0..1) over the pixel at offset i.
func blend(p []uint8, c color.NRGBA, a float64) {
	al := float64(c.A) / 255 * a
	if al <= 0 {
		return
	}
	inv := 1 - al
	p[0] = uint8(float64(c.R)*al + float64(p[0])*inv + 0.5)
	p[1] = uint8(float64(c.G)*al + float64(p[1])*inv + 0.5)
	p[2] = uint8(float64(c.B)*al + float64(p[2])*inv + 0.5)
	p[3] = uint8(255*al + float64(p[3])*inv + 0.5)
}

// coverRRect returns the coverage of pixel (x, y) by the rounded rectangle r with radius
// rad (1 inside, 0 outside, antialiased at the corners).
func coverRRect(r image.Rectangle, rad float64, x, y int) float64 {
	if rad <= 0 {
		return 1
	}
	px, py := float64(x)+0.5, float64(y)+0.5
	cx := math.Max(float64(r.Min.X)+rad, math.Min(float64(r.Max.X)-rad, px))
	cy := math.Max(float64(r.Min.Y)+rad, math.Min(float64(r.Max.Y)-rad, py))
	d := math.Hypot(px-cx, py-cy)
	return math.Max(0, math.Min(1, rad-d+0.5))
}

// fillRRect fills r (clipped to dst) with c; rows away from the corners are solid spans.
func fillRRect(dst *image.RGBA, r image.Rectangle, rad float64, c color.NRGBA) {
	cr := r.Intersect(dst.Rect)
	if cr.Empty() {
		return
	}
	rad = math.Min(rad, float64(min(r.Dx(), r.Dy()))/2)
	ir := int(math.Ceil(rad))
	for y := cr.Min.Y; y < cr.Max.Y; y++ {
		row := dst.Pix[dst.PixOffset(cr.Min.X, y):]
		corner := y < r.Min.Y+ir || y >= r.Max.Y-ir
		for x := cr.Min.X; x < cr.Max.X; x++ {
			p := row[4*(x-cr.Min.X):]
			if corner && (x < r.Min.X+ir || x >= r.Max.X-ir) {
				blend(p, c, coverRRect(r, rad, x, y))
			} else if c.A == 255 {
				p[0], p[1], p[2], p[3] = c.R, c.G, c.B, 255
			} else {
				blend(p, c, 1)
			}
		}
	}
}

// borderRRect draws the 1-pixel inner outline of the rounded rectangle r.
func borderRRect(dst *image.RGBA, r image.Rectangle, rad float64, c color.NRGBA) {
	cr := r.Intersect(dst.Rect)
	if cr.Empty() {
		return
	}
	rad = math.Min(rad, float64(min(r.Dx(), r.Dy()))/2)
	in := r.Inset(1)
	ir := int(math.Ceil(rad))
	for y := cr.Min.Y; y < cr.Max.Y; y++ {
		row := dst.Pix[dst.PixOffset(cr.Min.X, y):]
		edgeRow := y == r.Min.Y || y == r.Max.Y-1
		corner := y < r.Min.Y+ir || y >= r.Max.Y-ir
		for x := cr.Min.X; x < cr.Max.X; x++ {
			var a float64
			switch {
			case corner && (x < r.Min.X+ir || x >= r.Max.X-ir):
				a = coverRRect(r, rad, x, y) - coverRRect(in, math.Max(0, rad-1), x, y)
			case edgeRow || x == r.Min.X || x == r.Max.X-1:
				a = 1
			default:
				continue
			}
			blend(row[4*(x-cr.Min.X):], c, math.Max(0, a))
		}
	}
}

// drawCheck draws a check mark (two strokes) inside r.
func drawCheck(dst *image.RGBA, r image.Rectangle, c color.NRGBA) {
	w, h := float64(r.Dx()), float64(r.Dy())
	ox, oy := float64(r.Min.X), float64(r.Min.Y)
	pts := [3][2]float64{{ox + 0.22*w, oy + 0.52*h}, {ox + 0.42*w, oy + 0.72*h}, {ox + 0.78*w, oy + 0.30*h}}
	hw := math.Max(1, w/9)
	cr := r.Intersect(dst.Rect)
	for y := cr.Min.Y; y < cr.Max.Y; y++ {
		for x := cr.Min.X; x < cr.Max.X; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			d := math.Min(segDist(px, py, pts[0], pts[1]), segDist(px, py, pts[1], pts[2]))
			if a := math.Min(1, hw-d+0.5); a > 0 {
				blend(dst.Pix[dst.PixOffset(x, y):], c, a)
			}
		}
	}
}

// segDist returns the distance from (px, py) to the segment a–b.
func segDist(px, py float64, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := ((px-a[0])*dx + (py-a[1])*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(px-a[0]-t*dx, py-a[1]-t*dy)
}

// Underlay records with draw and moves those commands before everything recorded so far,
// e.g. to put a card under text laid out before the card's size was known.
func (l *List) Underlay(draw func(l *List)) {
	n := len(l.cmds)
	draw(l)
	added := append([]cmd(nil), l.cmds[n:]...)
	copy(l.cmds[len(added):], l.cmds[:n])
	copy(l.cmds, added)
}
