package flow

import (
	"math"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
)

func TestGeometryHelpers(t *testing.T) {
	m := testModel(t, Config{N: 2, D: 1, Steps: 4, Hidden: 16, Blocks: 1, Bins: 6, TailBound: 3}, 5)
	x := randomBatch(20, 2, 0.8, 3)
	const steps = 10
	paths := m.ProjectionPaths(x, steps)
	proj := m.Project(x)
	for i := 0; i < x.Rows; i++ {
		start, end := paths.Row(i*(steps+1)), paths.Row(i*(steps+1)+steps)
		for j := 0; j < 2; j++ {
			if math.Abs(float64(start[j]-x.At(i, j))) > 1e-4 || math.Abs(float64(end[j]-proj.At(i, j))) > 1e-4 {
				t.Fatalf("path %d runs %v→%v, want %v→%v", i, start, end, x.Row(i), proj.Row(i))
			}
		}
	}
	// the horizontal latent line at v = 0 is the manifold: decode of the matching u
	lines := m.LatentLines(true, []float64{0, 1}, -2, 2, 9)
	a, b := m.Inner.Scale.View(m.P)[0], m.Inner.Shift.View(m.P)[0]
	u := nn.NewMat(9, 1)
	for i, t := range Linspace(-2, 2, 9) {
		u.Data[i] = a*float32(t) + b
	}
	dec := m.Decode(u)
	for i := range dec.Data {
		if math.Abs(float64(dec.Data[i]-lines[0].Data[i])) > 1e-4 {
			t.Fatalf("v=0 line differs from decode: %v vs %v", lines[0].Data, dec.Data)
		}
	}
	if c := m.ManifoldCurve(-1, 1, 5); c.Rows != 5 || c.Cols != 2 {
		t.Fatalf("manifold curve shape %d×%d", c.Rows, c.Cols)
	}
}

func TestProjectGradMatchesProjectVJP(t *testing.T) {
	m := testModel(t, Config{N: 2, D: 1, Steps: 3, Hidden: 8, Blocks: 1, Bins: 5, TailBound: 3}, 2)
	x := randomBatch(1300, 2, 1, 8) // several evaluation chunks
	g := randomBatch(1300, 2, 1, 9)
	p1, gx1 := m.ProjectVJP(x, g)
	p2, gx2 := m.ProjectGrad(x, func(r0 int, proj nn.Mat) nn.Mat { return g.Slice(r0, r0+proj.Rows) })
	for i := range p1.Data {
		if p1.Data[i] != p2.Data[i] || gx1.Data[i] != gx2.Data[i] {
			t.Fatalf("element %d: ProjectGrad (%v, %v) differs from ProjectVJP (%v, %v)", i, p2.Data[i], gx2.Data[i], p1.Data[i], gx1.Data[i])
		}
	}
}
