package attack

import (
	"fmt"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
)

// Projector maps each row of x onto a learned manifold (the defence), with its vector–Jacobian
// product so adaptive attacks can differentiate through it.
type Projector interface {
	Project(dst, x nn.Mat) nn.Mat       // nil dst allocates
	ProjectVJP(dst, x, g nn.Mat) nn.Mat // row i: g_iᵀ ∂project(x_i)/∂x_i
}

// FusedProjector is a Projector that can also project and differentiate in one pass: for every
// chunk of rows [r0, r0+proj.Rows) it calls grad with the projections, which returns
// dL/d(proj), and it returns project(x) and dL/dx. grad may be called concurrently for
// different chunks. Defended uses it when available (the M-Flow's ProjectGrad halves the cost).
type FusedProjector interface {
	Projector
	ProjectGrad(x nn.Mat, grad func(r0 int, proj nn.Mat) nn.Mat) (proj, gx nn.Mat)
}

// dimensioned is implemented by projectors that know their input dimension; sweeps check it.
type dimensioned interface {
	InputDim() int
}

// FlowProjector adapts the Two Spirals *flow.MFlow projection, decode(encode(x)), to
// Projector (and FusedProjector), with exact gradients through encode and decode.
type FlowProjector struct {
	Flow *flow.MFlow
}

var _ FusedProjector = FlowProjector{}

// Project returns the M-Flow projection of every row of x in dst (nil allocates).
func (p FlowProjector) Project(dst, x nn.Mat) nn.Mat {
	return into("FlowProjector.Project", dst, p.Flow.Project(x))
}

// ProjectVJP returns gᵀ ∂project/∂x row by row in dst (nil allocates).
func (p FlowProjector) ProjectVJP(dst, x, g nn.Mat) nn.Mat {
	_, gx := p.Flow.ProjectVJP(x, g)
	return into("FlowProjector.ProjectVJP", dst, gx)
}

// ProjectGrad projects x and differentiates through the projection in one pass
// (flow.MFlow.ProjectGrad).
func (p FlowProjector) ProjectGrad(x nn.Mat, grad func(r0 int, proj nn.Mat) nn.Mat) (proj, gx nn.Mat) {
	return p.Flow.ProjectGrad(x, grad)
}

// InputDim returns the flow's data dimension N.
func (p FlowProjector) InputDim() int { return p.Flow.Cfg.N }

// into copies src into dst, or returns src when dst is nil (no Data). A dst of another shape
// panics.
func into(name string, dst, src nn.Mat) nn.Mat {
	if dst.Data == nil {
		return src
	}
	if dst.Rows != src.Rows || dst.Cols != src.Cols || len(dst.Data) != len(src.Data) {
		panic(fmt.Sprintf("attack: %s: dst is %d×%d; want %d×%d", name, dst.Rows, dst.Cols, src.Rows, src.Cols))
	}
	copy(dst.Data, src.Data)
	return dst
}

// projectRows applies p to x in row chunks of at most rows rows, so that projections with
// large intermediate buffers stay within memory; the result is the same as one call.
func projectRows(p Projector, x nn.Mat, rows int) nn.Mat {
	if x.Rows <= rows {
		return p.Project(nn.Mat{}, x)
	}
	out := nn.NewMat(x.Rows, x.Cols)
	for r0 := 0; r0 < x.Rows; r0 += rows {
		r1 := min(x.Rows, r0+rows)
		p.Project(out.Slice(r0, r1), x.Slice(r0, r1))
	}
	return out
}

// checkProjector reports a nil projector or one whose input dimension differs from cols.
func checkProjector(p Projector, cols int) error {
	if p == nil {
		return fmt.Errorf("attack: no projection (defence) given")
	}
	if d, ok := p.(dimensioned); ok && d.InputDim() != cols {
		return fmt.Errorf("attack: the projection maps %d-dimensional points; the data has %d columns", d.InputDim(), cols)
	}
	return nil
}
