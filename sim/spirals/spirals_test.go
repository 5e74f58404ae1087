package spirals

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// expected computes point i of class 0 straight from spec section 1, without noise.
func expected(i, m int, rotations float64) (float32, float32) {
	t := math.Sqrt(float64(i) / float64(m-1))
	theta := 2 * math.Pi * rotations * t
	r := theta / (2 * math.Pi)
	return float32(r * math.Cos(theta)), float32(r * math.Sin(theta))
}

func TestGenerateNoiseFree(t *testing.T) {
	const n, m, R = 20000, 10000, 1.2
	d, err := Generate(n, 0, R, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d.N() != n || len(d.X) != 2*n || len(d.Y) != n {
		t.Fatalf("N %d, %d coordinates, %d labels", d.N(), len(d.X), len(d.Y))
	}
	for _, i := range []int{0, 1, 2, 37, 2500, 5000, 9998, 9999} {
		x, y := expected(i, m, R)
		if d.X[2*i] != x || d.X[2*i+1] != y {
			t.Errorf("point %d = (%v, %v), want (%v, %v)", i, d.X[2*i], d.X[2*i+1], x, y)
		}
	}
	// Closed forms: the arm starts at the origin and ends at radius R, angle 2πR.
	if d.X[0] != 0 || d.X[1] != 0 {
		t.Errorf("first point (%v, %v), want the origin", d.X[0], d.X[1])
	}
	last := 2 * (m - 1)
	wantX, wantY := R*math.Cos(2*math.Pi*R), R*math.Sin(2*math.Pi*R)
	if math.Abs(float64(d.X[last])-wantX) > 1e-6 || math.Abs(float64(d.X[last+1])-wantY) > 1e-6 {
		t.Errorf("last class-0 point (%v, %v), want (%v, %v)", d.X[last], d.X[last+1], wantX, wantY)
	}
	// t_i = sqrt(i/(m−1)): the radius of point i is R·sqrt(i/(m−1)).
	for _, i := range []int{100, 4000, 9000} {
		r := math.Hypot(float64(d.X[2*i]), float64(d.X[2*i+1]))
		if want := R * math.Sqrt(float64(i)/(m-1)); math.Abs(r-want) > 1e-6 {
			t.Errorf("point %d at radius %v, want %v", i, r, want)
		}
	}
}

func TestGenerateNoiseAndSymmetry(t *testing.T) {
	const n, m, noise, R = 2000, 1000, 3.0, 1.2
	d, err := Generate(n, noise, R, 42)
	if err != nil {
		t.Fatal(err)
	}
	var sumA, sumB float64
	for i := range m {
		if d.Y[i] != 0 || d.Y[m+i] != 1 {
			t.Fatalf("labels at %d and %d: %d %d, want class 0 first", i, m+i, d.Y[i], d.Y[m+i])
		}
		// Class 1 is the exact negation of class 0, noise included.
		if d.X[2*(m+i)] != -d.X[2*i] || d.X[2*(m+i)+1] != -d.X[2*i+1] {
			t.Fatalf("point %d is not the negation of point %d", m+i, i)
		}
		x, y := expected(i, m, R)
		a, b := float64(d.X[2*i])-float64(x), float64(d.X[2*i+1])-float64(y)
		// a, b uniform on [0, 0.03), up to float32 rounding of the point.
		if a < -1e-6 || a >= noise/100+1e-6 || b < -1e-6 || b >= noise/100+1e-6 {
			t.Fatalf("point %d offset (%v, %v) outside [0, %v)", i, a, b, noise/100)
		}
		sumA += a
		sumB += b
	}
	// Mean of U[0, 0.03) is 0.015; the standard error over 1000 draws is about 0.00027.
	for _, mean := range []float64{sumA / m, sumB / m} {
		if math.Abs(mean-0.015) > 0.0015 {
			t.Errorf("mean offset %v, want about 0.015", mean)
		}
	}
}

func TestGenerateDeterminism(t *testing.T) {
	a, _ := Generate(500*2, 3, 1.2, 7)
	b, _ := Generate(500*2, 3, 1.2, 7)
	c, _ := Generate(500*2, 3, 1.2, 8)
	if !slices.Equal(a.X, b.X) || !slices.Equal(a.Y, b.Y) {
		t.Error("same seed gave different data")
	}
	if slices.Equal(a.X, c.X) {
		t.Error("different seeds gave the same data")
	}
	if !strings.Contains(a.Source, "seed=7") {
		t.Errorf("Source %q does not record the seed", a.Source)
	}
}

func TestGenerateErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		n         int
		noise, r  float64
		wantInErr string
	}{
		{0, 3, 1.2, "n = 0"},
		{2, 3, 1.2, "n = 2"},
		{-4, 3, 1.2, "n = -4"},
		{5, 3, 1.2, "odd"},
		{MaxN + 2, 3, 1.2, "n = 10000002"},
		{100, -1, 1.2, "noise"},
		{100, nan, 1.2, "noise"},
		{100, inf, 1.2, "noise"},
		{100, 1e9, 1.2, "noise"},
		{100, 3, -0.5, "rotations"},
		{100, 3, nan, "rotations"},
		{100, 3, inf, "rotations"},
		{100, 3, 101, "rotations"},
	}
	for _, c := range cases {
		d, err := Generate(c.n, c.noise, c.r, 1)
		if err == nil || d != nil || !strings.HasPrefix(err.Error(), "spirals: ") || !strings.Contains(err.Error(), c.wantInErr) {
			t.Errorf("Generate(%d, %v, %v): %v, want an error mentioning %q", c.n, c.noise, c.r, err, c.wantInErr)
		}
	}
	if _, err := Generate(MinN, 0, 0, 1); err != nil {
		t.Errorf("smallest valid call: %v", err)
	}
}

func TestSplit(t *testing.T) {
	d, _ := Generate(1000, 3, 1.2, 3)
	train, eval := d.Split(0.2, 11)
	if train.N() != 800 || eval.N() != 200 {
		t.Fatalf("split sizes %d/%d, want 800/200", train.N(), eval.N())
	}
	// Together the parts hold every point exactly once, label attached.
	type row struct {
		x, y float32
		l    int32
	}
	count := map[row]int{}
	for i := range d.N() {
		count[row{d.X[2*i], d.X[2*i+1], d.Y[i]}]++
	}
	for _, part := range []*Dataset{train, eval} {
		for i := range part.N() {
			count[row{part.X[2*i], part.X[2*i+1], part.Y[i]}]--
		}
	}
	for r, c := range count {
		if c != 0 {
			t.Fatalf("row %v: count off by %d", r, c)
		}
	}
	// Shuffled: the eval part is not just the tail, and it has both classes.
	if ones := sum(eval.Y); ones < 60 || ones > 140 {
		t.Errorf("eval part has %d of 200 in class 1", ones)
	}
	// Deterministic by seed.
	train2, eval2 := d.Split(0.2, 11)
	if !slices.Equal(train.X, train2.X) || !slices.Equal(eval.Y, eval2.Y) {
		t.Error("same seed gave a different split")
	}
	_, eval3 := d.Split(0.2, 12)
	if slices.Equal(eval.X, eval3.X) {
		t.Error("different seeds gave the same split")
	}
	// Edges.
	if tr, ev := d.Split(0, 1); tr.N() != 1000 || ev.N() != 0 {
		t.Errorf("fraction 0: %d/%d", tr.N(), ev.N())
	}
	if tr, ev := d.Split(1, 1); tr.N() != 0 || ev.N() != 1000 {
		t.Errorf("fraction 1: %d/%d", tr.N(), ev.N())
	}
	for _, f := range []float64{-0.1, 1.5, math.NaN()} {
		func() {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "spirals: ") {
					t.Errorf("Split(%v): recovered %v, want a spirals: panic", f, r)
				}
			}()
			d.Split(f, 1)
		}()
	}
}

func sum(y []int32) int {
	s := 0
	for _, v := range y {
		s += int(v)
	}
	return s
}
