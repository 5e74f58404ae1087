package flow

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// TestTargetGradsFiniteDifferences checks the gradients of the geodesic recipe's two
// regressions against central finite differences along random parameter directions.
func TestTargetGradsFiniteDifferences(t *testing.T) {
	m, err := New(Config{N: 2, D: 1, Steps: 3, Hidden: 8, Blocks: 1, Bins: 4, TailBound: 3}, 5)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	x, target := nn.NewMat(40, 2), nn.NewMat(40, 2)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
		target.Data[i] = float32(rng.NormFloat64())
	}
	for _, c := range []struct {
		name string
		fn   func(m *MFlow, grad []float32) float64
	}{
		{"encoder", func(m *MFlow, g []float32) float64 {
			return m.OuterTargetGrad(nil, x, target, []float64{1, 0.3}, 2, g)
		}},
		{"decoder", func(m *MFlow, g []float32) float64 {
			return m.InverseTargetGrad(nil, x, target, []float64{1, 1}, 2, g)
		}},
	} {
		grad := make([]float32, len(m.P))
		c.fn(m, grad)
		for trial := 0; trial < 3; trial++ {
			v := make([]float64, len(m.P))
			var analytic float64
			for i := range v {
				v[i] = rng.NormFloat64()
				analytic += v[i] * float64(grad[i])
			}
			const h = 1e-3
			mp, mm := m.Clone(), m.Clone()
			for i := range v {
				mp.P[i] += float32(h * v[i])
				mm.P[i] -= float32(h * v[i])
			}
			scratch := make([]float32, len(m.P))
			numeric := 2 * (c.fn(mp, scratch) - c.fn(mm, scratch)) / (2 * h) // the loss is reported unweighted
			if math.Abs(numeric-analytic) > 2e-2*math.Max(1, math.Abs(analytic)) {
				t.Fatalf("%s: directional derivative %v, finite differences %v", c.name, analytic, numeric)
			}
		}
	}
}

// TestGeodesicRecipePhasesAndSearch checks the phase schedule, that the search keeps the
// start with the smallest regression error, that the recipe is deterministic, and that
// Continued skips the start-up phases.
func TestGeodesicRecipePhasesAndSearch(t *testing.T) {
	x, _ := spiralData(300, 1.2, 0.01)
	cfg := TrainConfig{Recipe: RecipeGeodesic, Epochs: 1000, Batch: 64, LR: 2e-3, ValFrac: 0.1, MSEWeight: 100,
		NLLWeight: 0.01, PIEEps: DefaultPIEEps, Seed: 3, Starts: 3, StartSteps: 4, Unroll: 2, Align: 2, Anchor: 10}
	train := func() ([]Phase, *Trainer) {
		m, err := New(LiveConfig(), 3)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := NewTrainer(m, x, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var phases []Phase
		for i := 0; i < 20; i++ {
			info, err := tr.Step()
			if err != nil {
				t.Fatal(err)
			}
			phases = append(phases, info.Phase)
		}
		return phases, tr
	}
	phases, tr := train()
	want := []Phase{}
	for i := 0; i < 12; i++ {
		want = append(want, PhaseSearch)
	}
	want = append(want, PhaseUnroll, PhaseUnroll, PhaseAlign, PhaseAlign)
	for len(want) < 20 {
		want = append(want, PhaseJoint)
	}
	for i := range want {
		if phases[i] != want[i] {
			t.Fatalf("step %d: phase %v, want %v (all: %v)", i, phases[i], want[i], phases)
		}
	}
	if tr.geo.cand != 3 || tr.geo.bestP != nil || math.IsInf(tr.geo.bestLoss, 0) {
		t.Fatalf("search state after the search: candidate %d, best loss %v", tr.geo.cand, tr.geo.bestLoss)
	}
	_, tr2 := train()
	for i := range tr.m.P {
		if math.Float32bits(tr.m.P[i]) != math.Float32bits(tr2.m.P[i]) {
			t.Fatalf("two identical geodesic runs differ at parameter %d", i)
		}
	}
	c := cfg.Continued()
	if c.Starts != 0 || c.StartSteps != 0 || c.Unroll != 0 || c.Align != 0 || c.Anchor != cfg.Anchor {
		t.Fatalf("Continued() = %+v", c)
	}
	m, _ := New(LiveConfig(), 3)
	tc, err := NewTrainer(m, x, c)
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := tc.Step(); info.Phase != PhaseJoint {
		t.Fatalf("continued training starts in phase %v, want joint", info.Phase)
	}
	// The geodesic recipe refuses data it cannot unroll.
	if _, err := NewTrainer(m, nn.NewMat(2, 2), cfg); err == nil {
		t.Fatal("two points: no error")
	}
}
