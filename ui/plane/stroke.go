package plane

import (
	"image"
	"image/color"
	"math"
)

// MarkerKind selects the shape DrawMarker draws.
type MarkerKind uint8

// Marker shapes.
const (
	MarkerCircle  MarkerKind = iota // filled disc
	MarkerRing                      // circle outline
	MarkerCross                     // diagonal cross
	MarkerDiamond                   // filled square standing on a corner
)

// toPixels appends the pixel positions of the data points xy (n×2) to dst.
func toPixels(dst, xy []float32, a affine) []float32 {
	if len(xy)%2 != 0 {
		panic("plane: point slice has odd length")
	}
	dst = dst[:0]
	for i := 0; i+1 < len(xy); i += 2 {
		dst = append(dst, a.ax*xy[i]+a.bx, a.ay*xy[i+1]+a.by)
	}
	return dst
}

// strokePx adds the pixel-space polyline pts (n×2) with half width hw to
// the mask. A NaN coordinate ends one piece and starts the next; a piece of
// a single point becomes a dot.
func strokePx(m *coverMask, pts []float32, hw, k float32) {
	if len(pts)%2 != 0 {
		panic("plane: polyline has odd length")
	}
	var px, py float32
	run := 0 // points in the current piece
	for i := 0; i+1 < len(pts); i += 2 {
		x, y := pts[i], pts[i+1]
		if x != x || y != y {
			if run == 1 {
				m.disc(px, py, hw, k)
			}
			run = 0
			continue
		}
		if run > 0 {
			m.line(px, py, x, y, hw, k)
		}
		px, py = x, y
		run++
	}
	if run == 1 {
		m.disc(px, py, hw, k)
	}
}

// strokeData adds the data-space polyline xy, mapped by a, to the mask
// without a scratch copy.
func strokeData(m *coverMask, xy []float32, a affine, hw, k float32) {
	if len(xy)%2 != 0 {
		panic("plane: polyline has odd length")
	}
	lo, hi := -hw-2, float32(m.h)+hw+2
	var px, py float32
	run := 0
	for i := 0; i+1 < len(xy); i += 2 {
		x, y := xy[i], xy[i+1]
		if x != x || y != y {
			if run == 1 {
				m.disc(px, py, hw, k)
			}
			run = 0
			continue
		}
		x, y = a.ax*x+a.bx, a.ay*y+a.by
		// Cheap vertical cull first: Render draws the frame in bands.
		if run > 0 && !(py < lo && y < lo) && !(py > hi && y > hi) {
			m.line(px, py, x, y, hw, k)
		}
		px, py = x, y
		run++
	}
	if run == 1 {
		m.disc(px, py, hw, k)
	}
}

// DrawPolyline strokes the data-space polyline xy (x0, y0, x1, y1, …) with
// round joins and caps, width pixels wide, in colour col. (Lines up to 2
// pixels wide end half a pixel past their end points instead, which looks
// the same at that width and is faster.) NaN coordinates break the line
// into pieces.
func (r *Renderer) DrawPolyline(dst *image.RGBA, vp Viewport, xy []float32, width float32, col color.NRGBA) {
	s := viewSurface(dst, vp)
	if s.w == 0 || col.A == 0 {
		return
	}
	r.mask.begin(s.w, s.h)
	strokeData(&r.mask, xy, vp.affine(), width/2, 1)
	r.mask.flush(s, paintOf(col))
}

// DrawPolylines strokes many polylines like DrawPolyline. They are
// composited together, so where lines cross a translucent colour does not
// build up.
func (r *Renderer) DrawPolylines(dst *image.RGBA, vp Viewport, lines [][]float32, width float32, col color.NRGBA) {
	s := viewSurface(dst, vp)
	if s.w == 0 || col.A == 0 {
		return
	}
	r.mask.begin(s.w, s.h)
	a := vp.affine()
	for _, l := range lines {
		strokeData(&r.mask, l, a, width/2, 1)
	}
	r.mask.flush(s, paintOf(col))
}

// arrowHead adds a filled arrow head with its tip at (tx, ty), pointing
// along the unit vector (ux, uy), length l and half width hw.
func arrowHead(m *coverMask, tx, ty, ux, uy, l, hw float32) {
	bx, by := tx-ux*l, ty-uy*l
	nx, ny := -uy*hw, ux*hw
	// A slight notch at the back makes the head read as an arrow.
	cx, cy := tx-ux*l*0.78, ty-uy*l*0.78
	m.beginFill(min(tx, bx-abs32(nx))-1, min(ty, by-abs32(ny))-1, max(tx, bx+abs32(nx))+1, max(ty, by+abs32(ny))+1)
	m.moveTo(tx, ty)
	m.lineTo(bx+nx, by+ny)
	m.lineTo(cx, cy)
	m.lineTo(bx-nx, by-ny)
	m.endFill(1)
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// headSize returns the arrow head length and half width for a shaft width.
func headSize(width float32) (l, hw float32) {
	l = max(3.6*width, 8)
	return l, 0.42 * l
}

// arrowPx adds a polyline ending in an arrow head whose tip is the last
// point. The shaft stops inside the head so that the tip stays sharp.
func arrowPx(m *coverMask, pts []float32, width float32) {
	n := len(pts) / 2
	if n < 2 {
		strokePx(m, pts, width/2, 1)
		return
	}
	tx, ty := pts[2*n-2], pts[2*n-1]
	// Direction: from the last point at least one head length back, if any.
	l, hw := headSize(width)
	k := n - 2
	for k > 0 && hypot32(tx-pts[2*k], ty-pts[2*k+1]) < l {
		k--
	}
	ux, uy := tx-pts[2*k], ty-pts[2*k+1]
	d := hypot32(ux, uy)
	if !(d > 0) {
		strokePx(m, pts, width/2, 1)
		return
	}
	ux, uy = ux/d, uy/d
	if d < l { // too short for a head of full size
		l, hw = d, hw*d/l
	}
	// Stroke the shaft, ending it 0.6 head lengths before the tip.
	end := trimEnd(pts, l*0.6)
	strokePx(m, pts[:end], width/2, 1)
	arrowHead(m, tx, ty, ux, uy, l, hw)
}

func hypot32(x, y float32) float32 { return float32(math.Sqrt(float64(x*x + y*y))) }

// trimEnd shortens the pixel polyline pts in place by length d at its end
// and returns the new length of pts (in float32s).
func trimEnd(pts []float32, d float32) int {
	n := len(pts) / 2
	for n >= 2 {
		ax, ay := pts[2*n-4], pts[2*n-3]
		bx, by := pts[2*n-2], pts[2*n-1]
		sl := hypot32(bx-ax, by-ay)
		if sl > d {
			t := (sl - d) / sl
			pts[2*n-2], pts[2*n-1] = ax+(bx-ax)*t, ay+(by-ay)*t
			return 2 * n
		}
		d -= sl
		n--
	}
	return 2 * n
}

// DrawArrow draws a straight arrow from the data point from to the data
// point to, width pixels wide, with its head at to.
func (r *Renderer) DrawArrow(dst *image.RGBA, vp Viewport, from, to [2]float64, col color.NRGBA, width float32) {
	s := viewSurface(dst, vp)
	if s.w == 0 || col.A == 0 {
		return
	}
	x0, y0 := vp.ToPixel(from[0], from[1])
	x1, y1 := vp.ToPixel(to[0], to[1])
	r.pts = append(r.pts[:0], x0, y0, x1, y1)
	r.mask.begin(s.w, s.h)
	arrowPx(&r.mask, r.pts, width)
	r.mask.flush(s, paintOf(col))
}

// DrawMarker draws a marker of the given kind and size (diameter in pixels)
// centred on the data point at.
func (r *Renderer) DrawMarker(dst *image.RGBA, vp Viewport, at [2]float64, kind MarkerKind, size float32, col color.NRGBA) {
	s := viewSurface(dst, vp)
	if s.w == 0 || col.A == 0 || !(size > 0) {
		return
	}
	x, y := vp.ToPixel(at[0], at[1])
	r.mask.begin(s.w, s.h)
	marker(&r.mask, x, y, kind, size)
	r.mask.flush(s, paintOf(col))
}

// marker adds a marker shape centred at pixel (x, y) to the mask.
func marker(m *coverMask, x, y float32, kind MarkerKind, size float32) {
	h := size / 2
	switch kind {
	case MarkerCircle:
		m.disc(x, y, h, 1)
	case MarkerRing:
		lw := max(1.5, size/6)
		m.ring(x, y, h-lw/2, lw/2, 1)
	case MarkerCross:
		lw := max(1.5, size/5)
		d := (h - lw/2) * 0.8
		m.capsule(x-d, y-d, x+d, y+d, lw/2, 1)
		m.capsule(x-d, y+d, x+d, y-d, lw/2, 1)
	case MarkerDiamond:
		d := h * 1.15
		m.beginFill(x-d, y-d, x+d, y+d)
		m.moveTo(x, y-d)
		m.lineTo(x+d, y)
		m.lineTo(x, y+d)
		m.lineTo(x-d, y)
		m.endFill(1)
	}
}
