package cli

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/progress"
	"github.com/mflowlab/mflowlab/sim/cifar"
	sgal "github.com/mflowlab/mflowlab/sim/gallery"
	"github.com/mflowlab/mflowlab/ui/charts"
	"github.com/mflowlab/mflowlab/ui/gallery"
)

// galleryChunk is how many images one attack.Run call of the gallery handles (a progress
// step; the chunk also seeds PGD's random start, so it is fixed).
const galleryChunk = 100

// runGallery is `mflowlab gallery`: a contact sheet of CIFAR-10 images attacked and then
// projected by the defence, with predictions per tile, the case A–D per sample and the clean,
// attacked and defended accuracies over a larger set of the same images.
func runGallery(env *Env, args []string) error {
	fs := newFlags(env, "gallery")
	images := fs.String("images", "", "CIFAR-10 data: a .bin file, a folder of them or cifar-10-binary.tar.gz (empty: the user's data folder, then the shared test batch)")
	split := fs.String("split", "eval", "images to show: train|eval|all (the PCA is fitted on the train split of the same data)")
	clfPath := fs.String("classifier", "", "CNN checkpoint (native .mfl or PyTorch .pt state_dict)")
	defSpec := fs.String("defence", "pca:64", "projection defence: pca:D (D leading components)")
	kindName := fs.String("attack", "pgd", "attack: fgsm, pgd or pgd-l2")
	epsS := fs.String("eps", "8/255", "ε in pixel units (a number or a fraction like 8/255)")
	steps := fs.Int("steps", 10, "PGD steps")
	alphaS := fs.String("alpha", "", "PGD step size in pixel units (default 2.5·ε/steps: ε/4 at 10 steps)")
	adaptive := fs.Bool("adaptive", false, "attack the defended classifier: gradients through the projection")
	n := fs.Int("n", 24, "samples on the sheet")
	accN := fs.Int("acc-n", 500, "images the accuracies are measured on (the shown ones first; at least --n)")
	seed := fs.Uint64("seed", 1, "seed of the image shuffle and of PGD's random start")
	offset := fs.Int("offset", 0, "take consecutive images from this index of the split instead of a seeded shuffle")
	columns := fs.Int("columns", 3, "samples side by side")
	scale := fs.Int("scale", 3, "nearest-neighbour upscaling of the 32×32 images")
	cacheDir := fs.String("pca-cache", "", "folder of cached PCA fits (default: mflowlab/pca in the user's cache folder)")
	out := fs.String("out", "", "PNG to write")
	if err := parse(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case *clfPath == "" || *out == "":
		return errors.New("need --classifier CNN and --out PNG")
	case !strings.EqualFold(filepath.Ext(*out), ".png"):
		return fmt.Errorf("--out %s: only PNG is written; name the file *.png", *out)
	case *n < 1 || *n > 1000:
		return fmt.Errorf("--n %d: want 1 to 1000 samples", *n)
	case *accN < 0:
		return fmt.Errorf("--acc-n %d: want 0 (the shown images) or more", *accN)
	case *offset < 0:
		return fmt.Errorf("--offset %d: want an index ≥ 0", *offset)
	case *columns < 1 || *columns > 64:
		return fmt.Errorf("--columns %d: want 1 to 64", *columns)
	case *scale < 1 || *scale > 16:
		return fmt.Errorf("--scale %d: want 1 to 16", *scale)
	}
	kind, err := attack.ParseKind(*kindName)
	if err != nil {
		return err
	}
	eps, err := parsePixelValue("eps", *epsS)
	if err != nil {
		return err
	}
	p := attack.Params{Kind: kind, Eps: eps, Steps: *steps, RandomStart: kind != attack.FGSM,
		Box: &attack.Box{Min: []float64{0}, Max: []float64{1}}}
	if kind != attack.FGSM {
		p.Alpha = 2.5 * eps / float64(max(1, *steps))
		if *alphaS != "" {
			if p.Alpha, err = parsePixelValue("alpha", *alphaS); err != nil {
				return err
			}
		}
	} else if set["steps"] || set["alpha"] {
		return errors.New("--steps and --alpha apply to pgd and pgd-l2, not fgsm")
	}
	if err := p.Validate(); err != nil {
		return err
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
	rows, err := pickImages(data.Len(), max(*n, *accN), *seed, *offset, set["offset"])
	if err != nil {
		return fmt.Errorf("%s: %w", data.Source, err)
	}
	x := nn.NewMat(len(rows), cifar.Pixels)
	y := make([]int32, len(rows))
	for i, r := range rows {
		copy(x.Row(i), data.Images.Row(r))
		y[i] = data.Labels[r]
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
	fmt.Fprintf(env.Stderr, "gallery: %s at ε = %s on %d images (%s), defence %s\n", name, pixelString(eps), x.Rows, data.Source, defName)
	bar := progress.New(env.Stderr, "gallery "+kind.String(), float64(x.Rows))
	adv, err := attackImages(env, target, x, y, p, *seed, galleryChunk, bar)
	if err != nil {
		return err
	}
	bar.Done("")
	projAdv := proj.Project(nn.Mat{}, adv)
	projClean := proj.Project(nn.Mat{}, x)

	predClean, predAdv, predProj, predProjClean := m.Predict(x), m.Predict(adv), m.Predict(projAdv), m.Predict(projClean)
	var okClean, okAdv, okProj, okProjClean int
	var cases [4]int
	for i, l := range y {
		okClean += b2i(predClean[i] == l)
		okAdv += b2i(predAdv[i] == l)
		okProj += b2i(predProj[i] == l)
		okProjClean += b2i(predProjClean[i] == l)
		cases[attack.CaseOf(predAdv[i] != l, predProj[i] == l)-attack.CaseA]++
	}
	acc := func(k int) float64 { return float64(k) / float64(len(y)) }
	fmt.Fprintf(env.Stdout, "images=%d eps=%.6f (%s) clean_acc=%.4f attacked_acc=%.4f defended_acc=%.4f defended_clean_acc=%.4f A=%d B=%d C=%d D=%d\n",
		len(y), eps, pixelString(eps), acc(okClean), acc(okAdv), acc(okProj), acc(okProjClean), cases[0], cases[1], cases[2], cases[3])

	shown := min(*n, x.Rows)
	samples := make([]gallery.Sample, shown)
	pc, pa, pp := m.Probs(nn.Mat{}, x.Slice(0, shown)), m.Probs(nn.Mat{}, adv.Slice(0, shown)), m.Probs(nn.Mat{}, projAdv.Slice(0, shown))
	for i := range samples {
		samples[i] = gallery.Sample{
			Index: data.Index[rows[i]], Label: y[i],
			Orig: x.Row(i), Adv: adv.Row(i), Proj: projAdv.Row(i),
			OrigP: gallery.Pred{Class: predClean[i], Conf: pc.At(i, int(predClean[i]))},
			AdvP:  gallery.Pred{Class: predAdv[i], Conf: pa.At(i, int(predAdv[i]))},
			ProjP: gallery.Pred{Class: predProj[i], Conf: pp.At(i, int(predProj[i]))},
			Case:  attack.CaseOf(predAdv[i] != y[i], predProj[i] == y[i]),
		}
	}
	settings := fmt.Sprintf("CIFAR-10 · %s ε = %s", name, pixelString(eps))
	if kind != attack.FGSM {
		settings += fmt.Sprintf(", %d steps of %s", p.Steps, pixelString(p.Alpha))
	}
	settings += fmt.Sprintf(" · defence: %s · CNN %s", defName, filepath.Base(*clfPath))
	pick := fmt.Sprintf("a seeded shuffle (seed %d)", *seed)
	if set["offset"] {
		pick = fmt.Sprintf("consecutive from #%d", *offset)
	}
	sub := []string{
		fmt.Sprintf("Accuracy over %d %s images (%s): clean %.1f%% · attacked, no defence %.1f%% · attacked, defended %.1f%% (the defence on clean images: %.1f%%) · cases A %d, B %d, C %d, D %d.",
			len(y), *split, pick, 100*acc(okClean), 100*acc(okAdv), 100*acc(okProj), 100*acc(okProjClean), cases[0], cases[1], cases[2], cases[3]),
		fmt.Sprintf("Shown: the first %d. Under each tile the CNN's class and confidence (green: the true class).", shown),
	}
	img := gallery.Render(samples, gallery.Options{Title: settings, Subtitle: sub, Classes: data.Classes,
		Scale: *scale, Columns: *columns})
	if err := charts.SavePNG(*out, img); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s (%d×%d)\n", *out, img.Rect.Dx(), img.Rect.Dy())
	return nil
}

// pickImages returns the indices of count images out of total: consecutive from offset when
// useOffset, else the first count of a seeded shuffle (the app gallery's pool for the seed,
// sim/gallery.PickImages). Fewer come back when the split is
// shorter.
func pickImages(total, count int, seed uint64, offset int, useOffset bool) ([]int, error) {
	if total == 0 {
		return nil, errors.New("no images")
	}
	if useOffset {
		if offset >= total {
			return nil, fmt.Errorf("--offset %d: only %d images", offset, total)
		}
		rows := make([]int, min(count, total-offset))
		for i := range rows {
			rows[i] = offset + i
		}
		return rows, nil
	}
	return sgal.PickImages(total, count, seed), nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
