package flow

import (
	"math"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// Coupling is the rational-quadratic coupling layer of spec 5.1: the features in Transform
// are splined elementwise, with spline parameters predicted by a residual MLP from the
// features in Identity, which pass through unchanged.
type Coupling struct {
	N                     int
	Identity, Transformed []int
	Bins                  int
	TailBound             float64
	Net                   *ResMLP
	scale                 float64 // √H
	tf                    []int64 // Transformed, for the C path
}

// NewCoupling registers a coupling for step s (even steps transform features 0, 2, …; odd
// steps 1, 3, …) with its conditioner's parameters under prefix.
func NewCoupling(l *nn.Layout, prefix string, n, step, hidden, blocks, bins int, bound float64) *Coupling {
	c := &Coupling{N: n, Bins: bins, TailBound: bound, scale: math.Sqrt(float64(hidden))}
	for i := 0; i < n; i++ {
		if i%2 == step%2 {
			c.Transformed = append(c.Transformed, i)
		} else {
			c.Identity = append(c.Identity, i)
		}
	}
	for _, f := range c.Transformed {
		c.tf = append(c.tf, int64(f))
	}
	c.Net = NewResMLP(l, prefix+".transform_net", len(c.Identity), hidden, blocks, len(c.Transformed)*SplineParams(bins))
	return c
}

// Features returns n.
func (c *Coupling) Features() int { return c.N }

type couplingRecord struct {
	inverse bool
	mlp     mlpRecord
	params  nn.Mat    // raw conditioner output
	in      []float32 // the splined inputs (x for forward, z for inverse), rows×len(Transformed)
	out     []float32 // the spline outputs
	knots   []float64 // per element: the normalised spline (knotsLen(K) values)
}

func (c *Coupling) gather(a *nn.Arena, x nn.Mat, idx []int) nn.Mat {
	m := a.RawMat(x.Rows, len(idx))
	for i := 0; i < x.Rows; i++ {
		src, dst := x.Row(i), m.Row(i)
		for j, k := range idx {
			dst[j] = src[k]
		}
	}
	return m
}

func (c *Coupling) run(a *nn.Arena, p []float32, x nn.Mat, record, inverse bool) (nn.Mat, []float32, Record) {
	checkFeatures("coupling", c, x)
	rows := x.Rows
	xid := c.gather(a, x, c.Identity)
	np := SplineParams(c.Bins)
	params := a.RawMat(rows, len(c.Transformed)*np)
	var rec *couplingRecord
	if record {
		rec = &couplingRecord{inverse: inverse, params: params}
		c.Net.forward(a, p, xid, params, &rec.mlp)
	} else {
		c.Net.forward(a, p, xid, params, nil)
	}
	z := a.RawMat(rows, c.N) // splineFast copies x into it itself
	ld := a.Floats(rows)
	nt := len(c.Transformed)
	var knots []float64
	if record {
		rec.in = a.Uninit(rows * nt)
		rec.out = a.Uninit(rows * nt)
		rec.knots = a.Float64s(rows * nt * knotsLen(c.Bins))
		knots = rec.knots
	}
	if c.splineFast(a, x, params, z, ld, inverse, knots) {
		if record {
			for i := 0; i < rows; i++ {
				xr, zr := x.Row(i), z.Row(i)
				for j, f := range c.Transformed {
					rec.in[i*nt+j], rec.out[i*nt+j] = xr[f], zr[f]
				}
			}
			return z, ld, rec
		}
		return z, ld, nil
	}
	copy(z.Data, x.Data)
	c.splineGo(a, x, params, z, ld, rec, inverse)
	if record {
		return z, ld, rec
	}
	return z, ld, nil
}

// splineGo is the spline part of run in Go: z holds a copy of x; the transformed features
// are replaced and their log-determinants summed into ld; rec, when non-nil (with in, out
// and knots allocated), keeps what
// Backward needs.
func (c *Coupling) splineGo(a *nn.Arena, x, params, z nn.Mat, ld []float32, rec *couplingRecord, inverse bool) {
	record := rec != nil
	rows := x.Rows
	np := SplineParams(c.Bins)
	nt := len(c.Transformed)
	kl := knotsLen(c.Bins)
	kn := &knots{}
	var knBuf []float64
	if !record {
		knBuf = a.Float64s(kl)
		kn.view(knBuf, c.Bins)
	}
	B := c.TailBound
	for i := 0; i < rows; i++ {
		xr, zr := x.Row(i), z.Row(i)
		pr := params.Row(i)
		var ldSum float64
		for j, f := range c.Transformed {
			v := float64(xr[f])
			out := v
			if v >= -B && v <= B {
				if record {
					e := i*nt + j
					kn.view(rec.knots[e*kl:(e+1)*kl], c.Bins)
				}
				kn.set(pr[j*np:(j+1)*np], c.scale, B)
				var L float64
				if !inverse {
					k := bin(kn.xs, v)
					d0, d1 := kn.deriv(pr[j*np:(j+1)*np], k)
					out, L = rqEval(v, kn.xs[k], kn.xs[k+1]-kn.xs[k], kn.ys[k], kn.ys[k+1]-kn.ys[k], d0, d1, nil, nil)
				} else {
					k := bin(kn.ys, v)
					d0, d1 := kn.deriv(pr[j*np:(j+1)*np], k)
					xk, w, yk, h := kn.xs[k], kn.xs[k+1]-kn.xs[k], kn.ys[k], kn.ys[k+1]-kn.ys[k]
					out = rqInverse(v, xk, w, yk, h, d0, d1)
					_, L = rqEval(out, xk, w, yk, h, d0, d1, nil, nil)
					L = -L
				}
				ldSum += L
			}
			zr[f] = float32(out)
			if record {
				rec.in[i*nt+j] = xr[f]
				rec.out[i*nt+j] = float32(out)
			}
		}
		ld[i] = float32(ldSum)
	}
}

// Forward splines the transformed features conditioned on the identity features.
func (c *Coupling) Forward(a *nn.Arena, p []float32, x nn.Mat, record bool) (nn.Mat, []float32, Record) {
	return c.run(a, p, x, record, false)
}

// Inverse inverts the spline with the stable root formula of spec 5.2.
func (c *Coupling) Inverse(a *nn.Arena, p []float32, z nn.Mat, record bool) (nn.Mat, []float32, Record) {
	return c.run(a, p, z, record, true)
}

// Backward differentiates a recorded call. The inverse is differentiated implicitly through
// the forward spline's partial derivatives at the recovered point (spec 5.2).
func (c *Coupling) Backward(a *nn.Arena, p []float32, r Record, gOut nn.Mat, gld []float32, grad []float32) nn.Mat {
	rec := r.(*couplingRecord)
	rows := gOut.Rows
	np := SplineParams(c.Bins)
	nt := len(c.Transformed)
	gIn := a.RawMat(rows, c.N)
	copy(gIn.Data, gOut.Data) // identity features pass through; transformed ones are overwritten
	gParams := a.Mat(rows, nt*np)
	kl := knotsLen(c.Bins)
	kn := &knots{}
	gk := a.Float64s(c.Bins + 1)
	B := c.TailBound
	var dy, dL, gv [splineVarCount]float64
	for i := 0; i < rows; i++ {
		gr := gOut.Row(i)
		gi := gIn.Row(i)
		var gL float64
		if gld != nil {
			gL = float64(gld[i])
		}
		for j, f := range c.Transformed {
			in := float64(rec.in[i*nt+j])
			if !(in >= -B && in <= B) {
				continue // identity tail: gradient passes through unchanged
			}
			pr := rec.params.Row(i)[j*np : (j+1)*np]
			e := i*nt + j
			kn.view(rec.knots[e*kl:(e+1)*kl], c.Bins)
			gy := float64(gr[f])
			var x float64
			var k int
			if !rec.inverse {
				x = in
				k = bin(kn.xs, x)
			} else {
				k = bin(kn.ys, in)
				x = float64(rec.out[i*nt+j])
			}
			d0, d1 := kn.deriv(pr, k)
			rqEval(x, kn.xs[k], kn.xs[k+1]-kn.xs[k], kn.ys[k], kn.ys[k+1]-kn.ys[k], d0, d1, &dy, &dL)
			if !rec.inverse {
				gi[f] = float32(gy*dy[0] + gL*dL[0])
				for v := 1; v < splineVarCount; v++ {
					gv[v] = gy*dy[v] + gL*dL[v]
				}
			} else {
				// out x = g⁻¹(in; p), logdet = −L(x, p): see spec 5.2 (implicit differentiation)
				cc := (gy - gL*dL[0]) / dy[0]
				gi[f] = float32(cc)
				for v := 1; v < splineVarCount; v++ {
					gv[v] = -cc*dy[v] - gL*dL[v]
				}
			}
			kn.backward(pr, k, &gv, c.scale, B, gParams.Row(i)[j*np:(j+1)*np], gk)
		}
	}
	gxid := a.RawMat(rows, len(c.Identity))
	c.Net.backward(a, p, &rec.mlp, gParams, gxid, grad)
	for i := 0; i < rows; i++ {
		gi, g := gIn.Row(i), gxid.Row(i)
		for j, f := range c.Identity {
			gi[f] += g[j]
		}
	}
	return gIn
}
