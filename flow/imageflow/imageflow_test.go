package imageflow

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/flow/pca"
)

// smallConfig is a tiny architecture (2×4×4 images, n = 32) for exact checks.
func smallConfig() Config {
	return Config{Channels: 2, Height: 4, Width: 4, D: 5, Alpha: 0.05, Hidden: 4, Layers: 3}
}

// synthImages returns rows images near a k-dimensional linear family, strictly inside
// (lo, 1−lo) when lo > 0.
func synthImages(rows, n, k int, lo float64, seed uint64) nn.Mat {
	rng := rand.New(rand.NewPCG(seed, 7))
	a := make([]float64, n*k)
	for i := range a {
		a[i] = rng.NormFloat64() / math.Sqrt(float64(k))
	}
	x := nn.NewMat(rows, n)
	s := make([]float64, k)
	for r := 0; r < rows; r++ {
		for j := range s {
			s[j] = rng.NormFloat64() * float64(k-j) / float64(k)
		}
		for i := 0; i < n; i++ {
			v := 0.5 + 0.03*rng.NormFloat64()
			for j, sj := range s {
				v += 0.15 * a[i*k+j] * sj
			}
			x.Data[r*n+i] = float32(min(max(v, lo), 1-lo))
		}
	}
	return x
}

// newSmall fits a small model and gives its conditioner's last layer random weights, so the
// coupling is not the identity.
func newSmall(t testing.TB, cfg Config, seed uint64) (*Model, nn.Mat) {
	t.Helper()
	x := synthImages(120, cfg.N(), 6, 0.02, seed)
	m, err := New(cfg, x, seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Coupling != nil {
		last := m.Coupling.Net.Layers[len(m.Coupling.Net.Layers)-1]
		rng := rand.New(rand.NewPCG(seed, 99))
		last.Weight.InitUniform(m.P, 0.3, rng)
		last.Bias.InitUniform(m.P, 0.1, rng)
		m.Prepare()
	}
	return m, x
}

func maxAbsDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

func TestBasisOrthogonal(t *testing.T) {
	n, d := 40, 7
	rng := rand.New(rand.NewPCG(3, 3))
	g := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	dirs := nn.NewMat(d, n)
	for j := 0; j < d; j++ {
		for i := 0; i < n; i++ {
			dirs.Set(j, i, float32(q.At(i, j)))
		}
	}
	mean := make([]float32, n)
	b, err := NewBasis(mean, dirs)
	if err != nil {
		t.Fatal(err)
	}
	// the chart directions are the given ones up to sign
	for j := 0; j < d; j++ {
		var dot float64
		for i := 0; i < n; i++ {
			dot += float64(b.VM.At(j, i)) * float64(dirs.At(j, i))
		}
		if math.Abs(math.Abs(dot)-1) > 1e-5 {
			t.Errorf("chart direction %d: |⟨v, dir⟩| = %v, want 1", j, math.Abs(dot))
		}
	}
	// Q is orthogonal: Qᵀ(Q x) = x and ‖xQ‖ = ‖x‖; xQ's first d coordinates are x·V_Mᵀ
	x := synthImages(5, n, 3, 0, 4)
	var a nn.Arena
	z := a.RawMat(5, n)
	b.mulQ(&a, z, x, false)
	back := a.RawMat(5, n)
	b.mulQ(&a, back, z, true)
	if e := maxAbsDiff(back.Data, x.Data); e > 1e-5 {
		t.Errorf("Qᵀ·Q round trip error %v", e)
	}
	h := b.chart(&a, x)
	for r := 0; r < 5; r++ {
		if nn.Norm(z.Row(r))-nn.Norm(x.Row(r)) > 1e-5*nn.Norm(x.Row(r)) {
			t.Errorf("row %d: ‖xQ‖ = %v, ‖x‖ = %v", r, nn.Norm(z.Row(r)), nn.Norm(x.Row(r)))
		}
		if e := maxAbsDiff(z.Row(r)[:d], h.Row(r)); e > 1e-5 {
			t.Errorf("row %d: first d coordinates of xQ differ from the chart by %v", r, e)
		}
	}
	// dependent directions are an error, not a panic
	dup := dirs.Clone()
	copy(dup.Row(1), dup.Row(0))
	if _, err := NewBasis(mean, dup); err == nil {
		t.Error("linearly dependent directions accepted")
	}
}

func TestRoundTrip(t *testing.T) {
	m, x := newSmall(t, smallConfig(), 1)
	var a nn.Arena
	z, ld, _ := m.Outer.Forward(&a, m.P, x.Slice(0, 10), false)
	back, ldi, _ := m.Outer.Inverse(&a, m.P, z, false)
	if e := maxAbsDiff(back.Data, x.Slice(0, 10).Data); e > 2e-5 {
		t.Errorf("inverse∘forward error %v", e)
	}
	for i := range ld {
		if math.Abs(float64(ld[i]+ldi[i])) > 1e-3*math.Abs(float64(ld[i])) {
			t.Errorf("row %d: forward log|det| %v, inverse %v (should cancel)", i, ld[i], ldi[i])
		}
	}
	u := m.Encode(x.Slice(0, 10))
	dec := m.Decode(u)
	proj := m.Project(nn.Mat{}, x.Slice(0, 10))
	for i, v := range dec.Data {
		if math.Abs(float64(min(max(v, 0), 1)-proj.Data[i])) > 2e-5 {
			t.Fatalf("clamp(decode(encode(x))) differs from Project at %d: %v vs %v", i, v, proj.Data[i])
		}
	}
}

// TestProjectMatchesTransforms checks the fast projection against the transform contract:
// project(x) = clamp(f⁻¹((f(x)_M, 0))).
func TestProjectMatchesTransforms(t *testing.T) {
	m, x := newSmall(t, smallConfig(), 2)
	var a nn.Arena
	z, _, _ := m.Outer.Forward(&a, m.P, x, false)
	for i := 0; i < z.Rows; i++ {
		clear(z.Row(i)[m.Cfg.D:])
	}
	back, _, _ := m.Outer.Inverse(&a, m.P, z, false)
	proj := m.Project(nn.Mat{}, x)
	for i, v := range back.Data {
		if math.Abs(float64(min(max(v, 0), 1)-proj.Data[i])) > 2e-5 {
			t.Fatalf("element %d: transforms give %v, Project %v", i, v, proj.Data[i])
		}
	}
	// the coupling must matter in this test
	lin := m.Clone()
	clear(lin.P[:lin.Inner.Scale.Off])
	lin.Prepare()
	if maxAbsDiff(lin.Project(nn.Mat{}, x).Data, proj.Data) < 1e-3 {
		t.Error("the coupling does not change the projection; the test checks nothing")
	}
}

// TestLogDetNumerical compares log|det ∂f/∂x| with the log-determinant of a numerical
// Jacobian, in both directions.
func TestLogDetNumerical(t *testing.T) {
	cfg := Config{Channels: 2, Height: 2, Width: 2, D: 3, Alpha: 0.05, Hidden: 3, Layers: 2}
	m, x := newSmall(t, cfg, 5)
	n := cfg.N()
	for _, inverse := range []bool{false, true} {
		x0 := x.Slice(0, 1).Clone()
		run := func(v nn.Mat) (nn.Mat, []float32) {
			if inverse {
				out, ld, _ := m.Outer.Inverse(nil, m.P, v, false)
				return out, ld
			}
			out, ld, _ := m.Outer.Forward(nil, m.P, v, false)
			return out, ld
		}
		if inverse {
			x0, _, _ = m.Outer.Forward(nil, m.P, x0, false)
		}
		_, ld := run(x0)
		jac := mat.NewDense(n, n, nil)
		const h = 1e-3
		for j := 0; j < n; j++ {
			xp, xm := x0.Clone(), x0.Clone()
			xp.Data[j] += h
			xm.Data[j] -= h
			zp, _ := run(xp)
			zm, _ := run(xm)
			for i := 0; i < n; i++ {
				jac.Set(i, j, (float64(zp.Data[i])-float64(zm.Data[i]))/(2*h))
			}
		}
		var lu mat.LU
		lu.Factorize(jac)
		num, _ := lu.LogDet()
		if math.Abs(num-float64(ld[0])) > 1e-2 {
			t.Errorf("inverse=%v: log|det| %v, numerical %v", inverse, ld[0], num)
		}
	}
}

// TestTransformBackward checks every transform's Backward (input and parameter gradients,
// including the log|det| term) against central differences of a random linear functional.
func TestTransformBackward(t *testing.T) {
	for _, shuffle := range []int{1, 2} {
		cfg := smallConfig()
		cfg.Shuffle = shuffle
		transformBackward(t, cfg)
	}
}

func transformBackward(t *testing.T, cfg Config) {
	m, x := newSmall(t, cfg, 6)
	x = x.Slice(0, 3).Clone()
	rng := rand.New(rand.NewPCG(6, 1))
	n := m.Cfg.N()
	w := make([]float64, 3*n)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	wl := []float64{0.3, -0.2, 0.5}
	for _, inverse := range []bool{false, true} {
		in := x
		if inverse {
			in, _, _ = m.Outer.Forward(nil, m.P, x, false)
		}
		loss := func(p []float32, v nn.Mat) float64 {
			var out nn.Mat
			var ld []float32
			if inverse {
				out, ld, _ = m.Outer.Inverse(nil, p, v, false)
			} else {
				out, ld, _ = m.Outer.Forward(nil, p, v, false)
			}
			var s float64
			for i, o := range out.Data {
				s += w[i] * float64(o)
			}
			for i, l := range ld {
				s += wl[i] * float64(l)
			}
			return s
		}
		var a nn.Arena
		var r any
		if inverse {
			_, _, r = m.Outer.Inverse(&a, m.P, in, true)
		} else {
			_, _, r = m.Outer.Forward(&a, m.P, in, true)
		}
		g := nn.NewMat(3, n)
		for i := range g.Data {
			g.Data[i] = float32(w[i])
		}
		gl := []float32{0.3, -0.2, 0.5}
		grad := make([]float32, len(m.P))
		gx := m.Outer.Backward(&a, m.P, r, g, gl, grad)
		// directional derivatives along random input and parameter directions
		for trial := 0; trial < 3; trial++ {
			dv := nn.NewMat(3, n)
			var analytic float64
			for i := range dv.Data {
				dv.Data[i] = float32(rng.NormFloat64())
				analytic += float64(dv.Data[i]) * float64(gx.Data[i])
			}
			const h = 1e-3
			xp, xm := in.Clone(), in.Clone()
			for i, d := range dv.Data {
				xp.Data[i] += h * d
				xm.Data[i] -= h * d
			}
			num := (loss(m.P, xp) - loss(m.P, xm)) / (2 * h)
			if math.Abs(num-analytic) > 2e-2*max(1, math.Abs(num)) {
				t.Errorf("inverse=%v input direction %d: analytic %v, numerical %v", inverse, trial, analytic, num)
			}
			dp := make([]float32, len(m.P))
			analytic = 0
			for i := range dp[:m.Inner.Scale.Off] {
				dp[i] = float32(rng.NormFloat64())
				analytic += float64(dp[i]) * float64(grad[i])
			}
			// a step along a random direction of all the conditioner's weights soon crosses
			// ReLU kinks: a small step (float32 rounding then limits the agreement to ~1 %)
			diff := func(h float32) float64 {
				pp, pm := append([]float32(nil), m.P...), append([]float32(nil), m.P...)
				for i, d := range dp {
					pp[i] += h * d
					pm[i] -= h * d
				}
				return (loss(pp, in) - loss(pm, in)) / (2 * float64(h))
			}
			num = diff(1.25e-4)
			if math.Abs(num-analytic) > 1e-2*max(1, math.Abs(num)) {
				t.Errorf("inverse=%v parameter direction %d: analytic %v, numerical %v", inverse, trial, analytic, num)
			}
		}
	}
}

// TestProjectVJP checks the projection's vector–Jacobian product against central
// differences, and ProjectGrad against Project and ProjectVJP.
func TestProjectVJP(t *testing.T) {
	shuffled := smallConfig()
	shuffled.Shuffle = 2
	for _, cfg := range []Config{smallConfig(), shuffled, {Channels: 2, Height: 4, Width: 4, D: 5, Hidden: 4, Layers: 0}} {
		m, x := newSmall(t, cfg, 7)
		x = x.Slice(0, 4).Clone()
		rng := rand.New(rand.NewPCG(7, 2))
		g := nn.NewMat(x.Rows, x.Cols)
		for i := range g.Data {
			g.Data[i] = float32(rng.NormFloat64())
		}
		vjp := m.ProjectVJP(nn.Mat{}, x, g)
		f := func(v nn.Mat) float64 {
			p := m.Project(nn.Mat{}, v)
			var s float64
			for i, o := range p.Data {
				s += float64(g.Data[i]) * float64(o)
			}
			return s
		}
		for trial := 0; trial < 4; trial++ {
			dv := nn.NewMat(x.Rows, x.Cols)
			var analytic float64
			for i := range dv.Data {
				dv.Data[i] = float32(rng.NormFloat64())
				analytic += float64(dv.Data[i]) * float64(vjp.Data[i])
			}
			const h = 1e-3
			xp, xm := x.Clone(), x.Clone()
			for i, d := range dv.Data {
				xp.Data[i] += h * d
				xm.Data[i] -= h * d
			}
			num := (f(xp) - f(xm)) / (2 * h)
			if math.Abs(num-analytic) > 1e-2*max(1, math.Abs(num)) {
				t.Errorf("%v direction %d: VJP gives %v, finite differences %v", cfg, trial, analytic, num)
			}
		}
		proj, gx := m.ProjectGrad(x, func(r0 int, p nn.Mat) nn.Mat { return g.Slice(r0, r0+p.Rows) })
		if maxAbsDiff(proj.Data, m.Project(nn.Mat{}, x).Data) != 0 || maxAbsDiff(gx.Data, vjp.Data) != 0 {
			t.Errorf("%v: ProjectGrad differs from Project/ProjectVJP", cfg)
		}
	}
}

// TestIdempotent: a projected image is on the manifold, so projecting it again changes
// nothing (up to rounding) while the clamps are inactive.
func TestIdempotent(t *testing.T) {
	m, x := newSmall(t, smallConfig(), 8)
	p1 := m.Project(nn.Mat{}, x)
	p2 := m.Project(nn.Mat{}, p1)
	var worst float64
	for r := 0; r < x.Rows; r++ {
		inside := true
		for _, v := range p1.Row(r) {
			inside = inside && v > 0 && v < 1
		}
		if !inside {
			continue
		}
		worst = max(worst, maxAbsDiff(p1.Row(r), p2.Row(r)))
	}
	if worst > 5e-5 {
		t.Errorf("project(project(x)) differs from project(x) by %v", worst)
	}
}

// TestChartIsPCA: without logit and coupling, the model's projection is the PCA projection
// of flow/pca at the same d — the starting point every trained model is measured against.
func TestChartIsPCA(t *testing.T) {
	cfg := Config{Channels: 2, Height: 4, Width: 4, D: 5}
	x := synthImages(150, cfg.N(), 6, 0, 9)
	m, err := New(cfg, x, 9, nil)
	if err != nil {
		t.Fatal(err)
	}
	fit, err := pca.Fit(x, pca.Options{Components: cfg.D})
	if err != nil {
		t.Fatal(err)
	}
	pp, err := fit.Projection(cfg.D)
	if err != nil {
		t.Fatal(err)
	}
	if e := maxAbsDiff(m.Project(nn.Mat{}, x).Data, pp.Project(nn.Mat{}, x).Data); e > 1e-5 {
		t.Errorf("linear chart differs from PCA by %v", e)
	}
}

// TestWorkersDeterminism: results do not depend on the number of goroutines.
func TestWorkersDeterminism(t *testing.T) {
	m, x := newSmall(t, smallConfig(), 10)
	m.Workers = 1
	p1 := m.Project(nn.Mat{}, x)
	m.Workers = 3
	p3 := m.Project(nn.Mat{}, x)
	if maxAbsDiff(p1.Data, p3.Data) != 0 {
		t.Error("projection depends on the number of workers")
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{Channels: 3, Height: 31, Width: 32, D: 4},
		{Channels: 3, Height: 32, Width: 32, D: 0},
		{Channels: 3, Height: 32, Width: 32, D: 3072},
		{Channels: 3, Height: 32, Width: 32, D: 8, Alpha: 0.5},
		{Channels: 3, Height: 32, Width: 32, D: 8, Alpha: math.NaN()},
		{Channels: 3, Height: 32, Width: 32, D: 8, Layers: 1, Hidden: 4},
		{Channels: 3, Height: 32, Width: 32, D: 8, Layers: 3, Hidden: 0},
	}
	for _, c := range bad {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if err := DefaultConfig(64).Validate(); err != nil {
		t.Error(err)
	}
	x := synthImages(4, 32, 2, 0, 1)
	if _, err := New(smallConfig(), x, 1, nil); err == nil {
		t.Error("4 images accepted for d=5")
	}
	x = synthImages(50, 32, 2, 0, 1)
	x.Data[7] = float32(math.NaN())
	if _, err := New(smallConfig(), x, 1, nil); err == nil {
		t.Error("NaN pixel accepted")
	}
}

func TestShuffle(t *testing.T) {
	x := nn.NewImages(2, 4, 8, 3)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	for _, s := range []int{1, 2, 4} {
		u := unshuffle(nil, x, s)
		if u.H != 4/s || u.W != 8/s || u.C != 3*s*s {
			t.Fatalf("s=%d: unshuffled to %d×%d×%d", s, u.H, u.W, u.C)
		}
		// pixel (1, 5) channel 2 of image 1 lands at block (1/s, 5/s), channel (2·s + 1%s)·s + 5%s
		want := x.Data[((1*4+1)*8+5)*3+2]
		if got := u.Data[((1*u.H+1/s)*u.W+5/s)*u.C+(2*s+1%s)*s+5%s]; got != want {
			t.Errorf("s=%d: moved value %v, want %v", s, got, want)
		}
		if maxAbsDiff(shuffle(nil, u, s).Data, x.Data) != 0 {
			t.Errorf("s=%d: shuffle∘unshuffle is not the identity", s)
		}
	}
}
