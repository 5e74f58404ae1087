package app

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"strconv"
	"strings"
	"time"

	"gioui.org/io/pointer"

	"github.com/mflowlab/mflowlab/app/cli"
	"github.com/mflowlab/mflowlab/app/shell"
	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/app/ws/plane"
	"github.com/mflowlab/mflowlab/app/ws/runs"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/ui/charts"
)

// Commands returns the app's subcommands for cli.Main: screenshot, the frame-time
// measurement behind `mflowlab bench --frame` and the time-to-learned measurement behind
// `mflowlab bench --learn`.
func Commands() cli.Extra {
	return cli.Extra{
		"screenshot":     {Summary: "render the whole window headlessly to a PNG (after N training steps)", Run: runScreenshot},
		cli.BenchFrame:   {Summary: "measure the full window's frame time", Run: runBenchFrame},
		cli.BenchLearn:   {Summary: "measure the seconds until the window's live training is learned", Run: runBenchLearn},
		cli.BenchGallery: {Summary: "measure the CIFAR-10 gallery's refresh and frame time", Run: runBenchGallery},
	}
}

// parseSize reads "WxH".
func parseSize(s string) (image.Point, error) {
	w, h, ok := strings.Cut(strings.ToLower(s), "x")
	x, err1 := strconv.Atoi(w)
	y, err2 := strconv.Atoi(h)
	if !ok || err1 != nil || err2 != nil || x < 400 || y < 300 || x > 8192 || y > 8192 {
		return image.Point{}, fmt.Errorf("--size %q: want WIDTHxHEIGHT between 400x300 and 8192x8192", s)
	}
	return image.Pt(x, y), nil
}

func newFlags(env *cli.Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("mflowlab "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

func runScreenshot(env *cli.Env, args []string) error {
	fs := newFlags(env, "screenshot")
	out := fs.String("out", "", "PNG file to write (required)")
	flowPath := fs.String("flow", "", "show this flow checkpoint instead of training one")
	sessPath := fs.String("session", "", "show this session file (models, data, probes, attack, layers, view)")
	sizeS := fs.String("size", "1280x800", "window size in pixels")
	steps := fs.Int("steps", 1500, "training steps before the picture (ignored with --flow or --session)")
	recipe := fs.String("recipe", run.DefaultRecipe, "training recipe of the live config, as the panel's recipe row: "+strings.Join(run.RecipeNames(), ", "))
	hover := fs.String("hover", "0.62,0.38", "plane: data point under the pointer for the readout, or \"none\"")
	wsName := fs.String("workspace", ws.Plane, "workspace to show: "+workspaceNames()+" (runs: --steps trains every run of the grid)")
	var co cifarShot
	co.modelFlags(fs, "cifar: ")
	fs.StringVar(&co.eps, "eps", "", "cifar: ε in pixel units or grey levels like 8/255 (default 8/255; PGD steps of ε/4)")
	fs.IntVar(&co.detail, "detail", -1, "cifar: show the detail view of pool sample N")
	fs.StringVar(&co.record, "record", "", "cifar: with --detail, also record the detail view while its ε slider moves from 0 to --detail-eps (GIF, MP4 or a PNG folder)")
	fs.IntVar(&co.scroll, "scroll", 0, "cifar: scroll the side panel down by this many pixels (its charts)")
	fs.StringVar(&co.detailEps, "detail-eps", "", "cifar: the detail view's ε slider (default: the attack's ε)")
	fs.BoolVar(&co.adaptive, "adaptive", false, "cifar: show the adaptive attack (gradients through the defence)")
	fs.Uint64Var(&co.seed, "seed", 1, "cifar: seed of the image pool and PGD's random starts")
	fs.DurationVar(&co.wait, "wait", 15*time.Minute, "cifar: longest wait for the engine (the default CNN trains on first use)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *out == "" {
		return errors.New("usage: mflowlab screenshot --out shot.png [--workspace plane|runs|cifar] [--flow CKPT | --session FILE] [--size 1280x800] [--steps N] [cifar: --classifier CNN --images FILE --detail N]")
	}
	if !knownWorkspace(*wsName) {
		return fmt.Errorf("--workspace %q: want one of %s", *wsName, workspaceNames())
	}
	size, err := parseSize(*sizeS)
	if err != nil {
		return err
	}
	if *wsName == ws.CIFAR {
		return screenshotCIFAR(env, co, size, *out)
	}
	if *steps < 0 || *steps > 1_000_000 {
		return fmt.Errorf("--steps %d out of range [0, 1000000]", *steps)
	}
	var hx, hy float64
	hoverOn := *hover != "none"
	if hoverOn {
		if _, err := fmt.Sscanf(*hover, "%g,%g", &hx, &hy); err != nil {
			return fmt.Errorf("--hover %q: want x,y or none", *hover)
		}
	}
	var static *flow.MFlow
	if *flowPath != "" {
		c, err := flow.LoadCheckpoint(*flowPath)
		if err != nil {
			return err
		}
		static = c.Flow
	}
	if _, err := run.LookupRecipe(run.LiveConfig, *recipe); err != nil {
		return fmt.Errorf("--recipe: %w", err)
	}
	u := newShell(env.Ctx, shell.Options{Sync: true}, plane.Options{Paused: true}, runs.Options{Paused: true})
	defer u.Close()
	p := u.Workspace(ws.Plane).(*plane.Plane)
	if *recipe != run.DefaultRecipe {
		p.ChooseRecipe(*recipe)
	}
	if *sessPath != "" {
		if err := u.LoadSessionNow(*sessPath); err != nil {
			return err
		}
		if *wsName != ws.Plane {
			u.Show(*wsName, nil)
		}
	} else if *wsName == ws.Runs {
		u.Show(ws.Runs, nil)
		hoverOn = false
		if err := u.Workspace(ws.Runs).(*runs.Runs).Train(env.Ctx, *steps, env.Stderr); err != nil {
			return err
		}
	} else if static != nil {
		if err := p.Receive(&ws.FlowRef{Flow: static, Source: *flowPath}); err != nil {
			return err
		}
	} else if err := p.Train(env.Ctx, *steps, env.Stderr); err != nil {
		return err
	}
	p.SelectFirstProbe() // show a selected probe and its outcome
	o, err := shell.NewOffscreen(size)
	if err != nil {
		return err
	}
	defer o.Close()
	if _, err := o.Frame(u); err != nil {
		return err
	}
	if hoverOn {
		o.Pointer(pointer.Move, p.ToPixel(hx, hy), 0)
	}
	// Let the background chart jobs and the quality measurement finish, then draw the
	// final frame.
	deadline := time.Now().Add(2 * time.Minute)
	for !u.Current().Ready() && time.Now().Before(deadline) {
		if err := env.Ctx.Err(); err != nil {
			return err
		}
		time.Sleep(40 * time.Millisecond)
		if _, err := o.Frame(u); err != nil {
			return err
		}
	}
	if _, err := o.Frame(u); err != nil {
		return err
	}
	img, err := o.Screenshot()
	if err != nil {
		return err
	}
	if err := charts.SavePNG(*out, img); err != nil {
		return err
	}
	what := fmt.Sprintf("step %d", p.Run().Latest().Step)
	if u.Shown() == ws.Runs {
		steps, _ := u.Workspace(ws.Runs).(*runs.Runs).Trained()
		what = fmt.Sprintf("runs grid, %d steps in all", steps)
	}
	fmt.Fprintf(env.Stdout, "wrote %s (%dx%d, %s)\n", *out, size.X, size.Y, what)
	return nil
}
