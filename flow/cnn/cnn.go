// Package cnn is the yardstick CIFAR-10 classifier of spec cifar.md section 2, built on
// flow/nn: three blocks of 3×3 convolution, ReLU and 2×2 max-pooling (3→32→64→128
// channels), a 2048→128 ReLU layer and a 128→10 head, with the per-channel normalisation
// inside the model. Its parameters carry PyTorch's state_dict names (c1.weight, …, f2.bias),
// so a PyTorch-trained model imports as is. It satisfies attack.Classifier: inputs are rows
// of 3 072 pixels in [0, 1] in (channel, row, column) order.
//
// Batches are processed in fixed groups of Group images on up to Workers goroutines, and
// every sum over a batch runs in one fixed order, so results are bit-identical on any
// number of cores.
package cnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/mflowlab/mflowlab/internal/freelist"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// Image geometry and classes of the model.
const (
	Side     = 32                            // image height and width
	Channels = 3                             // colour channels
	Pixels   = Channels * Side * Side        // inputs per image, 3 072
	Classes  = 10                            // output classes
	Group    = 16                            // images per unit of parallel work
	flatLen  = 128 * (Side / 8) * (Side / 8) // f1's inputs, 2 048
	hidden   = 128                           // f1's outputs
)

// Normalisation returns the per-channel mean and standard deviation the model subtracts
// and divides by before its first layer (the original's CIFAR-10 constants).
func Normalisation() (mean, std [Channels]float32) {
	return [Channels]float32{0.4914, 0.4822, 0.4465}, [Channels]float32{0.2023, 0.1994, 0.2010}
}

// Model is the yardstick CNN. Layers and Layout are fixed; all weights live in P.
type Model struct {
	C1, C2, C3 nn.Conv3
	F1, F2     nn.Linear
	Layout     nn.Layout
	P          []float32
	// Workers bounds the goroutines a call uses; 0 means one per core. Results never
	// depend on it.
	Workers int
	works   *workPool  // scratch reused across calls (shared by clones)
	prep    *prepCache // the kernels' form of the last parameters seen (shared by clones)
}

// prepCache keeps the kernels' form of the parameters for the last parameter values seen,
// compared in full, so changing P in place is safe: attacks and the gallery call a model
// thousands of times with the same weights, and preparing them (Winograd transforms,
// transposes) took up to a third of their time.
type prepCache struct {
	mu sync.Mutex
	p  []float32
	pw *prepared // never modified once cached: callers may still hold an older one
}

// prepared returns the kernels' form of the current parameters for inference.
func (m *Model) prepared() *prepared {
	c := m.prep
	if c == nil {
		return m.prepare(nil)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pw != nil && slices.Equal(c.p, m.P) {
		return c.pw
	}
	c.pw = m.prepare(nil)
	c.p = append(c.p[:0], m.P...)
	return c.pw
}

// workPool keeps idle workers' scratch between calls (a sync.Pool would drop it at every
// garbage collection, and a worker is about 1.5 MB).
type workPool = freelist.List[worker]

// maxIdleWorkers bounds the idle workers kept (one per core is what calls use at once).
const maxIdleWorkers = 16

// tgLen is the length of the three convolutions' transformed gradients, concatenated.
func (m *Model) tgLen() int {
	return m.C1.TransformedGradLen() + m.C2.TransformedGradLen() + m.C3.TransformedGradLen()
}

// tgParts cuts a concatenated transformed gradient into the three layers' parts.
func (m *Model) tgParts(tg []float32) [3][]float32 {
	a, b := m.C1.TransformedGradLen(), m.C2.TransformedGradLen()
	return [3][]float32{tg[:a], tg[a : a+b], tg[a+b:]}
}

// NewArch returns the architecture with zero parameters.
func NewArch() *Model {
	m := &Model{works: freelist.New(maxIdleWorkers, newWorker), prep: new(prepCache)}
	l := &m.Layout
	m.C1 = nn.NewConv3(l, "c1", Channels, 32)
	m.C2 = nn.NewConv3(l, "c2", 32, 64)
	m.C3 = nn.NewConv3(l, "c3", 64, 128)
	m.F1 = nn.NewLinear(l, "f1", flatLen, hidden)
	m.F2 = nn.NewLinear(l, "f2", hidden, Classes)
	m.P = make([]float32, l.Len)
	return m
}

// New returns the model initialised as PyTorch initialises it by default (uniform
// ±1/√fan_in for every weight and bias), drawn from seed.
func New(seed uint64) *Model {
	m := NewArch()
	rng := rand.New(rand.NewPCG(seed, 0x636e6e)) // "cnn"
	m.C1.InitDefault(m.P, rng)
	m.C2.InitDefault(m.P, rng)
	m.C3.InitDefault(m.P, rng)
	m.F1.InitDefault(m.P, rng)
	m.F2.InitDefault(m.P, rng)
	return m
}

// Clone returns a deep copy of the parameters sharing the (immutable) architecture.
func (m *Model) Clone() *Model {
	c := *m
	c.P = append([]float32(nil), m.P...)
	return &c
}

// String describes the architecture.
func (m *Model) String() string {
	return fmt.Sprintf("CNN 3→32→64→128 conv, 2048→128→10 (%d parameters)", len(m.P))
}

// NumClasses returns 10.
func (m *Model) NumClasses() int { return Classes }

// prepared holds the parameters in the form the kernels use, for one parameter version.
type prepared struct {
	c1, c2, c3 *nn.Conv3Weights
	w1t, w2t   []float32 // f1.weight and f2.weight transposed: [in][out]
}

func (m *Model) prepare(dst *prepared) *prepared {
	if dst == nil {
		dst = &prepared{}
	}
	dst.c1 = m.C1.Prepare(dst.c1, m.P)
	dst.c2 = m.C2.Prepare(dst.c2, m.P)
	dst.c3 = m.C3.Prepare(dst.c3, m.P)
	dst.w1t = transpose(dst.w1t, m.F1.W.View(m.P), hidden, flatLen)
	dst.w2t = transpose(dst.w2t, m.F2.W.View(m.P), Classes, hidden)
	return dst
}

// transpose returns the cols×rows transpose of the rows×cols matrix a in dst's storage.
func transpose(dst, a []float32, rows, cols int) []float32 {
	if len(dst) != rows*cols {
		dst = make([]float32, rows*cols)
	}
	const blk = 32
	for i0 := 0; i0 < rows; i0 += blk {
		for j0 := 0; j0 < cols; j0 += blk {
			for i := i0; i < min(i0+blk, rows); i++ {
				for j := j0; j < min(j0+blk, cols); j++ {
					dst[j*rows+i] = a[i*cols+j]
				}
			}
		}
	}
	return dst
}

// worker is one goroutine's scratch for a group: activations, pooling codes, gradients.
type worker struct {
	ws                  *nn.Arena // shared by the worker's views
	a0, p1, p2, p3      nn.Images // normalised input and the three pooled outputs
	g0, g1, g2, g3      nn.Images // their gradients
	code1, code2, code3 []int8
	flat, h, logits     []float32 // f1's input, f1's ReLU output, the logits
	gflat, gh, glogits  []float32
}

func newWorker() *worker {
	w := &worker{ws: new(nn.Arena)}
	w.a0, w.g0 = nn.NewImages(Group, Side, Side, Channels), nn.NewImages(Group, Side, Side, Channels)
	w.p1, w.g1 = nn.NewImages(Group, Side/2, Side/2, 32), nn.NewImages(Group, Side/2, Side/2, 32)
	w.p2, w.g2 = nn.NewImages(Group, Side/4, Side/4, 64), nn.NewImages(Group, Side/4, Side/4, 64)
	w.p3, w.g3 = nn.NewImages(Group, Side/8, Side/8, 128), nn.NewImages(Group, Side/8, Side/8, 128)
	w.code1, w.code2, w.code3 = make([]int8, len(w.p1.Data)), make([]int8, len(w.p2.Data)), make([]int8, len(w.p3.Data))
	w.flat, w.gflat = make([]float32, Group*flatLen), make([]float32, Group*flatLen)
	w.h, w.gh = make([]float32, Group*hidden), make([]float32, Group*hidden)
	w.logits, w.glogits = make([]float32, Group*Classes), make([]float32, Group*Classes)
	return w
}

// view returns the worker's buffers cut to n ≤ Group images.
func (w *worker) view(n int) *worker {
	v := *w
	v.a0, v.g0 = w.a0.Slice(0, n), w.g0.Slice(0, n)
	v.p1, v.g1 = w.p1.Slice(0, n), w.g1.Slice(0, n)
	v.p2, v.g2 = w.p2.Slice(0, n), w.g2.Slice(0, n)
	v.p3, v.g3 = w.p3.Slice(0, n), w.g3.Slice(0, n)
	v.code1, v.code2, v.code3 = w.code1[:len(v.p1.Data)], w.code2[:len(v.p2.Data)], w.code3[:len(v.p3.Data)]
	v.flat, v.gflat = w.flat[:n*flatLen], w.gflat[:n*flatLen]
	v.h, v.gh = w.h[:n*hidden], w.gh[:n*hidden]
	v.logits, v.glogits = w.logits[:n*Classes], w.glogits[:n*Classes]
	return &v
}

// crop is one image's augmentation: a 32×32 window at (Dy, Dx) of the image reflect-padded
// by 4 pixels, then mirrored left to right when Flip.
type crop struct {
	Dy, Dx int8
	Flip   bool
}

// reflect maps a coordinate of the 4-pixel reflect-padded image back into [0, Side).
func reflect(i int) int {
	if i < 0 {
		return -i
	}
	if i >= Side {
		return 2*(Side-1) - i
	}
	return i
}

// load normalises rows x (n×3072, channel-major) into v.a0 (NHWC), applying crops when not nil.
func (v *worker) load(x []float32, crops []crop) {
	mean, std := Normalisation()
	a := v.a0.Data
	for b := 0; b < v.a0.N; b++ {
		src := x[b*Pixels : (b+1)*Pixels]
		dst := a[b*Pixels : (b+1)*Pixels]
		if crops == nil {
			for c := 0; c < Channels; c++ {
				mc, sc := mean[c], std[c]
				for p, val := range src[c*Side*Side : (c+1)*Side*Side] {
					dst[p*Channels+c] = (val - mc) / sc
				}
			}
			continue
		}
		cr := crops[b]
		for y := 0; y < Side; y++ {
			sy := reflect(int(cr.Dy) + y - 4)
			for xx := 0; xx < Side; xx++ {
				cx := xx
				if cr.Flip {
					cx = Side - 1 - xx
				}
				sx := reflect(int(cr.Dx) + cx - 4)
				o := (y*Side + xx) * Channels
				for c := 0; c < Channels; c++ {
					dst[o+c] = (src[(c*Side+sy)*Side+sx] - mean[c]) / std[c]
				}
			}
		}
	}
}

// forward runs the network on the group's loaded input up to the logits. Codes are
// recorded for a backward pass when train is set.
func (m *Model) forward(pw *prepared, v *worker, train bool) {
	n := v.a0.N
	var c1, c2, c3 []int8
	if train {
		c1, c2, c3 = v.code1, v.code2, v.code3
	}
	pw.c1.ForwardPool(v.p1, c1, v.a0, v.ws)
	pw.c2.ForwardPool(v.p2, c2, v.p1, v.ws)
	pw.c3.ForwardPool(v.p3, c3, v.p2, v.ws)
	// flatten in (channel, row, column) order, as PyTorch's x.flatten(1) of NCHW
	const sp = (Side / 8) * (Side / 8)
	for b := 0; b < n; b++ {
		src, dst := v.p3.Data[b*flatLen:(b+1)*flatLen], v.flat[b*flatLen:(b+1)*flatLen]
		for p := 0; p < sp; p++ {
			for c := 0; c < 128; c++ {
				dst[c*sp+p] = src[p*128+c]
			}
		}
	}
	dense(v.h, v.flat, pw.w1t, m.F1.B.View(m.P), n, flatLen, hidden, true)
	dense(v.logits, v.h, pw.w2t, m.F2.B.View(m.P), n, hidden, Classes, false)
}

// dense computes y = x·wt + b (n×out), with ReLU when relu is set.
func dense(y, x, wt, b []float32, n, in, out int, relu bool) {
	nn.Gemm(false, false, n, out, in, 1, x, in, wt, out, 0, y, out)
	for i := 0; i < n; i++ {
		row := y[i*out : (i+1)*out]
		for j := range row {
			s := row[j] + b[j]
			if relu {
				s = max(s, 0)
			}
			row[j] = s
		}
	}
}

// backward takes v.glogits and propagates it to v.gh, v.gflat and through the convolutions,
// writing the convolution parameters' gradients in transformed form into tg (tgLen values;
// skipped when nil) and the normalised input's gradient into v.g0 when input is set.
func (m *Model) backward(pw *prepared, v *worker, tg []float32, input bool) {
	n := v.a0.N
	nn.Gemm(false, false, n, hidden, Classes, 1, v.glogits, Classes, m.F2.W.View(m.P), hidden, 0, v.gh, hidden)
	for i, h := range v.h {
		if !(h > 0) {
			v.gh[i] = 0
		}
	}
	nn.Gemm(false, false, n, flatLen, hidden, 1, v.gh, hidden, m.F1.W.View(m.P), flatLen, 0, v.gflat, flatLen)
	const sp = (Side / 8) * (Side / 8)
	for b := 0; b < n; b++ {
		src, dst := v.gflat[b*flatLen:(b+1)*flatLen], v.g3.Data[b*flatLen:(b+1)*flatLen]
		for p := 0; p < sp; p++ {
			for c := 0; c < 128; c++ {
				dst[p*128+c] = src[c*sp+p]
			}
		}
	}
	var g0 nn.Images
	if input {
		g0 = v.g0
	}
	if tg == nil {
		pw.c3.BackwardPool(v.g2, v.g3, v.code3, v.p2, nil, v.ws)
		pw.c2.BackwardPool(v.g1, v.g2, v.code2, v.p1, nil, v.ws)
		pw.c1.BackwardPool(g0, v.g1, v.code1, v.a0, nil, v.ws)
		return
	}
	parts := m.tgParts(tg)
	pw.c3.BackwardPoolTransformed(v.g2, v.g3, v.code3, v.p2, parts[2], v.ws)
	pw.c2.BackwardPoolTransformed(v.g1, v.g2, v.code2, v.p1, parts[1], v.ws)
	pw.c1.BackwardPoolTransformed(g0, v.g1, v.code1, v.a0, parts[0], v.ws)
}

// inputGrad writes the gradient with respect to the raw pixels (rows, channel-major) from
// the normalised input's gradient v.g0.
func (v *worker) inputGrad(dst []float32) {
	_, std := Normalisation()
	for b := 0; b < v.g0.N; b++ {
		src := v.g0.Data[b*Pixels : (b+1)*Pixels]
		out := dst[b*Pixels : (b+1)*Pixels]
		for c := 0; c < Channels; c++ {
			sc := std[c]
			for p := 0; p < Side*Side; p++ {
				out[c*Side*Side+p] = src[p*Channels+c] / sc
			}
		}
	}
}

// softmaxCE returns the cross-entropy of one row of logits for label y and writes
// scale·(softmax − onehot(y)) into g (when not nil) and the probabilities into p (when not nil).
func softmaxCE(z []float32, y int32, scale float64, g, p []float32) float64 {
	hi := math.Inf(-1)
	for _, v := range z {
		hi = max(hi, float64(v))
	}
	var sum float64
	for _, v := range z {
		sum += math.Exp(float64(v) - hi)
	}
	lse := hi + math.Log(sum)
	for j, v := range z {
		pj := math.Exp(float64(v) - lse)
		if p != nil {
			p[j] = float32(pj)
		}
		if g != nil {
			if int32(j) == y {
				pj--
			}
			g[j] = float32(scale * pj)
		}
	}
	if y < 0 {
		return math.NaN()
	}
	return lse - float64(z[y])
}
