package anim

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/mflowlab/mflowlab/ui/plane"
)

// levelColours runs along a level set by its latent position h_M: violet through magenta
// to orange, dark enough to read on the light background at every step.
func levelColours() plane.Colormap {
	return plane.NewColormap(
		color.NRGBA{0x2d, 0x1e, 0x8f, 0xff}, color.NRGBA{0x6a, 0x1f, 0xa0, 0xff},
		color.NRGBA{0xa8, 0x23, 0x8e, 0xff}, color.NRGBA{0xd8, 0x3f, 0x5f, 0xff},
		color.NRGBA{0xe8, 0x74, 0x2a, 0xff})
}

// levelBuckets is how many colour steps a level set is drawn in.
const levelBuckets = 48

// levelC returns the level of frame i of n: a cosine sweep from −r to +r and back, so
// that the animation loops without a jump.
func levelC(i, n int, r float64) float64 {
	if n <= 1 {
		return 0
	}
	return -r * math.Cos(2*math.Pi*float64(i)/float64(n))
}

// levelSweep returns the largest |c| of the sweep for the option r (see Options.Range).
func levelSweep(r float64, vl viewLatent) float64 {
	switch r {
	case 0:
		return DefaultLevelRange
	case AutoLevelRange:
		return vl.levelRange()
	}
	return r
}

// newLevelSet sets up the level-set scene: every frame maps the latent line v = c through
// f⁻¹ (refined where it is in view) and draws it boldly, coloured along h_M, over the faint
// data and manifold.
func newLevelSet(m *Movie, o Options) error {
	t := newTools(o)
	vl := viewLatentOf(o.Flow, t.view, 41)
	sweep := levelSweep(o.Range, vl)
	span := vl.hmHi - vl.hmLo
	t0, t1 := vl.hmLo-0.25*span, vl.hmHi+0.25*span

	st := t.style
	st.PointAlpha = 0.22
	t.drawBase(&plane.Scene{Style: st, Layers: plane.LayerAll, Points: o.Data.X, Labels: o.Data.Y})
	man, _ := t.latentLine(o.Flow, 0, t0, t1)
	faint := t.style.Manifold
	faint.A = 70
	t.r.DrawPolyline(t.base, t.view, man, t.style.ManifoldWidth*0.6, faint)

	lo, hi, _ := latentExtent(o.Flow, o.Data) // colours span the data's h_M
	cm := levelColours()
	width := max(2.5, 4.2*float32(min(o.W, o.H))/800)
	casing := t.style.Background
	casing.A = 200
	var runs [levelBuckets][][]float32
	m.frame = func(i int, dst *image.RGBA) error {
		c := levelC(i, m.n, sweep)
		xy, ts := t.latentLine(o.Flow, c, t0, t1)
		xy = t.clipKeep(xy)
		if err := t.start(dst); err != nil {
			return err
		}
		t.r.DrawPolyline(dst, t.view, xy, width+2.5, casing)
		// Colour runs: consecutive segments in the same colour step form one polyline.
		for b := range runs {
			runs[b] = runs[b][:0]
		}
		start, bucket := 0, -1
		flush := func(end int) {
			if bucket >= 0 && end > start {
				runs[bucket] = append(runs[bucket], xy[2*start:2*end+2])
			}
		}
		for k := 0; k+1 < len(ts); k++ {
			b := min(levelBuckets-1, int(unit((ts[k]+ts[k+1])/2, lo, hi)*levelBuckets))
			if b != bucket {
				flush(k)
				start, bucket = k, b
			}
		}
		flush(len(ts) - 1)
		for b := range runs {
			if len(runs[b]) > 0 {
				t.r.DrawPolylines(dst, t.view, runs[b], width, cm.At((float64(b)+0.5)/levelBuckets))
			}
		}
		if math.Abs(c) < 0.005 {
			c = 0 // no "−0.00"
		}
		t.caption(dst, fmt.Sprintf("v = %+.2f", c),
			"latent line (h_M, v = c) mapped through f⁻¹",
			"colour: position h_M along the line · faint: the manifold v = 0")
		return nil
	}
	return nil
}
