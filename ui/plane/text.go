package plane

import (
	"image"
	"image/color"
	"math"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Align says where a text's anchor point sits horizontally.
type Align uint8

// Horizontal text alignments.
const (
	AlignLeft   Align = iota // anchor at the text's left end
	AlignCenter              // anchor at the text's middle
	AlignRight               // anchor at the text's right end
)

// TextStyle describes how DrawText sets a string.
type TextStyle struct {
	Size   float32     // font size in pixels (em height)
	Color  color.NRGBA // glyph colour
	Halo   color.NRGBA // outline drawn under the glyphs; zero alpha for none
	Align  Align
	Middle bool // the anchor y is the middle of the capitals, not the baseline
}

// haloRadius is how far (pixels) a text halo reaches beyond the glyphs.
const haloRadius = 1.6

// glyph is a cached, pre-rasterised glyph at an integer pen position.
type glyph struct {
	x0, y0, w, h int // coverage box relative to the pen on the baseline
	cov          []uint8
	halo         []uint8 // coverage dilated by haloRadius, box grown by haloPad
	adv          fixed.Int26_6
}

const haloPad = 2

// face is one font size with its glyph cache.
type face struct {
	size    float32
	f       font.Face
	metrics font.Metrics
	glyphs  map[rune]*glyph
}

// textCache holds the parsed Go Regular font and the faces made from it.
type textCache struct {
	font  *opentype.Font
	faces []*face
}

func (t *textCache) face(size float32) *face {
	for _, f := range t.faces {
		if f.size == size {
			return f
		}
	}
	if t.font == nil {
		f, err := opentype.Parse(goregular.TTF)
		if err != nil {
			panic("plane: parsing the embedded Go Regular font: " + err.Error())
		}
		t.font = f
	}
	ff, err := opentype.NewFace(t.font, &opentype.FaceOptions{Size: float64(size), DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		panic("plane: making a font face: " + err.Error())
	}
	f := &face{size: size, f: ff, metrics: ff.Metrics(), glyphs: make(map[rune]*glyph)}
	t.faces = append(t.faces, f)
	return f
}

func (f *face) glyph(r rune) *glyph {
	if g, ok := f.glyphs[r]; ok {
		return g
	}
	g := &glyph{}
	dr, mask, mp, adv, ok := f.f.Glyph(fixed.Point26_6{}, r)
	if !ok {
		dr, mask, mp, adv, _ = f.f.Glyph(fixed.Point26_6{}, '?')
	}
	g.adv = adv
	if a, isAlpha := mask.(*image.Alpha); isAlpha && !dr.Empty() {
		g.x0, g.y0, g.w, g.h = dr.Min.X, dr.Min.Y, dr.Dx(), dr.Dy()
		g.cov = make([]uint8, g.w*g.h)
		for y := 0; y < g.h; y++ {
			off := a.PixOffset(mp.X, mp.Y+y)
			copy(g.cov[y*g.w:(y+1)*g.w], a.Pix[off:off+g.w])
		}
		g.halo = dilate(g.cov, g.w, g.h)
	}
	f.glyphs[r] = g
	return g
}

// dilate returns the coverage grown by haloRadius in a box haloPad larger
// on every side.
func dilate(cov []uint8, w, h int) []uint8 {
	hw, hh := w+2*haloPad, h+2*haloPad
	out := make([]uint8, hw*hh)
	for y := 0; y < hh; y++ {
		for x := 0; x < hw; x++ {
			var best float64
			for dy := -haloPad; dy <= haloPad; dy++ {
				sy := y - haloPad + dy
				if sy < 0 || sy >= h {
					continue
				}
				for dx := -haloPad; dx <= haloPad; dx++ {
					sx := x - haloPad + dx
					if sx < 0 || sx >= w {
						continue
					}
					fall := math.Min(1, haloRadius+0.5-math.Hypot(float64(dx), float64(dy)))
					if v := float64(cov[sy*w+sx]) * fall; v > best {
						best = v
					}
				}
			}
			out[y*hw+x] = uint8(math.Round(best))
		}
	}
	return out
}

// textBytes is the type set of the text arguments of the internal helpers,
// so that labels formatted into a reused []byte need no string allocation.
type textBytes interface{ ~string | ~[]byte }

// nextRune decodes the UTF-8 rune at s[i:], returning it and its length;
// invalid bytes decode as U+FFFD of length 1.
func nextRune[T textBytes](s T, i int) (rune, int) {
	b0 := s[i]
	if b0 < 0x80 {
		return rune(b0), 1
	}
	n, r := 0, rune(0)
	switch {
	case b0&0xe0 == 0xc0:
		n, r = 2, rune(b0&0x1f)
	case b0&0xf0 == 0xe0:
		n, r = 3, rune(b0&0x0f)
	case b0&0xf8 == 0xf0:
		n, r = 4, rune(b0&0x07)
	default:
		return 0xfffd, 1
	}
	if i+n > len(s) {
		return 0xfffd, 1
	}
	for k := 1; k < n; k++ {
		b := s[i+k]
		if b&0xc0 != 0x80 {
			return 0xfffd, 1
		}
		r = r<<6 | rune(b&0x3f)
	}
	return r, n
}

// MeasureText returns the advance width of text at the given font size and
// the height of its capital letters, in pixels.
func (r *Renderer) MeasureText(text string, size float32) (width, capHeight float32) {
	return measure(&r.text, text, size)
}

func measure[T textBytes](tc *textCache, text T, size float32) (width, capHeight float32) {
	f := tc.face(size)
	var x fixed.Int26_6
	prev := rune(-1)
	for i := 0; i < len(text); {
		c, n := nextRune(text, i)
		i += n
		if prev >= 0 {
			x += f.f.Kern(prev, c)
		}
		x += f.glyph(c).adv
		prev = c
	}
	return float32(x) / 64, float32(f.metrics.CapHeight) / 64
}

// DrawText draws text on dst with its anchor at pixel (x, y), as described
// by t. Pixel (0, 0) is dst's top-left corner.
func (r *Renderer) DrawText(dst *image.RGBA, x, y float32, text string, t TextStyle) {
	drawText(r, newSurface(dst, 0, 0), x, y, text, t)
}

// DrawLabel draws text in colour col with the left end of its baseline at
// pixel (x, y).
func (r *Renderer) DrawLabel(dst *image.RGBA, x, y float32, text string, col color.NRGBA, size float32) {
	r.DrawText(dst, x, y, text, TextStyle{Size: size, Color: col})
}

func drawText[T textBytes](r *Renderer, s surface, x, y float32, text T, t TextStyle) {
	if s.w == 0 || len(text) == 0 || !(t.Size > 0) {
		return
	}
	if y+2*t.Size < 0 || y-2*t.Size > float32(s.h) { // clearly above or below s
		return
	}
	w, ch := measure(&r.text, text, t.Size)
	switch t.Align {
	case AlignCenter:
		x -= w / 2
	case AlignRight:
		x -= w
	}
	if t.Middle {
		y += ch / 2
	}
	f := r.text.face(t.Size)
	if t.Halo.A > 0 {
		setText(s, f, x, y, text, paintOf(t.Halo), true)
	}
	setText(s, f, x, y, text, paintOf(t.Color), false)
}

func setText[T textBytes](s surface, f *face, x, y float32, text T, p paint, halo bool) {
	pen := fixed.Int26_6(math.Round(float64(x) * 64))
	by := int(math.Round(float64(y)))
	prev := rune(-1)
	for i := 0; i < len(text); {
		c, n := nextRune(text, i)
		i += n
		if prev >= 0 {
			pen += f.f.Kern(prev, c)
		}
		prev = c
		g := f.glyph(c)
		px := pen.Round()
		pen += g.adv
		if g.cov == nil {
			continue
		}
		if halo {
			stamp(s, g.halo, g.w+2*haloPad, g.h+2*haloPad, px+g.x0-haloPad, by+g.y0-haloPad, p)
		} else {
			stamp(s, g.cov, g.w, g.h, px+g.x0, by+g.y0, p)
		}
	}
}

// stamp blends a w×h coverage sprite with its top-left corner at (x0, y0).
func stamp(s surface, cov []uint8, w, h, x0, y0 int, p paint) {
	for j := max(0, -y0); j < h && y0+j < s.h; j++ {
		row := s.pix[(y0+j)*s.stride:]
		src := cov[j*w : (j+1)*w]
		for i := max(0, -x0); i < w && x0+i < s.w; i++ {
			if v := src[i]; v != 0 {
				blendPix(row[4*(x0+i):], p, div255(uint32(v)*p.a))
			}
		}
	}
}

// DrawBadge draws a rounded rectangle of colour bg centred at pixel (x, y)
// holding text (typically one letter such as "A") in colour fg.
func (r *Renderer) DrawBadge(dst *image.RGBA, x, y float32, text string, size float32, bg, fg color.NRGBA) {
	s := newSurface(dst, 0, 0)
	if s.w == 0 || !(size > 0) {
		return
	}
	tw, ch := r.MeasureText(text, size)
	pad := 0.42 * size
	h := ch + 2*pad
	w := max(tw+2*pad, h)
	rad := 0.3 * h
	x0, y0 := x-w/2, y-h/2
	m := &r.mask
	m.begin(s.w, s.h)
	// A thin light rim keeps the badge apart from whatever lies beneath.
	roundRect(m, x0-1.2, y0-1.2, x0+w+1.2, y0+h+1.2, rad+1.2)
	m.flush(s, paintOf(color.NRGBA{255, 255, 255, 235}))
	roundRect(m, x0, y0, x0+w, y0+h, rad)
	m.flush(s, paintOf(bg))
	r.DrawText(dst, x, y, text, TextStyle{Size: size, Color: fg, Align: AlignCenter, Middle: true})
}

// roundRect adds a filled rounded rectangle to the mask.
func roundRect(m *coverMask, x0, y0, x1, y1, rad float32) {
	rad = min(rad, (x1-x0)/2, (y1-y0)/2)
	m.beginFill(x0, y0, x1, y1)
	m.moveTo(x0+rad, y0)
	m.lineTo(x1-rad, y0)
	m.quadTo(x1, y0, x1, y0+rad)
	m.lineTo(x1, y1-rad)
	m.quadTo(x1, y1, x1-rad, y1)
	m.lineTo(x0+rad, y1)
	m.quadTo(x0, y1, x0, y1-rad)
	m.lineTo(x0, y0+rad)
	m.quadTo(x0, y0, x0+rad, y0)
	m.endFill(1)
}

// Wrap breaks text into lines no wider than width pixels at the given size, at spaces (a
// single word wider than width stays on its own line).
func (r *Renderer) Wrap(text string, size, width float32) []string {
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
