package cli

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/progress"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

func runTrainFlow(env *Env, args []string) error {
	fs := newFlags(env, "train-flow")
	out := fs.String("out", "", "checkpoint to write (native format)")
	seed := fs.Uint64("seed", 1, "seed of initialisation, split and batch order")
	recipe := fs.String("recipe", "original", "original (alternating epochs, spec 5.5) or joint")
	def := flow.OriginalConfig()
	tc := flow.OriginalTraining()
	epochs := fs.Int("epochs", tc.Epochs, "epochs")
	steps := fs.Int("steps", def.Steps, "coupling steps S")
	hidden := fs.Int("hidden", def.Hidden, "conditioner width H")
	blocks := fs.Int("blocks", def.Blocks, "residual blocks B")
	bins := fs.Int("bins", def.Bins, "spline bins K")
	batch := fs.Int("batch", tc.Batch, "batch size")
	lr := fs.Float64("lr", tc.LR, "Adam learning rate")
	clip := fs.Float64("clip", 0, "gradient-norm clipping (0 = off)")
	nllW := fs.Float64("nll-weight", tc.NLLWeight, "weight of the PIE likelihood")
	data := fs.String("data", "", "training data (x,y,label CSV or the original .pt); default: generated Two Spirals")
	n := fs.Int("n", 20000, "generated data: number of points")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("need --out CKPT")
	}
	cfg := flow.Config{N: 2, D: 1, Steps: *steps, Hidden: *hidden, Blocks: *blocks, Bins: *bins, TailBound: def.TailBound}
	if err := cfg.Validate(); err != nil {
		return err
	}
	tc.Recipe, tc.Epochs, tc.Batch, tc.LR, tc.Clip, tc.NLLWeight, tc.Seed = flow.Recipe(*recipe), *epochs, *batch, *lr, *clip, *nllW, *seed
	if err := tc.Validate(); err != nil {
		return err
	}
	ds, err := loadOrGenerate(*data, *n, *seed)
	if err != nil {
		return err
	}
	m, err := flow.New(cfg, *seed)
	if err != nil {
		return err
	}
	tr, err := flow.NewTrainer(m, nn.MatFrom(ds.N(), 2, ds.X), tc)
	if err != nil {
		return err
	}
	total := float64(tc.Epochs * tr.StepsPerEpoch())
	bar := progress.New(env.Stderr, "train-flow", total)
	start := time.Now()
	var last flow.StepInfo
	val := math.NaN()
	done := 0
	for !tr.Done() {
		if err := env.Ctx.Err(); err != nil {
			return err
		}
		info, err := tr.Step()
		if err != nil {
			fmt.Fprintln(env.Stderr)
			return fmt.Errorf("%w; nothing written", err)
		}
		if info.EpochEnd {
			val = info.ValLoss
		}
		if info.Phase != flow.PhaseDensity || tc.NLLWeight > 0 {
			last = info
		}
		done++
		if info.EpochEnd && info.Phase == flow.PhaseDensity && tc.NLLWeight == 0 {
			done = (info.Epoch + 1) * tr.StepsPerEpoch()
		}
		sps := float64(info.Step*tc.Batch) / time.Since(start).Seconds()
		bar.Update(float64(done), fmt.Sprintf("epoch %d/%d loss %.4g val %.4g |g| %.3g %.0f samples/s", info.Epoch+1, tc.Epochs, last.Loss, val, last.GradNorm, sps))
	}
	bar.Done(fmt.Sprintf("best epoch %d val %.4g", last.BestEpoch+1, val))
	c := &flow.Checkpoint{Flow: tr.Model(), Adam: tr.Adam(), Info: map[string]string{
		"seed": strconv.FormatUint(*seed, 10), "recipe": *recipe, "epochs": strconv.Itoa(tc.Epochs),
		"batch": strconv.Itoa(tc.Batch), "lr": strconv.FormatFloat(tc.LR, 'g', -1, 64), "data": ds.Source,
	}}
	if err := c.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s (%v, %d steps, %s)\n", *out, cfg, tr.Steps(), time.Since(start).Round(time.Millisecond))
	return nil
}

// loadOrGenerate loads the data file at path, or, when path is empty, generates n Two Spirals
// points with the original noise (3) and rotations (1.2) from seed.
func loadOrGenerate(path string, n int, seed uint64) (*spirals.Dataset, error) {
	if path != "" {
		return spirals.Load(path)
	}
	return spirals.Generate(n, 3, 1.2, seed)
}
