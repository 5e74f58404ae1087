package cli

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/atomicfile"
	"github.com/mflowlab/mflowlab/internal/progress"
	"github.com/mflowlab/mflowlab/sim/cifar"
)

// loadImages loads a split of the CIFAR-10 images at path (a .bin file, a folder or the
// official archive); an empty path looks where cifar.Find looks.
func loadImages(path, split string) (*cifar.Set, error) {
	sp, err := cifar.ParseSplit(split)
	if err != nil {
		return nil, err
	}
	if path == "" {
		if path, err = cifar.Find(); err != nil {
			return nil, err
		}
	}
	return cifar.Load(path, sp)
}

// saveCNN writes m as a PyTorch state_dict when path ends in .pt, natively otherwise.
func saveCNN(path string, m *cnn.Model, info map[string]float64) error {
	if strings.EqualFold(filepath.Ext(path), ".pt") {
		return cnn.ExportPyTorch(path, m)
	}
	return m.Save(path, info)
}

func runTrainCNN(env *Env, args []string) error {
	fs := newFlags(env, "train-cnn")
	images := fs.String("images", "", "CIFAR-10 data: a .bin file, a folder of them or cifar-10-binary.tar.gz (default: the user's data folder, then the shared test batch)")
	split := fs.String("split", "train", "training split: train|eval|all")
	evalSplit := fs.String("eval-split", "eval", "split evaluated after every epoch: train|eval|all|none")
	dc := cnn.DefaultTrainConfig()
	epochs := fs.Int("epochs", dc.Epochs, "epochs")
	batch := fs.Int("batch", dc.Batch, "batch size")
	lr := fs.Float64("lr", dc.LR, "Adam learning rate")
	seed := fs.Uint64("seed", 1, "seed of the initialisation, shuffling and augmentation")
	noAug := fs.Bool("no-augment", false, "train without the random crop and flip")
	workers := fs.Int("workers", 0, "goroutines (0: one per core); the result does not depend on it")
	out := fs.String("out", "", "checkpoint to write: native (.mfl) or PyTorch state_dict (.pt)")
	minAcc := fs.Float64("min-accuracy", 0, "fail (and write nothing) if the final eval accuracy is below this")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("need --out CKPT (.mfl native, .pt PyTorch)")
	}
	cfg := cnn.TrainConfig{Epochs: *epochs, Batch: *batch, LR: *lr, Seed: *seed, NoAugment: *noAug}
	if err := cfg.Validate(); err != nil {
		return err
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
	}
	m := cnn.New(*seed)
	m.Workers = *workers
	fmt.Fprintf(env.Stderr, "train-cnn: %d training images (%s), %d evaluation images, %s, simd=%s\n",
		train.Len(), train.Source, evalX.Rows, m, nn.LevelName(nn.SIMD()))
	bar := progress.New(env.Stderr, "train-cnn", 1)
	start, cpu0 := time.Now(), processCPU()
	last := cnn.Progress{EvalAccuracy: math.NaN()}
	acc := math.NaN()
	err = m.Train(env.Ctx, train.Images, train.Labels, evalX, evalY, cfg, func(p cnn.Progress) {
		last = p
		secs := time.Since(start).Seconds()
		if p.EpochDone {
			acc = p.EvalAccuracy
			fmt.Fprintf(env.Stderr, "\repoch=%d loss=%.4f eval_acc=%.4f secs=%.1f\n", p.Epoch, p.Loss, acc, secs)
		}
		status := fmt.Sprintf("epoch %d/%d loss %.4f eval acc %s %.0f img/s", p.Epoch, p.Epochs, p.Loss, pct(acc), float64(p.Images)/secs)
		bar.Update(float64(p.Step)/float64(p.Steps), status)
	})
	if err != nil {
		fmt.Fprintln(env.Stderr)
		return err
	}
	secs := time.Since(start).Seconds()
	bar.Done(fmt.Sprintf("eval acc %s", pct(acc)))
	if !math.IsNaN(acc) && acc < *minAcc || math.IsNaN(acc) && *minAcc > 0 {
		return fmt.Errorf("eval accuracy %.4f below --min-accuracy %.4f; nothing written", acc, *minAcc)
	}
	info := map[string]float64{"epochs": float64(cfg.Epochs), "batch": float64(cfg.Batch), "lr": cfg.LR, "seed": float64(cfg.Seed), "train_images": float64(train.Len())}
	if !math.IsNaN(acc) {
		info["eval_accuracy"] = acc
	}
	if err := saveCNN(*out, m, info); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "train_secs=%.1f cpu_secs=%.1f eval_acc=%.4f images_per_s=%.0f loss=%.4f\n",
		secs, (processCPU() - cpu0).Seconds(), acc, float64(last.Images)/secs, last.Loss)
	fmt.Fprintf(env.Stdout, "wrote %s\n", *out)
	return nil
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "--"
	}
	return fmt.Sprintf("%.2f%%", 100*v)
}

// parsePixelValue reads a value in pixel units: a number or a fraction such as 8/255.
func parsePixelValue(flagName, s string) (float64, error) {
	num, den, frac := strings.Cut(strings.TrimSpace(s), "/")
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err == nil && frac {
		var d float64
		d, err = strconv.ParseFloat(strings.TrimSpace(den), 64)
		if err == nil && d == 0 {
			err = errors.New("division by zero")
		}
		v /= d
	}
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("--%s %q: want a finite number or a fraction like 8/255", flagName, s)
	}
	return v, nil
}

// imageAttackRows is how many images one attack.Run call handles (its trajectory is kept).
const imageAttackRows = 500

// runEvalImages is `mflowlab eval --images`: a CNN's predictions on CIFAR-10 images,
// optionally under attack.
func runEvalImages(env *Env, args []string) error {
	fs := newFlags(env, "eval --images")
	images := fs.String("images", "", "CIFAR-10 data: a .bin file, a folder of them or cifar-10-binary.tar.gz (empty: the user's data folder, then the shared test batch)")
	split := fs.String("split", "eval", "split: train|eval|all")
	clfPath := fs.String("classifier", "", "CNN checkpoint (native .mfl or PyTorch .pt state_dict)")
	kind := fs.String("attack", "", "attack the images first: fgsm|pgd|pgd-l2")
	epsS := fs.String("eps", "8/255", "attack budget ε in pixel units (a number or a fraction like 8/255)")
	steps := fs.Int("steps", 10, "PGD steps")
	alphaS := fs.String("alpha", "", "PGD step size in pixel units (default ε/4)")
	seed := fs.Uint64("seed", 0, "seed of PGD's random start")
	out := fs.String("out", "", "output CSV: i,label,pred,prob per image")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *clfPath == "" || *out == "" {
		return errors.New("need --classifier CNN and --out CSV")
	}
	var p attack.Params
	if *kind != "" {
		k, err := attack.ParseKind(*kind)
		if err != nil {
			return err
		}
		eps, err := parsePixelValue("eps", *epsS)
		if err != nil {
			return err
		}
		alpha := eps / 4
		if *alphaS != "" {
			if alpha, err = parsePixelValue("alpha", *alphaS); err != nil {
				return err
			}
		}
		p = attack.Params{Kind: k, Eps: eps, Alpha: alpha, Steps: *steps, RandomStart: k != attack.FGSM,
			Box: &attack.Box{Min: []float64{0}, Max: []float64{1}}}
		if err := p.Validate(); err != nil {
			return err
		}
	}
	m, err := cnn.Load(*clfPath)
	if err != nil {
		return err
	}
	set, err := loadImages(*images, *split)
	if err != nil {
		return err
	}
	x := set.Images
	start, cpu0 := time.Now(), processCPU()
	clean := math.NaN()
	summary := ""
	if *kind != "" {
		k := p.Kind
		clean = m.Accuracy(x, set.Labels)
		bar := progress.New(env.Stderr, "eval "+k.String(), float64(x.Rows))
		t0 := time.Now()
		adv, err := attackImages(env, m, x, set.Labels, p, *seed, imageAttackRows, bar)
		if err != nil {
			return err
		}
		bar.Done("")
		x = adv
		summary = fmt.Sprintf(" clean_accuracy=%.4f attack=%s eps=%.6g attack_secs=%.1f", clean, k, p.Eps, time.Since(t0).Seconds())
		if k != attack.FGSM {
			summary += fmt.Sprintf(" steps=%d alpha=%.6g", p.Steps, p.Alpha)
		}
	}
	probs := m.Probs(nn.Mat{}, x)
	secs, cpu := time.Since(start).Seconds(), (processCPU() - cpu0).Seconds()
	correct := 0
	err = atomicfile.Write(*out, func(w io.Writer) error {
		fmt.Fprintln(w, "i,label,pred,prob")
		for i := 0; i < x.Rows; i++ {
			pred := argmaxRow(probs.Row(i))
			if int32(pred) == set.Labels[i] {
				correct++
			}
			fmt.Fprintf(w, "%d,%d,%d,%s\n", set.Index[i], set.Labels[i], pred, ff(probs.At(i, pred)))
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "accuracy=%.4f images=%d%s secs=%.1f cpu_secs=%.1f\n", float64(correct)/float64(max(x.Rows, 1)), x.Rows, summary, secs, cpu)
	return nil
}

func argmaxRow(p []float32) int {
	best := 0
	for j, v := range p {
		if v > p[best] {
			best = j
		}
	}
	return best
}

// benchCNN is `mflowlab bench --cnn`: training speed and per-layer times of the CIFAR-10 CNN.
func benchCNN(env *Env, args []string) error {
	fs := newFlags(env, "bench --cnn")
	steps := fs.Int("steps", 20, "measured training steps (after 2 warm-up steps)")
	batch := fs.Int("batch", 128, "batch size")
	iters := fs.Int("iters", 20, "repetitions of each per-layer measurement")
	seed := fs.Uint64("seed", 1, "seed of the model and the random images")
	workers := fs.Int("workers", 0, "goroutines for the training steps (0: one per core)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *steps < 1 || *steps > 100000 || *iters < 1 || *iters > 100000 || *batch < 1 || *batch > 4096 {
		return fmt.Errorf("--steps %d, --iters %d or --batch %d out of range", *steps, *iters, *batch)
	}
	fmt.Fprintf(env.Stdout, "backend=%s simd=%s clock=%s\n", nn.Backend, nn.LevelName(nn.SIMD()), threadClockName)
	layers := benchLayersCPU(*iters, *seed)
	for _, lt := range layers {
		fmt.Fprintf(env.Stdout, "layer=%s fwd_ms=%.3f bwd_ms=%.3f per=%d_images\n", lt.Name, ms(lt.Forward), ms(lt.Backward), cnn.Group)
	}
	total := layers[len(layers)-1]
	perImage := (total.Forward + total.Backward).Seconds() / cnn.Group
	fmt.Fprintf(env.Stdout, "one_core_images_per_s=%.0f\n", 1/perImage)
	m := cnn.New(*seed)
	m.Workers = *workers
	cpu0 := processCPU()
	d := m.BenchTraining(nn.Mat{}, nil, *batch, *steps, *seed)
	cpu := (processCPU() - cpu0).Seconds() / float64(*steps+2)
	fmt.Fprintf(env.Stdout, "config=cnn step_ms=%.2f images_per_s=%.0f cpu_ms_per_step=%.1f batch=%d\n", ms(d), float64(*batch)/d.Seconds(), 1e3*cpu, *batch)
	return nil
}

func ms(d time.Duration) float64 { return d.Seconds() * 1e3 }
