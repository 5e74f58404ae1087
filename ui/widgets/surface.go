package widgets

import (
	"image"
	"image/color"

	"gioui.org/layout"
	"gioui.org/op"
)

// Surface is a rectangle of chrome drawn on the CPU: each frame the caller records its
// display list, and the surface re-renders its image and uploads it only when the list
// changed. Painting an unchanged surface costs one cached texture draw, far less than the
// Gio vector paths of the same boxes and text on a software GPU.
type Surface struct {
	List
	bg      color.NRGBA
	w, h    int
	img     *image.RGBA
	spare   *image.RGBA // the previous image, reused once it is two frames old
	drawn   uint64      // key of the rendered list
	version uint64
	pic     Picture
}

// Begin starts recording a w×h surface with background bg.
func (s *Surface) Begin(w, h int, bg color.NRGBA) *List {
	s.Reset()
	s.w, s.h, s.bg = max(w, 1), max(h, 1), bg
	return &s.List
}

// Size returns the surface's size.
func (s *Surface) Size() image.Point { return image.Pt(s.w, s.h) }

// Resize changes the size after recording, e.g. to the height the content took.
func (s *Surface) Resize(w, h int) { s.w, s.h = max(w, 1), max(h, 1) }

// Paint renders the surface if its display list changed and paints it with its top-left
// corner at the current origin.
func (s *Surface) Paint(gtx layout.Context) layout.Dimensions {
	k := s.key(s.w, s.h) ^ uint64(s.bg.R)<<40 ^ uint64(s.bg.G)<<48 ^ uint64(s.bg.B)<<56 ^ uint64(s.bg.A)<<32
	if s.img == nil || k != s.drawn || s.img.Rect.Dx() != s.w || s.img.Rect.Dy() != s.h {
		// Use a different buffer than the one painted last frame: the GPU may still read it.
		img := s.spare
		if img == nil || img.Rect.Dx() != s.w || img.Rect.Dy() != s.h {
			img = image.NewRGBA(image.Rect(0, 0, s.w, s.h))
		}
		clearRGBA(img, s.bg)
		s.render(img)
		s.spare, s.img = s.img, img
		s.drawn = k
		s.version++
		s.pic.Set(img, s.version)
	}
	return s.pic.Layout(gtx)
}

// Image returns the last rendered image (nil before the first Paint); it belongs to the
// surface and must not be modified.
func (s *Surface) Image() *image.RGBA { return s.img }

// PaintAt paints the surface at offset off.
func (s *Surface) PaintAt(gtx layout.Context, off image.Point) {
	defer op.Offset(off).Push(gtx.Ops).Pop()
	s.Paint(gtx)
}

// clearRGBA sets every pixel of img to c (premultiplied), transparent colours included.
func clearRGBA(img *image.RGBA, c color.NRGBA) {
	a := uint32(c.A)
	p := [4]uint8{uint8(uint32(c.R) * a / 255), uint8(uint32(c.G) * a / 255), uint8(uint32(c.B) * a / 255), c.A}
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = p[0], p[1], p[2], p[3]
	}
}
