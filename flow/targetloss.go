package flow

import (
	"fmt"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// OuterTargetGrad returns the mean squared distance between the outer latent f(x) and the
// target latent (rows×N, weighted per column by colWeight) and adds its gradient with respect
// to the parameters, scaled by weight, into grad: the h_M regression of the geodesic recipe.
// ws may be nil.
func (m *MFlow) OuterTargetGrad(ws *Workspace, x, target nn.Mat, colWeight []float64, weight float64, grad []float32) float64 {
	return m.targetGrad("OuterTargetGrad", false, ws, x, target, colWeight, weight, grad)
}

// InverseTargetGrad returns the mean squared distance between f⁻¹(target) and x (per-column
// weights colWeight) and adds its gradient, scaled by weight, into grad: the decoder side of
// the geodesic recipe, which pulls the curve f⁻¹((U, 0)) onto the data points.
func (m *MFlow) InverseTargetGrad(ws *Workspace, x, target nn.Mat, colWeight []float64, weight float64, grad []float32) float64 {
	return m.targetGrad("InverseTargetGrad", true, ws, x, target, colWeight, weight, grad)
}

// targetGrad is the regression of both directions: f(x) against target, or (inverse)
// f⁻¹(target) against x.
func (m *MFlow) targetGrad(name string, inverse bool, ws *Workspace, x, target nn.Mat, colWeight []float64, weight float64, grad []float32) float64 {
	m.checkBatch(name, x, m.Cfg.N)
	nn.SameShape("flow: "+name+" target", x, target)
	if len(grad) != len(m.P) || len(colWeight) != m.Cfg.N {
		panic(fmt.Sprintf("flow: %s gradient %d for %d parameters, %d column weights for n=%d", name, len(grad), len(m.P), len(colWeight), m.Cfg.N))
	}
	if ws == nil {
		ws = NewWorkspace(len(m.P))
	}
	rows := float64(x.Rows)
	n := m.Cfg.N
	sum := ws.runShards(x.Rows, grad, func(s *shard, r0, r1 int) float64 {
		xs, ts := x.Slice(r0, r1), target.Slice(r0, r1)
		out, want := nn.Mat{}, ts
		var rec Record
		if inverse {
			out, _, rec = m.Outer.Inverse(&s.arena, m.P, ts, true)
			want = xs
		} else {
			out, _, rec = m.Outer.Forward(&s.arena, m.P, xs, true)
		}
		g := s.arena.Mat(xs.Rows, n)
		var sse float64
		for i, v := range out.Data {
			cw := colWeight[i%n]
			d := float64(v - want.Data[i])
			sse += cw * d * d
			g.Data[i] = float32(2 * cw * d / rows * weight)
		}
		m.Outer.Backward(&s.arena, m.P, rec, g, nil, s.grad)
		return sse
	})
	return sum / rows
}
