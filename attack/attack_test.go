package attack

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// linearClf is a toy linear softmax classifier, logits = W·x + b, whose input gradient of the
// textbook cross-entropy is known in closed form: Σ_k (p_k − [k = y]) W_k.
type linearClf struct {
	w [][]float64 // classes × dim
	b []float64
}

func (l linearClf) NumClasses() int { return len(l.w) }

func (l linearClf) probs(row []float32) []float64 {
	z := make([]float64, len(l.w))
	mx := math.Inf(-1)
	for k, wk := range l.w {
		z[k] = l.b[k]
		for j, v := range row {
			z[k] += wk[j] * float64(v)
		}
		mx = math.Max(mx, z[k])
	}
	var s float64
	for k := range z {
		z[k] = math.Exp(z[k] - mx)
		s += z[k]
	}
	for k := range z {
		z[k] /= s
	}
	return z
}

func (l linearClf) Predict(x nn.Mat) []int32 {
	out := make([]int32, x.Rows)
	for i := range out {
		p := l.probs(x.Row(i))
		for k := range p {
			if p[k] > p[out[i]] {
				out[i] = int32(k)
			}
		}
	}
	return out
}

func (l linearClf) LossGrad(x nn.Mat, y []int32) ([]float32, nn.Mat) {
	loss := make([]float32, x.Rows)
	g := nn.NewMat(x.Rows, x.Cols)
	for i := 0; i < x.Rows; i++ {
		p := l.probs(x.Row(i))
		loss[i] = float32(-math.Log(p[y[i]]))
		for k, wk := range l.w {
			c := p[k]
			if int32(k) == y[i] {
				c--
			}
			for j := range wk {
				g.Row(i)[j] += float32(c * wk[j])
			}
		}
	}
	return loss, g
}

// margin returns logit_t − max_{k≠t} logit_k of one row (in log-probabilities).
func (l linearClf) margin(row []float32, t int) float64 {
	p := l.probs(row)
	best := math.Inf(-1)
	for k := range p {
		if k != t {
			best = math.Max(best, math.Log(p[k]))
		}
	}
	return math.Log(p[t]) - best
}

func toy2() linearClf {
	return linearClf{w: [][]float64{{1, -2, 0.5}, {-1, 1, 0.5}}, b: []float64{0.1, -0.2}}
}
func toy3() linearClf {
	return linearClf{w: [][]float64{{1, 0, 0}, {0, 1, 0}, {-1, -1, 1}}, b: []float64{0, 0, 0}}
}

func randPoints(n, dim int, seed uint64) nn.Mat {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := nn.NewMat(n, dim)
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64()*4 - 2)
	}
	return x
}

func TestFGSMKnownGradient(t *testing.T) {
	x := randPoints(50, 3, 1)
	y := toy2().Predict(x)
	const eps = 0.25
	res, err := Run(toy2(), x, y, Params{Kind: FGSM, Eps: eps})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Path) != 2 {
		t.Fatalf("FGSM path has %d points, want 2", len(res.Path))
	}
	// For two classes ∇ₓCE(y) = ±p_other·(W_other − W_y): the step is ε·sign(W_other − W_y),
	// except in the third coordinate where the rows of W agree and sign(0) = 0.
	for i := 0; i < x.Rows; i++ {
		yo := 1 - y[i]
		for j := 0; j < 3; j++ {
			want := x.At(i, j) + float32(eps)*sign(float32(toy2().w[yo][j]-toy2().w[y[i]][j]))
			if got := res.Adv.At(i, j); got != want {
				t.Fatalf("row %d coordinate %d: got %v, want %v", i, j, got, want)
			}
			if res.Path[0].At(i, j) != x.At(i, j) || res.Path[1].At(i, j) != res.Adv.At(i, j) {
				t.Fatalf("row %d: path is not [x, x′]", i)
			}
		}
	}
}

func TestTargetedMovesTowardTarget(t *testing.T) {
	x := randPoints(40, 3, 2)
	for _, kind := range []Kind{FGSM, PGD, PGDL2} {
		for target := int32(0); target < 3; target++ {
			p := Params{Kind: kind, Eps: 0.3, Alpha: 0.05, Steps: 10, Targeted: true, Target: target}
			res, err := Run(toy3(), x, nil, p)
			if err != nil {
				t.Fatal(err)
			}
			// The end point is closer to the target than the start; the first step always is
			// (later PGD steps may zig-zag on the ball's boundary).
			for i := 0; i < x.Rows; i++ {
				m0 := toy3().margin(x.Row(i), int(target))
				m1 := toy3().margin(res.Path[1].Row(i), int(target))
				m2 := toy3().margin(res.Adv.Row(i), int(target))
				if m1 <= m0 || m2 <= m0 {
					t.Fatalf("%v target %d row %d: target margin %v → %v (first step) → %v (end); want increases", kind, target, i, m0, m1, m2)
				}
			}
		}
	}
	// A large enough targeted step reaches the target.
	res, err := Run(toy3(), x, nil, Params{Kind: PGD, Eps: 5, Alpha: 0.5, Steps: 30, Targeted: true, Target: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range toy3().Predict(res.Adv) {
		if p != 2 {
			t.Fatalf("row %d: targeted PGD with ε = 5 ends in class %d, want 2", i, p)
		}
	}
}

func TestUntargetedIncreasesLoss(t *testing.T) {
	x := randPoints(40, 3, 3)
	y := toy3().Predict(x)
	for _, kind := range []Kind{FGSM, PGD, PGDL2} {
		res, err := Run(toy3(), x, y, Params{Kind: kind, Eps: 0.2, Alpha: 0.05, Steps: 8})
		if err != nil {
			t.Fatal(err)
		}
		l0, _ := toy3().LossGrad(x, y)
		l1, _ := toy3().LossGrad(res.Adv, y)
		for i := range l0 {
			if l1[i] < l0[i]-1e-6 {
				t.Fatalf("%v row %d: loss fell from %v to %v", kind, i, l0[i], l1[i])
			}
		}
	}
}

func linf(a, b []float32) float64 {
	var m float64
	for j := range a {
		m = math.Max(m, math.Abs(float64(a[j])-float64(b[j])))
	}
	return m
}

func l2(a, b []float32) float64 {
	var s float64
	for j := range a {
		d := float64(a[j]) - float64(b[j])
		s += d * d
	}
	return math.Sqrt(s)
}

func TestBallsBoxAndPath(t *testing.T) {
	x := randPoints(60, 3, 4)
	y := toy2().Predict(x)
	box := &Box{Min: []float64{-2.05}, Max: []float64{2.05}} // holds every clean point
	for _, kind := range []Kind{FGSM, PGD, PGDL2} {
		for _, b := range []*Box{nil, box} {
			for _, rs := range []bool{false, true} {
				if kind == FGSM && rs {
					continue
				}
				p := Params{Kind: kind, Eps: 0.4, Alpha: 0.15, Steps: 7, RandomStart: rs, Box: b, Seed: 9}
				res, err := Run(toy2(), x, y, p)
				if err != nil {
					t.Fatal(err)
				}
				want := p.Steps + 1
				if kind == FGSM {
					want = 2
				}
				if len(res.Path) != want {
					t.Fatalf("%v: path has %d points, want %d", kind, len(res.Path), want)
				}
				if b != nil {
					clipped := 0
					for _, v := range res.Adv.Data {
						if v == float32(2.05) || v == float32(-2.05) {
							clipped++
						}
					}
					if clipped == 0 {
						t.Fatalf("%v: the box never clipped; the test does not test it", kind)
					}
				}
				last := res.Path[len(res.Path)-1]
				for i := range res.Adv.Data {
					if res.Adv.Data[i] != last.Data[i] {
						t.Fatalf("%v: the last path point is not Adv", kind)
					}
				}
				for k, it := range res.Path {
					for i := 0; i < x.Rows; i++ {
						d := linf(it.Row(i), x.Row(i))
						if kind == PGDL2 {
							d = l2(it.Row(i), x.Row(i))
						}
						if d > p.Eps+1e-6 {
							t.Fatalf("%v box=%v start=%v iterate %d row %d: distance %v > ε = %v", kind, b != nil, rs, k, i, d, p.Eps)
						}
						if b == nil || (k == 0 && !rs) {
							continue
						}
						for _, v := range it.Row(i) {
							if v < -2.05 || v > 2.05 {
								t.Fatalf("%v iterate %d row %d: %v outside the box", kind, k, i, v)
							}
						}
					}
				}
			}
		}
	}
}

func TestPGDBallIsReached(t *testing.T) {
	// Many large steps push every point to the boundary of the ball.
	x := randPoints(20, 3, 5)
	y := toy2().Predict(x)
	res, err := Run(toy2(), x, y, Params{Kind: PGDL2, Eps: 0.5, Alpha: 0.3, Steps: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < x.Rows; i++ {
		if d := l2(res.Adv.Row(i), x.Row(i)); math.Abs(d-0.5) > 1e-5 {
			t.Fatalf("row %d: L2 distance %v, want 0.5", i, d)
		}
	}
	res, err = Run(toy2(), x, y, Params{Kind: PGD, Eps: 0.5, Alpha: 0.3, Steps: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < x.Rows; i++ {
		for j := 0; j < 2; j++ { // the third coordinate has a zero gradient
			if d := math.Abs(float64(res.Adv.At(i, j) - x.At(i, j))); math.Abs(d-0.5) > 1e-6 {
				t.Fatalf("row %d coordinate %d: |Δ| = %v, want 0.5", i, j, d)
			}
		}
		if res.Adv.At(i, 2) != x.At(i, 2) {
			t.Fatalf("row %d: coordinate with zero gradient moved (sign(0) must be 0)", i)
		}
	}
}

func TestPGDSeed(t *testing.T) {
	x := randPoints(30, 3, 6)
	y := toy2().Predict(x)
	for _, kind := range []Kind{PGD, PGDL2} {
		p := Params{Kind: kind, Eps: 0.3, Alpha: 0.05, Steps: 5, RandomStart: true, Seed: 42}
		a, err := Run(toy2(), x, y, p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Run(toy2(), x, y, p)
		p.Seed = 43
		c, _ := Run(toy2(), x, y, p)
		same, differ := true, false
		for k := range a.Path {
			for i := range a.Path[k].Data {
				same = same && a.Path[k].Data[i] == b.Path[k].Data[i]
				differ = differ || a.Path[k].Data[i] != c.Path[k].Data[i]
			}
		}
		if !same {
			t.Errorf("%v: two runs with the same seed differ", kind)
		}
		if !differ {
			t.Errorf("%v: seeds 42 and 43 give the same trajectory", kind)
		}
		// The random start is inside the ball and not the clean point.
		moved := 0
		for i := 0; i < x.Rows; i++ {
			if linf(a.Path[0].Row(i), x.Row(i)) > 0 {
				moved++
			}
		}
		if moved != x.Rows {
			t.Errorf("%v: %d of %d random starts left the clean point", kind, moved, x.Rows)
		}
	}
}

func TestZeroEpsAndZeroGradient(t *testing.T) {
	x := randPoints(10, 3, 7)
	y := toy2().Predict(x)
	res, err := Run(toy2(), x, y, Params{Kind: FGSM, Eps: 0})
	if err != nil {
		t.Fatal(err)
	}
	for i := range x.Data {
		if res.Adv.Data[i] != x.Data[i] {
			t.Fatal("FGSM with ε = 0 moved a point")
		}
	}
	flat := linearClf{w: [][]float64{{0, 0, 0}, {0, 0, 0}}, b: []float64{1, 0}}
	res, err = Run(flat, x, make([]int32, x.Rows), Params{Kind: PGD, Eps: 0.2, Alpha: 0.1, Steps: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range x.Data {
		if res.Adv.Data[i] != x.Data[i] {
			t.Fatal("a zero gradient moved a point (sign(0) must be 0)")
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Params{Kind: PGD, Eps: 0.1, Alpha: 0.01, Steps: 10}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Params{Kind: FGSM, Eps: 0.1}).Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]Params{
		"negative ε":      {Kind: FGSM, Eps: -0.1},
		"NaN ε":           {Kind: FGSM, Eps: math.NaN()},
		"infinite ε":      {Kind: FGSM, Eps: math.Inf(1)},
		"absurd ε":        {Kind: FGSM, Eps: 1e4},
		"zero steps":      {Kind: PGD, Eps: 0.1, Alpha: 0.01, Steps: 0},
		"too many steps":  {Kind: PGD, Eps: 0.1, Alpha: 0.01, Steps: 100001},
		"zero α":          {Kind: PGD, Eps: 0.1, Alpha: 0, Steps: 3},
		"negative α":      {Kind: PGDL2, Eps: 0.1, Alpha: -1, Steps: 3},
		"NaN α":           {Kind: PGD, Eps: 0.1, Alpha: math.NaN(), Steps: 3},
		"absurd α":        {Kind: PGD, Eps: 0.1, Alpha: 1e9, Steps: 3},
		"unknown kind":    {Kind: 7, Eps: 0.1},
		"FGSM rand start": {Kind: FGSM, Eps: 0.1, RandomStart: true},
		"negative target": {Kind: FGSM, Eps: 0.1, Targeted: true, Target: -1},
		"empty box":       {Kind: FGSM, Eps: 0.1, Box: &Box{}},
		"inverted box":    {Kind: FGSM, Eps: 0.1, Box: &Box{Min: []float64{1}, Max: []float64{0}}},
		"NaN box":         {Kind: FGSM, Eps: 0.1, Box: &Box{Min: []float64{math.NaN()}, Max: []float64{0}}},
		"ragged box":      {Kind: FGSM, Eps: 0.1, Box: &Box{Min: []float64{0, 0}, Max: []float64{1}}},
	}
	for name, p := range bad {
		err := p.Validate()
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "attack: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
		if _, err := Run(toy2(), randPoints(2, 3, 1), []int32{0, 1}, p); err == nil {
			t.Errorf("%s: Run accepted it", name)
		}
	}
}

func TestRunBadInput(t *testing.T) {
	x := randPoints(3, 3, 8)
	cases := map[string]func() error{
		"label out of range": func() error { _, err := Run(toy2(), x, []int32{0, 2, 1}, Params{Kind: FGSM, Eps: 0.1}); return err },
		"negative label":     func() error { _, err := Run(toy2(), x, []int32{0, -1, 1}, Params{Kind: FGSM, Eps: 0.1}); return err },
		"target out of range": func() error {
			_, err := Run(toy2(), x, nil, Params{Kind: FGSM, Eps: 0.1, Targeted: true, Target: 2})
			return err
		},
		"NaN point": func() error {
			xn := x.Clone()
			xn.Data[4] = float32(math.NaN())
			_, err := Run(toy2(), xn, []int32{0, 0, 0}, Params{Kind: FGSM, Eps: 0.1})
			return err
		},
		"box of the wrong size": func() error {
			_, err := Run(toy2(), x, []int32{0, 0, 0}, Params{Kind: FGSM, Eps: 0.1, Box: &Box{Min: []float64{0, 0}, Max: []float64{1, 1}}})
			return err
		},
		"huge trajectory": func() error {
			_, err := Run(toy2(), randPoints(1000, 3, 1), make([]int32, 1000), Params{Kind: PGD, Eps: 0.1, Alpha: 0.1, Steps: 100000})
			return err
		},
	}
	for name, f := range cases {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "attack: ") {
			t.Errorf("wrong number of labels: panic %v, want an attack: panic", r)
		}
	}()
	Run(toy2(), x, []int32{0}, Params{Kind: FGSM, Eps: 0.1})
}

func TestKindNames(t *testing.T) {
	for _, k := range []Kind{FGSM, PGD, PGDL2} {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := ParseKind("cw"); err == nil {
		t.Error("ParseKind accepted an unknown attack")
	}
}

func TestSignStepMatchesSign(t *testing.T) {
	g := nn.MatFrom(1, 8, []float32{1.5, -2, 0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(-1)), 1e-40, -1e-40})
	for _, step := range []float32{0.25, -0.25} {
		x := nn.MatFrom(1, 8, []float32{0, 1, float32(math.Copysign(0, -1)), 2, 3, 4, 5, 6})
		want := x.Clone()
		for i, v := range g.Data {
			want.Data[i] += step * sign(v)
		}
		signStep(x, g, step)
		for i := range x.Data {
			if math.Float32bits(x.Data[i]) != math.Float32bits(want.Data[i]) {
				t.Errorf("step %v, gradient %v: %v, want %v", step, g.Data[i], x.Data[i], want.Data[i])
			}
		}
	}
}
