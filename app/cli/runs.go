package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/atomicfile"
	"github.com/mflowlab/mflowlab/internal/progress"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/sim/study"
)

// Defaults of `mflowlab runs`: the app's default data (4 000 generated points, noise 3,
// 1.2 rotations, data seed 1) and budget.
const (
	runsDefaultSteps = 4000
	runsDataN        = 4000
	runsDataNoise    = 3
	runsDataSeed     = 1
	// a data file counts as Two Spirals with the standard curve when every point lies
	// this close to it (the generator's noise reaches 0.03·√2 ≈ 0.042)
	runsCurveFit = 0.05
)

const runsUsage = `usage: mflowlab runs --seeds LIST --out runs.csv [flags]
       mflowlab runs merge PART.csv… --out runs.csv

Trains one M-Flow per seed on the same data and gives each run a verdict with the metric of
spec/instability.md: d2m95 (95th percentile of |project(x) − x| over the data) and core m2d95
(length-weighted 95th percentile of the learned curve's distance to the data's noiseless
curve between the data's ends). learned ⇔ both ≤ 0.05; failed ⇔ d2m95 ≥ 0.15; partial
otherwise; diverged when training diverged. Without a known curve (--curve none, or a data
file that is not the standard spiral) the verdict rests on d2m95 alone and the curve column
says "none".

Runs are measured every --check-every steps and at the end; learned_step and learned_secs are
the first measurement at which a run counted as learned. secs and learned_secs are wall-clock
seconds of training only, excluding the metric's own time. Evaluated (and saved) weights: the last weights for recipes
that train live (joint, geodesic), the best-validation model for the original recipe;
--weights best-fit hands over the weights of the best of the data's own fit measurements
(d2m95 on the validation rows every --fit-every steps; no knowledge of the true curve).

Each run trains on one goroutine, so its numbers are the same whatever --jobs is.
--shard i/N runs every N-th seed of the list starting at the i-th (0-based); join the parts
with "mflowlab runs merge". Ctrl-C stops and writes no CSV or PNG.

flags:
`

// runsFlags are the parsed flags of `mflowlab runs`.
type runsFlags struct {
	seeds, config, recipe, data, curve, out, save, grid, shard string
	weights, perms                                             string
	steps, epochs, checkEvery, jobs, n, fitEvery               int
	noise, rotations                                           float64
	dataSeed                                                   uint64
	set                                                        map[string]bool
	stepsS, hidden, blocks, bins, batch                        int
	lr, clip, nllW                                             float64
	starts, startSteps, unroll, align                          int
	anchor, jointLR                                            float64
}

func runRuns(env *Env, args []string) error {
	if len(args) > 0 && args[0] == "merge" {
		return runRunsMerge(env, args[1:])
	}
	fs := newFlags(env, "runs")
	fs.Usage = func() { fmt.Fprint(env.Stderr, runsUsage); fs.PrintDefaults() }
	var f runsFlags
	fs.StringVar(&f.seeds, "seeds", "1-10", "seeds: a list of seeds and ranges, e.g. 1-10,20,30-32")
	fs.StringVar(&f.config, "config", "live", "architecture: "+strings.Join(run.ConfigNames(), " or ")+" (S8 H32 B1 K8, or the original S16 H100 B2 K8)")
	fs.StringVar(&f.recipe, "recipe", run.DefaultRecipe, "training recipe: "+strings.Join(run.RecipeNames(), ", ")+" (default: joint for live, original for original)")
	fs.StringVar(&f.data, "data", "", "training data (x,y,label CSV or the original .pt; labels ignored); default: generated Two Spirals")
	fs.IntVar(&f.n, "n", runsDataN, "generated data: number of points")
	fs.Float64Var(&f.noise, "noise", runsDataNoise, "generated data: noise level (hundredths of a unit)")
	fs.Float64Var(&f.rotations, "rotations", quality.SpiralRotations, "generated data: turns of each arm (also the noiseless curve's)")
	fs.Uint64Var(&f.dataSeed, "data-seed", runsDataSeed, "generated data: seed (the same data for every run)")
	fs.StringVar(&f.curve, "curve", "auto", "noiseless curve for core m2d95: auto (generated data, or a data file whose points all lie within 0.05 of the standard spiral), spiral, none")
	fs.IntVar(&f.steps, "steps", 0, "budget: optimisation steps per run (default 4000 for live-trained recipes; the original recipe runs its 35 epochs)")
	fs.IntVar(&f.epochs, "epochs", 0, "budget: epochs per run instead of --steps")
	fs.IntVar(&f.checkEvery, "check-every", 250, "measure every K steps (and at the end); 0: only at the end")
	fs.IntVar(&f.jobs, "jobs", runtime.NumCPU(), "runs trained at the same time")
	fs.StringVar(&f.out, "out", "", "runs CSV to write (one row per seed)")
	fs.StringVar(&f.save, "save", "", "folder for each run's evaluated weights, seed-N.mfl")
	fs.StringVar(&f.grid, "grid", "", "PNG of the runs as small multiples")
	fs.StringVar(&f.shard, "shard", "", "run only shard i/N of the seeds (0 ≤ i < N)")
	fs.IntVar(&f.stepsS, "steps-s", 0, "override: coupling steps S")
	fs.IntVar(&f.hidden, "hidden", 0, "override: conditioner width H")
	fs.IntVar(&f.blocks, "blocks", 0, "override: residual blocks B")
	fs.IntVar(&f.bins, "bins", 0, "override: spline bins K")
	fs.StringVar(&f.perms, "perms", "", "override: permutations between couplings: alternate (consecutive couplings transform the two coordinates in turn) or random (drawn from the seed, as the original code)")
	fs.IntVar(&f.batch, "batch", 0, "override: batch size")
	fs.Float64Var(&f.lr, "lr", 0, "override: Adam learning rate")
	fs.Float64Var(&f.clip, "clip", 0, "override: gradient-norm clipping (0 = off)")
	fs.Float64Var(&f.nllW, "nll-weight", 0, "override: weight of the PIE likelihood")
	fs.IntVar(&f.starts, "starts", 0, "override (geodesic recipe): candidate starts")
	fs.IntVar(&f.startSteps, "start-steps", 0, "override (geodesic recipe): regression steps per start")
	fs.IntVar(&f.unroll, "unroll", 0, "override (geodesic recipe): unrolling steps on the best start")
	fs.IntVar(&f.align, "align", 0, "override (geodesic recipe): aligning steps")
	fs.Float64Var(&f.jointLR, "joint-lr", 0, "override (geodesic recipe): learning rate of the joint phase")
	fs.StringVar(&f.weights, "weights", "", "override: weights evaluated and saved: last, best-validation or best-fit (the best of the data's own d2m95 on the validation rows, measured every --fit-every steps)")
	fs.IntVar(&f.fitEvery, "fit-every", 0, "override: steps between the fit measurements of --weights best-fit (default 250)")
	fs.Float64Var(&f.anchor, "anchor", 0, "override (geodesic recipe): weight of the h_M regression in the joint phase")
	if err := parse(fs, args); err != nil {
		return err
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	spec, seeds, shard, err := f.prepare()
	if err != nil {
		return err
	}
	return f.execute(env, spec, seeds, shard)
}

// prepare checks the flags and builds the study.
func (f *runsFlags) prepare() (*study.Spec, []uint64, study.Shard, error) {
	fail := func(format string, a ...any) (*study.Spec, []uint64, study.Shard, error) {
		return nil, nil, study.Shard{}, fmt.Errorf(format, a...)
	}
	if f.out == "" {
		return fail("need --out runs.csv")
	}
	seeds, err := study.ParseSeeds(f.seeds)
	if err != nil {
		return fail("--seeds: %v", err)
	}
	shard := study.All
	if f.shard != "" {
		if shard, err = study.ParseShard(f.shard); err != nil {
			return fail("--shard: %v", err)
		}
	}
	switch {
	case f.steps < 0:
		return fail("--steps %d: want a positive number of steps", f.steps)
	case f.epochs < 0:
		return fail("--epochs %d: want a positive number of epochs", f.epochs)
	case f.set["steps"] && f.set["epochs"]:
		return fail("--steps and --epochs both given: give one budget")
	case f.set["steps"] && f.steps == 0, f.set["epochs"] && f.epochs == 0:
		return fail("a budget of 0: want at least one step or epoch")
	case f.checkEvery < 0:
		return fail("--check-every %d: want ≥ 0 (0: measure only at the end)", f.checkEvery)
	case f.jobs < 1:
		return fail("--jobs %d: want at least 1", f.jobs)
	case f.grid != "" && !strings.EqualFold(filepath.Ext(f.grid), ".png"):
		return fail("--grid %s: only PNG is written; name the file *.png", f.grid)
	case f.curve != "auto" && f.curve != "spiral" && f.curve != "none":
		return fail("--curve %q: want auto, spiral or none", f.curve)
	}
	rec, err := run.LookupRecipe(f.config, f.recipe)
	if err != nil {
		return fail("--config/--recipe: %v", err)
	}
	s, _ := run.RecipeSettings(f.config, f.recipe)
	if err := f.override(&s); err != nil {
		return fail("%v", err)
	}
	w := rec.Weights
	if f.set["weights"] {
		if w, err = run.ParseWeights(f.weights); err != nil {
			return fail("--weights: %v", err)
		}
	}
	if f.set["fit-every"] {
		if w != run.WeightsBestFit {
			return fail("--fit-every applies to --weights best-fit")
		}
		if f.fitEvery < 1 {
			return fail("--fit-every %d: want at least 1 step", f.fitEvery)
		}
		s.Train.FitEvery = f.fitEvery
	}
	spec := &study.Spec{Config: f.config, Recipe: rec.Name, Settings: s, Weights: w,
		Steps: f.steps, Epochs: f.epochs, CheckEvery: f.checkEvery}
	if !f.set["steps"] && !f.set["epochs"] && w != run.WeightsBest {
		spec.Steps = runsDefaultSteps
	}
	if spec.Data, spec.Curve, err = f.loadData(); err != nil {
		return fail("%v", err)
	}
	if err := spec.Validate(); err != nil {
		return fail("%v", err)
	}
	return spec, seeds, shard, nil
}

// override applies the architecture and hyper-parameter flags that were given.
func (f *runsFlags) override(s *run.Settings) error {
	for _, o := range []struct {
		name     string
		dst, src *int
	}{
		{"steps-s", &s.Flow.Steps, &f.stepsS}, {"hidden", &s.Flow.Hidden, &f.hidden},
		{"blocks", &s.Flow.Blocks, &f.blocks}, {"bins", &s.Flow.Bins, &f.bins}, {"batch", &s.Train.Batch, &f.batch},
		{"starts", &s.Train.Starts, &f.starts}, {"start-steps", &s.Train.StartSteps, &f.startSteps},
		{"unroll", &s.Train.Unroll, &f.unroll}, {"align", &s.Train.Align, &f.align},
	} {
		if f.set[o.name] {
			*o.dst = *o.src
		}
	}
	switch {
	case !f.set["perms"]:
	case f.perms == "alternate", f.perms == "random":
		s.Flow.Alternate = f.perms == "alternate"
	default:
		return fmt.Errorf("--perms %q: want alternate or random", f.perms)
	}
	for _, o := range []struct {
		name     string
		dst, src *float64
	}{{"lr", &s.Train.LR, &f.lr}, {"clip", &s.Train.Clip, &f.clip}, {"nll-weight", &s.Train.NLLWeight, &f.nllW},
		{"anchor", &s.Train.Anchor, &f.anchor}, {"joint-lr", &s.Train.JointLR, &f.jointLR}} {
		if f.set[o.name] {
			*o.dst = *o.src
		}
	}
	return s.Validate()
}

// loadData returns the training points and, when known, the noiseless curve's index.
func (f *runsFlags) loadData() (nn.Mat, *quality.Index, error) {
	var ds *spirals.Dataset
	var err error
	if f.data != "" {
		if ds, err = spirals.Load(f.data); err != nil {
			return nn.Mat{}, nil, fmt.Errorf("--data: %w", err)
		}
	} else if ds, err = spirals.Generate(f.n, f.noise, f.rotations, f.dataSeed); err != nil {
		return nn.Mat{}, nil, fmt.Errorf("generated data (--n, --noise, --rotations): %w", err)
	}
	data, err := run.FromDataset(ds)
	if err != nil {
		return nn.Mat{}, nil, fmt.Errorf("--data %s: %w", f.data, err)
	}
	if f.curve == "none" {
		return data, nil, nil
	}
	pts, err := quality.SpiralCurve(f.rotations, quality.SpiralArmPoints)
	if err != nil {
		return nn.Mat{}, nil, fmt.Errorf("--rotations: %w", err)
	}
	ix := quality.NewIndex(pts)
	if f.curve == "auto" && f.data != "" {
		hint := -1
		for i := 0; i < data.Rows; i++ {
			if ix.DistanceHint(float64(data.Data[2*i]), float64(data.Data[2*i+1]), &hint) > runsCurveFit {
				return data, nil, nil // not the standard spiral: no known curve
			}
		}
	}
	return data, ix, nil
}

// execute runs the study and writes its outputs.
func (f *runsFlags) execute(env *Env, spec *study.Spec, all []uint64, shard study.Shard) error {
	seeds := shard.Pick(all)
	if len(seeds) == 0 {
		return fmt.Errorf("--shard %v: no seeds in this shard of %d", shard, len(all))
	}
	if f.save != "" {
		if err := os.MkdirAll(f.save, 0o755); err != nil {
			return fmt.Errorf("--save: %w", err)
		}
	}
	curveNote := "core m2d95 against the noiseless spiral"
	if spec.Curve == nil {
		curveNote = "no curve: verdicts from d2m95 only"
	}
	fmt.Fprintf(env.Stderr, "runs: %d seeds (shard %v), config %s (%v), recipe %s (%s weights), %s, %d points; %s\n",
		len(seeds), shard, spec.Config, spec.Settings.Flow, spec.Recipe, spec.Weights, budgetText(spec), spec.Data.Rows, curveNote)

	var (
		mu    sync.Mutex
		cells = map[uint64]*gridCell{}
		c     study.Counter
	)
	done := func(r study.Result, m *flow.MFlow) error {
		if f.save != "" {
			ck := &flow.Checkpoint{Flow: m, Info: map[string]string{"seed": strconv.FormatUint(r.Seed, 10),
				"config": spec.Config, "recipe": spec.Recipe, "weights": spec.Weights.String(),
				"steps": strconv.Itoa(r.Steps), "verdict": r.Verdict.String()}}
			if err := ck.Save(filepath.Join(f.save, fmt.Sprintf("seed-%d.mfl", r.Seed))); err != nil {
				return fmt.Errorf("--save: %w", err)
			}
		}
		if f.grid != "" {
			g := cellOf(r, m)
			mu.Lock()
			cells[r.Seed] = g
			mu.Unlock()
		}
		return nil
	}
	type outcome struct {
		res []study.Result
		err error
	}
	finished := make(chan outcome, 1)
	go func() {
		res, err := study.Run(env.Ctx, spec, seeds, f.jobs, &c, done)
		finished <- outcome{res, err}
	}()
	total := float64(len(seeds)) * float64(expectedSteps(spec))
	bar := progress.New(env.Stderr, "runs", total)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	status := func() string {
		return fmt.Sprintf("%d/%d runs, %d learned", c.Done.Load(), len(seeds), c.Learned.Load())
	}
	var o outcome
wait:
	for {
		select {
		case o = <-finished:
			break wait
		case <-tick.C:
			bar.Update(min(float64(c.Steps.Load()), total*0.999), status())
		}
	}
	if o.err != nil {
		fmt.Fprintln(env.Stderr)
		return o.err
	}
	bar.Done(status())
	rows := make([]study.Row, len(o.res))
	for i := range o.res {
		rows[i] = o.res[i].Row(spec)
	}
	if err := atomicfile.Write(f.out, func(w io.Writer) error { return study.WriteCSV(w, rows) }); err != nil {
		return err
	}
	if f.grid != "" {
		if err := writeGrid(f.grid, spec, o.res, cells, shard); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Stderr, "wrote %s", f.out)
	if f.grid != "" {
		fmt.Fprintf(env.Stderr, " and %s", f.grid)
	}
	fmt.Fprintln(env.Stderr)
	fmt.Fprintln(env.Stdout, study.Summarize(rows))
	return nil
}

// budgetText describes the run budget for the start line.
func budgetText(s *study.Spec) string {
	switch {
	case s.Epochs > 0:
		return fmt.Sprintf("%d epochs", s.Epochs)
	case s.Steps > 0:
		return fmt.Sprintf("%d steps", s.Steps)
	}
	return fmt.Sprintf("%d epochs", s.Settings.Train.Epochs)
}

// expectedSteps estimates a run's optimisation steps, for the progress bar's ETA.
func expectedSteps(s *study.Spec) int {
	tc := s.Settings.Train
	epochs := tc.Epochs
	if s.Epochs > 0 {
		epochs = s.Epochs
	}
	train := s.Data.Rows - int(math.Round(tc.ValFrac*float64(s.Data.Rows)))
	perEpoch := (train + tc.Batch - 1) / tc.Batch
	if tc.Recipe == flow.RecipeOriginal && tc.NLLWeight == 0 {
		epochs = (epochs + 1) / 2 // density epochs take no steps when their weight is 0
	}
	n := max(1, epochs*perEpoch)
	if s.Steps > 0 {
		n = min(n, s.Steps)
	}
	return n
}

// runsMergeUsage documents `mflowlab runs merge`.
const runsMergeUsage = `usage: mflowlab runs merge PART.csv… --out runs.csv

Joins the CSVs of sharded runs: every part must have the same header, no (config, recipe,
seed) may appear twice; rows are sorted by config, recipe and seed. Prints the summary line.

flags:
`

func runRunsMerge(env *Env, args []string) error {
	fs := newFlags(env, "runs merge")
	fs.Usage = func() { fmt.Fprint(env.Stderr, runsMergeUsage); fs.PrintDefaults() }
	out := fs.String("out", "", "merged runs CSV to write")
	var parts []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		parts, rest = append(parts, fs.Arg(0)), fs.Args()[1:]
	}
	if *out == "" {
		return errors.New("need --out runs.csv")
	}
	if len(parts) == 0 {
		return errors.New("no parts to merge: name the shards' CSV files")
	}
	all := make([][]study.Row, len(parts))
	for i, p := range parts {
		file, err := os.Open(p)
		if err != nil {
			return err
		}
		all[i], err = study.ReadCSV(file, p)
		file.Close()
		if err != nil {
			return err
		}
	}
	rows, err := study.Merge(parts, all)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*out, func(w io.Writer) error { return study.WriteCSV(w, rows) }); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "wrote %s (%d runs from %d parts)\n", *out, len(rows), len(parts))
	fmt.Fprintln(env.Stdout, study.Summarize(rows))
	return nil
}
