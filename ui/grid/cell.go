package grid

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// DrawCell draws one run's panel into the rectangle rc of img: the data faint, the warped
// grid fainter, the learned curve bold (light beyond the data's ends), the name and label,
// the verdict badge, the distances, a note and the step. view is the data box xmin, xmax,
// ymin, ymax shown (the same in every panel, so panels compare at a glance).
func DrawCell(r *plane.Renderer, img *image.RGBA, rc image.Rectangle, data []float32, c *Cell, view [4]float64) {
	draw.Draw(img, rc, image.NewUniform(panelEdge), image.Point{}, draw.Src)
	inner := rc.Inset(1)
	draw.Draw(img, inner, image.NewUniform(panelBg), image.Point{}, draw.Src)
	sub := img.SubImage(inner).(*image.RGBA)
	cs := float32(min(rc.Dx(), rc.Dy()))
	vp := plane.Fit(view[0], view[1], view[2], view[3], inner.Dx(), inner.Dy(), 0)
	curve := curveCol
	if c.Curve.A != 0 {
		curve = c.Curve
	}
	tail := curve
	tail.A = 90
	if c.Dim {
		curve.A, tail.A = 70, 30
	}
	if len(c.Gridded) > 0 {
		r.DrawPolylines(sub, vp, c.Gridded, max(0.8, cs/450), color.NRGBA{150, 160, 185, 70})
	}
	r.DrawPoints(sub, vp, data, nil, []color.NRGBA{dataColour}, max(0.9, cs/380), 0.22)
	r.DrawPolylines(sub, vp, c.Tails, max(1.2, cs/300), tail)
	r.DrawPolyline(sub, vp, c.Core, max(2.2, cs/130), curve)

	label := cs / 20
	halo := color.NRGBA{248, 248, 246, 220}
	title := c.Title
	if title == "" {
		title = fmt.Sprintf("seed %d", c.Seed)
	}
	r.DrawText(sub, cs*0.04, cs*0.04+label, title, plane.TextStyle{Size: label, Color: ink, Halo: halo})
	small := cs / 25
	if c.Label != "" {
		r.DrawText(sub, cs*0.04, cs*0.04+label+small*1.35, c.Label, plane.TextStyle{Size: small, Color: softInk, Halo: halo})
	}
	if !c.NoBadge || c.Pending != "" {
		col, ok := badge[c.Verdict]
		if !ok {
			col = [2]color.NRGBA{softInk, paper}
		}
		text := c.Verdict.String()
		if c.Pending != "" {
			text, col = c.Pending, [2]color.NRGBA{{205, 205, 200, 255}, softInk}
		}
		tw, _ := r.MeasureText(text, label*0.9)
		r.DrawBadge(sub, float32(inner.Dx())-cs*0.04-tw/2-0.42*label*0.9, cs*0.04+label*0.62, text, label*0.9, col[0], col[1])
	}
	bottom := float32(inner.Dy()) - cs*0.045
	dist := ""
	if !math.IsNaN(c.D2M95) {
		dist = fmt.Sprintf("d2m95 %.3f", c.D2M95)
		if !math.IsNaN(c.M2D95Core) {
			dist += fmt.Sprintf("   core %.3f", c.M2D95Core)
		}
	}
	r.DrawText(sub, cs*0.04, bottom, dist, plane.TextStyle{Size: small, Color: softInk, Halo: halo})
	if c.Step > 0 {
		r.DrawText(sub, float32(inner.Dx())-cs*0.04, bottom, fmt.Sprintf("step %d", c.Step), plane.TextStyle{Size: small, Color: softInk, Halo: halo, Align: plane.AlignRight})
	}
	if c.Note != "" {
		r.DrawText(sub, cs*0.04, bottom-small*1.4, c.Note, plane.TextStyle{Size: small, Color: ink, Halo: halo})
	}
}

// Range returns the smallest and largest h_M = f(x)₁ over at most n evenly spread data
// points (x0, y0, x1, y1, …): the learned curve's parameter interval between the data's
// ends. NaN, NaN when none is finite.
func Range(f *flow.MFlow, data []float32, n int) (lo, hi float64) {
	rows := len(data) / 2
	n = max(1, min(n, rows))
	x := nn.NewMat(n, 2)
	for i := range n {
		j := i * rows / n
		x.Data[2*i], x.Data[2*i+1] = data[2*j], data[2*j+1]
	}
	h, _ := f.OuterForward(x)
	lo, hi = math.Inf(1), math.Inf(-1)
	for i := range n {
		if t := float64(h.Data[2*i]); !math.IsNaN(t) && !math.IsInf(t, 0) {
			lo, hi = math.Min(lo, t), math.Max(hi, t)
		}
	}
	if lo > hi {
		return math.NaN(), math.NaN()
	}
	return lo, hi
}

// CurvesN is Curves with nCore points between the data's ends and nTail beyond each end
// (a live panel needs fewer than a figure).
func CurvesN(f *flow.MFlow, lo, hi float64, nCore, nTail int) (core []float32, tails [][]float32) {
	if !(hi >= lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || nCore < 2 || nTail < 2 {
		return nil, nil
	}
	span := max(hi-lo, 1e-3)
	ts := make([]float64, 0, nCore+2*nTail)
	ts = append(ts, flow.Linspace(lo-span, lo, nTail)...)
	ts = append(ts, flow.Linspace(lo, hi, nCore)...)
	ts = append(ts, flow.Linspace(hi, hi+span, nTail)...)
	h := nn.NewMat(len(ts), 2)
	for i, t := range ts {
		h.Data[2*i] = float32(t)
	}
	x, _ := f.OuterInverse(h)
	a, b := 2*nTail, 2*(nTail+nCore)
	return x.Data[a:b], [][]float32{x.Data[:a], x.Data[b:]}
}
