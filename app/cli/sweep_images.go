package cli

import (
	"errors"
	"flag"
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
	"github.com/mflowlab/mflowlab/flow/pca"
	"github.com/mflowlab/mflowlab/internal/atomicfile"
	"github.com/mflowlab/mflowlab/internal/progress"
	"github.com/mflowlab/mflowlab/sim/cifar"
	"github.com/mflowlab/mflowlab/sim/gallery"
)

// runSweepImages is `mflowlab sweep --images`: the A–D cases of a projection defence (PCA or
// an image M-Flow) in front of a CIFAR-10 CNN, over a range of ε in pixel units, with the
// accuracies papers compare (clean, attacked, defended) per ε.
func runSweepImages(env *Env, args []string) error {
	fs := newFlags(env, "sweep --images")
	images := fs.String("images", "", "CIFAR-10 data: a .bin file, a folder of them or cifar-10-binary.tar.gz (empty: the user's data folder, then the shared test batch)")
	split := fs.String("split", "eval", "images to attack: train|eval|all (the PCA is fitted on the train split of the same data)")
	clfPath := fs.String("classifier", "", "CNN checkpoint (native .mfl or PyTorch .pt state_dict)")
	defSpec := fs.String("defence", "pca:64", "projection defence: pca:D (D leading components) or mflow:CKPT (image M-Flow)")
	kindName := fs.String("attack", "fgsm", "attack: fgsm, pgd or pgd-l2")
	adaptive := fs.Bool("adaptive", false, "attack the defended classifier: gradients through the projection")
	epsSpec := fs.String("eps", "0:16/255:17", "ε in pixel units: start:stop:count (both ends included) or one value; values may be fractions like 8/255")
	steps := fs.Int("steps", 10, "PGD steps")
	alphaS := fs.String("alpha", "", "PGD step size in pixel units (default 2.5·ε/steps: ε/4 at 10 steps, as torch_cifar.py)")
	randomStart := fs.Bool("random-start", true, "PGD: start at a seeded random point of the ε-ball")
	seed := fs.Uint64("seed", 0, "seed of PGD's random start")
	n := fs.Int("n", 0, "attack only N images spread evenly over the split (the shared file is grouped by class); 0: all")
	cacheDir := fs.String("pca-cache", "", "folder of cached PCA fits (default: mflowlab/pca in the user's cache folder)")
	out := fs.String("out", "", "CSV to write: eps,A,B,C,D")
	plotPath := fs.String("plot", "", "PNG to write: stacked relative frequencies of the cases (optional)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *clfPath == "" || *out == "" {
		return errors.New("need --classifier CNN and --out CSV")
	}
	if *plotPath != "" && !strings.EqualFold(filepath.Ext(*plotPath), ".png") {
		return fmt.Errorf("--plot %s: only PNG is written; name the file *.png", *plotPath)
	}
	if *n < 0 {
		return fmt.Errorf("--n %d: want 0 (all) or a positive number of images", *n)
	}
	kind, err := attack.ParseKind(*kindName)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if kind == attack.FGSM {
		for _, name := range []string{"steps", "alpha", "random-start"} {
			if set[name] {
				return fmt.Errorf("--%s applies to pgd and pgd-l2, not fgsm", name)
			}
		}
	}
	eps, err := parsePixelRange(*epsSpec)
	if err != nil {
		return err
	}
	p := attack.Params{Kind: kind, Steps: *steps, RandomStart: kind != attack.FGSM && *randomStart, Seed: *seed,
		Box: &attack.Box{Min: []float64{0}, Max: []float64{1}}}
	if kind != attack.FGSM && *alphaS != "" {
		if p.Alpha, err = parsePixelValue("alpha", *alphaS); err != nil {
			return err
		}
		if err := (attack.Params{Kind: kind, Steps: p.Steps, Alpha: p.Alpha}).Validate(); err != nil {
			return err
		}
	}
	def, err := parseDefence(*defSpec)
	if err != nil {
		return err
	}

	m, err := cnn.Load(*clfPath)
	if err != nil {
		return err
	}
	data, err := loadImages(*images, *split)
	if err != nil {
		return err
	}
	x, y := data.Images, data.Labels
	if *n > 0 && *n < x.Rows {
		x, y = spread(data, *n)
	}
	if x.Rows == 0 {
		return fmt.Errorf("%s: no images to attack", data.Source)
	}
	proj, defName, err := loadDefence(env, def, *images, *cacheDir)
	if err != nil {
		return err
	}

	var target attack.Classifier = m
	if *adaptive {
		target = attack.Defended{Clf: m, Proj: proj}
	}
	name := attackTitle(kind, *adaptive)
	fmt.Fprintf(env.Stderr, "sweep: %s, %d ε values in [%s, %s], %d images (%s), defence %s\n",
		name, len(eps), pixelString(eps[0]), pixelString(eps[len(eps)-1]), x.Rows, data.Source, defName)
	start, cpu0 := time.Now(), processCPU()
	cleanOK := 0
	for i, c := range m.Predict(x) {
		if c == y[i] {
			cleanOK++
		}
	}
	bar := progress.New(env.Stderr, "sweep", float64(len(eps)*x.Rows))
	res, err := attack.SweepWith(env.Ctx, target, proj, x, y, eps, p, func(done, total int) {
		bar.Update(float64(done), fmt.Sprintf("%d/%d ε", done/x.Rows, len(eps)))
	})
	if err != nil {
		fmt.Fprintln(env.Stderr)
		return err
	}
	bar.Done(fmt.Sprintf("%d/%d ε", len(eps), len(eps)))
	secs, cpu := time.Since(start).Seconds(), (processCPU() - cpu0).Seconds()

	if err := atomicfile.Write(*out, func(w io.Writer) error { return writeCases(w, res) }); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s\n", *out)
	if *plotPath != "" {
		title := fmt.Sprintf("CIFAR-10 cases A–D under %s · defence: %s", name, defName)
		if err := writeCasesPlot(*plotPath, res, title, true); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "wrote %s\n", *plotPath)
	}
	clean := float64(cleanOK) / float64(x.Rows)
	for i, c := range res.Counts {
		nf := float64(res.N)
		fmt.Fprintf(env.Stdout, "eps=%.6f (%s) clean_acc=%.4f attacked_acc=%.4f defended_acc=%.4f\n",
			res.Eps[i], pixelString(res.Eps[i]), clean, float64(c[1]+c[3])/nf, float64(c[0]+c[1])/nf)
	}
	fmt.Fprintf(env.Stdout, "total %.2f s (process CPU %.2f s; clean predictions, attack, cases)\n", secs, cpu)
	return nil
}

// spread returns n images evenly spaced over s (image i·len/n for i < n) and their labels.
func spread(s *cifar.Set, n int) (nn.Mat, []int32) {
	x := nn.NewMat(n, s.Images.Cols)
	y := make([]int32, n)
	for i := range y {
		r := i * s.Len() / n
		copy(x.Row(i), s.Images.Row(r))
		y[i] = s.Labels[r]
	}
	return x, y
}

// parseDefence reads --defence: pca:D or mflow:CKPT (sim/gallery.ParseDefence, the engine's
// own parser, so the app and the commands accept the same values).
func parseDefence(s string) (gallery.Defence, error) {
	d, err := gallery.ParseDefence(s)
	if err != nil {
		return d, fmt.Errorf("--%w", err) // "--defence "pca:0": …"
	}
	return d, nil
}

// loadDefence builds the projection of d with the engine's loader (sim/gallery.LoadDefence):
// the PCA fitted on the train split of the images at path (cached in cacheDir, default the
// user's PCA cache), with a progress bar for a fresh fit, or the image M-Flow checkpoint.
func loadDefence(env *Env, d gallery.Defence, path, cacheDir string) (attack.Projector, string, error) {
	var (
		train *cifar.Set
		bar   *progress.Bar
	)
	if cacheDir == "" && d.Kind == "pca" {
		var err error
		if cacheDir, err = pca.DefaultCacheDir(); err != nil {
			return nil, "", err
		}
	}
	def, err := gallery.LoadDefence(d, func() (*cifar.Set, error) {
		var err error
		train, err = loadImages(path, "train")
		return train, err
	}, cacheDir, func(stage string, done float64) {
		if bar == nil {
			fmt.Fprintf(env.Stderr, "pca: fitting %d components on %d training images (%s); cached in %s\n",
				max(d.D, pca.DefaultComponents), train.Len(), train.Source, cacheDir)
			bar = progress.New(env.Stderr, "pca fit", 1)
		}
		bar.Update(done, stage)
	})
	if bar != nil && err == nil {
		bar.Done(fmt.Sprintf("%d iterations", def.Fit.Iterations))
	}
	if err != nil {
		return nil, "", err
	}
	if def.CacheHit {
		fmt.Fprintf(env.Stderr, "pca: cached fit of %d training images (%s)\n", def.Fit.Rows, def.CachePath)
	}
	return def.Proj, def.Name, nil
}

// parsePixelRange reads --eps: start:stop:count (evenly spaced, both ends included) or a single
// value; values are numbers or fractions like 8/255.
func parsePixelRange(s string) ([]float64, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 1 && len(parts) != 3 {
		return nil, fmt.Errorf("--eps %q: want start:stop:count (e.g. 0:16/255:17) or one value (e.g. 8/255)", s)
	}
	var v [2]float64
	for i := 0; i < min(2, len(parts)); i++ {
		f, err := parsePixelValue("eps", parts[i])
		if err != nil {
			return nil, err
		}
		if f < 0 || f > attack.MaxEps {
			return nil, fmt.Errorf("--eps %q: %v out of range [0, %v]", s, f, attack.MaxEps)
		}
		v[i] = f
	}
	if len(parts) == 1 {
		return []float64{v[0]}, nil
	}
	count, err := strconv.Atoi(strings.TrimSpace(parts[2]))
	if err != nil || count < 1 || count > attack.MaxSweepEps {
		return nil, fmt.Errorf("--eps %q: count %q must be an integer in [1, %d]", s, parts[2], attack.MaxSweepEps)
	}
	if v[1] < v[0] {
		return nil, fmt.Errorf("--eps %q: stop %v is below start %v", s, v[1], v[0])
	}
	return attack.Linspace(v[0], v[1], count), nil
}

// pixelString writes ε as k/255 when it is (nearly) a whole number of grey levels, else as a
// decimal.
func pixelString(e float64) string {
	k := e * 255
	if r := math.Round(k); math.Abs(k-r) < 1e-6 {
		return fmt.Sprintf("%g/255", r)
	}
	return fmt.Sprintf("%.4g/255", k)
}
