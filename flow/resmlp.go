package flow

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// ResMLP is the coupling conditioner of spec 5.1: h = W₀x + b₀; per block
// h += W₂·relu(W₁·relu(h) + b₁) + b₂; output W_f·h + b_f.
type ResMLP struct {
	In, Hidden, Out int
	Initial         nn.Linear
	Blocks          [][2]nn.Linear
	Final           nn.Linear
	offs            []int64 // parameter offsets for the C path: W₀, b₀, per block W₁, b₁, W₂, b₂, W_f, b_f
}

// NewResMLP registers the conditioner's parameters under prefix with PyTorch (nflows) names.
func NewResMLP(l *nn.Layout, prefix string, in, hidden, blocks, out int) *ResMLP {
	m := &ResMLP{In: in, Hidden: hidden, Out: out}
	m.Initial = nn.NewLinear(l, prefix+".initial_layer", in, hidden)
	for b := 0; b < blocks; b++ {
		m.Blocks = append(m.Blocks, [2]nn.Linear{
			nn.NewLinear(l, fmt.Sprintf("%s.blocks.%d.linear_layers.0", prefix, b), hidden, hidden),
			nn.NewLinear(l, fmt.Sprintf("%s.blocks.%d.linear_layers.1", prefix, b), hidden, hidden),
		})
	}
	m.Final = nn.NewLinear(l, prefix+".final_layer", hidden, out)
	m.offs = append(m.offs, int64(m.Initial.W.Off), int64(m.Initial.B.Off))
	for _, b := range m.Blocks {
		m.offs = append(m.offs, int64(b[0].W.Off), int64(b[0].B.Off), int64(b[1].W.Off), int64(b[1].B.Off))
	}
	m.offs = append(m.offs, int64(m.Final.W.Off), int64(m.Final.B.Off))
	return m
}

// Init fills the conditioner's parameters: uniform(±1/√fan_in), except the second layer of
// every block, which is uniform(±1e-3) so that a fresh flow is close to the identity.
func (m *ResMLP) Init(p []float32, rng *rand.Rand) {
	m.Initial.InitDefault(p, rng)
	for _, b := range m.Blocks {
		b[0].InitDefault(p, rng)
		b[1].W.InitUniform(p, 1e-3, rng)
		b[1].B.InitUniform(p, 1e-3, rng)
	}
	m.Final.InitDefault(p, rng)
}

// mlpRecord keeps the activations needed to differentiate one conditioner call.
type mlpRecord struct {
	x      nn.Mat
	u, v   []nn.Mat // per block: relu(h) and relu(a)
	hFinal nn.Mat
}

// relu writes max(src, 0) into dst without branches (the signs of hidden units are close to
// random, so a branch mispredicts half the time).
func relu(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		b := math.Float32bits(v)
		dst[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
	}
}

// forward evaluates the conditioner on x into out (rows×Out). With rec == nil, scratch
// memory from the arena is used and nothing is kept. Bias additions and ReLUs are fused into
// single passes over the hidden activations.
func (m *ResMLP) forward(a *nn.Arena, p []float32, x, out nn.Mat, rec *mlpRecord) {
	if rec == nil && m.forwardFast(a, p, x, out) {
		return
	}
	rows, hd := x.Rows, m.Hidden
	h := a.RawMat(rows, hd)
	m.Initial.Forward(h, x, p)
	if rec != nil {
		rec.x = x
		rec.u = make([]nn.Mat, len(m.Blocks))
		rec.v = make([]nn.Mat, len(m.Blocks))
	}
	var u, v nn.Mat
	if rec == nil && len(m.Blocks) > 0 {
		u, v = a.RawMat(rows, hd), a.RawMat(rows, hd)
	}
	var pending []float32 // the previous block's output bias, not yet added to h
	for bi, b := range m.Blocks {
		if rec != nil {
			u, v = a.RawMat(rows, hd), a.RawMat(rows, hd)
			rec.u[bi], rec.v[bi] = u, v
		}
		if pending != nil {
			addBiasRelu(h.Data, u.Data, pending, hd, true)
		} else {
			relu(u.Data, h.Data)
		}
		nn.Gemm(false, true, rows, hd, hd, 1, u.Data, hd, b[0].W.View(p), hd, 0, v.Data, hd)
		addBiasRelu(v.Data, v.Data, b[0].B.View(p), hd, false)
		nn.Gemm(false, true, rows, hd, hd, 1, v.Data, hd, b[1].W.View(p), hd, 1, h.Data, hd)
		pending = b[1].B.View(p)
	}
	if pending != nil {
		for i := 0; i < rows; i++ {
			row := h.Data[i*hd : (i+1)*hd]
			for j, bv := range pending {
				row[j] += bv
			}
		}
	}
	if rec != nil {
		rec.hFinal = h
	}
	m.Final.Forward(out, h, p)
}

// addBiasRelu adds bias to every row of src (in place when keep is set) and writes
// relu(src + bias) into dst.
func addBiasRelu(src, dst, bias []float32, width int, keep bool) {
	for i := 0; i+width <= len(src); i += width {
		s, d := src[i:i+width], dst[i:i+width]
		for j, bv := range bias[:width] {
			t := s[j] + bv
			if keep {
				s[j] = t
			}
			b := math.Float32bits(t)
			d[j] = math.Float32frombits(b &^ uint32(int32(b)>>31))
		}
	}
}

// backward differentiates a recorded call: gOut is dL/d(out); parameter gradients are added
// to grad and dL/dx is written into gx when gx has data.
func (m *ResMLP) backward(a *nn.Arena, p []float32, rec *mlpRecord, gOut, gx nn.Mat, grad []float32) {
	rows := gOut.Rows
	gh := a.RawMat(rows, m.Hidden)
	m.Final.Backward(gh, gOut, rec.hFinal, p, grad)
	gv := a.RawMat(rows, m.Hidden)
	gu := a.RawMat(rows, m.Hidden)
	for bi := len(m.Blocks) - 1; bi >= 0; bi-- {
		b := m.Blocks[bi]
		u, v := rec.u[bi], rec.v[bi]
		// t = W₂ v + b₂ with dL/dt = gh
		b[1].Backward(gv, gh, v, p, grad)
		for i, vv := range v.Data {
			if vv <= 0 {
				gv.Data[i] = 0
			}
		}
		b[0].Backward(gu, gv, u, p, grad)
		for i, uu := range u.Data {
			if uu > 0 {
				gh.Data[i] += gu.Data[i]
			}
		}
	}
	m.Initial.Backward(gx, gh, rec.x, p, grad)
}
