package widgets

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"codeberg.org/go-fonts/liberation/liberationmonoregular"
	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Style selects a typeface.
type Style uint8

// Typefaces: Liberation Sans (the charts' face) for text, its bold for titles, Liberation
// Mono for numbers that change every frame.
const (
	Regular Style = iota
	Bold
	Mono
	numStyles
)

// Face is one typeface at one pixel size, with a cache of rendered glyphs. A Face is not
// safe for concurrent use.
type Face struct {
	f       font.Face
	glyphs  map[rune]*glyph
	Ascent  int // pixels above the baseline
	Descent int // pixels below the baseline
	Height  int // line height
}

// glyph is a rendered glyph: its coverage mask positioned relative to the dot.
type glyph struct {
	mask *image.Alpha // bounds relative to the dot at (0, 0)
	adv  int          // advance in pixels (rounded)
	ok   bool
}

// Fonts holds the parsed typefaces and the faces made from them.
type Fonts struct {
	fonts [numStyles]*opentype.Font
	faces map[faceKey]*Face
}

type faceKey struct {
	style Style
	px    int // size in 1/4 pixels
}

// NewFonts parses the embedded typefaces.
func NewFonts() *Fonts {
	fs := &Fonts{faces: map[faceKey]*Face{}}
	for i, ttf := range [numStyles][]byte{liberationsansregular.TTF, liberationsansbold.TTF, liberationmonoregular.TTF} {
		f, err := opentype.Parse(ttf)
		if err != nil {
			panic("widgets: embedded font: " + err.Error()) // the fonts are compiled in
		}
		fs.fonts[i] = f
	}
	return fs
}

// Face returns the face of style at size pixels (em height).
func (fs *Fonts) Face(style Style, size float64) *Face {
	k := faceKey{style, int(math.Round(size * 4))}
	if f, ok := fs.faces[k]; ok {
		return f
	}
	ff, err := opentype.NewFace(fs.fonts[style], &opentype.FaceOptions{Size: float64(k.px) / 4, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		panic("widgets: font face: " + err.Error()) // only fails for absurd sizes
	}
	m := ff.Metrics()
	f := &Face{f: ff, glyphs: map[rune]*glyph{}, Ascent: m.Ascent.Ceil(), Descent: m.Descent.Ceil()}
	f.Height = f.Ascent + f.Descent
	fs.faces[k] = f
	return f
}

func (f *Face) glyph(r rune) *glyph {
	if g, ok := f.glyphs[r]; ok {
		return g
	}
	g := &glyph{}
	dr, mask, mp, adv, ok := f.f.Glyph(fixed.Point26_6{}, r)
	if !ok && r != '?' {
		g = f.glyph('?')
		f.glyphs[r] = g
		return g
	}
	g.ok, g.adv = ok, adv.Round()
	if ok && !dr.Empty() {
		a := image.NewAlpha(dr)
		draw.Draw(a, dr, mask, mp, draw.Src)
		g.mask = a
	}
	f.glyphs[r] = g
	return g
}

// Measure returns the advance width of s in pixels.
func (f *Face) Measure(s string) int {
	w := 0
	prev := rune(-1)
	for _, r := range s {
		if prev >= 0 {
			w += f.f.Kern(prev, r).Round()
		}
		w += f.glyph(r).adv
		prev = r
	}
	return w
}

// Fit returns s shortened with an ellipsis so that it is at most w pixels wide.
func (f *Face) Fit(s string, w int) string {
	if f.Measure(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 {
		r = r[:len(r)-1]
		t := string(r) + "…"
		if f.Measure(t) <= w {
			return t
		}
	}
	return ""
}

// Draw draws s with its baseline at y, starting at x, in colour c, clipped to clip.
func (f *Face) Draw(dst *image.RGBA, clip image.Rectangle, x, y int, s string, c color.NRGBA) {
	src := image.NewUniform(c)
	prev := rune(-1)
	for _, r := range s {
		if prev >= 0 {
			x += f.f.Kern(prev, r).Round()
		}
		g := f.glyph(r)
		if g.mask != nil {
			dr := g.mask.Rect.Add(image.Pt(x, y))
			if cl := dr.Intersect(clip); !cl.Empty() {
				draw.DrawMask(dst, cl, src, image.Point{}, g.mask, cl.Min.Sub(image.Pt(x, y)), draw.Over)
			}
		}
		x += g.adv
		prev = r
	}
}
