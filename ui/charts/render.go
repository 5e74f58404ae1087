package charts

import (
	"fmt"
	"image"
	"image/color"
	imdraw "image/draw"
	"image/png"
	"io"
	"math"

	"git.sr.ht/~sbinet/gg"
	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/mflowlab/mflowlab/internal/atomicfile"
)

// DefaultDPI is the resolution used when an option's DPI is 0.
const DefaultDPI = 96

// minSide is the smallest width or height (pixels) a chart is drawn at; smaller requests
// get a plain background image, so a collapsed panel never fails.
const minSide = 24

// Renderer draws charts into an image it keeps between calls: while the requested size
// stays the same, no new image or drawing context is allocated. The image a method returns
// belongs to the Renderer and is overwritten by its next call; copy it, or use one Renderer
// per buffer, when it must outlive that. The zero Renderer is ready to use.
type Renderer struct {
	img *image.RGBA
	ctx *gg.Context

	faces map[faceKey]xfont.Face // font faces by typeface, size and DPI

	// scratch reused by the series plotters
	path vg.Path
	xys  []xy
}

// frame is one drawing in progress: the canvas and the resolved sizes and styles.
type frame struct {
	img *image.RGBA
	dc  draw.Canvas
	st  *Style
	sz  sizes
	ok  bool // false: the size was too small and only the background was filled
}

// begin prepares a w×h image at dpi filled with st.Background and returns the canvas to
// draw on.
func (r *Renderer) begin(w, h, dpi int, st *Style) frame {
	if dpi <= 0 {
		dpi = DefaultDPI
	}
	w, h = max(w, 1), max(h, 1)
	if r.img == nil || r.img.Rect.Dx() != w || r.img.Rect.Dy() != h {
		r.img = image.NewRGBA(image.Rect(0, 0, w, h))
		r.ctx = gg.NewContextForRGBA(r.img)
		r.ctx.SetLineCapButt()
	}
	f := frame{img: r.img, st: st}
	if w < minSide || h < minSide {
		fill(r.img, st.Background)
		return f
	}
	// Reset whatever state the previous drawing left in the context.
	r.ctx.Identity()
	r.ctx.InvertY()
	r.ctx.ResetClip()
	r.ctx.ClearPath()
	r.ctx.SetDash()
	r.ctx.SetLineCapButt()
	c := vgimg.NewWith(vgimg.UseImageWithContext(r.img, r.ctx), vgimg.UseDPI(dpi))
	fill(r.img, st.Background)
	f.dc = draw.New(&textCanvas{Canvas: c, r: r, dpi: float64(dpi), h: float64(h), stack: []textState{{pure: true, col: color.Black}}})
	f.sz = st.resolve(f.dc.Max.X-f.dc.Min.X, f.dc.Max.Y-f.dc.Min.Y)
	f.ok = true
	return f
}

// textCanvas is the image canvas with a faster way to set text: unrotated strings are
// drawn straight into the image with cached font faces (gg transforms every glyph through a
// general resampler). It mirrors the canvas's transform only as far as it needs: whether it
// is a pure translation, and by how much.
type textCanvas struct {
	*vgimg.Canvas
	r     *Renderer
	dpi   float64
	h     float64 // image height in pixels
	stack []textState
}

// textState is the part of the graphics state that textCanvas tracks.
type textState struct {
	tx, ty vg.Length // translation, when pure
	pure   bool      // the transform is a pure translation
	col    color.Color
}

func (t *textCanvas) top() *textState { return &t.stack[len(t.stack)-1] }

// SetColor implements vg.Canvas.
func (t *textCanvas) SetColor(c color.Color) {
	if c == nil {
		c = color.Black
	}
	t.top().col = c
	t.Canvas.SetColor(c)
}

// Rotate implements vg.Canvas.
func (t *textCanvas) Rotate(rad float64) {
	if rad != 0 {
		t.top().pure = false
	}
	t.Canvas.Rotate(rad)
}

// Translate implements vg.Canvas.
func (t *textCanvas) Translate(pt vg.Point) {
	s := t.top()
	s.tx += pt.X
	s.ty += pt.Y
	t.Canvas.Translate(pt)
}

// Scale implements vg.Canvas.
func (t *textCanvas) Scale(x, y float64) {
	if x != 1 || y != 1 {
		t.top().pure = false
	}
	t.Canvas.Scale(x, y)
}

// Push implements vg.Canvas.
func (t *textCanvas) Push() {
	t.stack = append(t.stack, *t.top())
	t.Canvas.Push()
}

// Pop implements vg.Canvas.
func (t *textCanvas) Pop() {
	if len(t.stack) > 1 {
		t.stack = t.stack[:len(t.stack)-1]
	}
	t.Canvas.Pop()
}

// FillString implements vg.Canvas: the baseline starts at pt.
func (t *textCanvas) FillString(fnt font.Face, pt vg.Point, str string) {
	s := t.top()
	if !s.pure || fnt.Face == nil {
		t.Canvas.FillString(fnt, pt, str)
		return
	}
	if fnt.Font.Size == 0 {
		return
	}
	face := t.r.face(fnt, t.dpi)
	if face == nil {
		t.Canvas.FillString(fnt, pt, str)
		return
	}
	x := (pt.X + s.tx).Dots(t.dpi)
	y := t.h - (pt.Y + s.ty).Dots(t.dpi)
	d := xfont.Drawer{
		Dst:  t.r.img,
		Src:  image.NewUniform(s.col),
		Face: face,
		Dot:  fixed.Point26_6{X: fixed.Int26_6(math.Round(x * 64)), Y: fixed.Int26_6(math.Round(y * 64))},
	}
	d.DrawString(str)
}

// faceKey identifies a cached font face.
type faceKey struct {
	font font.Font
	dpi  float64
}

// face returns the font face of fnt at dpi, made once per Renderer; nil if it cannot be made.
func (r *Renderer) face(fnt font.Face, dpi float64) xfont.Face {
	k := faceKey{fnt.Font, dpi}
	if f, ok := r.faces[k]; ok {
		return f
	}
	f, err := opentype.NewFace(fnt.Face, &opentype.FaceOptions{Size: fnt.Font.Size.Points(), DPI: dpi})
	if err != nil {
		return nil
	}
	if r.faces == nil {
		r.faces = make(map[faceKey]xfont.Face)
	}
	r.faces[k] = f
	return f
}

// fill paints the whole image with c.
func fill(img *image.RGBA, c color.NRGBA) {
	imdraw.Draw(img, img.Rect, image.NewUniform(c), image.Point{}, imdraw.Src)
}

// textStyle returns a text style in the frame's typeface at size, coloured c.
func (f *frame) textStyle(size vg.Length, c color.Color) text.Style {
	fnt := f.st.Font
	fnt.Size = size
	return text.Style{Color: c, Font: fnt, Handler: plot.DefaultTextHandler}
}

// newPlot returns a plot styled for the frame: no background (the image is already filled),
// muted thin axes, short ticks, and tick labels in the tick colour.
func (f *frame) newPlot() *plot.Plot {
	p := plot.New()
	p.BackgroundColor = nil
	p.Title.TextStyle = f.textStyle(f.sz.label+1, f.st.Text)
	p.Title.TextStyle.XAlign = draw.XCenter
	p.Title.TextStyle.YAlign = draw.YTop
	p.Title.Padding = f.sz.tick * 0.6
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.LineStyle = draw.LineStyle{Color: f.st.Axis, Width: vg.Points(0.6)}
		a.Tick.LineStyle = draw.LineStyle{Color: f.st.Axis, Width: vg.Points(0.6)}
		a.Tick.Length = f.sz.tick * 0.35
		a.Padding = f.sz.tick * 0.25
		a.Label.TextStyle = f.textStyle(f.sz.label, f.st.Text)
		a.Label.Padding = f.sz.tick * 0.2
	}
	p.X.Label.TextStyle.XAlign, p.X.Label.TextStyle.YAlign = draw.XCenter, draw.YBottom
	p.Y.Label.TextStyle.XAlign, p.Y.Label.TextStyle.YAlign = draw.XCenter, draw.YBottom
	p.X.Tick.Label = f.textStyle(f.sz.tick, f.st.TickText)
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XCenter, draw.YTop
	p.Y.Tick.Label = f.textStyle(f.sz.tick, f.st.TickText)
	p.Y.Tick.Label.XAlign, p.Y.Tick.Label.YAlign = draw.XRight, draw.YCenter
	return p
}

// drawTitle draws title centred at the top of c and returns c without the title's band.
func (f *frame) drawTitle(c draw.Canvas, title string) draw.Canvas {
	if title == "" {
		return c
	}
	sty := f.textStyle(f.sz.label+1, f.st.Text)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y}, title)
	c.Max.Y -= sty.Height(title) + f.sz.tick*0.5
	return c
}

// message writes msg in the middle of c in the tick colour (used for "no data").
func (f *frame) message(c draw.Canvas, msg string) {
	sty := f.textStyle(f.sz.label, f.st.TickText)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	c.FillText(sty, c.Center(), msg)
}

// SavePNG writes img as a PNG file at path atomically: the file appears complete or not at
// all.
func SavePNG(path string, img image.Image) error {
	if rgba, ok := img.(*image.RGBA); img == nil || ok && rgba == nil {
		return fmt.Errorf("charts: %s: no image", path)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		if err := png.Encode(w, img); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	})
}
