package pca

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// lowRank returns rows points in [0, 1]^n (mostly) from a random orthonormal basis with
// geometrically decaying scales, so the spectrum has clear gaps, around a mean of 0.5.
func lowRank(rows, n int, seed uint64) nn.Mat {
	rng := rand.New(rand.NewPCG(seed, 7))
	basis := nn.NewMat(n, n)
	for i := range basis.Data {
		basis.Data[i] = float32(rng.NormFloat64())
	}
	x := nn.NewMat(rows, n)
	for i := 0; i < rows; i++ {
		r := x.Row(i)
		for j := range r {
			r[j] = 0.5
		}
		for k := 0; k < n; k++ {
			c := float32(rng.NormFloat64() * 0.08 * math.Pow(0.85, float64(k)) / math.Sqrt(float64(n)))
			for j, b := range basis.Row(k) {
				r[j] += c * b
			}
		}
	}
	return x
}

// subspaceOverlap returns Σ (u_i·v_j)² over the first d rows of a and b: d when they span
// the same subspace.
func subspaceOverlap(a, b nn.Mat, d int) float64 {
	var s float64
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			var dot float64
			for c, v := range a.Row(i) {
				dot += float64(v) * float64(b.Row(j)[c])
			}
			s += dot * dot
		}
	}
	return s
}

func TestSubspaceIterationMatchesFullEigen(t *testing.T) {
	x := lowRank(600, 96, 1)
	sub, err := Fit(x, Options{Components: 16})
	if err != nil {
		t.Fatal(err)
	}
	full, err := Fit(x, Options{Components: 96}) // more than half: full EigenSym
	if err != nil {
		t.Fatal(err)
	}
	if sub.Iterations == 0 || full.Iterations != 0 {
		t.Fatalf("iterations: subspace %d, full %d", sub.Iterations, full.Iterations)
	}
	if sub.Residual > residTol {
		t.Errorf("subspace iteration stopped at residual %g > %g", sub.Residual, residTol)
	}
	for i := 0; i < 16; i++ {
		if d := math.Abs(sub.Variance[i]-full.Variance[i]) / full.Variance[0]; d > 1e-6 {
			t.Errorf("variance %d: subspace %g, full %g", i, sub.Variance[i], full.Variance[i])
		}
		if i > 0 && sub.Variance[i] > sub.Variance[i-1] {
			t.Errorf("variances not decreasing at %d", i)
		}
	}
	for _, d := range []int{1, 4, 16} {
		if o := subspaceOverlap(sub.Components, full.Components, d); math.Abs(o-float64(d)) > 1e-4 {
			t.Errorf("d = %d: subspace overlap %.6f, want %d", d, o, d)
		}
	}
	// Components are unit length, and the variance along each is its eigenvalue.
	for i := 0; i < 16; i++ {
		v := sub.Components.Row(i)
		var norm, s2 float64
		for _, e := range v {
			norm += float64(e) * float64(e)
		}
		for r := 0; r < x.Rows; r++ {
			var p float64
			for j, e := range x.Row(r) {
				p += (float64(e) - float64(sub.Mean[j])) * float64(v[j])
			}
			s2 += p * p
		}
		s2 /= float64(x.Rows - 1)
		if math.Abs(norm-1) > 1e-5 || math.Abs(s2-sub.Variance[i]) > 1e-4*sub.Variance[i] {
			t.Errorf("component %d: length² %v, variance along it %v (stored %v)", i, norm, s2, sub.Variance[i])
		}
	}
}

func TestFitDeterministicAcrossCores(t *testing.T) {
	x := lowRank(300, 200, 3)
	a, err := Fit(x, Options{Components: 8})
	if err != nil {
		t.Fatal(err)
	}
	old := runtime.GOMAXPROCS(1)
	b, err := Fit(x, Options{Components: 8})
	runtime.GOMAXPROCS(old)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range a.Components.Data {
		if math.Float32bits(v) != math.Float32bits(b.Components.Data[i]) {
			t.Fatalf("component value %d differs with one core: %v vs %v", i, v, b.Components.Data[i])
		}
	}
	if a.Key != b.Key || a.Key != DataKey(x) {
		t.Error("data keys differ")
	}
}

func TestFitBadInput(t *testing.T) {
	ok := lowRank(10, 4, 1)
	nan := ok.Clone()
	nan.Data[7] = float32(math.NaN())
	for name, c := range map[string]struct {
		x    nn.Mat
		k    int
		want string
	}{
		"one row":       {ok.Slice(0, 1), 2, "at least 2"},
		"NaN":           {nan, 2, "row 1 column 3 is NaN"},
		"no columns":    {nn.NewMat(5, 0), 1, "rows of 0 values"},
		"negative k":    {ok, -1, "-1 components"},
		"too wide rows": {nn.NewMat(2, MaxCols+1), 1, "want 1 to"},
	} {
		_, err := Fit(c.x, Options{Components: c.k})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
	}
	b, err := Fit(ok, Options{Components: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []int{0, 3} {
		if _, err := b.Projection(d); err == nil {
			t.Errorf("Projection(%d) of a 2-component basis: no error", d)
		}
	}
}
