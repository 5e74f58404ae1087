package attack

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
)

// smallModels returns a small M-Flow with parameters perturbed away from the near-identity
// initialisation, and a small logits classifier.
func smallModels(t testing.TB, seed uint64) (*flow.MFlow, *classify.MLP) {
	t.Helper()
	fl, err := flow.New(flow.Config{N: 2, D: 1, Steps: 3, Hidden: 8, Blocks: 1, Bins: 4, TailBound: 3}, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	for i := range fl.P {
		fl.P[i] += float32(0.3 * rng.NormFloat64())
	}
	clf, err := classify.New(2, 16, 1, 2, seed)
	if err != nil {
		t.Fatal(err)
	}
	for i := range clf.P {
		clf.P[i] *= 4 // sharper decisions, larger gradients
	}
	return fl, clf
}

func TestAdaptiveGradientMatchesFiniteDifferences(t *testing.T) {
	fl, clf := smallModels(t, 11)
	d := Defended{Clf: clf, Flow: fl}
	x := randPoints(40, 2, 12)
	y := make([]int32, x.Rows)
	for i := range y {
		y[i] = int32(i % 2)
	}
	_, g := d.LossGrad(x, y)
	// Central differences at two step sizes: where they disagree, a ReLU kink of a
	// conditioner lies within reach and the point is not comparable.
	// noise[i] bounds the rounding error of a float32 central difference of row i's loss.
	l0, _ := d.LossGrad(x, y)
	noise := func(i int, h float64) float64 { return 4 * 0x1p-23 * math.Abs(float64(l0[i])) / h }
	fd := func(j int, h float64) []float64 {
		xp, xm := x.Clone(), x.Clone()
		for i := 0; i < x.Rows; i++ {
			xp.Row(i)[j] += float32(h)
			xm.Row(i)[j] -= float32(h)
		}
		lp, _ := d.LossGrad(xp, y)
		lm, _ := d.LossGrad(xm, y)
		out := make([]float64, x.Rows)
		for i := range out {
			out[i] = (float64(lp[i]) - float64(lm[i])) / (float64(xp.Row(i)[j]) - float64(xm.Row(i)[j]))
		}
		return out
	}
	var maxErr, maxG float64
	compared := 0
	for j := 0; j < 2; j++ {
		f1, f2 := fd(j, 2e-3), fd(j, 1e-3)
		for i := 0; i < x.Rows; i++ {
			an := float64(g.At(i, j))
			maxG = math.Max(maxG, math.Abs(an))
			if math.Abs(f1[i]-f2[i]) > 1e-3*math.Abs(f2[i])+1e-3+noise(i, 1e-3) {
				continue
			}
			compared++
			maxErr = math.Max(maxErr, math.Abs(f2[i]-an))
			if math.Abs(f2[i]-an) > 2e-3*math.Abs(f2[i])+1e-3+noise(i, 1e-3) {
				t.Errorf("row %d coordinate %d: analytic %v, finite differences %v", i, j, an, f2[i])
			}
		}
	}
	if compared < 70 {
		t.Errorf("only %d of 80 gradients were comparable", compared)
	}
	t.Logf("%d gradients compared: max |analytic − finite differences| = %.2e (largest gradient %.2e)", compared, maxErr, maxG)
	if maxG < 0.5 {
		t.Fatalf("gradients are all tiny (%v); the test does not test anything", maxG)
	}

	// The loss is the classifier's loss at the projection, and predictions are made there.
	proj := fl.Project(x)
	lossD, _ := d.LossGrad(x, y)
	lossP, gP := clf.LossGrad(proj, y)
	differs := false
	for i := range lossD {
		if lossD[i] != lossP[i] {
			t.Fatalf("row %d: defended loss %v, loss at the projection %v", i, lossD[i], lossP[i])
		}
		for j := 0; j < 2; j++ {
			differs = differs || math.Abs(float64(g.At(i, j)-gP.At(i, j))) > 1e-3
		}
	}
	if !differs {
		t.Error("the adaptive gradient equals the gradient at the projection: the projection's Jacobian is missing")
	}
	pd, pp := d.Predict(x), clf.Predict(proj)
	for i := range pd {
		if pd[i] != pp[i] {
			t.Fatalf("row %d: Defended.Predict %d, prediction at the projection %d", i, pd[i], pp[i])
		}
	}
	if NumClasses(d) != 2 || NumClasses(&d) != 2 || NumClasses(clf) != 2 {
		t.Error("NumClasses does not see through Defended")
	}
}

func TestCases(t *testing.T) {
	want := map[[2]bool]Case{{true, true}: CaseA, {false, true}: CaseB, {true, false}: CaseC, {false, false}: CaseD}
	for k, c := range want {
		if got := CaseOf(k[0], k[1]); got != c {
			t.Errorf("CaseOf(attack %v, defence %v) = %v, want %v", k[0], k[1], got, c)
		}
	}
	for c, s := range map[Case]string{CaseNone: "–", CaseA: "A", CaseB: "B", CaseC: "C", CaseD: "D"} {
		if c.String() != s {
			t.Errorf("Case %d prints %q, want %q", int(c), c.String(), s)
		}
		if c.Describe() == "" {
			t.Errorf("Case %v has no description", c)
		}
	}
	var zero Case
	if zero != CaseNone {
		t.Error("the zero Case is not CaseNone")
	}

	fl, clf := smallModels(t, 21)
	x := randPoints(300, 2, 22)
	y := make([]int32, x.Rows)
	for i := range y {
		y[i] = int32(i % 2)
	}
	got := Classify(Defended{Clf: clf, Flow: fl}, fl, x, y) // judged with the bare classifier
	pa, pd := clf.Predict(x), clf.Predict(fl.Project(x))
	seen := map[Case]int{}
	for i, c := range got {
		if w := CaseOf(pa[i] != y[i], pd[i] == y[i]); c != w {
			t.Fatalf("row %d: case %v, want %v", i, c, w)
		}
		seen[c]++
	}
	if len(seen) < 3 {
		t.Errorf("only cases %v occur; the test does not exercise Classify", seen)
	}
}

func TestBare(t *testing.T) {
	fl, clf := smallModels(t, 1)
	if Bare(Defended{Clf: clf, Flow: fl}) != Classifier(clf) || Bare(&Defended{Clf: clf, Flow: fl}) != Classifier(clf) || Bare(clf) != Classifier(clf) {
		t.Error("Bare does not unwrap Defended")
	}
}
