package pca

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// fitted returns a projection with d components of data whose projections often leave [0, 1]
// (so the clamp matters), and points to project.
func fitted(t *testing.T, n, d int) (*Projection, nn.Mat) {
	t.Helper()
	train := lowRank(400, n, 5)
	for i := range train.Data {
		train.Data[i] = 0.5 + 40*(train.Data[i]-0.5) // wide spread: many values outside [0, 1]
	}
	b, err := Fit(train, Options{Components: d})
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Projection(d)
	if err != nil {
		t.Fatal(err)
	}
	x := lowRank(30, n, 6)
	for i := range x.Data {
		x.Data[i] = min(max(0.5+40*(x.Data[i]-0.5), 0), 1)
	}
	return p, x
}

func TestProjectMatchesFormula(t *testing.T) {
	p, x := fitted(t, 48, 6)
	got := p.Project(nn.Mat{}, x)
	clamped := 0
	for i := 0; i < x.Rows; i++ {
		pre := p.linear64(x.Row(i))
		for j, v := range pre {
			want := min(max(v, 0), 1)
			if want != v {
				clamped++
			}
			if math.Abs(float64(got.At(i, j))-want) > 2e-6 {
				t.Fatalf("row %d col %d: %v, want %v", i, j, got.At(i, j), want)
			}
		}
	}
	if clamped == 0 || clamped == x.Rows*x.Cols {
		t.Fatalf("%d of %d values clamped: the test does not exercise the clamp", clamped, x.Rows*x.Cols)
	}
	// dst is filled and returned; a projection is a fixed point up to the clamp.
	dst := nn.NewMat(x.Rows, x.Cols)
	if out := p.Project(dst, x); &out.Data[0] != &dst.Data[0] {
		t.Error("Project did not write into dst")
	}
	for i, v := range dst.Data {
		if v != got.Data[i] {
			t.Fatalf("value %d: %v into dst, %v allocated", i, v, got.Data[i])
		}
	}
}

// linear64 returns μ + V Vᵀ(x − μ) for one row in float64.
func (p *Projection) linear64(x []float32) []float64 {
	n := p.v.Cols
	out := make([]float64, n)
	for j := range out {
		out[j] = float64(p.mean[j])
	}
	for k := 0; k < p.v.Rows; k++ {
		v := p.v.Row(k)
		var z float64
		for j := range v {
			z += float64(v[j]) * (float64(x[j]) - float64(p.mean[j]))
		}
		for j := range v {
			out[j] += z * float64(v[j])
		}
	}
	return out
}

func TestProjectVJP(t *testing.T) {
	p, x := fitted(t, 48, 6)
	rng := rand.New(rand.NewPCG(9, 9))
	g := nn.NewMat(x.Rows, x.Cols)
	for i := range g.Data {
		g.Data[i] = float32(rng.NormFloat64())
	}
	vjp := p.ProjectVJP(nn.Mat{}, x, g)
	proj, fused := p.ProjectGrad(x, func(r0 int, pr nn.Mat) nn.Mat {
		if r0 != 0 || pr.Rows != x.Rows {
			t.Fatalf("grad called with rows %d+%d", r0, pr.Rows)
		}
		return g
	})
	want := p.Project(nn.Mat{}, x)
	for i := range vjp.Data {
		if vjp.Data[i] != fused.Data[i] || proj.Data[i] != want.Data[i] {
			t.Fatalf("value %d: ProjectVJP %v, ProjectGrad %v (projection %v vs %v)", i, vjp.Data[i], fused.Data[i], proj.Data[i], want.Data[i])
		}
	}
	// Exact: gx = V Vᵀ (m ⊙ g) with m the unclamped coordinates, in float64.
	for i := 0; i < x.Rows; i++ {
		pre := p.linear64(x.Row(i))
		gm := make([]float32, x.Cols)
		for j, v := range pre {
			if v >= 0 && v <= 1 {
				gm[j] = g.At(i, j)
			}
		}
		zero := make([]float32, x.Cols)
		copy(zero, p.mean) // linear64(mean + gm) − mean = V Vᵀ gm
		for j := range zero {
			zero[j] += gm[j]
		}
		w := p.linear64(zero)
		for j := range w {
			if d := math.Abs(w[j] - float64(p.mean[j]) - float64(vjp.At(i, j))); d > 1e-5 {
				t.Fatalf("row %d col %d: VJP %v, want %v", i, j, vjp.At(i, j), w[j]-float64(p.mean[j]))
			}
		}
	}
	// Central differences of ⟨g, project(x)⟩ along random directions, away from clamp kinks.
	checked := 0
	for i := 0; i < x.Rows; i++ {
		pre := p.linear64(x.Row(i))
		near := false
		for _, v := range pre {
			near = near || math.Abs(v) < 1e-2 || math.Abs(v-1) < 1e-2
		}
		if near {
			continue
		}
		u := make([]float32, x.Cols)
		var dir float64
		for j := range u {
			u[j] = float32(rng.NormFloat64())
			dir += float64(u[j]) * float64(vjp.At(i, j))
		}
		const h = 1e-4
		f := func(s float64) float64 {
			xr := make([]float32, x.Cols)
			for j := range xr {
				xr[j] = x.At(i, j) + float32(s)*u[j]
			}
			var l float64
			for j, v := range p.linear64(xr) {
				l += float64(g.At(i, j)) * min(max(v, 0), 1)
			}
			return l
		}
		fd := (f(h) - f(-h)) / (2 * h)
		if math.Abs(fd-dir) > 1e-3*(1+math.Abs(dir)) {
			t.Errorf("row %d: directional derivative %v, VJP gives %v", i, fd, dir)
		}
		checked++
	}
	if checked < 3 {
		t.Fatalf("only %d rows away from clamp kinks", checked)
	}
}

// TestClampMaskIncludesBounds checks the clamp's gradient mask: PyTorch's clamp backward
// passes the gradient where min ≤ value ≤ max, bounds included.
func TestClampMaskIncludesBounds(t *testing.T) {
	p := &Projection{mean: []float32{0, 0, 0, 0, 0}, v: nn.MatFrom(1, 5, []float32{1, 0, 0, 0, 0}), muV: []float32{0}}
	pre := nn.MatFrom(1, 5, []float32{-0.1, 0, 0.5, 1, 1.1})
	g := nn.MatFrom(1, 5, []float32{1, 1, 1, 1, 1})
	out := nn.NewMat(1, 5) // V Vᵀ keeps coordinate 0 only
	for _, c := range []struct {
		v    float32
		want float32
	}{{-0.1, 0}, {0, 1}, {0.5, 1}, {1, 1}, {1.1, 0}} {
		pre.Data[0] = c.v
		p.vjp(out, pre, g)
		if out.Data[0] != c.want {
			t.Errorf("pre-clamp value %v: gradient %v, want %v (PyTorch's clamp backward)", c.v, out.Data[0], c.want)
		}
	}
}

func TestProjectShapePanics(t *testing.T) {
	p, x := fitted(t, 48, 4)
	for name, f := range map[string]func(){
		"narrow rows": func() { p.Project(nn.Mat{}, nn.NewMat(2, 47)) },
		"bad dst":     func() { p.Project(nn.NewMat(2, 48), x) },
		"bad g":       func() { p.ProjectVJP(nn.Mat{}, x, nn.NewMat(1, 48)) },
	} {
		func() {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, "pca: ") {
					t.Errorf("%s: panic %v, want a pca: message", name, r)
				}
			}()
			f()
		}()
	}
	if p.D() != 4 || p.InputDim() != 48 {
		t.Errorf("D, InputDim = %d, %d", p.D(), p.InputDim())
	}
}

func TestProjectSameOnAnyCores(t *testing.T) {
	p, _ := fitted(t, 48, 6)
	x := lowRank(300, 48, 8) // enough rows to split across cores
	g := lowRank(300, 48, 9)
	a, ga := p.Project(nn.Mat{}, x), p.ProjectVJP(nn.Mat{}, x, g)
	old := runtime.GOMAXPROCS(1)
	b, gb := p.Project(nn.Mat{}, x), p.ProjectVJP(nn.Mat{}, x, g)
	runtime.GOMAXPROCS(old)
	for i := range a.Data {
		if a.Data[i] != b.Data[i] || ga.Data[i] != gb.Data[i] {
			t.Fatalf("value %d differs on one core", i)
		}
	}
}
