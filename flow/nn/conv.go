package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Images is a batch of N images of H×W pixels with C channels in NHWC layout: channel c of
// pixel (y, x) of image i is Data[((i·H + y)·W + x)·C + c].
type Images struct {
	N, H, W, C int
	Data       []float32
}

// NewImages returns a zeroed batch.
func NewImages(n, h, w, c int) Images {
	return Images{N: n, H: h, W: w, C: c, Data: make([]float32, n*h*w*c)}
}

// ImagesFrom wraps data (len n·h·w·c) without copying.
func ImagesFrom(n, h, w, c int, data []float32) Images {
	if n < 0 || h < 0 || w < 0 || c < 0 || len(data) != n*h*w*c {
		panic(fmt.Sprintf("nn: ImagesFrom %d×%d×%d×%d with %d values", n, h, w, c, len(data)))
	}
	return Images{N: n, H: h, W: w, C: c, Data: data}
}

// Len is the number of values of the batch, N·H·W·C.
func (im Images) Len() int { return im.N * im.H * im.W * im.C }

// Slice returns images [i0, i1) aliasing im.
func (im Images) Slice(i0, i1 int) Images {
	s := im.H * im.W * im.C
	return Images{N: i1 - i0, H: im.H, W: im.W, C: im.C, Data: im.Data[i0*s : i1*s]}
}

func (im Images) check(ctx, what string, n, h, w, c int) {
	if im.N != n || im.H != h || im.W != w || im.C != c || len(im.Data) != n*h*w*c {
		panic(fmt.Sprintf("nn: %s: %s is %d×%d×%d×%d (%d values), want %d×%d×%d×%d", ctx, what, im.N, im.H, im.W, im.C, len(im.Data), n, h, w, c))
	}
}

// Conv3 is a 3×3 convolution with stride 1 and zero padding 1 over NHWC images, computed as
// PyTorch's Conv2d does (cross-correlation), with weight [Out, In, 3, 3] and bias [Out]
// stored in a parameter vector like Linear's.
//
// The kernels (mfconv.h) use Winograd's F(2×2, 3×3): images need even height and width.
// Every output and gradient is computed in one fixed order, so results are bit-identical at
// every SIMD level and however a batch is split into calls.
type Conv3 struct {
	In, Out      int
	Weight, Bias ParamSpec
}

// NewConv3 registers the weight and bias of a layer named prefix in l.
func NewConv3(l *Layout, prefix string, in, out int) Conv3 {
	if in < 1 || out < 1 {
		panic(fmt.Sprintf("nn: conv3 %d→%d channels", in, out))
	}
	return Conv3{In: in, Out: out, Weight: l.Add(prefix+".weight", out, in, 3, 3), Bias: l.Add(prefix+".bias", out)}
}

// InitDefault fills the layer as PyTorch's Conv2d does by default: weight
// kaiming-uniform with a = √5 and bias, both uniform(±1/√(9·In)).
func (c Conv3) InitDefault(p []float32, rng *rand.Rand) {
	bound := 1 / math.Sqrt(float64(9*c.In))
	c.Weight.InitUniform(p, bound, rng)
	c.Bias.InitUniform(p, bound, rng)
}

// Conv3Weights is a Conv3's parameters prepared for the kernels (Winograd-transformed).
// Prepare it again whenever the parameters change.
type Conv3Weights struct {
	Conv3
	u, ut, bias []float32 // U[ξ][in][out], Uᵀ[ξ][out][in], the bias
}

// Prepare transforms the layer's parameters in p for Forward and Backward, reusing dst's
// storage when dst is not nil.
func (c Conv3) Prepare(dst *Conv3Weights, p []float32) *Conv3Weights {
	if dst == nil {
		dst = &Conv3Weights{}
	}
	n := 16 * c.In * c.Out
	if dst.Conv3.In != c.In || dst.Conv3.Out != c.Out || len(dst.u) != n {
		dst.u, dst.ut = make([]float32, n), make([]float32, n)
	}
	dst.Conv3 = c
	dst.bias = c.Bias.View(p)
	winoWeights(dst.u, dst.ut, c.Weight.View(p), c.In, c.Out)
	return dst
}

// convBlock is the number of tiles the kernels transform and multiply at a time: a block's
// transformed input and products stay in the core's L2 cache
// (measured on Zen 4: about 40 K floats for the forward pass, 128 K for the backward one,
// whose weight-gradient chains gain from longer runs per block).
func convBlock(ci, co int, backward bool) int {
	budget := 40 << 10
	if backward {
		budget = 128 << 10
	}
	return max(budget/(16*(ci+co))/6*6, 6)
}

// convScratch holds a call's scratch buffers.
type convScratch struct {
	v, m, dv, zero, du, db []float32
	bt                     int
}

func (w *Conv3Weights) scratch(ws *Arena, backward bool) convScratch {
	ci, co := w.In, w.Out
	s := convScratch{bt: convBlock(ci, co, backward)}
	s.v = ws.Uninit(s.bt * 16 * ci)
	s.m = ws.Uninit(s.bt * 16 * co)
	s.zero = ws.Floats(ci)
	if backward {
		s.dv = ws.Uninit(s.bt * 16 * ci)
	}
	return s
}

func (w *Conv3Weights) checkGeometry(ctx string, x Images) {
	if w.u == nil {
		panic("nn: " + ctx + ": weights not prepared (call Conv3.Prepare)")
	}
	if x.C != w.In || x.H%2 != 0 || x.W%2 != 0 || x.N < 0 || len(x.Data) != x.N*x.H*x.W*x.C {
		panic(fmt.Sprintf("nn: %s: input %d×%d×%d×%d (%d values) for a %d→%d conv3 (need %d channels, even height and width)",
			ctx, x.N, x.H, x.W, x.C, len(x.Data), w.In, w.Out, w.In))
	}
}

// Forward writes y = conv(x) + bias (y: N×H×W×Out). ws provides scratch (nil allocates).
func (w *Conv3Weights) Forward(y, x Images, ws *Arena) {
	w.checkGeometry("conv3 forward", x)
	y.check("conv3 forward", "output", x.N, x.H, x.W, w.Out)
	if x.N == 0 {
		return
	}
	s := w.scratch(ws, false)
	convForward(-1, x, w, y.Data, nil, false, s)
}

// ForwardPool writes y = maxpool2×2(ReLU(conv(x) + bias)) (y: N×H/2×W/2×Out), the layer
// block of a small CNN in one pass. When code is not nil (len of y) it records each pooled
// value's source for BackwardPool: 0…3 for the pixel (raster order within the 2×2 window,
// the first maximum as PyTorch picks it), −1 when the maximum was ≤ 0 (ReLU passes no
// gradient).
func (w *Conv3Weights) ForwardPool(y Images, code []int8, x Images, ws *Arena) {
	w.checkGeometry("conv3 forward-pool", x)
	y.check("conv3 forward-pool", "output", x.N, x.H/2, x.W/2, w.Out)
	if code != nil && len(code) != len(y.Data) {
		panic(fmt.Sprintf("nn: conv3 forward-pool: %d codes for %d outputs", len(code), len(y.Data)))
	}
	if x.N == 0 {
		return
	}
	s := w.scratch(ws, false)
	convForward(-1, x, w, y.Data, code, true, s)
}

// Backward takes the gradient gy of Forward's output and accumulates dL/dweight and
// dL/dbias into grad (a gradient vector of the parameter layout; skipped when nil) and,
// when gx has data, writes dL/dx into gx.
func (w *Conv3Weights) Backward(gx, gy, x Images, grad []float32, ws *Arena) {
	w.checkGeometry("conv3 backward", x)
	gy.check("conv3 backward", "output gradient", x.N, x.H, x.W, w.Out)
	w.backward(gx, gy.Data, nil, x, grad, nil, ws, false)
}

// BackwardPool is Backward for ForwardPool: gy is the gradient of the pooled output and
// code the argmax codes ForwardPool recorded.
func (w *Conv3Weights) BackwardPool(gx, gy Images, code []int8, x Images, grad []float32, ws *Arena) {
	w.checkGeometry("conv3 backward-pool", x)
	gy.check("conv3 backward-pool", "output gradient", x.N, x.H/2, x.W/2, w.Out)
	if len(code) != len(gy.Data) {
		panic(fmt.Sprintf("nn: conv3 backward-pool: %d codes for %d outputs", len(code), len(gy.Data)))
	}
	w.backward(gx, gy.Data, code, x, grad, nil, ws, true)
}

// TransformedGradLen is the length of the layer's parameter gradient in the kernels'
// transformed form (see BackwardPoolTransformed): 16·In·Out + Out.
func (c Conv3) TransformedGradLen() int { return 16*c.In*c.Out + c.Out }

// BackwardPoolTransformed is BackwardPool writing the parameter gradient into tg
// (TransformedGradLen values, overwritten) in the kernels' transformed form instead of
// adding it to a gradient vector. The transform is linear: sum the tg of several calls and
// convert the sum once with AddTransformedGrad, cheaper than converting each.
func (w *Conv3Weights) BackwardPoolTransformed(gx, gy Images, code []int8, x Images, tg []float32, ws *Arena) {
	w.checkGeometry("conv3 backward-pool", x)
	gy.check("conv3 backward-pool", "output gradient", x.N, x.H/2, x.W/2, w.Out)
	if len(code) != len(gy.Data) || len(tg) != w.TransformedGradLen() {
		panic(fmt.Sprintf("nn: conv3 backward-pool: %d codes for %d outputs, transformed gradient of %d values (want %d)",
			len(code), len(gy.Data), len(tg), w.TransformedGradLen()))
	}
	w.backward(gx, gy.Data, code, x, nil, tg, ws, true)
}

// AddTransformedGrad converts a transformed parameter gradient tg (or a sum of them) and
// adds it to grad, a gradient vector of the parameter layout.
func (c Conv3) AddTransformedGrad(grad, tg []float32) {
	if len(tg) != c.TransformedGradLen() || len(grad) < c.Bias.Off+c.Bias.Size() {
		panic(fmt.Sprintf("nn: conv3 transformed gradient of %d values (want %d) into %d", len(tg), c.TransformedGradLen(), len(grad)))
	}
	n := 16 * c.In * c.Out
	winoWeightGrad(c.Weight.View(grad), tg[:n], c.In, c.Out)
	gb := c.Bias.View(grad)
	for j, v := range tg[n:] {
		gb[j] += v
	}
}

func (w *Conv3Weights) backward(gx Images, gy []float32, code []int8, x Images, grad, tg []float32, ws *Arena, pool bool) {
	if gx.Data != nil {
		gx.check("conv3 backward", "input gradient", x.N, x.H, x.W, w.In)
	}
	if grad != nil && len(grad) < w.Bias.Off+w.Bias.Size() {
		panic(fmt.Sprintf("nn: conv3 backward: gradient vector of %d values", len(grad)))
	}
	if x.N == 0 {
		return
	}
	s := w.scratch(ws, true)
	var dx []float32
	if gx.Data != nil {
		dx = gx.Data
	}
	switch {
	case tg != nil:
	case grad != nil:
		tg = ws.Uninit(w.TransformedGradLen())
	default: // input gradient only; the bias gradient is formed anyway
		s.db = ws.Floats(w.Out)
	}
	if tg != nil {
		n := 16 * w.In * w.Out
		s.du, s.db = tg[:n], tg[n:] // du's chains start from 0
		clear(s.db)
	}
	convBackward(-1, x, w, gy, code, pool, dx, s)
	if grad != nil {
		w.AddTransformedGrad(grad, tg)
	}
}
