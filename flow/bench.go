package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// BenchConfig names a training-step measurement of `mflowlab bench`.
type BenchConfig struct {
	Name  string
	Flow  Config
	Batch int
}

// BenchConfigs are the named configurations: original (S16 H100 B2 K8, batch 512), small
// (S8 H32 B1 K8, batch 256) and live (the app's default).
func BenchConfigs() map[string]BenchConfig {
	return map[string]BenchConfig{
		"original": {Name: "original", Flow: OriginalConfig(), Batch: 512},
		"small":    {Name: "small", Flow: Config{N: 2, D: 1, Steps: 8, Hidden: 32, Blocks: 1, Bins: 8, TailBound: 3}, Batch: 256},
		"live":     {Name: "live", Flow: LiveConfig(), Batch: LiveBatch},
	}
}

// LiveConfig is the app's default architecture: small enough that learning is visible within
// seconds on two cores.
func LiveConfig() Config {
	return Config{N: 2, D: 1, Steps: 8, Hidden: 32, Blocks: 1, Bins: 8, TailBound: 3}
}

// LiveBatch is the app's default batch size.
const LiveBatch = 256

// BenchResult is the median time of a training step after warm-up.
type BenchResult struct {
	Config       BenchConfig
	StepMS       float64
	SamplesPerS  float64
	Iters        int
	MinMS, MaxMS float64
}

// String formats the result as `mflowlab bench` prints it.
func (r BenchResult) String() string {
	return fmt.Sprintf("config=%s step_ms=%.3f samples_per_s=%.0f", r.Config.Name, r.StepMS, r.SamplesPerS)
}

// BenchTrainingStep measures iters training steps (projection MSE ×100 + Adam, as the PyTorch
// anchor does) on random Two-Spirals-like data after 3 warm-up steps.
func BenchTrainingStep(bc BenchConfig, iters int, seed uint64) (BenchResult, error) {
	m, err := New(bc.Flow, seed)
	if err != nil {
		return BenchResult{}, err
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	data := nn.NewMat(20000, 2)
	for i := 0; i < data.Rows; i++ {
		t := math.Sqrt(rng.Float64()) * 2 * math.Pi * 1.2
		r := t / (2 * math.Pi)
		s := 1.0
		if i%2 == 1 {
			s = -1
		}
		data.Data[2*i] = float32(s * (r*math.Cos(t) + 0.03*rng.Float64()))
		data.Data[2*i+1] = float32(s * (r*math.Sin(t) + 0.03*rng.Float64()))
	}
	cfg := OriginalTraining()
	cfg.Recipe, cfg.Batch, cfg.ValFrac, cfg.Seed, cfg.Cosine = RecipeJoint, bc.Batch, 0, seed, false
	tr, err := NewTrainer(m, data, cfg)
	if err != nil {
		return BenchResult{}, err
	}
	times := make([]float64, 0, iters)
	for i := 0; i < iters+3; i++ {
		t0 := time.Now()
		if _, err := tr.Step(); err != nil {
			return BenchResult{}, err
		}
		if i >= 3 {
			times = append(times, float64(time.Since(t0).Nanoseconds())/1e6)
		}
	}
	sort.Float64s(times)
	med := times[len(times)/2]
	return BenchResult{Config: bc, StepMS: med, SamplesPerS: float64(bc.Batch) / (med / 1e3), Iters: iters, MinMS: times[0], MaxMS: times[len(times)-1]}, nil
}
