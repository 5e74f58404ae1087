package flow

import (
	"math"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// ScalarAffine is the inner transform g of spec 5.3: u = a·h + b per coordinate, with
// log|det| = Σ log(|a| + 1e-6).
type ScalarAffine struct {
	D            int
	Scale, Shift nn.ParamSpec
}

// NewScalarAffine registers the scale and shift (named as in the original checkpoints).
func NewScalarAffine(l *nn.Layout, d int) *ScalarAffine {
	return &ScalarAffine{D: d, Scale: l.Add("inner_transform.scale", d), Shift: l.Add("inner_transform.shift", d)}
}

// Features returns d.
func (t *ScalarAffine) Features() int { return t.D }

type affineRecord struct {
	inverse bool
	in      nn.Mat
	out     nn.Mat
}

func (t *ScalarAffine) logDet(p []float32) float32 {
	var s float64
	for _, a := range t.Scale.View(p) {
		s += math.Log(math.Abs(float64(a)) + 1e-6)
	}
	return float32(s)
}

// Forward computes u = a·h + b.
func (t *ScalarAffine) Forward(ar *nn.Arena, p []float32, x nn.Mat, record bool) (nn.Mat, []float32, Record) {
	checkFeatures("scalar affine", t, x)
	a, b := t.Scale.View(p), t.Shift.View(p)
	z := ar.Mat(x.Rows, x.Cols)
	ld := ar.Floats(x.Rows)
	l := t.logDet(p)
	for i := 0; i < x.Rows; i++ {
		for j, v := range x.Row(i) {
			z.Data[i*x.Cols+j] = a[j]*v + b[j]
		}
		ld[i] = l
	}
	return z, ld, &affineRecord{in: x, out: z}
}

// Inverse computes h = (u − b)/a.
func (t *ScalarAffine) Inverse(ar *nn.Arena, p []float32, z nn.Mat, record bool) (nn.Mat, []float32, Record) {
	checkFeatures("scalar affine", t, z)
	a, b := t.Scale.View(p), t.Shift.View(p)
	x := ar.Mat(z.Rows, z.Cols)
	ld := ar.Floats(z.Rows)
	l := -t.logDet(p)
	for i := 0; i < z.Rows; i++ {
		for j, v := range z.Row(i) {
			x.Data[i*z.Cols+j] = (v - b[j]) / a[j]
		}
		ld[i] = l
	}
	return x, ld, &affineRecord{inverse: true, in: z, out: x}
}

// Backward differentiates a recorded call.
func (t *ScalarAffine) Backward(ar *nn.Arena, p []float32, r Record, g nn.Mat, gld []float32, grad []float32) nn.Mat {
	rec := r.(*affineRecord)
	a := t.Scale.View(p)
	var ga, gb []float32
	if grad != nil {
		ga, gb = t.Scale.View(grad), t.Shift.View(grad)
	}
	gIn := ar.Mat(g.Rows, g.Cols)
	var sumLd float64
	for _, v := range gld {
		sumLd += float64(v)
	}
	for j := range a {
		aj := float64(a[j])
		dlog := math.Copysign(1, aj) / (math.Abs(aj) + 1e-6)
		var sa, sb float64
		for i := 0; i < g.Rows; i++ {
			gi := float64(g.Data[i*g.Cols+j])
			if !rec.inverse {
				sa += gi * float64(rec.in.Data[i*g.Cols+j])
				sb += gi
				gIn.Data[i*g.Cols+j] = float32(gi * aj)
			} else {
				h := float64(rec.out.Data[i*g.Cols+j])
				sa -= gi * h / aj
				sb -= gi / aj
				gIn.Data[i*g.Cols+j] = float32(gi / aj)
			}
		}
		if rec.inverse {
			sa -= sumLd * dlog
		} else {
			sa += sumLd * dlog
		}
		if grad != nil {
			ga[j] += float32(sa)
			gb[j] += float32(sb)
		}
	}
	return gIn
}
