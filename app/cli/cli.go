// Package cli implements mflowlab's subcommands (eval, train-flow, bench, …) for scripting
// and checking. Each subcommand parses its own flags and reports bad input as a clear error.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
)

// Env is what a subcommand may use: its output streams and a context cancelled on Ctrl-C.
type Env struct {
	Ctx            context.Context
	Stdout, Stderr io.Writer

	benchModes map[string]func(env *Env, args []string) error // `bench --frame`, `bench --learn`: registered as BenchFrame, BenchLearn in Extra
}

type command struct {
	summary string
	run     func(env *Env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"eval":             {"evaluate a flow (h, u, projection, log-density) or classifier on CSV points", runEval},
		"train-flow":       {"train an M-Flow on Two Spirals headless and write a checkpoint", runTrainFlow},
		"bench":            {"measure training-step speed (config=NAME step_ms=… samples_per_s=…)", runBench},
		"train-classifier": {"train the Two Spirals MLP classifier headless and write a checkpoint", runTrainClassifier},
		"train-cnn":        {"train the CIFAR-10 CNN (the PyTorch yardstick) headless and write a checkpoint (.mfl or .pt)", runTrainCNN},
		"sweep":            {"count the attack/defence cases A–D over a range of ε (CSV, optional PNG chart)", runSweep},
		"runs":             {"train many seeds and give each run a verdict (learned/partial/failed/diverged); `runs merge` joins shards", runRuns},
		"data":             {"download a data set: `data cifar10` fetches the official CIFAR-10 archive (resumable, MD5-checked)", runData},
		"gallery":          {"render a contact sheet of CIFAR-10 images: original, adversarial, perturbation, projected, with predictions and cases A–D", runGallery},
		"train-image-flow": {"train an image M-Flow (d-dimensional manifold) on CIFAR-10 and write a checkpoint", runTrainImageFlow},
		"record":           {"render an animation (training, level set, boundary, projection, attack) to GIF, MP4 or PNG frames", runRecord},
	}
}

// Register adds subcommands implemented elsewhere (the app's screenshot, record, …).
type Extra map[string]struct {
	Summary string
	Run     func(env *Env, args []string) error
}

// Main runs the subcommand named by args[0] and returns the process exit code.
func Main(args []string, extra Extra) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	env := &Env{Ctx: ctx, Stdout: os.Stdout, Stderr: os.Stderr}
	cmds := commands()
	env.benchModes = map[string]func(env *Env, args []string) error{}
	for name, e := range extra {
		if name == BenchFrame || name == BenchLearn || name == BenchGallery {
			env.benchModes[name] = e.Run
			continue
		}
		cmds[name] = command{e.Summary, e.Run}
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stderr, cmds)
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "mflowlab: unknown command %q\n\n", args[0])
		usage(env.Stderr, cmds)
		return 2
	}
	if err := c.run(env, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(env.Stderr, "\nmflowlab %s: interrupted; no output written\n", args[0])
			return 130
		}
		fmt.Fprintf(env.Stderr, "mflowlab %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: mflowlab [app flags]          open the app (mflowlab -h lists its flags)\n       mflowlab COMMAND [flags]      run a command (COMMAND -h for its flags)\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-17s %s\n", n, cmds[n].summary)
	}
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(env *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("mflowlab "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return nil
}
