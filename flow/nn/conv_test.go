package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// convCase is one layer geometry under test.
type convCase struct{ n, h, w, ci, co int }

var convCases = []convCase{
	{1, 2, 2, 1, 1},
	{2, 4, 6, 3, 5},
	{2, 8, 8, 17, 33},
	{3, 6, 4, 16, 32},
	{1, 10, 12, 2, 20},
}

func (c convCase) String() string { return fmt.Sprintf("%dx%dx%dx%d→%d", c.n, c.h, c.w, c.ci, c.co) }

// convFixture builds a layer with random parameters (larger than the default init, so
// that ReLU and pooling see both signs) and a random input.
func convFixture(c convCase, seed uint64) (Conv3, []float32, Images) {
	rng := rand.New(rand.NewPCG(seed, 7))
	var l Layout
	l.Add("pad", 3) // the layer's parameters do not start at offset 0
	cv := NewConv3(&l, "c", c.ci, c.co)
	p := make([]float32, l.Len)
	for i := range p {
		p[i] = float32(rng.NormFloat64() * 0.5)
	}
	x := NewImages(c.n, c.h, c.w, c.ci)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	return cv, p, x
}

// naiveConv is the direct float64 convolution: y[b,y,x,o] = bias[o] + Σ w[o,c,ky,kx]·x[b,y+ky−1,x+kx−1,c].
func naiveConv(cv Conv3, p []float32, x Images) []float64 {
	w, bias := cv.Weight.View(p), cv.Bias.View(p)
	y := make([]float64, x.N*x.H*x.W*cv.Out)
	for b := 0; b < x.N; b++ {
		for yy := 0; yy < x.H; yy++ {
			for xx := 0; xx < x.W; xx++ {
				for o := 0; o < cv.Out; o++ {
					s := float64(bias[o])
					for c := 0; c < cv.In; c++ {
						for ky := 0; ky < 3; ky++ {
							for kx := 0; kx < 3; kx++ {
								iy, ix := yy+ky-1, xx+kx-1
								if iy < 0 || iy >= x.H || ix < 0 || ix >= x.W {
									continue
								}
								s += float64(w[((o*cv.In+c)*3+ky)*3+kx]) * float64(x.Data[((b*x.H+iy)*x.W+ix)*cv.In+c])
							}
						}
					}
					y[((b*x.H+yy)*x.W+xx)*cv.Out+o] = s
				}
			}
		}
	}
	return y
}

// naiveConvBackward is the direct float64 gradient of Σ gy·conv(x): input, weight, bias.
func naiveConvBackward(cv Conv3, p []float32, x Images, gy []float64) (gx, gw, gb []float64) {
	w := cv.Weight.View(p)
	gx, gw, gb = make([]float64, len(x.Data)), make([]float64, len(w)), make([]float64, cv.Out)
	for b := 0; b < x.N; b++ {
		for yy := 0; yy < x.H; yy++ {
			for xx := 0; xx < x.W; xx++ {
				for o := 0; o < cv.Out; o++ {
					g := gy[((b*x.H+yy)*x.W+xx)*cv.Out+o]
					gb[o] += g
					for c := 0; c < cv.In; c++ {
						for ky := 0; ky < 3; ky++ {
							for kx := 0; kx < 3; kx++ {
								iy, ix := yy+ky-1, xx+kx-1
								if iy < 0 || iy >= x.H || ix < 0 || ix >= x.W {
									continue
								}
								xi := ((b*x.H+iy)*x.W+ix)*cv.In + c
								wi := ((o*cv.In+c)*3+ky)*3 + kx
								gw[wi] += g * float64(x.Data[xi])
								gx[xi] += g * float64(w[wi])
							}
						}
					}
				}
			}
		}
	}
	return gx, gw, gb
}

// closeTo fails unless got is within tol·scale of want everywhere (scale: want's largest
// magnitude, at least 1).
func closeTo(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 1.0
	for _, v := range want {
		scale = max(scale, math.Abs(v))
	}
	worst, at := 0.0, 0
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	if !(worst <= tol*scale) {
		t.Errorf("%s: value %d is %v, want %v (error %.3g > %.3g)", what, at, got[at], want[at], worst, tol*scale)
	}
}

func TestConv3ForwardMatchesDirect(t *testing.T) {
	for _, c := range convCases {
		t.Run(c.String(), func(t *testing.T) {
			cv, p, x := convFixture(c, 1)
			w := cv.Prepare(nil, p)
			y := NewImages(c.n, c.h, c.w, c.co)
			w.Forward(y, x, nil)
			closeTo(t, "forward", y.Data, naiveConv(cv, p, x), 1e-5)
		})
	}
}

// TestConv3ForwardPoolIsComposition checks the fused block against Forward, ReLU and
// MaxPool2 run one after another: the same bits, the same argmax where ReLU passes.
func TestConv3ForwardPoolIsComposition(t *testing.T) {
	for _, c := range convCases {
		t.Run(c.String(), func(t *testing.T) {
			cv, p, x := convFixture(c, 2)
			w := cv.Prepare(nil, p)
			y := NewImages(c.n, c.h, c.w, c.co)
			w.Forward(y, x, nil)
			ReLU(y.Data, y.Data)
			want := NewImages(c.n, c.h/2, c.w/2, c.co)
			arg := make([]int8, len(want.Data))
			MaxPool2(want, arg, y)
			got := NewImages(c.n, c.h/2, c.w/2, c.co)
			code := make([]int8, len(got.Data))
			w.ForwardPool(got, code, x, nil)
			for i := range got.Data {
				wantCode := arg[i]
				if want.Data[i] <= 0 {
					wantCode = -1
				}
				if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) || code[i] != wantCode {
					t.Fatalf("output %d: fused %v (code %d), composed %v (code %d)", i, got.Data[i], code[i], want.Data[i], wantCode)
				}
			}
		})
	}
}

// TestConv3BackwardMatchesDirect checks all three gradients of Σ r·conv(x) against the
// direct float64 formulas, and those against central finite differences of the float64
// forward pass.
func TestConv3BackwardMatchesDirect(t *testing.T) {
	for _, c := range convCases {
		t.Run(c.String(), func(t *testing.T) {
			cv, p, x := convFixture(c, 3)
			rng := rand.New(rand.NewPCG(9, 9))
			gy := NewImages(c.n, c.h, c.w, c.co)
			gy64 := make([]float64, len(gy.Data))
			for i := range gy.Data {
				gy.Data[i] = float32(rng.NormFloat64())
				gy64[i] = float64(gy.Data[i])
			}
			wx, ww, wb := naiveConvBackward(cv, p, x, gy64)
			checkConvFD(t, cv, p, x, gy64, wx, ww, wb, rng)

			w := cv.Prepare(nil, p)
			gx := NewImages(c.n, c.h, c.w, c.ci)
			grad := make([]float32, len(p))
			for i := range grad {
				grad[i] = 1 // Backward accumulates
			}
			w.Backward(gx, gy, x, grad, nil)
			for i := range grad {
				grad[i]--
			}
			closeTo(t, "input gradient", gx.Data, wx, 2e-5)
			closeTo(t, "weight gradient", cv.Weight.View(grad), ww, 2e-5)
			closeTo(t, "bias gradient", cv.Bias.View(grad), wb, 2e-5)
			for i := 0; i < cv.Weight.Off; i++ {
				if grad[i] != 0 {
					t.Fatalf("gradient %d outside the layer changed to %v", i, grad[i])
				}
			}
		})
	}
}

// checkConvFD compares the direct gradients with central differences of naiveConv at a
// few random coordinates.
func checkConvFD(t *testing.T, cv Conv3, p []float32, x Images, gy, wx, ww, wb []float64, rng *rand.Rand) {
	t.Helper()
	loss := func() float64 {
		var s float64
		for i, v := range naiveConv(cv, p, x) {
			s += v * gy[i]
		}
		return s
	}
	// the loss is linear in each value; the step is the one float32 actually took
	const h = 1.0 / 64
	fd := func(v *float32) float64 {
		old := *v
		*v = old + h
		up := *v
		lp := loss()
		*v = old - h
		down := *v
		lm := loss()
		*v = old
		return (lp - lm) / (float64(up) - float64(down))
	}
	for k := 0; k < 6; k++ {
		i := rng.IntN(len(x.Data))
		if got := fd(&x.Data[i]); math.Abs(got-wx[i]) > 1e-6*(1+math.Abs(got)) {
			t.Errorf("direct input gradient %d: %v, finite difference %v", i, wx[i], got)
		}
		j := rng.IntN(len(ww))
		if got := fd(&p[cv.Weight.Off+j]); math.Abs(got-ww[j]) > 1e-6*(1+math.Abs(got)) {
			t.Errorf("direct weight gradient %d: %v, finite difference %v", j, ww[j], got)
		}
		o := rng.IntN(len(wb))
		if got := fd(&p[cv.Bias.Off+o]); math.Abs(got-wb[o]) > 1e-6*(1+math.Abs(got)) {
			t.Errorf("direct bias gradient %d: %v, finite difference %v", o, wb[o], got)
		}
	}
}

// TestConv3BackwardPoolMatchesComposition checks the fused backward against
// MaxPool2Backward, ReLUBackward and Backward run one after another.
func TestConv3BackwardPoolMatchesComposition(t *testing.T) {
	for _, c := range convCases {
		t.Run(c.String(), func(t *testing.T) {
			cv, p, x := convFixture(c, 4)
			w := cv.Prepare(nil, p)
			rng := rand.New(rand.NewPCG(4, 4))
			pooled := NewImages(c.n, c.h/2, c.w/2, c.co)
			code := make([]int8, len(pooled.Data))
			w.ForwardPool(pooled, code, x, nil)
			gp := NewImages(c.n, c.h/2, c.w/2, c.co)
			for i := range gp.Data {
				gp.Data[i] = float32(rng.NormFloat64())
			}
			gx := NewImages(c.n, c.h, c.w, c.ci)
			grad := make([]float32, len(p))
			w.BackwardPool(gx, gp, code, x, grad, nil)

			y := NewImages(c.n, c.h, c.w, c.co)
			w.Forward(y, x, nil)
			ReLU(y.Data, y.Data)
			arg := make([]int8, len(pooled.Data))
			MaxPool2(NewImages(c.n, c.h/2, c.w/2, c.co), arg, y)
			gy := NewImages(c.n, c.h, c.w, c.co)
			MaxPool2Backward(gy, gp, arg)
			ReLUBackward(gy.Data, gy.Data, y.Data)
			gx2 := NewImages(c.n, c.h, c.w, c.ci)
			grad2 := make([]float32, len(p))
			w.Backward(gx2, gy, x, grad2, nil)
			sameBits(t, "input gradient", gx.Data, gx2.Data)
			sameBits(t, "parameter gradient", grad, grad2)
		})
	}
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d is %v, want %v (bits differ)", what, i, got[i], want[i])
		}
	}
}

// TestConv3SplitBatch checks that outputs and input gradients do not depend on how a batch
// is split into calls.
func TestConv3SplitBatch(t *testing.T) {
	c := convCase{4, 6, 6, 5, 7}
	cv, p, x := convFixture(c, 5)
	w := cv.Prepare(nil, p)
	y := NewImages(c.n, c.h/2, c.w/2, c.co)
	code := make([]int8, len(y.Data))
	w.ForwardPool(y, code, x, nil)
	gx := NewImages(c.n, c.h, c.w, c.ci)
	w.BackwardPool(gx, y, code, x, nil, nil)
	per := c.h / 2 * c.w / 2 * c.co
	for i := 0; i < c.n; i++ {
		yi := NewImages(1, c.h/2, c.w/2, c.co)
		ci := make([]int8, per)
		w.ForwardPool(yi, ci, x.Slice(i, i+1), nil)
		sameBits(t, "pooled output", yi.Data, y.Slice(i, i+1).Data)
		gi := NewImages(1, c.h, c.w, c.ci)
		w.BackwardPool(gi, yi, ci, x.Slice(i, i+1), nil, nil)
		sameBits(t, "input gradient", gi.Data, gx.Slice(i, i+1).Data)
	}
}

func TestPoolAndReLU(t *testing.T) {
	x := ImagesFrom(1, 2, 4, 1, []float32{1, 5, 2, 2, 3, 5, -1, 2})
	y := NewImages(1, 1, 2, 1)
	arg := make([]int8, 2)
	MaxPool2(y, arg, x)
	if y.Data[0] != 5 || y.Data[1] != 2 || arg[0] != 1 || arg[1] != 0 {
		t.Fatalf("maxpool2: %v %v, want [5 2] [1 0] (first maximum)", y.Data, arg)
	}
	gx := NewImages(1, 2, 4, 1)
	MaxPool2Backward(gx, ImagesFrom(1, 1, 2, 1, []float32{7, 8}), arg)
	want := []float32{0, 7, 8, 0, 0, 0, 0, 0}
	for i := range want {
		if gx.Data[i] != want[i] {
			t.Fatalf("maxpool2 backward: %v, want %v", gx.Data, want)
		}
	}
	r := make([]float32, 3)
	ReLU(r, []float32{-1, 0, 2})
	g := make([]float32, 3)
	ReLUBackward(g, []float32{4, 5, 6}, r)
	if r[0] != 0 || r[2] != 2 || g[0] != 0 || g[1] != 0 || g[2] != 6 {
		t.Fatalf("relu: %v, backward %v", r, g)
	}
}

func TestConv3ShapePanics(t *testing.T) {
	var l Layout
	cv := NewConv3(&l, "c", 3, 4)
	p := make([]float32, l.Len)
	w := cv.Prepare(nil, p)
	for name, f := range map[string]func(){
		"odd":        func() { w.Forward(NewImages(1, 3, 4, 4), NewImages(1, 3, 4, 3), nil) },
		"channels":   func() { w.Forward(NewImages(1, 4, 4, 4), NewImages(1, 4, 4, 2), nil) },
		"output":     func() { w.Forward(NewImages(1, 4, 4, 5), NewImages(1, 4, 4, 3), nil) },
		"pool":       func() { w.ForwardPool(NewImages(1, 4, 4, 4), nil, NewImages(1, 4, 4, 3), nil) },
		"codes":      func() { w.ForwardPool(NewImages(1, 2, 2, 4), make([]int8, 3), NewImages(1, 4, 4, 3), nil) },
		"unprepared": func() { (&Conv3Weights{Conv3: cv}).Forward(NewImages(1, 4, 4, 4), NewImages(1, 4, 4, 3), nil) },
		"gx":         func() { w.Backward(NewImages(1, 4, 4, 2), NewImages(1, 4, 4, 4), NewImages(1, 4, 4, 3), nil, nil) },
	} {
		func() {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "nn: ") {
					t.Errorf("%s: panic %v, want an nn: message", name, r)
				}
			}()
			f()
		}()
	}
}

func TestConv3InitDefault(t *testing.T) {
	var l Layout
	cv := NewConv3(&l, "c", 32, 64)
	p := make([]float32, l.Len)
	cv.InitDefault(p, rand.New(rand.NewPCG(1, 2)))
	bound := float32(1 / math.Sqrt(9*32))
	var hi float32
	for _, v := range p {
		hi = max(hi, float32(math.Abs(float64(v))))
	}
	if hi > bound || hi < 0.95*bound {
		t.Fatalf("largest |value| %v, want just below %v", hi, bound)
	}
	if s, ok := l.Lookup("c.weight"); !ok || fmt.Sprint(s.Shape) != "[64 32 3 3]" {
		t.Fatalf("c.weight spec %+v", s)
	}
}

// TestConv3TransformedGrad checks that a transformed gradient converted with
// AddTransformedGrad is BackwardPool's gradient, and that sums of transformed gradients
// convert to the sum of the gradients.
func TestConv3TransformedGrad(t *testing.T) {
	c := convCase{3, 6, 8, 5, 7}
	cv, p, x := convFixture(c, 12)
	w := cv.Prepare(nil, p)
	y := NewImages(c.n, c.h/2, c.w/2, c.co)
	code := make([]int8, len(y.Data))
	w.ForwardPool(y, code, x, nil)
	want := make([]float32, len(p))
	w.BackwardPool(Images{}, y, code, x, want, nil)
	tg := make([]float32, cv.TransformedGradLen())
	for i := range tg {
		tg[i] = float32(i) // overwritten
	}
	gx := NewImages(c.n, c.h, c.w, c.ci)
	w.BackwardPoolTransformed(gx, y, code, x, tg, nil)
	got := make([]float32, len(p))
	cv.AddTransformedGrad(got, tg)
	sameBits(t, "parameter gradient", got, want)
	gx2 := NewImages(c.n, c.h, c.w, c.ci)
	w.BackwardPool(gx2, y, code, x, nil, nil)
	sameBits(t, "input gradient", gx.Data, gx2.Data)

	// two halves of the batch: summed transformed, then converted
	sum := make([]float32, len(tg))
	per := c.h / 2 * c.w / 2 * c.co
	for _, r := range [][2]int{{0, 1}, {1, 3}} {
		part := make([]float32, len(tg))
		w.BackwardPoolTransformed(Images{}, y.Slice(r[0], r[1]), code[r[0]*per:r[1]*per], x.Slice(r[0], r[1]), part, nil)
		for i, v := range part {
			sum[i] += v
		}
	}
	got = make([]float32, len(p))
	cv.AddTransformedGrad(got, sum)
	want64 := make([]float64, len(want))
	for i, v := range want {
		want64[i] = float64(v)
	}
	closeTo(t, "summed parameter gradient", got, want64, 1e-6)
}
