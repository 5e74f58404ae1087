package cli

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/flow/imageflow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/flow/pca"
	"github.com/mflowlab/mflowlab/internal/progress"
)

// runTrainImageFlow is `mflowlab train-image-flow`: fit and train an image M-Flow with a
// d-dimensional manifold on CIFAR-10 and write its checkpoint; with --classifier it also
// reports the clean accuracy of CNN∘project next to PCA's at the same d.
func runTrainImageFlow(env *Env, args []string) error {
	fs := newFlags(env, "train-image-flow")
	images := fs.String("images", "", "CIFAR-10 data: a .bin file, a folder of them or cifar-10-binary.tar.gz (default: the user's data folder, then the shared test batch)")
	split := fs.String("split", "train", "training split: train|eval|all")
	evalSplit := fs.String("eval-split", "eval", "split measured after every epoch (reconstruction MSE): train|eval|all|none")
	latent := fs.Int("latent", 0, "manifold dimension d (e.g. 64–512)")
	def := imageflow.DefaultConfig(0)
	dt := imageflow.DefaultTrainConfig()
	alpha := fs.Float64("alpha", def.Alpha, "logit boundary α in (0, 0.5); 0 = no logit layer")
	hidden := fs.Int("hidden", def.Hidden, "channels of the conditioner's hidden convolutions")
	layers := fs.Int("layers", def.Layers, "conditioner convolutions (0 = no coupling: the linear chart only)")
	shuffle := fs.Int("shuffle", def.Shuffle, "conditioner resolution 1/s by pixel-unshuffle: 1, 2 or 4")
	epochs := fs.Int("epochs", dt.Epochs, "epochs (ignored with --minutes)")
	minutes := fs.Float64("minutes", 0, "time budget: pick the number of epochs that fits (measured on this machine; the run prints the --epochs that reproduces it)")
	batch := fs.Int("batch", dt.Batch, "images per step")
	lr := fs.Float64("lr", dt.LR, "Adam learning rate of the manifold phase (cosine-annealed)")
	valShare := fs.Float64("val-share", dt.ValShare, "share of the training images held out to keep the best epoch")
	seed := fs.Uint64("seed", dt.Seed, "seed of the initialisation, validation split and batch order")
	workers := fs.Int("workers", 0, "goroutines (0: one per core); the result does not depend on it")
	clfPath := fs.String("classifier", "", "CNN checkpoint (.mfl or .pt): also report the clean accuracy of CNN∘project vs PCA at the same d on the evaluation split")
	out := fs.String("out", "", "checkpoint to write (native .mfl)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" || *latent == 0 {
		return errors.New("need --latent d and --out CKPT")
	}
	cfg := imageflow.Config{Channels: 3, Height: 32, Width: 32, D: *latent, Alpha: *alpha, Hidden: *hidden, Layers: *layers, Shuffle: *shuffle}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if *minutes < 0 || math.IsNaN(*minutes) || *minutes > 7*24*60 {
		return fmt.Errorf("--minutes %v: want a positive time budget (or 0 for --epochs)", *minutes)
	}
	tc := dt
	tc.Epochs, tc.Batch, tc.LR, tc.ValShare, tc.Seed = *epochs, *batch, *lr, *valShare, *seed
	if *minutes > 0 {
		tc.Epochs = 1 // validated now, chosen after measuring
	}
	if err := tc.Validate(); err != nil {
		return err
	}
	var clf *cnn.Model
	if *clfPath != "" {
		var err error
		if clf, err = cnn.Load(*clfPath); err != nil {
			return err
		}
	}
	train, err := loadImages(*images, *split)
	if err != nil {
		return err
	}
	var evalX nn.Mat
	var evalY []int32
	if *evalSplit != "none" {
		ev, err := loadImages(*images, *evalSplit)
		if err != nil {
			return err
		}
		evalX, evalY = ev.Images, ev.Labels
	} else if clf != nil {
		return errors.New("--classifier needs an evaluation split (--eval-split is none)")
	}
	fmt.Fprintf(env.Stderr, "train-image-flow: %d training images (%s), %d evaluation images, %s, simd=%s\n",
		train.Len(), train.Source, evalX.Rows, cfg, nn.LevelName(nn.SIMD()))
	start, cpu0 := time.Now(), processCPU()
	bar := progress.New(env.Stderr, "chart (PCA)", 1)
	m, err := imageflow.New(cfg, train.Images, *seed, func(stage string, done float64) { bar.Update(done, stage) })
	if err != nil {
		fmt.Fprintln(env.Stderr)
		return err
	}
	bar.Done(fmt.Sprintf("%.1fs", time.Since(start).Seconds()))
	m.Workers = *workers
	m.Info.DataSource = train.Source
	chart := m.Clone()

	if *minutes > 0 {
		budget := *minutes*60 - time.Since(start).Seconds()
		per := m.EpochSeconds(train.Images, evalX.Rows, tc)
		tc.Epochs = max(1, int(budget/per))
		fmt.Fprintf(env.Stderr, "train-image-flow: about %.0fs per epoch here: %d epochs fit in --minutes %g (--epochs %d reproduces this run)\n",
			per, tc.Epochs, *minutes, tc.Epochs)
	}
	bar = progress.New(env.Stderr, "train-image-flow", 1)
	t0 := time.Now()
	err = m.Train(env.Ctx, train.Images, evalX, tc, func(p imageflow.Progress) {
		if p.EpochEnd {
			fmt.Fprintf(env.Stderr, "\repoch=%d loss=%.6f val_mse=%.6f eval_mse=%.6f nll_per_dim=%.4f secs=%.1f\n",
				p.Epoch, p.Loss, p.ValMSE, p.EvalMSE, p.NLLPerDim, time.Since(t0).Seconds())
		}
		done := float64(p.Step) / float64(max(p.Steps, 1))
		if p.Steps == 0 {
			done = float64(p.Epoch) / float64(p.Epochs)
		}
		bar.Update(done, fmt.Sprintf("epoch %d/%d loss %.6f eval mse %s %.0f img/s", p.Epoch, p.Epochs, p.Loss, mse(p.EvalMSE), p.ImagesPerSec))
	})
	if err != nil {
		fmt.Fprintln(env.Stderr)
		return err
	}
	bar.Done(fmt.Sprintf("best epoch %d", m.Info.BestEpoch))
	if err := m.Save(*out); err != nil {
		return err
	}
	in := m.Info
	fmt.Fprintf(env.Stdout, "train_secs=%.1f cpu_secs=%.1f epochs=%d best_epoch=%d val_mse=%.6f eval_mse=%.6f chart_eval_mse=%.6f nll_per_dim=%.4f\n",
		time.Since(start).Seconds(), (processCPU() - cpu0).Seconds(), in.Epochs, in.BestEpoch, in.ValMSE, in.EvalMSE, in.ChartMSE, in.NLLPerDim)
	fmt.Fprintf(env.Stdout, "wrote %s\n", *out)
	if clf == nil {
		return nil
	}
	fit, err := pca.Fit(train.Images, pca.Options{Components: cfg.D})
	if err != nil {
		return err
	}
	pp, err := fit.Projection(cfg.D)
	if err != nil {
		return err
	}
	pcaX := pp.Project(nn.Mat{}, evalX)
	fmt.Fprintf(env.Stdout, "d=%d clean_acc=%.4f mflow_acc=%.4f chart_acc=%.4f pca_acc=%.4f mflow_mse=%.6f pca_mse=%.6f\n",
		cfg.D, clf.Accuracy(evalX, evalY), clf.Accuracy(m.Project(nn.Mat{}, evalX), evalY),
		clf.Accuracy(chart.Project(nn.Mat{}, evalX), evalY), clf.Accuracy(pcaX, evalY), in.EvalMSE, meanSq(pcaX, evalX))
	return nil
}

func mse(v float64) string {
	if math.IsNaN(v) {
		return "--"
	}
	return fmt.Sprintf("%.6f", v)
}

// meanSq returns the mean squared difference of two matrices of one shape.
func meanSq(a, b nn.Mat) float64 {
	var s float64
	for i, v := range a.Data {
		d := float64(v) - float64(b.Data[i])
		s += d * d
	}
	return s / float64(len(a.Data))
}
