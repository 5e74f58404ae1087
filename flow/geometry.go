package flow

import (
	"fmt"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// The drawing helpers of spec 5.4. They need a 2-D flow with a 1-D manifold (n = 2, d = 1)
// and panic otherwise; all of them evaluate in large parallel batches.

func (m *MFlow) need2D(name string) {
	if m.Cfg.N != 2 || m.Cfg.D != 1 {
		panic(fmt.Sprintf("flow: %s needs n=2, d=1; the flow has n=%d d=%d", name, m.Cfg.N, m.Cfg.D))
	}
}

// Linspace returns n evenly spaced values from a to b inclusive.
func Linspace(a, b float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		if n == 1 {
			out[i] = a
			continue
		}
		out[i] = a + (b-a)*float64(i)/float64(n-1)
	}
	return out
}

// ManifoldCurve returns decode(u) for n values of u evenly spaced on [u0, u1]: the learned
// manifold as a polyline (n×2).
func (m *MFlow) ManifoldCurve(u0, u1 float64, n int) nn.Mat {
	m.need2D("ManifoldCurve")
	u := nn.NewMat(n, 1)
	for i, v := range Linspace(u0, u1, n) {
		u.Data[i] = float32(v)
	}
	return m.Decode(u)
}

// LatentLines maps latent lines into data space through f⁻¹. For each level c in levels it
// returns the polyline f⁻¹((t, c)) (horizontal: t runs along h_M, v = c fixed) or
// f⁻¹((c, t)) (vertical), with t taking n values on [t0, t1]. The horizontal line at c = 0 is
// the manifold in outer coordinates. All lines are computed in one batch.
func (m *MFlow) LatentLines(horizontal bool, levels []float64, t0, t1 float64, n int) []nn.Mat {
	m.need2D("LatentLines")
	h := nn.NewMat(len(levels)*n, 2)
	ts := Linspace(t0, t1, n)
	for l, c := range levels {
		for i, t := range ts {
			r := h.Row(l*n + i)
			if horizontal {
				r[0], r[1] = float32(t), float32(c)
			} else {
				r[0], r[1] = float32(c), float32(t)
			}
		}
	}
	x, _ := m.OuterInverse(h)
	out := make([]nn.Mat, len(levels))
	for l := range levels {
		out[l] = x.Slice(l*n, (l+1)*n)
	}
	return out
}

// ProjectionPaths returns, for every row x of xs, the curved path λ ↦ f⁻¹((h_M, (1 − λ)·v))
// with (h_M, v) = f(x) and λ = 0, 1/steps, …, 1: from x to project(x) (spec 5.4). Path i is
// rows [i·(steps+1), (i+1)·(steps+1)) of the result.
func (m *MFlow) ProjectionPaths(xs nn.Mat, steps int) nn.Mat {
	m.need2D("ProjectionPaths")
	if steps < 1 {
		panic("flow: ProjectionPaths needs at least one step")
	}
	h, _ := m.OuterForward(xs)
	k := steps + 1
	lat := nn.NewMat(xs.Rows*k, 2)
	for i := 0; i < xs.Rows; i++ {
		hm, v := h.At(i, 0), h.At(i, 1)
		for j := 0; j < k; j++ {
			lam := float32(j) / float32(steps)
			lat.Set(i*k+j, 0, hm)
			lat.Set(i*k+j, 1, (1-lam)*v)
		}
	}
	x, _ := m.OuterInverse(lat)
	return x
}
