package plane

import (
	"image"
	"image/color"
	"math"
)

// subpix is the number of sub-pixel phases per axis of the point sprites.
const subpix = 4

// spriteSet holds anti-aliased disc coverage sprites of one radius and
// opacity at subpix×subpix sub-pixel offsets.
type spriteSet struct {
	radius, alpha float32
	k             int // sprites span pixel offsets -k..k around the centre pixel
	side          int
	spr           [subpix * subpix][]uint8
	runs          [subpix * subpix][][2]int32 // per sprite row: first and end of the non-zero pixels
}

func (ss *spriteSet) prepare(radius, alpha float32) {
	if ss.side > 0 && ss.radius == radius && ss.alpha == alpha {
		return
	}
	ss.radius, ss.alpha = radius, alpha
	R := float64(radius) + 0.5
	ss.k = int(math.Ceil(R))
	ss.side = 2*ss.k + 1
	for q := range ss.spr {
		fx := (float64(q%subpix) + 0.5) / subpix
		fy := (float64(q/subpix) + 0.5) / subpix
		s := ss.spr[q][:0]
		for j := -ss.k; j <= ss.k; j++ {
			for i := -ss.k; i <= ss.k; i++ {
				d := math.Hypot(float64(i)+0.5-fx, float64(j)+0.5-fy)
				cov := math.Max(0, math.Min(1, R-d))
				if radius < 0.5 {
					cov *= 2 * float64(radius)
				}
				s = append(s, uint8(math.Round(cov*float64(alpha)*255)))
			}
		}
		ss.spr[q] = s
		runs := ss.runs[q][:0]
		for j := 0; j < ss.side; j++ {
			row := s[j*ss.side : (j+1)*ss.side]
			a, b := 0, len(row)
			for a < b && row[a] == 0 {
				a++
			}
			for b > a && row[b-1] == 0 {
				b--
			}
			runs = append(runs, [2]int32{int32(a), int32(b)})
		}
		ss.runs[q] = runs
	}
}

// DrawPoints draws the data points xy (x0, y0, x1, y1, …) as anti-aliased
// discs of the given radius (pixels) and opacity, coloured by label:
// colors[labels[i]], or the last colour for labels outside the palette.
// labels may be nil (every point takes colors[0]). Points off the image are
// skipped; NaN points are not drawn.
func (r *Renderer) DrawPoints(dst *image.RGBA, vp Viewport, xy []float32, labels []int32, colors []color.NRGBA, radius, alpha float32) {
	if len(xy)%2 != 0 {
		panic("plane: point slice has odd length")
	}
	n := len(xy) / 2
	if labels != nil && len(labels) != n {
		panic("plane: labels do not match the points")
	}
	s := viewSurface(dst, vp)
	if s.w == 0 || len(colors) == 0 || !(radius > 0) || !(alpha > 0) {
		return
	}
	ss := &r.sprites
	ss.prepare(radius, min(alpha, 1))
	r.paints = r.paints[:0]
	for _, c := range colors {
		r.paints = append(r.paints, paintOf(c))
	}
	last := int32(len(colors) - 1)
	a := vp.affine()
	k, side := ss.k, ss.side
	w, h := float32(s.w), float32(s.h)
	fk := float32(k)
	for i := 0; i < n; i++ {
		px := a.ax*xy[2*i] + a.bx
		py := a.ay*xy[2*i+1] + a.by
		// The comparisons are false for NaN, which skips it.
		if !(px > -fk-1 && px < w+fk+1 && py > -fk-1 && py < h+fk+1) {
			continue
		}
		ix, iy := int(px+fk+1)-k-1, int(py+fk+1)-k-1 // floor, valid for px > -k-1
		q := int((px-float32(ix))*subpix) + subpix*int((py-float32(iy))*subpix)
		q = min(max(q, 0), subpix*subpix-1)
		var p paint
		if labels == nil {
			p = r.paints[0]
		} else if l := labels[i]; l >= 0 && l <= last {
			p = r.paints[l]
		} else {
			p = r.paints[last]
		}
		if p.a == 0 {
			continue
		}
		x0, y0 := ix-k, iy-k
		spr := ss.spr[q]
		if x0 < 0 || y0 < 0 || x0+side > s.w || y0+side > s.h {
			stamp(s, spr, side, side, x0, y0, p)
			continue
		}
		runs := ss.runs[q]
		for j := 0; j < side; j++ {
			a, b := int(runs[j][0]), int(runs[j][1])
			if a >= b {
				continue
			}
			off := (y0+j)*s.stride + 4*x0
			row := s.pix[off+4*a : off+4*b]
			src := spr[j*side+a : j*side+b]
			if p.a == 255 {
				for i, v := range src {
					blendPix(row[4*i:], p, uint32(v))
				}
			} else {
				for i, v := range src {
					blendPix(row[4*i:], p, div255(uint32(v)*p.a))
				}
			}
		}
	}
}
