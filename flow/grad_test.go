package flow

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// scalarLoss is Σ wz·z + Σ wl·logDet for fixed random weights, evaluated in float64.
func scalarLoss(z nn.Mat, ld []float32, wz, wl []float64) float64 {
	var s float64
	for i, v := range z.Data {
		s += wz[i] * float64(v)
	}
	for i, v := range ld {
		s += wl[i] * float64(v)
	}
	return s
}

// checkGrad compares the analytic gradient of a random linear functional of a transform's
// outputs with central finite differences along random directions, for parameters and inputs.
func checkGrad(t *testing.T, name string, tr Transform, p []float32, x nn.Mat, inverse bool, withParams bool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	run := func(p []float32, x nn.Mat, rec bool) (nn.Mat, []float32, Record) {
		if inverse {
			return tr.Inverse(nil, p, x, rec)
		}
		return tr.Forward(nil, p, x, rec)
	}
	z, ld, r := run(p, x, true)
	wz := make([]float64, len(z.Data))
	wl := make([]float64, len(ld))
	gz := nn.NewMat(z.Rows, z.Cols)
	gl := make([]float32, len(ld))
	for i := range wz {
		wz[i] = rng.NormFloat64()
		gz.Data[i] = float32(wz[i])
	}
	for i := range wl {
		wl[i] = rng.NormFloat64()
		gl[i] = float32(wl[i])
	}
	grad := make([]float32, len(p))
	gx := tr.Backward(nil, p, r, gz, gl, grad)

	for trial := 0; trial < 3; trial++ {
		// input direction
		v := make([]float64, len(x.Data))
		var analytic float64
		for i := range v {
			v[i] = rng.NormFloat64()
			analytic += v[i] * float64(gx.Data[i])
		}
		const h = 1e-3
		xp, xm := x.Clone(), x.Clone()
		for i := range v {
			xp.Data[i] += float32(h * v[i])
			xm.Data[i] -= float32(h * v[i])
		}
		zp, lp, _ := run(p, xp, false)
		zm, lm, _ := run(p, xm, false)
		fd := (scalarLoss(zp, lp, wz, wl) - scalarLoss(zm, lm, wz, wl)) / (2 * h)
		if math.Abs(fd-analytic) > 2e-3*math.Max(1, math.Abs(fd)) {
			t.Errorf("%s: input gradient: finite difference %.6g, analytic %.6g", name, fd, analytic)
		}
		if !withParams {
			continue
		}
		// parameters: coordinate-wise differences on a random sample (a random direction in
		// parameter space crosses too many ReLU kinks for a clean difference quotient)
		for k := 0; k < 15; k++ {
			i := rng.IntN(len(p))
			hp := hpTest
			pp, pm := append([]float32(nil), p...), append([]float32(nil), p...)
			pp[i] += float32(hp)
			pm[i] -= float32(hp)
			zp, lp, _ = run(pp, x, false)
			zm, lm, _ = run(pm, x, false)
			fd = (scalarLoss(zp, lp, wz, wl) - scalarLoss(zm, lm, wz, wl)) / (2 * hp)
			if math.Abs(fd-float64(grad[i])) > 5e-3*math.Max(1, math.Abs(fd)) {
				t.Errorf("%s: gradient of parameter %d: finite difference %.6g, analytic %.6g", name, i, fd, grad[i])
			}
		}
	}
}

func randomBatch(rows, cols int, scale float64, seed uint64) nn.Mat {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := nn.NewMat(rows, cols)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64() * scale)
	}
	return x
}

// perturbed returns a model whose near-zero block outputs are made large enough that the
// splines are far from the identity.
func testModel(t *testing.T, cfg Config, seed uint64) *MFlow {
	m, err := New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	for i := range m.P {
		m.P[i] += float32(rng.NormFloat64() * 0.3)
	}
	return m
}

func TestCouplingGradients(t *testing.T) {
	for _, cfg := range []Config{
		{N: 2, D: 1, Steps: 2, Hidden: 8, Blocks: 2, Bins: 5, TailBound: 3},
		{N: 3, D: 1, Steps: 2, Hidden: 6, Blocks: 1, Bins: 4, TailBound: 2},
		{N: 2, D: 1, Steps: 1, Hidden: 5, Blocks: 0, Bins: 3, TailBound: 3},
	} {
		m := testModel(t, cfg, 3)
		x := randomBatch(16, cfg.N, 1.5, 5) // some points fall in the linear tails
		for s, c := range m.Couplings {
			checkGrad(t, cfg.String()+" coupling forward", c, m.P, x, false, true)
			z, _, _ := c.Forward(nil, m.P, x, false)
			checkGrad(t, cfg.String()+" coupling inverse", c, m.P, z, true, true)
			_ = s
		}
		checkGrad(t, cfg.String()+" outer forward", m.Outer, m.P, x, false, true)
		h, _, _ := m.Outer.Forward(nil, m.P, x, false)
		checkGrad(t, cfg.String()+" outer inverse", m.Outer, m.P, h, true, true)
		checkGrad(t, cfg.String()+" inverted outer", Inverted{m.Outer}, m.P, h, false, true)
		checkGrad(t, cfg.String()+" permutation", m.Perms[0], m.P, x, false, false)
		u := randomBatch(16, cfg.D, 1, 9)
		checkGrad(t, cfg.String()+" inner forward", m.Inner, m.P, u, false, true)
		checkGrad(t, cfg.String()+" inner inverse", m.Inner, m.P, u, true, true)
	}
}

func TestInverseOfForwardIsIdentity(t *testing.T) {
	for _, cfg := range []Config{OriginalConfig(), {N: 4, D: 2, Steps: 3, Hidden: 7, Blocks: 2, Bins: 6, TailBound: 2.5}} {
		m, _ := New(cfg, 11)
		x := randomBatch(300, cfg.N, 1.2, 4)
		h, ld := m.OuterForward(x)
		back, ldInv := m.OuterInverse(h)
		var maxErr, maxLd float64
		for i := range x.Data {
			maxErr = math.Max(maxErr, math.Abs(float64(back.Data[i]-x.Data[i])))
		}
		for i := range ld {
			maxLd = math.Max(maxLd, math.Abs(float64(ld[i]+ldInv[i])))
		}
		if maxErr > 1e-3 || maxLd > 1e-2 {
			t.Errorf("%v: f⁻¹(f(x)) max error %.3g, log|det| sum max %.3g", cfg, maxErr, maxLd)
		}
	}
}

var hpTest = 1e-3
