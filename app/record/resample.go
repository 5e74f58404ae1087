package record

import (
	"image"
	"image/color"
	"math"

	"golang.org/x/image/draw"
)

// FitRect returns where a sw×sh picture goes when it is scaled to fit a w×h frame with its
// aspect ratio kept: as large as possible, centred.
func FitRect(w, h, sw, sh int) image.Rectangle {
	if sw < 1 || sh < 1 || w < 1 || h < 1 {
		return image.Rectangle{}
	}
	s := math.Min(float64(w)/float64(sw), float64(h)/float64(sh))
	dw := min(w, max(1, int(math.Round(float64(sw)*s))))
	dh := min(h, max(1, int(math.Round(float64(sh)*s))))
	x0, y0 := (w-dw)/2, (h-dh)/2
	return image.Rect(x0, y0, x0+dw, y0+dh)
}

// fitter resamples sw×sh frames to fit a w×h frame (see FitRect), padding the rest with a
// background colour. Halving is an exact 2×2 box average; other sizes use the Catmull–Rom
// kernel, widened when shrinking so that thin lines do not alias. It reuses one output
// image, so a sink must not keep the frame it is given (none does).
type fitter struct {
	out    *image.RGBA
	dr     image.Rectangle // where the picture goes in out
	half   bool            // dr is exactly half the source: box average
	scaler draw.Scaler
}

func newFitter(w, h, sw, sh int, bg color.RGBA) *fitter {
	f := &fitter{out: image.NewRGBA(image.Rect(0, 0, w, h)), dr: FitRect(w, h, sw, sh)}
	for i := 0; i < len(f.out.Pix); i += 4 {
		f.out.Pix[i], f.out.Pix[i+1], f.out.Pix[i+2], f.out.Pix[i+3] = bg.R, bg.G, bg.B, bg.A
	}
	f.half = f.dr.Dx() == sw/2 && f.dr.Dy() == sh/2
	if !f.half {
		f.scaler = draw.CatmullRom.NewScaler(f.dr.Dx(), f.dr.Dy(), sw, sh)
	}
	return f
}

// fit resamples src (sw×sh at the origin) into the output image and returns it.
func (f *fitter) fit(src *image.RGBA) *image.RGBA {
	if f.half {
		halve(f.out, f.dr.Min, src)
		return f.out
	}
	f.scaler.Scale(f.out, f.dr, src, src.Bounds(), draw.Src, nil)
	return f.out
}

// halve writes the 2×2 box average of src into dst at org, (src width/2)×(src height/2)
// pixels; an odd last row or column of src is left out.
func halve(dst *image.RGBA, org image.Point, src *image.RGBA) {
	sb := src.Bounds()
	w, h := sb.Dx()/2, sb.Dy()/2
	for y := 0; y < h; y++ {
		a := src.Pix[src.PixOffset(sb.Min.X, sb.Min.Y+2*y):]
		b := src.Pix[src.PixOffset(sb.Min.X, sb.Min.Y+2*y+1):]
		d := dst.Pix[dst.PixOffset(org.X, org.Y+y):]
		for x := 0; x < w; x++ {
			i, o := 8*x, 4*x
			for c := 0; c < 4; c++ {
				s := uint32(a[i+c]) + uint32(a[i+4+c]) + uint32(b[i+c]) + uint32(b[i+4+c])
				d[o+c] = uint8((s + 2) / 4)
			}
		}
	}
}
