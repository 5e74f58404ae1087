package imageflow

import (
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
)

// Coupling is the nonlinear part of the outer transform, an additive coupling on the basis
// coordinates z = (h_M, h_⊥): the chart coordinates pass unchanged and condition a shift of
// the complement,
//
//	h_⊥ ← h_⊥ − t(h_M),  t(h_M) = [ r(μ + h_M·V_M)·Q ]_⊥,
//
// where r is a convolutional network applied to the chart's image μ + h_M·V_M (in the space
// the basis works in) and [·Q]_⊥ keeps the complement coordinates of its output. log|det| = 0.
// The manifold f⁻¹((h_M, 0)) is then μ + h_M·V_M + P_⊥ r(μ + h_M·V_M): the linear chart
// bent by what the network predicts of the rest of the image (P_⊥ = I − V_MᵀV_M).
type Coupling struct {
	B       *Basis
	Net     *convNet
	C, H, W int // image geometry the network sees
}

var _ flow.Transform = (*Coupling)(nil)

// Features returns n.
func (c *Coupling) Features() int { return c.B.N }

type couplingRecord struct {
	inverse bool
	net     convRecord
	w       []*nn.Conv3Weights
}

// shift returns t(h_M) padded to n columns as (·, t) is used: the full r·Q (rows×n), whose
// first d columns the caller ignores.
func (c *Coupling) shift(a *nn.Arena, w []*nn.Conv3Weights, hM nn.Mat, rec *convRecord) nn.Mat {
	b := c.B.onManifold(a, hM)
	out := c.Net.forward(a, w, toNHWC(a, b, c.C, c.H, c.W), rec)
	r := toCHW(a, out)
	rq := a.RawMat(r.Rows, c.B.N)
	c.B.mulQ(a, rq, r, false)
	return rq
}

func (c *Coupling) run(a *nn.Arena, p []float32, x nn.Mat, record, inverse bool) (nn.Mat, []float32, flow.Record) {
	checkWidth("coupling", c.B.N, x)
	n, d := c.B.N, c.B.D
	w := c.Net.prepare(nil, p)
	hM := a.RawMat(x.Rows, d)
	for i := 0; i < x.Rows; i++ {
		copy(hM.Row(i), x.Row(i)[:d])
	}
	var rec *couplingRecord
	var nr *convRecord
	if record {
		rec = &couplingRecord{inverse: inverse, w: w}
		nr = &rec.net
	}
	t := c.shift(a, w, hM, nr)
	z := a.RawMat(x.Rows, n)
	copy(z.Data, x.Data)
	sign := float32(-1)
	if inverse {
		sign = 1
	}
	for i := 0; i < x.Rows; i++ {
		zr, tr := z.Row(i)[d:], t.Row(i)[d:]
		for j, v := range tr {
			zr[j] += sign * v
		}
	}
	if record {
		return z, a.Floats(x.Rows), rec
	}
	return z, a.Floats(x.Rows), nil
}

// Forward computes (h_M, h_⊥ − t(h_M)).
func (c *Coupling) Forward(a *nn.Arena, p []float32, x nn.Mat, record bool) (nn.Mat, []float32, flow.Record) {
	return c.run(a, p, x, record, false)
}

// Inverse computes (z_M, z_⊥ + t(z_M)).
func (c *Coupling) Inverse(a *nn.Arena, p []float32, z nn.Mat, record bool) (nn.Mat, []float32, flow.Record) {
	return c.run(a, p, z, record, true)
}

// Backward differentiates a recorded call: the complement's gradient passes through, and
// flows into the chart coordinates through the network; the network's parameter gradients
// are added into grad (nil skips them). log|det| is 0, so gLogDet does not matter.
func (c *Coupling) Backward(a *nn.Arena, p []float32, r flow.Record, gOut nn.Mat, _ []float32, grad []float32) nn.Mat {
	rec := r.(*couplingRecord)
	n, d := c.B.N, c.B.D
	rows := gOut.Rows
	// dL/dt over the complement, as a full-width row with zero chart part
	gt := a.Mat(rows, n)
	sign := float32(-1)
	if rec.inverse {
		sign = 1
	}
	for i := 0; i < rows; i++ {
		dst, src := gt.Row(i)[d:], gOut.Row(i)[d:]
		for j, v := range src {
			dst[j] = sign * v
		}
	}
	gr := a.RawMat(rows, n)
	c.B.mulQ(a, gr, gt, true) // t = r·Q restricted: dL/dr = dL/d(rQ)·Qᵀ
	gb := toCHW(a, c.Net.backward(a, rec.w, &rec.net, toNHWC(a, gr, c.C, c.H, c.W), grad, true))
	ghM := a.RawMat(rows, d)
	nn.Gemm(false, true, rows, d, n, 1, gb.Data, n, c.B.VM.Data, n, 0, ghM.Data, d)
	gIn := a.RawMat(rows, n)
	copy(gIn.Data, gOut.Data)
	for i := 0; i < rows; i++ {
		row, g := gIn.Row(i)[:d], ghM.Row(i)
		for j, v := range g {
			row[j] += v
		}
	}
	return gIn
}
