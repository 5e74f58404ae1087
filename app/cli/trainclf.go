package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/progress"
)

func runTrainClassifier(env *Env, args []string) error {
	fs := newFlags(env, "train-classifier")
	out := fs.String("out", "", "checkpoint to write (native format)")
	seed := fs.Uint64("seed", 1, "seed of data, split, initialisation and batch order")
	width := fs.Int("width", 128, "hidden width W")
	depth := fs.Int("depth", 4, "hidden layers K (W→W)")
	oc := classify.OriginalTrainConfig()
	epochs := fs.Int("epochs", oc.Epochs, "epochs")
	batch := fs.Int("batch", oc.Batch, "batch size")
	lr := fs.Float64("lr", oc.LR, "Adam learning rate")
	evalFrac := fs.Float64("eval", 0.2, "share of the data held out for evaluation")
	data := fs.String("data", "", "training data (x,y,label CSV or the original .pt); default: generated Two Spirals")
	n := fs.Int("n", 20000, "generated data: number of points")
	minAcc := fs.Float64("min-accuracy", 0, "fail (and write nothing) if the final eval accuracy is below this")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("need --out CKPT")
	}
	if !(*evalFrac >= 0 && *evalFrac < 1) {
		return fmt.Errorf("--eval %v must be in [0, 1)", *evalFrac)
	}
	ds, err := loadOrGenerate(*data, *n, *seed)
	if err != nil {
		return err
	}
	train, eval := ds.Split(*evalFrac, *seed)
	m, err := classify.New(2, *width, *depth, 2, *seed)
	if err != nil {
		return err
	}
	cfg := classify.TrainConfig{Epochs: *epochs, Batch: *batch, LR: *lr, Seed: *seed}
	bar := progress.New(env.Stderr, "train-classifier", float64(*epochs))
	start := time.Now()
	var last classify.EpochReport
	err = m.Train(env.Ctx, nn.MatFrom(train.N(), 2, train.X), train.Y, nn.MatFrom(eval.N(), 2, eval.X), eval.Y, cfg, func(r classify.EpochReport) {
		last = r
		sps := float64(r.Epoch*train.N()) / time.Since(start).Seconds()
		bar.Update(float64(r.Epoch), fmt.Sprintf("epoch %d/%d loss %.4g eval acc %.2f%% %.0f samples/s", r.Epoch, r.Epochs, r.TrainLoss, 100*r.EvalAccuracy, sps))
	})
	if err != nil {
		fmt.Fprintln(env.Stderr)
		return err
	}
	bar.Done(fmt.Sprintf("eval accuracy %.2f%%", 100*last.EvalAccuracy))
	if last.EvalAccuracy < *minAcc {
		return fmt.Errorf("eval accuracy %.4f below --min-accuracy %.4f; nothing written", last.EvalAccuracy, *minAcc)
	}
	if err := m.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s (%s, eval accuracy %.2f%%, %s)\n", *out, m, 100*last.EvalAccuracy, time.Since(start).Round(time.Millisecond))
	return nil
}
