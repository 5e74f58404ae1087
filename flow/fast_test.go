package flow

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// TestFastPathMatchesGo checks the evaluation-only coupling step (C when built with cgo)
// against the Go path that training uses: the conditioner to rounding (normwise), the
// spline to one unit in the last place of float32 on the same conditioner output, for several shapes, points in the tails, outside
// them, and NaN.
func TestFastPathMatchesGo(t *testing.T) {
	if fastBackend == "go" {
		t.Skip("built without cgo: the Go path is the only one")
	}
	cfgs := []Config{
		OriginalConfig(),
		{N: 2, D: 1, Steps: 3, Hidden: 7, Blocks: 0, Bins: 3, TailBound: 2},
		{N: 3, D: 1, Steps: 4, Hidden: 33, Blocks: 3, Bins: 64, TailBound: 1.5},
		{N: 5, D: 2, Steps: 2, Hidden: 1, Blocks: 1, Bins: 2, TailBound: 4},
	}
	for ci, cfg := range cfgs {
		m, err := New(cfg, uint64(10+ci))
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(ci), 7))
		for i := range m.P { // far from the identity, so that every bin is used
			m.P[i] += float32(rng.NormFloat64() * 0.3)
		}
		rows := 100 + 37*ci // not a multiple of the C tile
		x := nn.NewMat(rows, cfg.N)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64() * cfg.TailBound * 0.8)
		}
		x.Data[0] = float32(cfg.TailBound)      // on the bound
		x.Data[cfg.N] = float32(-cfg.TailBound) // on the other
		x.Data[2*cfg.N] = float32(cfg.TailBound * 3)
		x.Data[3*cfg.N] = float32(math.NaN())
		var worst int64
		for _, inverse := range []bool{false, true} {
			for si, c := range m.Couplings {
				var a nn.Arena
				xid := c.gather(&a, x, c.Identity)
				np := SplineParams(c.Bins)
				pFast := a.RawMat(rows, len(c.Transformed)*np)
				pGo := a.RawMat(rows, len(c.Transformed)*np)
				if !c.Net.forwardFast(&a, m.P, xid, pFast) {
					t.Fatalf("config %d: the C conditioner did not run", ci)
				}
				c.Net.forward(&a, m.P, xid, pGo, &mlpRecord{})
				// The C path's matrix products sum in another order than OpenBLAS's:
				// equal to rounding, normwise.
				var scale, diff float64
				for i := range pGo.Data {
					if g, f := pGo.Data[i], pFast.Data[i]; g != g || f != f {
						if g == g || f == f {
							t.Fatalf("config %d step %d: conditioner output %d: C %v, Go %v", ci, si, i, f, g)
						}
						continue
					}
					scale = max(scale, math.Abs(float64(pGo.Data[i])))
					diff = max(diff, math.Abs(float64(pGo.Data[i]-pFast.Data[i])))
				}
				if !(diff <= 2e-6*max(scale, 1)) {
					t.Fatalf("config %d step %d: conditioner outputs differ by %g (scale %g)", ci, si, diff, scale)
				}
				zf, zg := a.RawMat(rows, cfg.N), a.RawMat(rows, cfg.N)
				copy(zf.Data, x.Data)
				copy(zg.Data, x.Data)
				lf, lg := make([]float32, rows), make([]float32, rows)
				if !c.splineFast(&a, x, pGo, zf, lf, inverse, nil) {
					t.Fatalf("config %d: the C spline did not run", ci)
				}
				c.splineGo(&a, x, pGo, zg, lg, nil, inverse)
				for i := range zg.Data {
					if d := ulpDiff(zf.Data[i], zg.Data[i]); d > worst {
						worst = d
					}
					if !close32(zf.Data[i], zg.Data[i], 1) {
						t.Fatalf("config %d step %d inverse=%v: z[%d]: C %v, Go %v (x %v)", ci, si, inverse, i, zf.Data[i], zg.Data[i], x.Data[i])
					}
				}
				for i := range lg {
					if !close32(lf[i], lg[i], 64) && math.Abs(float64(lf[i]-lg[i])) > 1e-6 {
						t.Fatalf("config %d step %d inverse=%v: logdet[%d]: C %v, Go %v", ci, si, inverse, i, lf[i], lg[i])
					}
				}
				// The recorded knots, which Backward reads, agree for every splined element.
				nt, kl := len(c.Transformed), knotsLen(c.Bins)
				kf := make([]float64, rows*nt*kl)
				if !c.splineFast(&a, x, pGo, zf, lf, inverse, kf) {
					t.Fatal("the recording C spline did not run")
				}
				rec := &couplingRecord{inverse: inverse, in: make([]float32, rows*nt), out: make([]float32, rows*nt), knots: make([]float64, rows*nt*kl)}
				c.splineGo(&a, x, pGo, zg, lg, rec, inverse)
				for i := 0; i < rows; i++ {
					for j, f := range c.Transformed {
						if v := float64(x.At(i, f)); !(v >= -cfg.TailBound && v <= cfg.TailBound) {
							continue
						}
						for q := 0; q < kl; q++ {
							e := (i*nt+j)*kl + q
							if d := math.Abs(kf[e] - rec.knots[e]); d > 1e-13*max(1, math.Abs(rec.knots[e])) {
								t.Fatalf("config %d step %d: knot value %d of element (%d, %d): C %v, Go %v", ci, si, q, i, j, kf[e], rec.knots[e])
							}
						}
					}
				}
			}
		}
		t.Logf("config %d: largest spline difference C vs Go: %d ulp", ci, worst)
	}
}

func ulpDiff(a, b float32) int64 {
	if a != a || b != b {
		return 0
	}
	d := int64(int32(math.Float32bits(a))) - int64(int32(math.Float32bits(b)))
	return max(d, -d)
}

// close32 reports whether a and b are within ulps units in the last place (NaNs match NaNs).
func close32(a, b float32, ulps int64) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	d := int64(int32(math.Float32bits(a))) - int64(int32(math.Float32bits(b)))
	if (a < 0) != (b < 0) {
		return a == b
	}
	return d >= -ulps && d <= ulps
}

// BenchmarkProject measures the on-manifold projection of 4096 points with the original
// architecture (the sweep's inner loop).
func BenchmarkProject(b *testing.B) {
	m, err := New(OriginalConfig(), 3)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range m.P {
		m.P[i] += float32(rng.NormFloat64() * 0.1)
	}
	x := nn.NewMat(4096, 2)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Project(x)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*x.Rows), "ns/point")
}
