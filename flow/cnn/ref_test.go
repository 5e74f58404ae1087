package cnn

import (
	"math"
)

// refLogits is the network in float64, written directly from cifar.md section 2 in PyTorch's
// NCHW layout: normalise, three times (direct 3×3 convolution with zero padding, ReLU, 2×2
// max-pool), flatten in (channel, row, column) order, f1 with ReLU, f2. It reads the
// parameters from m.P.
func refLogits(m *Model, img []float32) []float64 {
	mean, std := Normalisation()
	a := make([]float64, Pixels)
	for c := 0; c < Channels; c++ {
		for p := 0; p < Side*Side; p++ {
			a[c*Side*Side+p] = (float64(img[c*Side*Side+p]) - float64(mean[c])) / float64(std[c])
		}
	}
	side, ch := Side, Channels
	for _, l := range []struct {
		w, b []float32
		out  int
	}{
		{m.C1.Weight.View(m.P), m.C1.Bias.View(m.P), 32},
		{m.C2.Weight.View(m.P), m.C2.Bias.View(m.P), 64},
		{m.C3.Weight.View(m.P), m.C3.Bias.View(m.P), 128},
	} {
		conv := make([]float64, l.out*side*side)
		for o := 0; o < l.out; o++ {
			for y := 0; y < side; y++ {
				for x := 0; x < side; x++ {
					s := float64(l.b[o])
					for c := 0; c < ch; c++ {
						for ky := 0; ky < 3; ky++ {
							for kx := 0; kx < 3; kx++ {
								iy, ix := y+ky-1, x+kx-1
								if iy >= 0 && iy < side && ix >= 0 && ix < side {
									s += float64(l.w[((o*ch+c)*3+ky)*3+kx]) * a[(c*side+iy)*side+ix]
								}
							}
						}
					}
					conv[(o*side+y)*side+x] = max(s, 0)
				}
			}
		}
		half := side / 2
		a = make([]float64, l.out*half*half)
		for o := 0; o < l.out; o++ {
			for y := 0; y < half; y++ {
				for x := 0; x < half; x++ {
					p := func(dy, dx int) float64 { return conv[(o*side+2*y+dy)*side+2*x+dx] }
					a[(o*half+y)*half+x] = max(p(0, 0), p(0, 1), p(1, 0), p(1, 1))
				}
			}
		}
		side, ch = half, l.out
	}
	h := denseRef(a, m.F1.W.View(m.P), m.F1.B.View(m.P), hidden)
	for i := range h {
		h[i] = max(h[i], 0)
	}
	return denseRef(h, m.F2.W.View(m.P), m.F2.B.View(m.P), Classes)
}

func denseRef(x []float64, w, b []float32, out int) []float64 {
	y := make([]float64, out)
	for o := range y {
		s := float64(b[o])
		for i, v := range x {
			s += float64(w[o*len(x)+i]) * v
		}
		y[o] = s
	}
	return y
}

// refLoss is the float64 cross-entropy of one image.
func refLoss(m *Model, img []float32, y int32) float64 {
	z := refLogits(m, img)
	hi := math.Inf(-1)
	for _, v := range z {
		hi = max(hi, v)
	}
	var s float64
	for _, v := range z {
		s += math.Exp(v - hi)
	}
	return hi + math.Log(s) - z[y]
}
