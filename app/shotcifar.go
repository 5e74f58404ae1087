package app

import (
	"flag"
	"fmt"
	"image"
	"strconv"
	"strings"
	"time"

	"github.com/mflowlab/mflowlab/app/cli"
	"github.com/mflowlab/mflowlab/app/record"
	"github.com/mflowlab/mflowlab/app/shell"
	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/app/ws/cifar"
	"github.com/mflowlab/mflowlab/app/ws/plane"
	"github.com/mflowlab/mflowlab/app/ws/runs"
	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/ui/charts"
)

// cifarShot is what `mflowlab screenshot --workspace cifar` shows.
type cifarShot struct {
	images, classifier, defence, eps, attack string
	detail, scroll                           int
	detailEps, record                        string
	adaptive                                 bool
	seed                                     uint64
	wait                                     time.Duration
}

// modelFlags registers the data, model, defence and attack flags that screenshot and
// bench --gallery share; prefix starts their help texts (e.g. "cifar: ").
func (o *cifarShot) modelFlags(fs *flag.FlagSet, prefix string) {
	fs.StringVar(&o.images, "images", "", prefix+"CIFAR-10 data (default: the user's data folder, then the shared test batch)")
	fs.StringVar(&o.classifier, "classifier", "", prefix+"CNN checkpoint (default: the cached default CNN, trained on first use)")
	fs.StringVar(&o.defence, "defence", "", prefix+"projection defence pca:D or mflow:CKPT (default pca:64)")
	fs.StringVar(&o.attack, "attack", "", prefix+"fgsm, pgd or pgd-l2 (default pgd, 10 steps)")
}

// parseGrey reads a pixel-unit value: a number in [0, 1] or grey levels like "8/255".
func parseGrey(name, s string) (float64, error) {
	if g, ok := strings.CutSuffix(s, "/255"); ok {
		v, err := strconv.ParseFloat(g, 64)
		if err != nil || !(v >= 0 && v <= 255) {
			return 0, fmt.Errorf("--%s %q: want grey levels 0/255 to 255/255", name, s)
		}
		return v / 255, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v >= 0 && v <= 1) {
		return 0, fmt.Errorf("--%s %q: want a value in [0, 1] or grey levels like 8/255", name, s)
	}
	return v, nil
}

// settings returns the engine settings of the shot.
func (o cifarShot) settings() (cifar.Settings, error) {
	s := cifar.DefaultSettings()
	s.Images, s.Classifier, s.Seed = o.images, o.classifier, o.seed
	if o.defence != "" {
		s.Defence = o.defence
	}
	if o.attack != "" {
		k, err := attack.ParseKind(o.attack)
		if err != nil {
			return s, err
		}
		s.Attack.Kind, s.Attack.RandomStart = k, k != attack.FGSM
		if k == attack.FGSM {
			s.Attack.Steps, s.Attack.Alpha = 0, 0
		}
	}
	if o.eps != "" {
		e, err := parseGrey("eps", o.eps)
		if err != nil {
			return s, err
		}
		s.Attack.Eps = e
		if s.Attack.Kind != attack.FGSM {
			s.Attack.Alpha = e / 4
		}
	}
	return s, s.Attack.Validate()
}

// recordSlide records the detail view while its ε slider moves from 0 to --detail-eps
// (default 16/255) in steps of 1/255, one frame per position, at 6 frames a second.
func recordSlide(env *cli.Env, c *cifar.CIFAR, o cifarShot, settle func() error) error {
	top := 16.0 / 255
	if o.detailEps != "" {
		e, err := parseGrey("detail-eps", o.detailEps)
		if err != nil {
			return err
		}
		top = e
	}
	var rec *record.Recorder
	for g := 0.0; g <= top*255+1e-9; g++ {
		c.SetDetailEps(g / 255)
		if err := settle(); err != nil {
			return err
		}
		img, _ := c.Picture()
		if img == nil {
			return fmt.Errorf("record: no picture of the detail view")
		}
		if rec == nil {
			sz := img.Rect.Size()
			var err error
			if rec, err = record.NewRecorder(o.record, sz.X, sz.Y, 6); err != nil {
				return err
			}
		}
		if err := rec.Frame(img); err != nil {
			rec.Abort()
			return err
		}
	}
	if err := rec.Stop(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "screenshot: recorded %d frames of the detail view to %s\n", rec.Frames(), o.record)
	return nil
}

// screenshotCIFAR renders the CIFAR-10 workspace headlessly once the engine is done (and
// the detail view's sample computed) and writes it to out.
func screenshotCIFAR(env *cli.Env, o cifarShot, size image.Point, out string) error {
	st, err := o.settings()
	if err != nil {
		return err
	}
	u := newShell(env.Ctx, shell.Options{Sync: true}, plane.Options{Paused: true}, runs.Options{Paused: true})
	defer u.Close()
	c := u.Workspace(ws.CIFAR).(*cifar.CIFAR)
	c.Apply(st)
	c.SetAdaptive(o.adaptive)
	u.Show(ws.CIFAR, nil)
	off, err := shell.NewOffscreen(size)
	if err != nil {
		return err
	}
	defer off.Close()
	t0 := time.Now()
	deadline := t0.Add(o.wait)
	said := ""
	settle := func() error {
		for {
			if _, err := off.Frame(u); err != nil {
				return err
			}
			if c.Ready() {
				return nil
			}
			if err := env.Ctx.Err(); err != nil {
				return err
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the gallery was not ready after %v (stage: %s)", o.wait, c.Snapshot().Stage)
			}
			if s := c.Snapshot(); s != nil && s.Stage != said {
				said = s.Stage
				fmt.Fprintf(env.Stderr, "screenshot: %5.1f s %s\n", time.Since(t0).Seconds(), s.Stage)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if err := settle(); err != nil {
		return err
	}
	if s := c.Snapshot(); s.Err != nil {
		fmt.Fprintf(env.Stderr, "screenshot: the engine reports: %v\n", s.Err)
	}
	if o.detail >= 0 {
		if n := len(c.Snapshot().Samples); o.detail >= n {
			return fmt.Errorf("--detail %d: the pool has %d images", o.detail, n)
		}
		c.OpenDetail(o.detail)
		if o.record != "" {
			if err := recordSlide(env, c, o, settle); err != nil {
				return err
			}
		}
		if o.detailEps != "" {
			e, err := parseGrey("detail-eps", o.detailEps)
			if err != nil {
				return err
			}
			c.SetDetailEps(e)
		}
		if err := settle(); err != nil {
			return err
		}
	}
	if o.record != "" && o.detail < 0 {
		return fmt.Errorf("--record needs --detail N: it records the detail view while its ε slider moves")
	}
	if o.scroll > 0 {
		u.Panel().ScrollTo(o.scroll)
		if err := settle(); err != nil { // charts further down are drawn now
			return err
		}
	}
	if _, err := off.Frame(u); err != nil {
		return err
	}
	img, err := off.Screenshot()
	if err != nil {
		return err
	}
	if err := charts.SavePNG(out, img); err != nil {
		return err
	}
	s := c.Snapshot()
	a := s.Acc
	fmt.Fprintf(env.Stdout, "wrote %s (%dx%d, CIFAR-10 %s; %s; %s; %d images: clean %.3f clean_defended %.3f attacked %.3f defended %.3f attacked_adaptive %.3f defended_adaptive %.3f)\n",
		out, size.X, size.Y, c.Area(), s.Models, s.Settings.Attack.Kind, a.N, a.Clean, a.CleanDefended, a.Attacked, a.Defended, a.AttackedAdaptive, a.DefendedAdaptive)
	return nil
}
