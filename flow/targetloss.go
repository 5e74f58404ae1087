package flow

import (
	"fmt"
	"math"

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

// DistGrad returns the mean over rows of the smoothed projection distance
// sqrt(|project(x) − x|² + eps²) and adds its gradient, scaled by weight, into grad. Unlike
// the squared error it pushes every point equally hard whatever its error's size, so a small
// part of the curve that is skipped (the spiral's centre) costs as much per point as a large
// one. ws may be nil.
func (m *MFlow) DistGrad(ws *Workspace, x nn.Mat, eps, weight float64, grad []float32) float64 {
	m.checkBatch("DistGrad", x, m.Cfg.N)
	if ws == nil {
		ws = NewWorkspace(len(m.P))
	}
	rows := float64(x.Rows)
	n := m.Cfg.N
	sum := ws.runShards(x.Rows, grad, func(s *shard, r0, r1 int) float64 {
		xs := x.Slice(r0, r1)
		proj, back := m.projectRecorded(&s.arena, xs)
		g := s.arena.Mat(xs.Rows, n)
		var tot float64
		for i := 0; i < xs.Rows; i++ {
			var d2 float64
			for j := 0; j < n; j++ {
				d := float64(proj.Data[i*n+j] - xs.Data[i*n+j])
				d2 += d * d
			}
			r := math.Sqrt(d2 + eps*eps)
			tot += r
			for j := 0; j < n; j++ {
				d := float64(proj.Data[i*n+j] - xs.Data[i*n+j])
				g.Data[i*n+j] = float32(d / r / rows * weight)
			}
		}
		back(g, s.grad)
		return tot
	})
	return sum / rows
}

// WeightedMSEGrad is MSEGrad with a weight per row (rowW, one per row of x): the mean over
// rows of rowW·|project(x) − x|²/N.
func (m *MFlow) WeightedMSEGrad(ws *Workspace, x nn.Mat, rowW []float32, weight float64, grad []float32) float64 {
	m.checkBatch("WeightedMSEGrad", x, m.Cfg.N)
	if len(rowW) != x.Rows {
		panic(fmt.Sprintf("flow: WeightedMSEGrad has %d row weights for %d rows", len(rowW), x.Rows))
	}
	if ws == nil {
		ws = NewWorkspace(len(m.P))
	}
	total := float64(x.Rows * x.Cols)
	n := m.Cfg.N
	sum := ws.runShards(x.Rows, grad, func(s *shard, r0, r1 int) float64 {
		xs := x.Slice(r0, r1)
		proj, back := m.projectRecorded(&s.arena, xs)
		g := s.arena.Mat(xs.Rows, n)
		var sse float64
		for i, v := range proj.Data {
			w := float64(rowW[r0+i/n])
			d := float64(v - xs.Data[i])
			sse += w * d * d
			g.Data[i] = float32(2 * w * d / total * weight)
		}
		back(g, s.grad)
		return sse
	})
	return sum / total
}
