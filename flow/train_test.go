package flow

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/testref"
)

func spiralMat(n int) nn.Mat {
	x := nn.NewMat(n, 2)
	for i := 0; i < n/2; i++ {
		t := math.Sqrt(float64(i) / float64(n/2-1))
		th := 2 * math.Pi * 1.2 * t
		r := th / (2 * math.Pi)
		x.Set(i, 0, float32(r*math.Cos(th)))
		x.Set(i, 1, float32(r*math.Sin(th)))
		x.Set(n/2+i, 0, -x.At(i, 0))
		x.Set(n/2+i, 1, -x.At(i, 1))
	}
	return x
}

func smallTraining(seed uint64) TrainConfig {
	tc := OriginalTraining()
	tc.Epochs, tc.Batch, tc.Seed = 4, 64, seed
	return tc
}

func trainFor(t *testing.T, cfg Config, tc TrainConfig, data nn.Mat) (*Trainer, []StepInfo) {
	t.Helper()
	m, err := New(cfg, tc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, data, tc)
	if err != nil {
		t.Fatal(err)
	}
	var infos []StepInfo
	for !tr.Done() {
		info, err := tr.Step()
		if err != nil {
			t.Fatal(err)
		}
		infos = append(infos, info)
	}
	return tr, infos
}

func TestTrainingLearnsAndIsDeterministic(t *testing.T) {
	cfg := Config{N: 2, D: 1, Steps: 4, Hidden: 16, Blocks: 1, Bins: 8, TailBound: 3}
	data := spiralMat(1024)
	tc := smallTraining(3)
	tc.Recipe, tc.Cosine = RecipeJoint, false
	tc.LR = 3e-3
	trA, infos := trainFor(t, cfg, tc, data)
	first, last := infos[0].MSE, infos[len(infos)-1].MSE
	if !(last < first) {
		t.Errorf("MSE did not fall: first %g, last %g", first, last)
	}
	prev := runtime.GOMAXPROCS(1)
	trB, _ := trainFor(t, cfg, tc, data)
	runtime.GOMAXPROCS(prev)
	for i := range trA.Model().P {
		if math.Float32bits(trA.Model().P[i]) != math.Float32bits(trB.Model().P[i]) {
			t.Fatalf("same seed, different cores: parameter %d differs (%v vs %v)", i, trA.Model().P[i], trB.Model().P[i])
		}
	}
}

func TestOriginalRecipePhasesAndBest(t *testing.T) {
	cfg := Config{N: 2, D: 1, Steps: 2, Hidden: 8, Blocks: 1, Bins: 4, TailBound: 3}
	tc := smallTraining(1)
	tr, infos := trainFor(t, cfg, tc, spiralMat(400))
	spe := tr.StepsPerEpoch()
	manifold := 0
	for _, in := range infos {
		if in.Phase == PhaseManifold {
			manifold++
		}
	}
	// density epochs carry weight 0 in the original spiral run and take no steps
	if manifold != 2*spe || tr.Steps() != 2*spe {
		t.Errorf("%d manifold steps, %d steps in all; want %d", manifold, tr.Steps(), 2*spe)
	}
	lastInfo := infos[len(infos)-1]
	if !lastInfo.Done || lastInfo.BestEpoch < 0 {
		t.Errorf("final info %+v", lastInfo)
	}
	_, _, val := tr.ValidationLoss()
	best := math.Inf(1)
	for _, in := range infos {
		if in.EpochEnd && in.ValLoss < best {
			best = in.ValLoss
		}
	}
	if math.Abs(val-best) > 1e-9*math.Max(1, best) {
		t.Errorf("after training the model has validation loss %g, best was %g", val, best)
	}
}

func TestDivergenceStopsWithoutCorruptingWeights(t *testing.T) {
	cfg := Config{N: 2, D: 1, Steps: 2, Hidden: 8, Blocks: 1, Bins: 4, TailBound: 3}
	m, _ := New(cfg, 1)
	tc := smallTraining(1)
	tc.MaxNorm = 1e-12 // any real gradient counts as exploding
	tr, err := NewTrainer(m, spiralMat(256), tc)
	if err != nil {
		t.Fatal(err)
	}
	before := append([]float32(nil), m.P...)
	if _, err := tr.Step(); !errors.Is(err, ErrDiverged) {
		t.Fatalf("want ErrDiverged, got %v", err)
	}
	if _, err := tr.Step(); !errors.Is(err, ErrDiverged) {
		t.Fatalf("a diverged trainer must keep reporting it, got %v", err)
	}
	for i := range before {
		if before[i] != m.P[i] {
			t.Fatal("weights changed by a diverged step")
		}
	}
	bad := spiralMat(64)
	bad.Data[5] = float32(math.NaN())
	if _, err := NewTrainer(m, bad, tc); err == nil || !strings.Contains(err.Error(), "row 2") {
		t.Errorf("NaN data: %v", err)
	}
}

// TestBestFitKeepsTheBestMeasurement checks FitEvery against measurements taken by hand:
// BestFit holds the weights, d95 and step of the smallest FitD95 seen at multiples of FitEvery.
func TestBestFitKeepsTheBestMeasurement(t *testing.T) {
	cfg := Config{N: 2, D: 1, Steps: 2, Hidden: 8, Blocks: 1, Bins: 4, TailBound: 3}
	tc := smallTraining(2)
	tc.Recipe, tc.Cosine, tc.LR, tc.FitEvery, tc.Epochs = RecipeJoint, false, 2e-2, 3, 6
	m, err := New(cfg, tc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, spiralMat(400), tc)
	if err != nil {
		t.Fatal(err)
	}
	if _, d, step := tr.BestFit(); !math.IsInf(d, 1) || step != -1 {
		t.Fatalf("before any measurement BestFit = %v at %d", d, step)
	}
	best, bestStep, seen := math.Inf(1), -1, map[float64]bool{}
	var bestP []float32
	for tr.Steps() < 30 {
		if _, err := tr.Step(); err != nil {
			t.Fatal(err)
		}
		if tr.Steps()%3 == 0 {
			d := tr.FitD95()
			seen[d] = true
			if d < best {
				best, bestStep, bestP = d, tr.Steps(), append([]float32(nil), tr.Model().P...)
			}
		}
	}
	fm, d, step := tr.BestFit()
	if d != best || step != bestStep || len(seen) < 2 {
		t.Fatalf("BestFit = %v at step %d; measured by hand %v at step %d (%d distinct values)", d, step, best, bestStep, len(seen))
	}
	for i := range bestP {
		if fm.P[i] != bestP[i] {
			t.Fatalf("BestFit weight %d = %v, the weights of step %d hold %v", i, fm.P[i], step, bestP[i])
		}
	}
}

func TestBadHyperParameters(t *testing.T) {
	for _, mod := range []func(*TrainConfig){
		func(c *TrainConfig) { c.LR = math.NaN() },
		func(c *TrainConfig) { c.LR = -1 },
		func(c *TrainConfig) { c.Batch = 0 },
		func(c *TrainConfig) { c.Epochs = 0 },
		func(c *TrainConfig) { c.ValFrac = 1 },
		func(c *TrainConfig) { c.Clip = math.Inf(1) },
		func(c *TrainConfig) { c.MSEWeight, c.NLLWeight = 0, 0 },
		func(c *TrainConfig) { c.Recipe = "magic" },
		func(c *TrainConfig) { c.FitEvery = -1 },
	} {
		tc := OriginalTraining()
		mod(&tc)
		if err := tc.Validate(); err == nil {
			t.Errorf("config %+v accepted", tc)
		}
	}
	for _, c := range []Config{{N: 2, D: 1, Steps: 0, Hidden: 8, Bins: 4, TailBound: 3}, {N: 2, D: 2, Steps: 1, Hidden: 8, Bins: 4, TailBound: 3},
		{N: 2, D: 1, Steps: 1, Hidden: 8, Bins: 1, TailBound: 3}, {N: 2, D: 1, Steps: 1, Hidden: 8, Bins: 4, TailBound: math.NaN()}} {
		if _, err := New(c, 1); err == nil {
			t.Errorf("architecture %v accepted", c)
		}
	}
}

func TestCheckpointRoundTripWithOptimizer(t *testing.T) {
	cfg := Config{N: 2, D: 1, Steps: 3, Hidden: 8, Blocks: 2, Bins: 5, TailBound: 3}
	tr, _ := trainFor(t, cfg, smallTraining(2), spiralMat(256))
	p := filepath.Join(t.TempDir(), "f.mfl")
	c := &Checkpoint{Flow: tr.Model(), Adam: tr.Adam(), Info: map[string]string{"seed": "2"}}
	if err := c.Save(p); err != nil {
		t.Fatal(err)
	}
	back, err := LoadCheckpoint(p)
	if err != nil {
		t.Fatal(err)
	}
	if back.Flow.Cfg != cfg || back.Adam == nil || back.Adam.Step != tr.Adam().Step || back.Info["seed"] != "2" {
		t.Fatalf("round trip lost data: %+v", back)
	}
	for i := range c.Flow.P {
		if back.Flow.P[i] != c.Flow.P[i] || back.Adam.M[i] != c.Adam.M[i] || back.Adam.V[i] != c.Adam.V[i] {
			t.Fatalf("value %d changed", i)
		}
	}
	for i := range back.Flow.Perms {
		for j := range back.Flow.Perms[i].P {
			if back.Flow.Perms[i].P[j] != c.Flow.Perms[i].P[j] {
				t.Fatal("permutations changed")
			}
		}
	}
}

func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	clf := testref.Path(t, "reference", "checkpoints", "classifier_two_spirals.pt")
	if _, err := ImportPyTorch(clf); err == nil || !strings.Contains(err.Error(), "not an M-Flow") {
		t.Errorf("classifier as flow: %v", err)
	}
	src := testref.Path(t, "reference", "checkpoints", "spiral_mflow_A.pt")
	data, _ := os.ReadFile(src)
	cut := filepath.Join(dir, "cut.pt")
	os.WriteFile(cut, data[:len(data)/3], 0o644)
	if _, err := LoadCheckpoint(cut); err == nil || !strings.Contains(err.Error(), "cut.pt") {
		t.Errorf("truncated checkpoint: %v", err)
	}
	if _, err := LoadCheckpoint(filepath.Join(dir, "missing.pt")); err == nil {
		t.Error("missing file accepted")
	}
	garbage := filepath.Join(dir, "garbage.mfl")
	os.WriteFile(garbage, []byte("hello"), 0o644)
	if _, err := LoadCheckpoint(garbage); err == nil || !strings.Contains(err.Error(), "garbage.mfl") {
		t.Errorf("garbage: %v", err)
	}
}

// TestAlternateCouplings checks that Config.Alternate makes every permutation the identity —
// so the couplings transform the two coordinates in turn — and changes nothing else: the
// weights are those of the random-permutation flow of the same seed.
func TestAlternateCouplings(t *testing.T) {
	cfg := LiveConfig()
	alt := cfg
	alt.Alternate = true
	for seed := uint64(1); seed <= 20; seed++ {
		r, err := New(cfg, seed)
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(alt, seed)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range a.Perms {
			for j, v := range p.P {
				if v != j {
					t.Fatalf("seed %d: permutation %d is %v, want the identity", seed, i, p.P)
				}
			}
		}
		for i := range r.P {
			if r.P[i] != a.P[i] {
				t.Fatalf("seed %d: weight %d differs between random and alternating permutations", seed, i)
			}
		}
	}
	if s := alt.String(); !strings.HasSuffix(s, " alternating") {
		t.Errorf("String() = %q, want it to say alternating", s)
	}
}
