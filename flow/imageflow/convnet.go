package imageflow

import (
	"fmt"
	"math/rand/v2"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// convNet is the coupling's conditioner: a stack of 3×3 convolutions (image channels →
// Hidden → … → Hidden → image channels) with ReLU between them, over NHWC images, optionally
// at 1/Shuffle resolution (pixel-unshuffled input, shuffled output). The last layer starts at
// zero, so a fresh coupling is the identity and the model starts as the linear chart.
type convNet struct {
	Layers  []nn.Conv3
	Shuffle int // pixel-unshuffle factor, ≥ 1
}

func newConvNet(l *nn.Layout, prefix string, channels, hidden, layers, shuffle int) *convNet {
	c := &convNet{Shuffle: shuffle}
	channels *= shuffle * shuffle
	in := channels
	for i := 0; i < layers; i++ {
		out := hidden
		if i == layers-1 {
			out = channels
		}
		c.Layers = append(c.Layers, nn.NewConv3(l, fmt.Sprintf("%s.%d", prefix, i), in, out))
		in = out
	}
	return c
}

// init draws PyTorch's default initialisation for every layer but the last, which is zero.
func (c *convNet) init(p []float32, rng *rand.Rand) {
	for i, ly := range c.Layers {
		if i == len(c.Layers)-1 {
			clear(ly.Weight.View(p))
			clear(ly.Bias.View(p))
			continue
		}
		ly.InitDefault(p, rng)
	}
}

// prepare transforms the layers' parameters in p for the kernels, reusing dst when it fits.
func (c *convNet) prepare(dst []*nn.Conv3Weights, p []float32) []*nn.Conv3Weights {
	if len(dst) != len(c.Layers) {
		dst = make([]*nn.Conv3Weights, len(c.Layers))
	}
	for i, ly := range c.Layers {
		dst[i] = ly.Prepare(dst[i], p)
	}
	return dst
}

// convRecord keeps each layer's input for backward: ins[0] is the network's input, ins[i]
// the ReLU output of layer i − 1.
type convRecord struct {
	ins []nn.Images
}

// forward evaluates the network on x; with rec non-nil it records the layer inputs.
func (c *convNet) forward(a *nn.Arena, w []*nn.Conv3Weights, x nn.Images, rec *convRecord) nn.Images {
	x = unshuffle(a, x, c.Shuffle)
	if rec != nil {
		rec.ins = rec.ins[:0]
	}
	for i, ly := range c.Layers {
		if rec != nil {
			rec.ins = append(rec.ins, x)
		}
		y := nn.Images{N: x.N, H: x.H, W: x.W, C: ly.Out, Data: a.Uninit(x.N * x.H * x.W * ly.Out)}
		w[i].Forward(y, x, a)
		if i < len(c.Layers)-1 {
			nn.ReLU(y.Data, y.Data)
		}
		x = y
	}
	return shuffle(a, x, c.Shuffle)
}

// backward takes dL/d(output) of a recorded forward call, adds the parameter gradients into
// grad (nil skips them) and returns dL/d(input) when input is true (a zero Images otherwise).
func (c *convNet) backward(a *nn.Arena, w []*nn.Conv3Weights, rec *convRecord, gy nn.Images, grad []float32, input bool) nn.Images {
	gy = unshuffle(a, gy, c.Shuffle) // the adjoint of a permutation is its inverse
	for i := len(c.Layers) - 1; i >= 0; i-- {
		x := rec.ins[i]
		var gx nn.Images
		if i > 0 || input {
			gx = nn.Images{N: x.N, H: x.H, W: x.W, C: x.C, Data: a.Uninit(len(x.Data))}
		} else {
			gx = nn.Images{N: x.N, H: x.H, W: x.W, C: x.C}
		}
		w[i].Backward(gx, gy, x, grad, a)
		if i > 0 {
			nn.ReLUBackward(gx.Data, gx.Data, x.Data) // x is the ReLU output of layer i − 1
		}
		gy = gx
	}
	if !input {
		return nn.Images{}
	}
	return shuffle(a, gy, c.Shuffle)
}

// unshuffle folds each s×s block of pixels into channels: out[n, y, x, (c·s + dy)·s + dx] =
// in[n, s·y + dy, s·x + dx, c]. s = 1 returns x.
func unshuffle(a *nn.Arena, x nn.Images, s int) nn.Images {
	if s == 1 {
		return x
	}
	h, w, c := x.H/s, x.W/s, x.C*s*s
	out := nn.Images{N: x.N, H: h, W: w, C: c, Data: a.Uninit(len(x.Data))}
	for n := 0; n < x.N; n++ {
		for y := 0; y < x.H; y++ {
			for xx := 0; xx < x.W; xx++ {
				src := x.Data[((n*x.H+y)*x.W+xx)*x.C:][:x.C]
				dst := out.Data[((n*h+y/s)*w+xx/s)*c:][:c]
				dy, dx := y%s, xx%s
				for ch, v := range src {
					dst[(ch*s+dy)*s+dx] = v
				}
			}
		}
	}
	return out
}

// shuffle is unshuffle's inverse: it unfolds channels back into s×s blocks of pixels.
func shuffle(a *nn.Arena, x nn.Images, s int) nn.Images {
	if s == 1 {
		return x
	}
	h, w, c := x.H*s, x.W*s, x.C/(s*s)
	out := nn.Images{N: x.N, H: h, W: w, C: c, Data: a.Uninit(len(x.Data))}
	for n := 0; n < x.N; n++ {
		for y := 0; y < h; y++ {
			for xx := 0; xx < w; xx++ {
				dst := out.Data[((n*h+y)*w+xx)*c:][:c]
				src := x.Data[((n*x.H+y/s)*x.W+xx/s)*x.C:][:x.C]
				dy, dx := y%s, xx%s
				for ch := range dst {
					dst[ch] = src[(ch*s+dy)*s+dx]
				}
			}
		}
	}
	return out
}

// toNHWC converts rows of CHW-ordered images (rows×C·H·W, as CIFAR-10 rows are) to NHWC.
func toNHWC(a *nn.Arena, m nn.Mat, c, h, w int) nn.Images {
	hw := h * w
	im := nn.Images{N: m.Rows, H: h, W: w, C: c, Data: a.Uninit(len(m.Data))}
	for i := 0; i < m.Rows; i++ {
		src, dst := m.Row(i), im.Data[i*c*hw:(i+1)*c*hw]
		for ch := 0; ch < c; ch++ {
			plane := src[ch*hw : (ch+1)*hw]
			for p, v := range plane {
				dst[p*c+ch] = v
			}
		}
	}
	return im
}

// toCHW converts NHWC images back to rows in CHW order.
func toCHW(a *nn.Arena, im nn.Images) nn.Mat {
	c, hw := im.C, im.H*im.W
	m := a.RawMat(im.N, c*hw)
	for i := 0; i < im.N; i++ {
		src, dst := im.Data[i*c*hw:(i+1)*c*hw], m.Row(i)
		for ch := 0; ch < c; ch++ {
			plane := dst[ch*hw : (ch+1)*hw]
			for p := range plane {
				plane[p] = src[p*c+ch]
			}
		}
	}
	return m
}
