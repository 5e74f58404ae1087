package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Linear is a fully connected layer y = x·Wᵀ + b with W stored [out, in] as in PyTorch.
type Linear struct {
	In, Out int
	W, B    ParamSpec
}

// NewLinear registers the weight and bias of a layer named prefix in l.
func NewLinear(l *Layout, prefix string, in, out int) Linear {
	return Linear{In: in, Out: out, W: l.Add(prefix+".weight", out, in), B: l.Add(prefix+".bias", out)}
}

// InitDefault fills the layer with PyTorch's default uniform(±1/√in) initialisation.
func (ln Linear) InitDefault(p []float32, rng *rand.Rand) {
	bound := 1 / math.Sqrt(float64(ln.In))
	ln.W.InitUniform(p, bound, rng)
	ln.B.InitUniform(p, bound, rng)
}

// Forward computes y = x·Wᵀ + b into y (rows×Out) using parameters p.
func (ln Linear) Forward(y, x Mat, p []float32) {
	if x.Cols != ln.In || y.Cols != ln.Out || y.Rows != x.Rows {
		panic(fmt.Sprintf("nn: linear %d→%d forward on %d×%d into %d×%d", ln.In, ln.Out, x.Rows, x.Cols, y.Rows, y.Cols))
	}
	b := ln.B.View(p)
	for i := 0; i < y.Rows; i++ {
		copy(y.Row(i), b)
	}
	if ln.In == 1 {
		w := ln.W.View(p)
		for i := 0; i < y.Rows; i++ {
			xi := x.Data[i]
			row := y.Row(i)
			for j := range row {
				row[j] += xi * w[j]
			}
		}
		return
	}
	Gemm(false, true, x.Rows, ln.Out, ln.In, 1, x.Data, ln.In, ln.W.View(p), ln.In, 1, y.Data, ln.Out)
}

// Backward accumulates dL/dW and dL/db into grad (skipped when grad is nil) and, when gx has
// data, writes dL/dx into gx.
func (ln Linear) Backward(gx, gy, x Mat, p, grad []float32) {
	if gy.Cols != ln.Out || x.Cols != ln.In || gy.Rows != x.Rows {
		panic(fmt.Sprintf("nn: linear %d→%d backward on gy %d×%d, x %d×%d", ln.In, ln.Out, gy.Rows, gy.Cols, x.Rows, x.Cols))
	}
	if grad == nil {
		if gx.Data != nil {
			if ln.In == 1 {
				w := ln.W.View(p)
				for i := 0; i < gy.Rows; i++ {
					var s float32
					for j, v := range gy.Row(i) {
						s += v * w[j]
					}
					gx.Data[i] = s
				}
				return
			}
			Gemm(false, false, gy.Rows, ln.In, ln.Out, 1, gy.Data, ln.Out, ln.W.View(p), ln.In, 0, gx.Data, ln.In)
		}
		return
	}
	gb := ln.B.View(grad)
	for i := 0; i < gy.Rows; i++ {
		for j, v := range gy.Row(i) {
			gb[j] += v
		}
	}
	gw := ln.W.View(grad)
	if ln.In == 1 {
		w := ln.W.View(p)
		for i := 0; i < gy.Rows; i++ {
			xi := x.Data[i]
			var s float32
			for j, v := range gy.Row(i) {
				gw[j] += v * xi
				s += v * w[j]
			}
			if gx.Data != nil {
				gx.Data[i] = s
			}
		}
		return
	}
	// dW[out,in] += gyᵀ·x
	Gemm(true, false, ln.Out, ln.In, gy.Rows, 1, gy.Data, ln.Out, x.Data, ln.In, 1, gw, ln.In)
	if gx.Data != nil {
		Gemm(false, false, gy.Rows, ln.In, ln.Out, 1, gy.Data, ln.Out, ln.W.View(p), ln.In, 0, gx.Data, ln.In)
	}
}
