package plane

import (
	"encoding/binary"
	"image"
	"image/color"
	"math"
)

// Grid is a scalar field sampled on a regular NX×NY lattice over the data
// box [X0, X1]×[Y0, Y1]: V[j*NX+i] is the value at x = X0 + i·(X1−X0)/(NX−1),
// y = Y0 + j·(Y1−Y0)/(NY−1), so row 0 is y = Y0.
type Grid struct {
	X0, X1, Y0, Y1 float64
	NX, NY         int
	V              []float32
}

// check panics if the grid's shape is inconsistent.
func (g *Grid) check() {
	if g.NX < 2 || g.NY < 2 {
		panic("plane: grid needs at least 2×2 samples")
	}
	if len(g.V) != g.NX*g.NY {
		panic("plane: grid has len(V) != NX*NY")
	}
	if !(g.X1 > g.X0) || !(g.Y1 > g.Y0) {
		panic("plane: grid box is empty")
	}
}

// At returns the bilinear interpolation of the grid at the data point
// (x, y), or NaN outside the grid box.
func (g *Grid) At(x, y float64) float32 {
	g.check()
	gx := (x - g.X0) / (g.X1 - g.X0) * float64(g.NX-1)
	gy := (y - g.Y0) / (g.Y1 - g.Y0) * float64(g.NY-1)
	if !(gx >= 0 && gx <= float64(g.NX-1) && gy >= 0 && gy <= float64(g.NY-1)) {
		return float32(math.NaN())
	}
	i, j := min(int(gx), g.NX-2), min(int(gy), g.NY-2)
	wx, wy := float32(gx-float64(i)), float32(gy-float64(j))
	v0 := g.V[j*g.NX+i] + wx*(g.V[j*g.NX+i+1]-g.V[j*g.NX+i])
	v1 := g.V[(j+1)*g.NX+i] + wx*(g.V[(j+1)*g.NX+i+1]-g.V[(j+1)*g.NX+i])
	return v0 + wy*(v1-v0)
}

// heatScratch holds the per-column and per-row buffers of shade.
type heatScratch struct {
	ix  []int32
	wx  []float32
	row []float32
	lut [256]lutEntry
}

// lutEntry is one colormap colour ready for the pixel loop: the opaque
// pixel itself, or for blending the colour's lanes times its alpha and
// 255 − alpha (see blendPix).
type lutEntry struct {
	pix        uint32 // packed premultiplied RGBA, used when opaque
	rb, ga, na uint32
}

// DrawHeatmap shades the pixels inside the grid box by the bilinearly
// interpolated grid value, read as a position in [0, 1] on the colormap
// (for the decision regions: the class-1 probability). NaN is left
// unshaded.
func (r *Renderer) DrawHeatmap(dst *image.RGBA, vp Viewport, g *Grid, cm *Colormap) {
	r.shade(dst, vp, g, cm, 0, 1, 1)
}

// DrawDensity blends a heat map of the grid over the image: values are
// normalised from [lo, hi] to [0, 1] (clamped) and coloured by cm, with
// the colormap's alpha scaled by alpha. NaN and −Inf stay transparent.
func (r *Renderer) DrawDensity(dst *image.RGBA, vp Viewport, g *Grid, cm *Colormap, lo, hi, alpha float32) {
	if !(hi > lo) {
		hi = lo + 1
	}
	r.shade(dst, vp, g, cm, lo, hi, alpha)
}

// shade is the common pixel loop of DrawHeatmap and DrawDensity.
func (r *Renderer) shade(dst *image.RGBA, vp Viewport, g *Grid, cm *Colormap, lo, hi, alpha float32) {
	g.check()
	s := viewSurface(dst, vp)
	if s.w == 0 || !(alpha > 0) {
		return
	}
	hs := &r.heat
	opaque := true
	for i, c := range cm {
		p := paintOf(c)
		a := uint32(float32(p.a)*min(alpha, 1) + 0.5)
		hs.lut[i] = lutEntry{
			pix: div255(p.r*a) | div255(p.g*a)<<8 | div255(p.b*a)<<16 | a<<24,
			rb:  p.rb * a, ga: p.ga * a, na: 255 - a,
		}
		opaque = opaque && a == 255
	}
	// Columns and rows whose pixel centres lie inside the grid box.
	x0, y1 := vp.ToPixel(g.X0, g.Y0)
	x1, y0 := vp.ToPixel(g.X1, g.Y1)
	c0 := max(int(math.Ceil(float64(x0)-0.5)), 0)
	c1 := min(int(math.Floor(float64(x1)-0.5))+1, s.w)
	r0 := max(int(math.Ceil(float64(y0)-0.5)), 0)
	r1 := min(int(math.Floor(float64(y1)-0.5))+1, s.h)
	if c0 >= c1 || r0 >= r1 {
		return
	}
	nc := c1 - c0
	if cap(hs.ix) < nc {
		hs.ix, hs.wx = make([]int32, nc), make([]float32, nc)
	}
	hs.ix, hs.wx = hs.ix[:nc], hs.wx[:nc]
	sx := float64(g.NX-1) / (g.X1 - g.X0)
	for c := c0; c < c1; c++ {
		x, _ := vp.ToData(float64(c)+0.5, 0)
		gx := math.Max(0, math.Min(float64(g.NX-1), (x-g.X0)*sx))
		i := min(int(gx), g.NX-2)
		hs.ix[c-c0], hs.wx[c-c0] = int32(i), float32(gx-float64(i))
	}
	if cap(hs.row) < g.NX {
		hs.row = make([]float32, g.NX)
	}
	row := hs.row[:g.NX]
	sy := float64(g.NY-1) / (g.Y1 - g.Y0)
	mul := 255 / (hi - lo)
	for y := r0; y < r1; y++ {
		_, yd := vp.ToData(0, float64(y)+0.5)
		gy := math.Max(0, math.Min(float64(g.NY-1), (yd-g.Y0)*sy))
		j := min(int(gy), g.NY-2)
		wy := float32(gy - float64(j))
		a, b := g.V[j*g.NX:(j+1)*g.NX], g.V[(j+1)*g.NX:(j+2)*g.NX]
		for i := range row {
			row[i] = a[i] + wy*(b[i]-a[i])
		}
		out := s.pix[y*s.stride+4*c0 : y*s.stride+4*c1]
		wx := hs.wx[:len(hs.ix)]
		for c, ix := range hs.ix {
			v0, v1 := row[ix], row[ix+1]
			t := (v0 + wx[c]*(v1-v0) - lo) * mul
			if !(t >= -big) { // NaN or −Inf: leave the pixel alone
				continue
			}
			e := &hs.lut[uint8(min(max(t, 0), 255)+0.5)]
			q := out[4*c : 4*c+4 : 4*c+4]
			if opaque {
				binary.LittleEndian.PutUint32(q, e.pix)
			} else if e.na < 255 {
				d := binary.LittleEndian.Uint32(q)
				rb := e.rb + (d&0x00ff00ff)*e.na + 0x00800080
				ga := e.ga + (d>>8&0x00ff00ff)*e.na + 0x00800080
				binary.LittleEndian.PutUint32(q, (rb+rb>>8&0x00ff00ff)>>8&0x00ff00ff|(ga+ga>>8&0x00ff00ff)&0xff00ff00)
			}
		}
	}
}

// DrawContour draws the level line of the grid at value level (marching
// squares over the bilinear cells), width pixels wide in colour col.
func (r *Renderer) DrawContour(dst *image.RGBA, vp Viewport, g *Grid, level float32, width float32, col color.NRGBA) {
	g.check()
	s := viewSurface(dst, vp)
	if s.w == 0 || col.A == 0 {
		return
	}
	m := &r.mask
	m.begin(s.w, s.h)
	hw := width / 2
	a := vp.affine()
	dx := float32(g.X1-g.X0) / float32(g.NX-1)
	dy := float32(g.Y1-g.Y0) / float32(g.NY-1)
	// Pixel position of lattice node (i, j) is (bx + i·pdx, by + j·pdy).
	pdx, pdy := a.ax*dx, a.ay*dy
	bx, by := a.ax*float32(g.X0)+a.bx, a.ay*float32(g.Y0)+a.by
	W, H := float32(s.w), float32(s.h)
	for j := 0; j < g.NY-1; j++ {
		cy0, cy1 := by+float32(j)*pdy, by+float32(j+1)*pdy
		if min(cy0, cy1) > H+hw+1 || max(cy0, cy1) < -hw-1 {
			continue
		}
		lo, hi := g.V[j*g.NX:(j+1)*g.NX], g.V[(j+1)*g.NX:(j+2)*g.NX]
		for i := 0; i < g.NX-1; i++ {
			cx0 := bx + float32(i)*pdx
			if cx0 > W+hw+1 || cx0+pdx < -hw-1 {
				continue
			}
			v00, v10, v11, v01 := lo[i], lo[i+1], hi[i+1], hi[i]
			var code int
			if v00 > level {
				code |= 1
			}
			if v10 > level {
				code |= 2
			}
			if v11 > level {
				code |= 4
			}
			if v01 > level {
				code |= 8
			}
			if code == 0 || code == 15 || v00 != v00 || v10 != v10 || v11 != v11 || v01 != v01 {
				continue
			}
			// Crossing points on the bottom, right, top and left edges.
			edge := func(e int) (float32, float32) {
				switch e {
				case 0:
					t := (level - v00) / (v10 - v00)
					return cx0 + t*pdx, cy0
				case 1:
					t := (level - v10) / (v11 - v10)
					return cx0 + pdx, cy0 + t*pdy
				case 2:
					t := (level - v01) / (v11 - v01)
					return cx0 + t*pdx, cy1
				default:
					t := (level - v00) / (v01 - v00)
					return cx0, cy0 + t*pdy
				}
			}
			seg := func(e0, e1 int) {
				x0, y0 := edge(e0)
				x1, y1 := edge(e1)
				m.line(x0, y0, x1, y1, hw, 1)
			}
			const B, R, T, L = 0, 1, 2, 3
			switch code {
			case 1, 14:
				seg(L, B)
			case 2, 13:
				seg(B, R)
			case 3, 12:
				seg(L, R)
			case 4, 11:
				seg(R, T)
			case 6, 9:
				seg(B, T)
			case 7, 8:
				seg(L, T)
			case 5, 10:
				centre := (v00+v10+v11+v01)/4 > level
				if (code == 5) == centre {
					seg(B, R)
					seg(L, T)
				} else {
					seg(L, B)
					seg(R, T)
				}
			}
		}
	}
	m.flush(s, paintOf(col))
}
