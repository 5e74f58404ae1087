package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
)

// BenchFrame is the Extra key under which the app registers `mflowlab bench --frame`: the
// full-window frame-time measurement. Its Run gets the arguments without --frame.
const BenchFrame = "bench --frame"

// BenchLearn is the Extra key under which the app registers `mflowlab bench --learn`: the
// seconds until the window's live training is measured learned, per seed. Its Run gets the
// arguments without --learn.
const BenchLearn = "bench --learn"

// BenchGallery is the Extra key under which the app registers `mflowlab bench --gallery`:
// the CIFAR-10 gallery's refresh time (engine) and the window's frame time meanwhile. Its
// Run gets the arguments without --gallery.
const BenchGallery = "bench --gallery"

func runBench(env *Env, args []string) error {
	for i, a := range args {
		var mode string
		switch a {
		case "--frame", "-frame":
			mode = BenchFrame
		case "--learn", "-learn":
			mode = BenchLearn
		case "--gallery", "-gallery":
			mode = BenchGallery
		case "--cnn", "-cnn":
			return benchCNN(env, append(args[:i:i], args[i+1:]...))
		default:
			continue
		}
		run := env.benchModes[mode]
		if run == nil {
			return fmt.Errorf("%s: this build has no app to measure", a)
		}
		return run(env, append(args[:i:i], args[i+1:]...))
	}
	fs := newFlags(env, "bench")
	cfgName := fs.String("config", "original", "training-step configuration: "+strings.Join(benchNames(), "|")+"|all")
	iters := fs.Int("iters", 30, "measured steps after 3 warm-up steps")
	seed := fs.Uint64("seed", 1, "seed of the model and data")
	fs.Bool("frame", false, "measure the app's full-window frame time instead (mflowlab bench --frame -h)")
	fs.Bool("learn", false, "measure the seconds until the window's live training is learned, per seed (mflowlab bench --learn -h)")
	fs.Bool("gallery", false, "measure the CIFAR-10 gallery instead: refresh_ms after an ε change and frame_ms meanwhile (mflowlab bench --gallery -h)")
	fs.Bool("cnn", false, "measure the CIFAR-10 CNN instead: per-layer times and training images/s (mflowlab bench --cnn -h)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *iters < 1 || *iters > 100000 {
		return fmt.Errorf("--iters %d out of range [1, 100000]", *iters)
	}
	names := []string{*cfgName}
	if *cfgName == "all" {
		names = benchNames()
	}
	for _, n := range names {
		bc, ok := flow.BenchConfigs()[n]
		if !ok {
			return fmt.Errorf("unknown --config %q (want %s or all)", n, strings.Join(benchNames(), ", "))
		}
		if err := env.Ctx.Err(); err != nil {
			return err
		}
		r, err := flow.BenchTrainingStep(bc, *iters, *seed)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s backend=%s simd=%s\n", r, nn.Backend, nn.LevelName(nn.SIMD()))
	}
	return nil
}

func benchNames() []string {
	var n []string
	for k := range flow.BenchConfigs() {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}
