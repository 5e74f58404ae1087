package widgets

import (
	"image"
	"image/color"

	"gioui.org/f32"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
)

// Picture paints an *image.RGBA as one image operation, uploading it to the GPU only when
// Set is given a different image or a new version of the same one.
type Picture struct {
	img     *image.RGBA
	version uint64
	op      paint.ImageOp
}

// Set selects the image to paint. The image must not change until Set is called with a
// different version (or image); the caller may reuse its buffer after the frame that
// painted it has been presented.
func (p *Picture) Set(img *image.RGBA, version uint64) {
	if img == p.img && version == p.version && img != nil {
		return
	}
	p.img, p.version = img, version
	if img == nil {
		p.op = paint.ImageOp{}
		return
	}
	p.op = paint.NewImageOp(img)
	p.op.Filter = paint.FilterNearest
}

// Image returns the current image (nil before Set).
func (p *Picture) Image() *image.RGBA { return p.img }

// Layout paints the image at its pixel size at the top-left corner, clipped to the
// constraints, and takes the whole minimum size.
func (p *Picture) Layout(gtx layout.Context) layout.Dimensions {
	sz := gtx.Constraints.Min
	if p.img != nil {
		defer clip.Rect{Max: gtx.Constraints.Max}.Push(gtx.Ops).Pop()
		p.op.Add(gtx.Ops)
		defer clip.Rect{Max: p.img.Rect.Size()}.Push(gtx.Ops).Pop()
		paint.PaintOp{}.Add(gtx.Ops)
		is := p.img.Rect.Size()
		sz = image.Pt(max(sz.X, is.X), max(sz.Y, is.Y))
	}
	return layout.Dimensions{Size: gtx.Constraints.Constrain(sz)}
}

// LayoutScaled paints the image scaled by scale and then moved by (dx, dy) pixels, clipped
// to the maximum constraints, after filling them with bg. The app uses it to show an older
// raster of the plane moved to the current viewport while a new one is drawn.
func (p *Picture) LayoutScaled(gtx layout.Context, scale, dx, dy float32, bg color.NRGBA) layout.Dimensions {
	sz := gtx.Constraints.Max
	defer clip.Rect{Max: sz}.Push(gtx.Ops).Pop()
	paint.ColorOp{Color: bg}.Add(gtx.Ops)
	paint.PaintOp{}.Add(gtx.Ops)
	if p.img == nil {
		return layout.Dimensions{Size: sz}
	}
	tr := op.Affine(f32.AffineId().Scale(f32.Point{}, f32.Pt(scale, scale)).Offset(f32.Pt(dx, dy))).Push(gtx.Ops)
	p.op.Add(gtx.Ops)
	st := clip.Rect{Max: p.img.Rect.Size()}.Push(gtx.Ops)
	paint.PaintOp{}.Add(gtx.Ops)
	st.Pop()
	tr.Pop()
	return layout.Dimensions{Size: sz}
}
