package imageflow

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/testref"
	"github.com/mflowlab/mflowlab/sim/cifar"
)

// TestCIFARProjection checks the full-size model (3×32×32 images) on real CIFAR-10 images:
// the chart fitted on 400 of them, a randomised conditioner; ProjectVJP against central
// differences, idempotence and the transform contract's round trip.
func TestCIFARProjection(t *testing.T) {
	if testing.Short() {
		t.Skip("fits a 3 072-dimensional chart")
	}
	set, err := cifar.Load(testref.Path(t, "cifar10", "test_batch.bin"), cifar.Train)
	if err != nil {
		t.Fatal(err)
	}
	x := set.Images.Slice(0, 400)
	cfg := Config{Channels: 3, Height: 32, Width: 32, D: 12, Alpha: 0.05, Hidden: 6, Layers: 2, Shuffle: 2}
	m, err := New(cfg, x, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := m.Coupling.Net.Layers[1]
	rng := rand.New(rand.NewPCG(3, 3))
	last.Weight.InitUniform(m.P, 0.05, rng)
	last.Bias.InitUniform(m.P, 0.05, rng)
	m.Prepare()

	// pixels strictly inside (0, 1): at 0 and 1 (common in real images) the input clamp has
	// a kink that finite differences straddle
	xs := set.Images.Slice(1000, 1003).Clone()
	for i, v := range xs.Data {
		xs.Data[i] = 0.02 + 0.96*v
	}
	var a nn.Arena
	z, _, _ := m.Outer.Forward(&a, m.P, xs, false)
	back, _, _ := m.Outer.Inverse(&a, m.P, z, false)
	if e := maxAbsDiff(back.Data, xs.Data); e > 1e-4 {
		t.Errorf("inverse∘forward error %v", e)
	}

	g := nn.NewMat(xs.Rows, xs.Cols)
	for i := range g.Data {
		g.Data[i] = float32(rng.NormFloat64())
	}
	vjp := m.ProjectVJP(nn.Mat{}, xs, g)
	f := func(v nn.Mat) float64 {
		p := m.Project(nn.Mat{}, v)
		var s float64
		for i, o := range p.Data {
			s += float64(g.Data[i]) * float64(o)
		}
		return s
	}
	for trial := 0; trial < 3; trial++ {
		dv := nn.NewMat(xs.Rows, xs.Cols)
		var analytic float64
		for i := range dv.Data {
			dv.Data[i] = float32(rng.NormFloat64())
			analytic += float64(dv.Data[i]) * float64(vjp.Data[i])
		}
		const h = 1e-3
		xp, xm := xs.Clone(), xs.Clone()
		for i, d := range dv.Data {
			xp.Data[i] += h * d
			xm.Data[i] -= h * d
		}
		num := (f(xp) - f(xm)) / (2 * h)
		if math.Abs(num-analytic) > 2e-2*max(1, math.Abs(num)) {
			t.Errorf("direction %d: VJP gives %v, finite differences %v", trial, analytic, num)
		}
	}

	p1 := m.Project(nn.Mat{}, set.Images.Slice(2000, 2100))
	p2 := m.Project(nn.Mat{}, p1)
	var sum float64
	for i, v := range p1.Data {
		sum += math.Abs(float64(v - p2.Data[i]))
	}
	// only pixels the output clamp moved (the manifold reaches ±α/(1−2α) beyond [0, 1]) may differ
	if mean := sum / float64(len(p1.Data)); mean > 2e-3 {
		t.Errorf("project(project(x)) differs from project(x) by %v on average", mean)
	}
}
