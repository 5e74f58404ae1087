package imageflow

import (
	"fmt"
	"math"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
)

// Logit is the elementwise pixel transform of RealNVP and Glow: y = logit(α + (1 − 2α)·x)
// for pixel values x in [0, 1], with log|det| = Σ log((1 − 2α) / (s(1 − s))), s = α + (1 − 2α)x.
// The boundary α ∈ (0, ½) keeps pure black and white finite. Its inverse is
// x = (sigmoid(y) − α)/(1 − 2α). Inputs outside (−α/(1−2α), 1 + α/(1−2α)) give NaN: callers
// clamp images to [0, 1] first.
type Logit struct {
	N     int
	Alpha float64
}

var _ flow.Transform = (*Logit)(nil)

// Features returns n.
func (t *Logit) Features() int { return t.N }

type logitRecord struct {
	inverse bool
	s       []float32 // s = α + (1 − 2α)x per element, the sigmoid of y
}

// forward1 returns y and log(dy/dx) for one value.
func (t *Logit) forward1(x float64) (y, logd float64) {
	s := t.Alpha + (1-2*t.Alpha)*x
	return math.Log(s / (1 - s)), math.Log((1 - 2*t.Alpha) / (s * (1 - s)))
}

// inverse1 returns x, log(dx/dy) and s = sigmoid(y) for one value.
func (t *Logit) inverse1(y float64) (x, logd, s float64) {
	s = 1 / (1 + math.Exp(-y))
	return (s - t.Alpha) / (1 - 2*t.Alpha), math.Log(s * (1 - s) / (1 - 2*t.Alpha)), s
}

func (t *Logit) run(a *nn.Arena, x nn.Mat, record, inverse bool) (nn.Mat, []float32, flow.Record) {
	checkWidth("logit", t.N, x)
	z := a.RawMat(x.Rows, t.N)
	ld := a.Floats(x.Rows)
	var rec *logitRecord
	if record {
		rec = &logitRecord{inverse: inverse, s: a.Uninit(len(x.Data))}
	}
	for i := 0; i < x.Rows; i++ {
		var sum float64
		xr, zr := x.Row(i), z.Row(i)
		for j, v := range xr {
			var out, l, s float64
			if inverse {
				out, l, s = t.inverse1(float64(v))
			} else {
				out, l = t.forward1(float64(v))
				s = t.Alpha + (1-2*t.Alpha)*float64(v)
			}
			zr[j] = float32(out)
			sum += l
			if record {
				rec.s[i*t.N+j] = float32(s)
			}
		}
		ld[i] = float32(sum)
	}
	if record {
		return z, ld, rec
	}
	return z, ld, nil
}

// Forward maps pixels to logit space.
func (t *Logit) Forward(a *nn.Arena, _ []float32, x nn.Mat, record bool) (nn.Mat, []float32, flow.Record) {
	return t.run(a, x, record, false)
}

// Inverse maps logit space back to pixels.
func (t *Logit) Inverse(a *nn.Arena, _ []float32, z nn.Mat, record bool) (nn.Mat, []float32, flow.Record) {
	return t.run(a, z, record, true)
}

// Backward differentiates a recorded call, including its log|det|. The transform has no
// trainable parameters.
func (t *Logit) Backward(a *nn.Arena, _ []float32, r flow.Record, g nn.Mat, gld []float32, _ []float32) nn.Mat {
	rec := r.(*logitRecord)
	if len(rec.s) != len(g.Data) {
		panic(fmt.Sprintf("imageflow: logit backward of %d values for a record of %d", len(g.Data), len(rec.s)))
	}
	gx := a.RawMat(g.Rows, t.N)
	c := 1 - 2*t.Alpha
	for i := 0; i < g.Rows; i++ {
		var gl float64
		if gld != nil {
			gl = float64(gld[i])
		}
		for j, gv := range g.Row(i) {
			s := float64(rec.s[i*t.N+j])
			if !rec.inverse {
				// dy/dx = c/(s(1−s)); d log|dy/dx| / dx = −c(1 − 2s)/(s(1−s))
				q := s * (1 - s)
				gx.Data[i*t.N+j] = float32(float64(gv)*c/q - gl*c*(1-2*s)/q)
			} else {
				// dx/dy = s(1−s)/c; d log|dx/dy| / dy = 1 − 2s
				gx.Data[i*t.N+j] = float32(float64(gv)*s*(1-s)/c + gl*(1-2*s))
			}
		}
	}
	return gx
}

// deriv returns dy/dx at pixel value x.
func (t *Logit) deriv(x float32) float32 {
	s := t.Alpha + (1-2*t.Alpha)*float64(x)
	return float32((1 - 2*t.Alpha) / (s * (1 - s)))
}
