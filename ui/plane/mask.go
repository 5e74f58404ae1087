package plane

import (
	"encoding/binary"
	"image"
	"image/draw"
	"math"
	"math/bits"

	"golang.org/x/image/vector"
)

// tileShift sets the size (1<<tileShift pixels square) of the tiles by which
// the coverage mask tracks where it was drawn.
const tileShift = 5

// coverMask collects the anti-aliased coverage of one group of shapes of a
// single colour (max-combined, so overlaps and joins never darken) and then
// composites the group onto a surface in one pass. Between groups every
// byte of m is zero.
type coverMask struct {
	w, h   int
	m      []uint8
	tw, th int
	tileOn []bool
	dirty  []int32

	// Polygon fills go through x/image/vector into a bbox-sized scratch mask.
	ras    vector.Rasterizer
	alpha  image.Alpha
	ox, oy int
	fillOK bool
}

// begin prepares the mask for a group drawn onto a w×h surface.
func (c *coverMask) begin(w, h int) {
	if w == c.w && h == c.h {
		return
	}
	n := w * h
	if n > cap(c.m) {
		c.m = make([]uint8, n)
	}
	c.m = c.m[:n]
	c.w, c.h = w, h
	c.tw, c.th = (w+(1<<tileShift)-1)>>tileShift, (h+(1<<tileShift)-1)>>tileShift
	if nt := c.tw * c.th; nt > cap(c.tileOn) {
		c.tileOn = make([]bool, nt)
	} else {
		c.tileOn = c.tileOn[:nt]
	}
}

// mark records that the pixel rectangle [x0, x1)×[y0, y1) (already clipped
// to the mask) may hold coverage.
func (c *coverMask) mark(x0, y0, x1, y1 int) {
	if x0 >= x1 || y0 >= y1 {
		return
	}
	tx0, tx1 := x0>>tileShift, (x1-1)>>tileShift
	ty0, ty1 := y0>>tileShift, (y1-1)>>tileShift
	for ty := ty0; ty <= ty1; ty++ {
		row := ty * c.tw
		for tx := tx0; tx <= tx1; tx++ {
			if !c.tileOn[row+tx] {
				c.tileOn[row+tx] = true
				c.dirty = append(c.dirty, int32(row+tx))
			}
		}
	}
}

func finite32(v float32) bool { return v-v == 0 }

// floorInt returns ⌊x⌋ for |x| < 2³¹ without going through float64.
func floorInt(x float32) int {
	i := int(x)
	if float32(i) > x {
		i--
	}
	return i
}

// ceilInt returns ⌈x⌉ for |x| < 2³¹.
func ceilInt(x float32) int {
	i := int(x)
	if float32(i) < x {
		i++
	}
	return i
}

// big stands for an unbounded interval end in capsule.
const big = 1e30

// capsule adds a line segment from (x0, y0) to (x1, y1) with round ends and
// half width hw (pixels), its coverage scaled by k in (0, 1]. Coverage is
// R − d clamped to [0, 1], with d the distance from the pixel centre to the
// segment and R = hw + ½. Each row visits exactly the pixels whose centres
// lie within R, and pixels beside the segment's body need no square root.
func (c *coverMask) capsule(x0, y0, x1, y1, hw, k float32) {
	if !(finite32(x0) && finite32(y0) && finite32(x1) && finite32(y1)) {
		return
	}
	if hw < 0.5 { // thinner than a pixel: draw one pixel wide, fainter
		k *= 2 * hw
		hw = 0.5
	}
	R := hw + 0.5
	ymin, ymax := min(y0, y1), max(y0, y1)
	xmin, xmax := min(x0, x1), max(x0, x1)
	if ymax+R < 0 || ymin-R > float32(c.h) || xmax+R < 0 || xmin-R > float32(c.w) {
		return
	}
	if xmax-xmin > 1e7 || ymax-ymin > 1e7 { // beyond float32 pixel precision
		return
	}
	jy0 := max(floorInt(ymin-R), 0)
	jy1 := min(ceilInt(ymax+R), c.h) // exclusive
	ix0 := max(floorInt(xmin-R), 0)
	ix1 := min(ceilInt(xmax+R), c.w)
	if jy0 >= jy1 || ix0 >= ix1 {
		return
	}
	c.mark(ix0, jy0, ix1, jy1)

	dx, dy := x1-x0, y1-y0
	L := float32(math.Sqrt(float64(dx*dx + dy*dy)))
	var ux, uy float32 = 1, 0
	if L > 1e-6 {
		ux, uy = dx/L, dy/L
	} else {
		L = 0
	}
	R2 := R * R
	k255 := k * 255
	var iux, iuy float32
	if ux != 0 {
		iux = 1 / ux
	}
	if uy != 0 {
		iuy = 1 / uy
	}
	for j := jy0; j < jy1; j++ {
		py := float32(j) + 0.5
		ry := py - y0
		// Exact x-range (relative to x0) of the capsule on this row: the
		// body (0 ≤ u ≤ L, |v| < R) united with the two end discs.
		lo, hi := float32(big), float32(-big)
		blo, bhi := float32(-big), float32(big)
		if ux != 0 {
			a, b := -ry*uy*iux, (L-ry*uy)*iux
			if a > b {
				a, b = b, a
			}
			blo, bhi = max(blo, a), min(bhi, b)
		} else if q := ry * uy; q < 0 || q > L {
			blo = big
		}
		if uy != 0 {
			a, b := (ry*ux-R)*iuy, (ry*ux+R)*iuy
			if a > b {
				a, b = b, a
			}
			blo, bhi = max(blo, a), min(bhi, b)
		} else if q := ry * ux; q <= -R || q >= R {
			blo = big
		}
		if blo <= bhi {
			lo, hi = blo, bhi
		}
		if h2 := R2 - ry*ry; h2 > 0 {
			h := float32(math.Sqrt(float64(h2)))
			lo, hi = min(lo, -h), max(hi, h)
		}
		if ry1 := ry - dy; R2-ry1*ry1 > 0 {
			h := float32(math.Sqrt(float64(R2 - ry1*ry1)))
			lo, hi = min(lo, dx-h), max(hi, dx+h)
		}
		if lo > hi {
			continue
		}
		i0 := max(ceilInt(x0+lo-0.5), ix0)
		i1 := min(floorInt(x0+hi-0.5)+1, ix1)
		if i0 >= i1 {
			continue
		}
		row := c.m[j*c.w+i0 : j*c.w+i1]
		rx := float32(i0) + 0.5 - x0
		u := rx*ux + ry*uy // along the segment
		v := ry*ux - rx*uy // across it
		for i := range row {
			e := u - min(max(u, 0), L) // distance past either end, along the segment
			d := float32(math.Sqrt(float64(e*e + v*v)))
			u, v = u+ux, v-uy
			cov := min(max(R-d, 0), 1)
			if val := uint8(cov*k255 + 0.5); val > row[i] {
				row[i] = val
			}
		}
	}
}

// thinMax is the largest half width drawn by the faster line scan.
const thinMax = 1.0

// line adds a segment like capsule, choosing the faster column/row scan
// for lines up to 2·thinMax pixels wide.
func (c *coverMask) line(x0, y0, x1, y1, hw, k float32) {
	if hw <= thinMax {
		c.thin(x0, y0, x1, y1, hw, k)
	} else {
		c.capsule(x0, y0, x1, y1, hw, k)
	}
}

// thin adds a narrow segment by scanning along its major axis: each pixel
// column (or row) crossed gets coverage R − d across the line, where d is
// the perpendicular distance of the pixel centre. The ends are cut square
// half a pixel beyond the end points, which cannot be told from round ends
// at these widths and leaves no gaps where segments join.
func (c *coverMask) thin(x0, y0, x1, y1, hw, k float32) {
	if !(finite32(x0) && finite32(y0) && finite32(x1) && finite32(y1)) {
		return
	}
	if hw < 0.5 {
		k *= 2 * hw
		hw = 0.5
	}
	R := hw + 0.5
	dx, dy := x1-x0, y1-y0
	adx, ady := abs32(dx), abs32(dy)
	if adx > 1e7 || ady > 1e7 {
		return
	}
	if max(x0, x1)+R < 0 || min(x0, x1)-R > float32(c.w) || max(y0, y1)+R < 0 || min(y0, y1)-R > float32(c.h) {
		return
	}
	L := float32(math.Sqrt(float64(dx*dx + dy*dy)))
	k255 := k * 255
	// Work in (major, minor) coordinates; stride steps one minor unit.
	var a0, b0, a1, b1 float32 // major, minor coordinates of the ends
	var nMajor, nMinor, sMajor, sMinor int
	if adx >= ady {
		a0, b0, a1, b1 = x0, y0, x1, y1
		nMajor, nMinor, sMajor, sMinor = c.w, c.h, 1, c.w
	} else {
		a0, b0, a1, b1 = y0, x0, y1, x1
		nMajor, nMinor, sMajor, sMinor = c.h, c.w, c.w, 1
	}
	if a0 > a1 {
		a0, b0, a1, b1 = a1, b1, a0, b0
	}
	var slope, cos float32 = 0, 1
	if L > 1e-6 {
		slope = (b1 - b0) / (a1 - a0)
		cos = abs32(a1-a0) / L
	}
	ext := R / cos                        // minor half extent with coverage
	i0 := max(ceilInt(a0-1), 0)           // centres ≥ a0 − ½
	i1 := min(floorInt(a1+0.5), nMajor-1) // centres ≤ a1 + ½
	if i0 > i1 {
		return
	}
	bLo, bHi := min(b0, b1)-ext, max(b0, b1)+ext
	j0 := max(floorInt(bLo), 0)
	j1 := min(ceilInt(bHi), nMinor)
	if j0 >= j1 {
		return
	}
	if sMajor == 1 {
		c.mark(i0, j0, i1+1, j1)
	} else {
		c.mark(j0, i0, j1, i1+1)
	}
	for i := i0; i <= i1; i++ {
		bc := b0 + (float32(i)+0.5-a0)*slope
		lo := max(ceilInt(bc-ext-0.5), 0)
		hi := min(floorInt(bc+ext-0.5), nMinor-1)
		off := i*sMajor + lo*sMinor
		d := (float32(lo) + 0.5 - bc) * cos
		for j := lo; j <= hi; j, off, d = j+1, off+sMinor, d+cos {
			cov := R - abs32(d)
			cov = min(max(cov, 0), 1)
			v := uint8(cov*k255 + 0.5)
			if v > c.m[off] {
				c.m[off] = v
			}
		}
	}
}

// disc adds a filled circle of radius r centred at (cx, cy).
func (c *coverMask) disc(cx, cy, r, k float32) { c.capsule(cx, cy, cx, cy, r, k) }

// ring adds a circle outline of radius r and half line width hw.
func (c *coverMask) ring(cx, cy, r, hw, k float32) {
	if !(finite32(cx) && finite32(cy)) || r <= 0 {
		return
	}
	if hw < 0.5 {
		k *= 2 * hw
		hw = 0.5
	}
	R := r + hw + 0.5
	ix0, ix1 := max(int(math.Floor(float64(cx-R))), 0), min(int(math.Ceil(float64(cx+R))), c.w)
	jy0, jy1 := max(int(math.Floor(float64(cy-R))), 0), min(int(math.Ceil(float64(cy+R))), c.h)
	if ix0 >= ix1 || jy0 >= jy1 {
		return
	}
	c.mark(ix0, jy0, ix1, jy1)
	k255 := k * 255
	for j := jy0; j < jy1; j++ {
		dy := float32(j) + 0.5 - cy
		row := c.m[j*c.w : j*c.w+c.w]
		for i := ix0; i < ix1; i++ {
			dx := float32(i) + 0.5 - cx
			d := float32(math.Sqrt(float64(dx*dx+dy*dy))) - r
			if d < 0 {
				d = -d
			}
			cov := hw + 0.5 - d
			if cov <= 0 {
				continue
			}
			if cov > 1 {
				cov = 1
			}
			if v := uint8(cov*k255 + 0.5); v > row[i] {
				row[i] = v
			}
		}
	}
}

// beginFill starts a polygon fill whose outline lies within the pixel box
// [x0, x1]×[y0, y1]. Path points are then given with moveTo/lineTo/quadTo in
// surface pixels, and endFill adds the filled shape to the mask.
func (c *coverMask) beginFill(x0, y0, x1, y1 float32) {
	ix0 := max(int(math.Floor(float64(x0)))-1, 0)
	iy0 := max(int(math.Floor(float64(y0)))-1, 0)
	ix1 := min(int(math.Ceil(float64(x1)))+1, c.w)
	iy1 := min(int(math.Ceil(float64(y1)))+1, c.h)
	c.fillOK = finite32(x0) && finite32(y0) && finite32(x1) && finite32(y1) && ix0 < ix1 && iy0 < iy1
	if !c.fillOK {
		return
	}
	w, h := ix1-ix0, iy1-iy0
	c.ox, c.oy = ix0, iy0
	c.ras.Reset(w, h)
	c.ras.DrawOp = draw.Src
	if n := w * h; n > cap(c.alpha.Pix) {
		c.alpha.Pix = make([]uint8, n)
	} else {
		c.alpha.Pix = c.alpha.Pix[:n]
	}
	c.alpha.Stride = w
	c.alpha.Rect = image.Rect(0, 0, w, h)
}

func (c *coverMask) moveTo(x, y float32) {
	if c.fillOK {
		c.ras.MoveTo(x-float32(c.ox), y-float32(c.oy))
	}
}

func (c *coverMask) lineTo(x, y float32) {
	if c.fillOK {
		c.ras.LineTo(x-float32(c.ox), y-float32(c.oy))
	}
}

func (c *coverMask) quadTo(bx, by, x, y float32) {
	if c.fillOK {
		c.ras.QuadTo(bx-float32(c.ox), by-float32(c.oy), x-float32(c.ox), y-float32(c.oy))
	}
}

// endFill closes the current path and max-merges its coverage, scaled by k,
// into the mask.
func (c *coverMask) endFill(k float32) {
	if !c.fillOK {
		return
	}
	c.fillOK = false
	c.ras.ClosePath()
	c.ras.Draw(&c.alpha, c.alpha.Rect, image.Opaque, image.Point{})
	w, h := c.alpha.Rect.Dx(), c.alpha.Rect.Dy()
	c.mark(c.ox, c.oy, c.ox+w, c.oy+h)
	kk := uint32(k*256 + 0.5)
	for y := 0; y < h; y++ {
		src := c.alpha.Pix[y*w : y*w+w]
		dst := c.m[(c.oy+y)*c.w+c.ox:]
		for x, a := range src {
			if a == 0 {
				continue
			}
			v := uint8(uint32(a) * kk >> 8)
			if v > dst[x] {
				dst[x] = v
			}
		}
	}
}

// flush composites the collected coverage onto s in colour p and clears the
// mask for the next group. It walks whole pixel rows across the dirty tiles
// of each tile row, so that memory is read in order.
func (c *coverMask) flush(s surface, p paint) {
	if len(c.dirty) == 0 {
		return
	}
	ts := 1 << tileShift
	for ty := 0; ty < c.th; ty++ {
		on := c.tileOn[ty*c.tw : (ty+1)*c.tw]
		any := false
		for _, b := range on {
			any = any || b
		}
		if !any {
			continue
		}
		y0, y1 := ty*ts, min((ty+1)*ts, c.h)
		for y := y0; y < y1; y++ {
			mrow := c.m[y*c.w : (y+1)*c.w]
			out := s.pix[y*s.stride : y*s.stride+4*c.w]
			for tx, b := range on {
				if !b {
					continue
				}
				x0, x1 := tx*ts, min((tx+1)*ts, c.w)
				i := x0
				for ; i+8 <= x1; i += 8 {
					word := binary.LittleEndian.Uint64(mrow[i:])
					if word == 0 {
						continue
					}
					binary.LittleEndian.PutUint64(mrow[i:], 0)
					for word != 0 {
						b := bits.TrailingZeros64(word) &^ 7
						v := uint32(word>>b) & 0xff
						word &^= 0xff << b
						blendPix(out[4*(i+b>>3):], p, div255(v*p.a))
					}
				}
				for ; i < x1; i++ {
					if v := mrow[i]; v != 0 {
						blendPix(out[4*i:], p, div255(uint32(v)*p.a))
						mrow[i] = 0
					}
				}
			}
		}
		for tx := range on {
			on[tx] = false
		}
	}
	c.dirty = c.dirty[:0]
}
