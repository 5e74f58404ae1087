package plane

import (
	"encoding/binary"
	"image"
	"image/color"
)

// surface is the drawable part of a destination image: w×h pixels starting
// at the image's top-left corner, in premultiplied RGBA.
type surface struct {
	pix    []uint8
	stride int
	w, h   int
}

// newSurface returns the part of dst that is at most w×h pixels; w or h ≤ 0
// means the whole image in that direction.
func newSurface(dst *image.RGBA, w, h int) surface {
	b := dst.Rect
	if w <= 0 || w > b.Dx() {
		w = b.Dx()
	}
	if h <= 0 || h > b.Dy() {
		h = b.Dy()
	}
	if w <= 0 || h <= 0 {
		return surface{}
	}
	return surface{pix: dst.Pix[dst.PixOffset(b.Min.X, b.Min.Y):], stride: dst.Stride, w: w, h: h}
}

func viewSurface(dst *image.RGBA, vp Viewport) surface {
	if vp.W <= 0 || vp.H <= 0 {
		return surface{}
	}
	return newSurface(dst, vp.W, vp.H)
}

// paint is a colour prepared for blending: non-premultiplied channels and
// alpha, each 0..255, and the channels packed two per word for blendPix.
type paint struct {
	r, g, b, a uint32
	rb, ga     uint32 // r | b<<16 and g | 255<<16
}

func paintOf(c color.NRGBA) paint {
	r, g, b := uint32(c.R), uint32(c.G), uint32(c.B)
	return paint{r: r, g: g, b: b, a: uint32(c.A), rb: r | b<<16, ga: g | 255<<16}
}

// div255 divides x ≤ 255*255 by 255, rounding to nearest.
func div255(x uint32) uint32 {
	x += 128
	return (x + x>>8) >> 8
}

// blendPix composites the colour p with coverage alpha a (0..255, already
// including p's own alpha) over the premultiplied pixel q[0:4]. The four
// channels are computed two at a time in 16-bit lanes, each rounded as
// div255.
func blendPix(q []uint8, p paint, a uint32) {
	d := binary.LittleEndian.Uint32(q)
	rb := p.rb*a + (d&0x00ff00ff)*(255-a) + 0x00800080
	ga := p.ga*a + (d>>8&0x00ff00ff)*(255-a) + 0x00800080
	binary.LittleEndian.PutUint32(q, (rb+rb>>8&0x00ff00ff)>>8&0x00ff00ff|(ga+ga>>8&0x00ff00ff)&0xff00ff00)
}

// clear fills the surface with the opaque colour c.
func (s surface) clear(c color.NRGBA) {
	if s.w == 0 {
		return
	}
	a := uint32(c.A)
	p := [4]uint8{uint8(div255(uint32(c.R) * a)), uint8(div255(uint32(c.G) * a)), uint8(div255(uint32(c.B) * a)), c.A}
	row := s.pix[:4*s.w]
	copy(row, p[:])
	for n := 4; n < len(row); n *= 2 {
		copy(row[n:], row[:n])
	}
	for y := 1; y < s.h; y++ {
		copy(s.pix[y*s.stride:y*s.stride+4*s.w], row)
	}
}

// hline blends a one-pixel-high run [x0, x1) of row y with colour p at alpha a.
func (s surface) hline(x0, x1, y int, p paint, a uint32) {
	if y < 0 || y >= s.h {
		return
	}
	x0, x1 = max(x0, 0), min(x1, s.w)
	row := s.pix[y*s.stride:]
	for x := x0; x < x1; x++ {
		blendPix(row[4*x:], p, a)
	}
}

// vline blends a one-pixel-wide run [y0, y1) of column x with colour p at alpha a.
func (s surface) vline(x, y0, y1 int, p paint, a uint32) {
	if x < 0 || x >= s.w {
		return
	}
	y0, y1 = max(y0, 0), min(y1, s.h)
	for y := y0; y < y1; y++ {
		blendPix(s.pix[y*s.stride+4*x:], p, a)
	}
}
