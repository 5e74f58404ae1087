package flow

import (
	"fmt"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// OuterTargetGrad returns the mean squared distance between the outer latent f(x) and the
// target latent (rows×N, weighted per column by colWeight) and adds its gradient with respect
// to the parameters, scaled by weight, into grad: the regression of the geodesic recipe's
// warm start. ws may be nil.
func (m *MFlow) OuterTargetGrad(ws *Workspace, x, target nn.Mat, colWeight []float64, weight float64, grad []float32) float64 {
	m.checkBatch("OuterTargetGrad", x, m.Cfg.N)
	nn.SameShape("flow: OuterTargetGrad target", x, target)
	if len(grad) != len(m.P) || len(colWeight) != m.Cfg.N {
		panic(fmt.Sprintf("flow: OuterTargetGrad gradient %d for %d parameters, %d column weights for n=%d", len(grad), len(m.P), len(colWeight), m.Cfg.N))
	}
	if ws == nil {
		ws = NewWorkspace(len(m.P))
	}
	rows := float64(x.Rows)
	n := m.Cfg.N
	sum := ws.runShards(x.Rows, grad, func(s *shard, r0, r1 int) float64 {
		xs, ts := x.Slice(r0, r1), target.Slice(r0, r1)
		h, _, rf := m.Outer.Forward(&s.arena, m.P, xs, true)
		g := s.arena.Mat(xs.Rows, n)
		var sse float64
		for i, v := range h.Data {
			cw := colWeight[i%n]
			d := float64(v - ts.Data[i])
			sse += cw * d * d
			g.Data[i] = float32(2 * cw * d / rows * weight)
		}
		m.Outer.Backward(&s.arena, m.P, rf, g, nil, s.grad)
		return sse
	})
	return sum / rows
}

// InverseTargetGrad returns the mean squared distance between f⁻¹(target) and x (per-column
// weights colWeight) and adds its gradient, scaled by weight, into grad: the decoder side of
// the geodesic warm start, which reconstructs every data point from its curve coordinates.
func (m *MFlow) InverseTargetGrad(ws *Workspace, x, target nn.Mat, colWeight []float64, weight float64, grad []float32) float64 {
	m.checkBatch("InverseTargetGrad", x, m.Cfg.N)
	nn.SameShape("flow: InverseTargetGrad target", x, target)
	if len(grad) != len(m.P) || len(colWeight) != m.Cfg.N {
		panic(fmt.Sprintf("flow: InverseTargetGrad gradient %d for %d parameters, %d column weights for n=%d", len(grad), len(m.P), len(colWeight), m.Cfg.N))
	}
	if ws == nil {
		ws = NewWorkspace(len(m.P))
	}
	rows := float64(x.Rows)
	n := m.Cfg.N
	sum := ws.runShards(x.Rows, grad, func(s *shard, r0, r1 int) float64 {
		xs, ts := x.Slice(r0, r1), target.Slice(r0, r1)
		y, _, ri := m.Outer.Inverse(&s.arena, m.P, ts, true)
		g := s.arena.Mat(xs.Rows, n)
		var sse float64
		for i, v := range y.Data {
			cw := colWeight[i%n]
			d := float64(v - xs.Data[i])
			sse += cw * d * d
			g.Data[i] = float32(2 * cw * d / rows * weight)
		}
		m.Outer.Backward(&s.arena, m.P, ri, g, nil, s.grad)
		return sse
	})
	return sum / rows
}
