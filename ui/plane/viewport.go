package plane

import "math"

// Viewport maps data coordinates to pixels of a W×H image: the data point
// Center sits in the middle of the image and one data unit spans Scale pixels.
// The data y axis points up on screen. A Viewport is a small value; its
// methods return modified copies.
type Viewport struct {
	Center [2]float64 // data coordinates shown at the image centre
	Scale  float64    // pixels per data unit, > 0
	W, H   int        // image size in pixels
}

// Fit returns the viewport of a W×H image that shows the data box
// [xmin, xmax]×[ymin, ymax] as large as possible with margin pixels free on
// every side, keeping the aspect ratio 1:1.
func Fit(xmin, xmax, ymin, ymax float64, w, h int, margin float64) Viewport {
	dx, dy := xmax-xmin, ymax-ymin
	if !(dx > 0) {
		dx = 1
	}
	if !(dy > 0) {
		dy = 1
	}
	aw := float64(w) - 2*margin
	ah := float64(h) - 2*margin
	if aw < 1 {
		aw = 1
	}
	if ah < 1 {
		ah = 1
	}
	return Viewport{
		Center: [2]float64{(xmin + xmax) / 2, (ymin + ymax) / 2},
		Scale:  math.Min(aw/dx, ah/dy),
		W:      w,
		H:      h,
	}
}

// ToPixel returns the continuous pixel position of the data point (x, y).
func (v Viewport) ToPixel(x, y float64) (px, py float32) {
	return float32(float64(v.W)/2 + (x-v.Center[0])*v.Scale),
		float32(float64(v.H)/2 - (y-v.Center[1])*v.Scale)
}

// ToData returns the data point shown at the continuous pixel position (px, py).
func (v Viewport) ToData(px, py float64) (x, y float64) {
	return v.Center[0] + (px-float64(v.W)/2)/v.Scale,
		v.Center[1] - (py-float64(v.H)/2)/v.Scale
}

// Zoom returns the viewport magnified by factor (> 1 zooms in) such that the
// data point under the pixel (aroundPx, aroundPy) stays under that pixel.
func (v Viewport) Zoom(factor, aroundPx, aroundPy float64) Viewport {
	if !(factor > 0) || math.IsInf(factor, 0) {
		return v
	}
	x, y := v.ToData(aroundPx, aroundPy)
	v.Scale *= factor
	v.Center[0] = x - (aroundPx-float64(v.W)/2)/v.Scale
	v.Center[1] = y + (aroundPy-float64(v.H)/2)/v.Scale
	return v
}

// Pan returns the viewport whose content is moved by (dxPx, dyPx) pixels,
// as when the plane is dragged by that amount.
func (v Viewport) Pan(dxPx, dyPx float64) Viewport {
	v.Center[0] -= dxPx / v.Scale
	v.Center[1] += dyPx / v.Scale
	return v
}

// DataRect returns the data box visible in the image.
func (v Viewport) DataRect() (xmin, xmax, ymin, ymax float64) {
	xmin, ymax = v.ToData(0, 0)
	xmax, ymin = v.ToData(float64(v.W), float64(v.H))
	return xmin, xmax, ymin, ymax
}

// affine is the float32 form of a Viewport used by the inner loops:
// px = ax*x + bx, py = ay*y + by.
type affine struct{ ax, bx, ay, by float32 }

func (v Viewport) affine() affine {
	return affine{
		ax: float32(v.Scale),
		bx: float32(float64(v.W)/2 - v.Center[0]*v.Scale),
		ay: float32(-v.Scale),
		by: float32(float64(v.H)/2 + v.Center[1]*v.Scale),
	}
}
