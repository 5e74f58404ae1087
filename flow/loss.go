package flow

import (
	"fmt"
	"math"
	"sync"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// Workspace holds the reusable memory of gradient computations: one arena and one gradient
// buffer per shard. A batch is always cut into the same shards whatever the number of cores,
// and shard gradients are summed in a fixed order, so results are deterministic.
type Workspace struct {
	shards []shard
	saved  []float32
	// Serial computes the shards one after the other on the calling goroutine: the same
	// numbers, one core. The app uses it so that training leaves a core to the interface.
	Serial bool
}

type shard struct {
	arena nn.Arena
	grad  []float32
}

// Shards is the number of batch shards computed in parallel for batches of at least
// minShardRows rows.
const (
	Shards       = 2
	minShardRows = 32
)

// NewWorkspace returns a workspace for models with nParams parameters.
func NewWorkspace(nParams int) *Workspace {
	w := &Workspace{shards: make([]shard, Shards)}
	for i := range w.shards {
		w.shards[i].grad = make([]float32, nParams)
	}
	return w
}

// runShards splits rows into shards, runs fn on each concurrently, then sums their gradient
// buffers into grad (when grad is non-nil) and returns the sum of fn's results.
func (w *Workspace) runShards(rows int, grad []float32, fn func(s *shard, r0, r1 int) float64) float64 {
	n := Shards
	if rows < minShardRows {
		n = 1
	}
	res := make([]float64, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		s := &w.shards[i]
		if grad != nil && len(s.grad) != len(grad) {
			s.grad = make([]float32, len(grad))
		}
		clear(s.grad)
		s.arena.Reset()
		r0, r1 := rows*i/n, rows*(i+1)/n
		if w.Serial {
			res[i] = fn(s, r0, r1)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = fn(s, r0, r1)
		}()
	}
	wg.Wait()
	var total float64
	for i := 0; i < n; i++ {
		total += res[i]
		if grad != nil {
			addTo(grad, w.shards[i].grad)
		}
	}
	return total
}

// projectRecorded runs project on x, keeping records, and returns the projection and a
// function that back-propagates dL/d(proj) to dL/dx (adding parameter gradients to grad).
func (m *MFlow) projectRecorded(a *nn.Arena, x nn.Mat) (nn.Mat, func(g nn.Mat, grad []float32) nn.Mat) {
	d := m.Cfg.D
	h, _, rf := m.Outer.Forward(a, m.P, x, true)
	hm := a.Mat(x.Rows, d)
	for i := 0; i < x.Rows; i++ {
		copy(hm.Row(i), h.Row(i)[:d])
	}
	u, _, rg := m.Inner.Forward(a, m.P, hm, true)
	hm2, _, rgi := m.Inner.Inverse(a, m.P, u, true)
	h2 := a.Mat(x.Rows, m.Cfg.N)
	for i := 0; i < x.Rows; i++ {
		copy(h2.Row(i), hm2.Row(i))
	}
	proj, _, rfi := m.Outer.Inverse(a, m.P, h2, true)
	back := func(g nn.Mat, grad []float32) nn.Mat {
		gh2 := m.Outer.Backward(a, m.P, rfi, g, nil, grad)
		ghm2 := a.Mat(x.Rows, d)
		for i := 0; i < x.Rows; i++ {
			copy(ghm2.Row(i), gh2.Row(i)[:d])
		}
		gu := m.Inner.Backward(a, m.P, rgi, ghm2, nil, grad)
		ghm := m.Inner.Backward(a, m.P, rg, gu, nil, grad)
		gh := a.Mat(x.Rows, m.Cfg.N)
		for i := 0; i < x.Rows; i++ {
			copy(gh.Row(i)[:d], ghm.Row(i))
		}
		return m.Outer.Backward(a, m.P, rf, gh, nil, grad)
	}
	return proj, back
}

// MSEGrad returns MSE(project(x), x) (the mean over all elements) and adds its gradient with
// respect to the parameters, scaled by weight, into grad. ws may be nil.
func (m *MFlow) MSEGrad(ws *Workspace, x nn.Mat, weight float64, grad []float32) float64 {
	m.checkBatch("MSEGrad", x, m.Cfg.N)
	if len(grad) != len(m.P) {
		panic(fmt.Sprintf("flow: MSEGrad gradient has %d values for %d parameters", len(grad), len(m.P)))
	}
	if ws == nil {
		ws = NewWorkspace(len(m.P))
	}
	total := float64(x.Rows * x.Cols)
	sum := ws.runShards(x.Rows, grad, func(s *shard, r0, r1 int) float64 {
		xs := x.Slice(r0, r1)
		proj, back := m.projectRecorded(&s.arena, xs)
		g := s.arena.Mat(xs.Rows, xs.Cols)
		var sse float64
		for i, v := range proj.Data {
			d := float64(v - xs.Data[i])
			sse += d * d
			g.Data[i] = float32(2 * d / total * weight)
		}
		back(g, s.grad)
		return sse
	})
	return sum / total
}

// ProjectVJP returns project(x) and dL/dx for the upstream gradient gProj = dL/d(project(x)),
// differentiating through encode and decode (for adaptive attacks). No parameter gradient is
// computed.
func (m *MFlow) ProjectVJP(x, gProj nn.Mat) (proj, gx nn.Mat) {
	nn.SameShape("flow: ProjectVJP", x, gProj)
	return m.ProjectGrad(x, func(r0 int, p nn.Mat) nn.Mat { return gProj.Slice(r0, r0+p.Rows) })
}

// NLLGrad returns the mean negative PIE log-likelihood of x (off-manifold scale eps) and adds
// its gradient, scaled by weight, into grad. With innerOnly only the inner transform's
// parameters receive gradient (the original's density phase), which skips the outer backward.
func (m *MFlow) NLLGrad(ws *Workspace, x nn.Mat, eps, weight float64, innerOnly bool, grad []float32) float64 {
	m.checkBatch("NLLGrad", x, m.Cfg.N)
	if ws == nil {
		ws = NewWorkspace(len(m.P))
	}
	rows := float64(x.Rows)
	cu, cv := m.pieConsts(eps)
	d := m.Cfg.D
	sum := ws.runShards(x.Rows, grad, func(s *shard, r0, r1 int) float64 {
		a := &s.arena
		xs := x.Slice(r0, r1)
		h, ldo, rf := m.Outer.Forward(a, m.P, xs, !innerOnly)
		hm := a.Mat(xs.Rows, d)
		for i := 0; i < xs.Rows; i++ {
			copy(hm.Row(i), h.Row(i)[:d])
		}
		u, ldi, rg := m.Inner.Forward(a, m.P, hm, true)
		gu := a.Mat(xs.Rows, d)
		gh := a.Mat(xs.Rows, m.Cfg.N)
		gld := a.Floats(xs.Rows)
		var nll float64
		for i := 0; i < xs.Rows; i++ {
			var su, sv float64
			for j, v := range u.Row(i) {
				su += float64(v) * float64(v)
				gu.Row(i)[j] = float32(float64(v) / rows * weight)
			}
			for j, v := range h.Row(i)[d:] {
				sv += float64(v) * float64(v)
				gh.Row(i)[d+j] = float32(float64(v) / (eps * eps) / rows * weight)
			}
			gld[i] = float32(-weight / rows)
			nll -= -0.5*su + cu - sv/(2*eps*eps) + cv + float64(ldo[i]) + float64(ldi[i])
		}
		ghm := m.Inner.Backward(a, m.P, rg, gu, gld, s.grad)
		if !innerOnly {
			for i := 0; i < xs.Rows; i++ {
				copy(gh.Row(i)[:d], ghm.Row(i))
			}
			m.Outer.Backward(a, m.P, rf, gh, gld, s.grad)
		}
		return nll
	})
	return sum / rows
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// ProjectGrad projects x and differentiates through encode and decode in a single pass:
// for every chunk of rows [r0, r0+proj.Rows) it calls grad with the projections, which returns
// dL/d(proj) for them, and it returns project(x) and dL/dx. grad may be called concurrently for
// different chunks. This halves the cost of adaptive attacks compared with Project followed by
// ProjectVJP.
func (m *MFlow) ProjectGrad(x nn.Mat, grad func(r0 int, proj nn.Mat) nn.Mat) (proj, gx nn.Mat) {
	m.checkBatch("ProjectGrad", x, m.Cfg.N)
	proj, gx = nn.NewMat(x.Rows, x.Cols), nn.NewMat(x.Rows, x.Cols)
	m.parallelRows(x.Rows, func(a *nn.Arena, r0, r1 int) {
		p, back := m.projectRecorded(a, x.Slice(r0, r1))
		copy(proj.Slice(r0, r1).Data, p.Data)
		g := grad(r0, p)
		nn.SameShape("flow: ProjectGrad gradient", p, g)
		copy(gx.Slice(r0, r1).Data, back(g, nil).Data)
	})
	return proj, gx
}
