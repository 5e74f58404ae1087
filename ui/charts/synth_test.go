package charts

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// synthLoss returns a plausible joint-recipe training history: steps 0…steps-1 with 150
// steps an epoch, a noisy decaying projection MSE (weight 100), a small NLL term that turns
// negative, the validation loss at epoch ends and a spiky gradient norm.
func synthLoss(seed uint64, steps int) LossHistory {
	rng := rand.New(rand.NewPCG(seed, 0x10557))
	h := LossHistory{}
	for t := range steps {
		ft := float64(t)
		mse := 0.0015 + 0.06*math.Exp(-ft/500) + 0.01*math.Exp(-ft/3000)
		nll := -0.9 + 2.2*math.Exp(-ft/900)
		noisyMSE := mse * math.Exp(0.3*rng.NormFloat64())
		noisyNLL := nll + 0.12*rng.NormFloat64()
		g := (0.4 + 6*math.Exp(-ft/800)) * math.Exp(0.45*rng.NormFloat64())
		if rng.Float64() < 0.004 {
			g *= 8
		}
		val := math.NaN()
		if (t+1)%150 == 0 {
			val = 100*mse*1.08 + 0.01*nll + 0.01*rng.NormFloat64()
		}
		h.Step = append(h.Step, ft+1)
		h.MSE = append(h.MSE, noisyMSE)
		h.NLL = append(h.NLL, noisyNLL)
		h.Loss = append(h.Loss, 100*noisyMSE+0.01*noisyNLL)
		h.Val = append(h.Val, val)
		h.GradNorm = append(h.GradNorm, g)
	}
	return h
}

// synthCases returns a sweep shaped like the original report's Fig. 5: ε = linspace(0,
// 0.3, 100), 20 000 points, attacks succeeding from ε ≈ 0.1, the defence undoing most of
// them up to ε ≈ 0.2 and failing beyond, and a thin band of D.
func synthCases(seed uint64) CasesData {
	rng := rand.New(rand.NewPCG(seed, 0xca5e5))
	const n = 20000
	var d CasesData
	for i := range 100 {
		e := 0.3 * float64(i) / 99
		att := 0.9 / (1 + math.Exp(-(e-0.13)/0.028))
		fc := 0.04 + 0.86/(1+math.Exp(-(e-0.225)/0.03))
		dd := 0.035*math.Exp(-sq((e-0.11)/0.035)) + 0.04*math.Exp(-sq((e-0.2)/0.02))
		if e < 0.02 {
			att, dd = 0, dd*e/0.02
		}
		draw := func(p float64) int {
			return max(0, int(math.Round(n*p+math.Sqrt(n*p*(1-p))*rng.NormFloat64())))
		}
		var c [4]int
		c[0], c[2], c[3] = draw(att*(1-fc)), draw(att*fc), draw(dd)
		c[1] = max(0, n-c[0]-c[2]-c[3])
		d.Eps = append(d.Eps, e)
		d.Counts = append(d.Counts, c)
	}
	return d
}

func sq(x float64) float64 { return x * x }

// TestWriteSamples renders sample charts for a person to look at, into the folder named by
// MFLOWLAB_CHART_SAMPLES; it does nothing without it.
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("MFLOWLAB_CHART_SAMPLES")
	if dir == "" {
		t.Skip("set MFLOWLAB_CHART_SAMPLES=DIR to write sample charts")
	}
	h := synthLoss(1, 6000)
	cases := synthCases(1)
	type job struct {
		name string
		fn   func() error
	}
	jobs := []job{
		{"charts_loss.png", func() error {
			o := DefaultLossOptions(640, 400)
			o.LogY = true
			return SavePNG(filepath.Join(dir, "charts_loss.png"), LossChart(h, o))
		}},
		{"charts_loss_linear.png", func() error {
			return SavePNG(filepath.Join(dir, "charts_loss_linear.png"), LossChart(h, DefaultLossOptions(640, 400)))
		}},
		{"charts_loss_early.png", func() error {
			o := DefaultLossOptions(320, 200)
			o.LogY = true
			return SavePNG(filepath.Join(dir, "charts_loss_early.png"), LossChart(synthLoss(1, 120), o))
		}},
		{"charts_loss_small.png", func() error {
			return SavePNG(filepath.Join(dir, "charts_loss_small.png"), LossChart(h, DefaultLossOptions(320, 200)))
		}},
		{"charts_loss_log_small.png", func() error {
			o := DefaultLossOptions(320, 200)
			o.LogY = true
			return SavePNG(filepath.Join(dir, "charts_loss_log_small.png"), LossChart(h, o))
		}},
		{"charts_loss_slide.png", func() error {
			o := DefaultLossOptions(1200, 750)
			o.DPI, o.LogY, o.Title = 150, true, "M-Flow training (joint recipe)"
			return SavePNG(filepath.Join(dir, "charts_loss_slide.png"), LossChart(h, o))
		}},
		{"charts_cases.png", func() error {
			o := SlideCasesOptions()
			o.Title = "FGSM on Two Spirals, checkpoint A"
			return WriteCasesPNG(filepath.Join(dir, "charts_cases.png"), cases, o)
		}},
		{"charts_cases_small.png", func() error {
			return WriteCasesPNG(filepath.Join(dir, "charts_cases_small.png"), cases, CasesOptions{W: 320, H: 200})
		}},
		{"charts_cases_mid.png", func() error {
			return WriteCasesPNG(filepath.Join(dir, "charts_cases_mid.png"), cases, CasesOptions{W: 640, H: 400, Rates: true})
		}},
	}
	for _, j := range jobs {
		if err := j.fn(); err != nil {
			t.Fatalf("%s: %v", j.name, err)
		}
	}
}
