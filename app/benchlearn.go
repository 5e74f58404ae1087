package app

import (
	"fmt"
	"image"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mflowlab/mflowlab/app/cli"
	"github.com/mflowlab/mflowlab/app/shell"
	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/app/ws/plane"
	"github.com/mflowlab/mflowlab/app/ws/runs"
	"github.com/mflowlab/mflowlab/sim/study"
	"github.com/mflowlab/mflowlab/sim/watch"
)

// learnFlags are the parsed flags of `mflowlab bench --learn`.
type learnFlags struct {
	seeds   []uint64
	timeout time.Duration
	size    image.Point
}

// parseLearnFlags reads the flags of `bench --learn` (without --learn itself).
func parseLearnFlags(env *cli.Env, args []string) (learnFlags, error) {
	fs := newFlags(env, "bench --learn")
	seedsS := fs.String("seeds", "1-10", "training seeds, e.g. 1-10,20 (each a fresh window)")
	timeout := fs.Duration("timeout", 60*time.Second, "per seed: give up when not learned this long after the window opened")
	sizeS := fs.String("size", "1280x800", "window size in pixels")
	if err := fs.Parse(args); err != nil {
		return learnFlags{}, err
	}
	if fs.NArg() > 0 {
		return learnFlags{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	var f learnFlags
	var err error
	if f.seeds, err = study.ParseSeeds(*seedsS); err != nil {
		return f, fmt.Errorf("--seeds: %w", err)
	}
	if len(f.seeds) > 1000 {
		return f, fmt.Errorf("--seeds names %d seeds; at most 1000", len(f.seeds))
	}
	if *timeout < time.Second || *timeout > 24*time.Hour {
		return f, fmt.Errorf("--timeout %v out of range [1s, 24h]", *timeout)
	}
	f.timeout = *timeout
	if f.size, err = parseSize(*sizeS); err != nil {
		return f, err
	}
	return f, nil
}

// learnResult is one seed of `bench --learn`.
type learnResult struct {
	seed    uint64
	learned bool
	secs    float64       // wall clock from opening the window to the learned measurement
	last    *watch.Status // the last measurement of the run (nil: none)
	steps   int           // steps trained when the seed ended
	err     string        // training stopped with this error
	timeout time.Duration // the limit it ran against
}

// String formats one result line: the seconds and step of learning, or why not, with the
// last measurement.
func (r learnResult) String() string {
	q := ""
	if s := r.last; s != nil && s.Measured {
		core := "none"
		if s.Result.HasCurve {
			core = fmt.Sprintf("%.4f", s.Result.M2D95Core)
		}
		q = fmt.Sprintf(" verdict=%v d2m95=%.4f m2d95core=%s", s.Verdict, s.Result.D2M95, core)
	}
	switch {
	case r.learned:
		return fmt.Sprintf("seed=%d learned_secs=%.1f learned_step=%d%s", r.seed, r.secs, r.last.LearnedStep, q)
	case r.err != "":
		return fmt.Sprintf("seed=%d not learned: training stopped at step %d (%s);%s", r.seed, r.steps, r.err, q)
	}
	return fmt.Sprintf("seed=%d not learned within %v: steps=%d%s", r.seed, r.timeout, r.steps, q)
}

// runBenchLearn opens the real window headlessly once per seed with the live default
// recipe, trains with the panel's seed and reports how long (wall clock since the window
// opened) the run took until the app's own background measurement first said learned.
func runBenchLearn(env *cli.Env, args []string) error {
	f, err := parseLearnFlags(env, args)
	if err != nil {
		return err
	}
	windowProcs()
	o, err := shell.NewOffscreen(f.size)
	if err != nil {
		return err
	}
	defer o.Close()
	var frames []time.Duration
	var secs []float64
	for _, seed := range f.seeds {
		r, err := learnSeed(env, o, seed, f.timeout, &frames)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, r)
		if r.learned {
			secs = append(secs, r.secs)
		}
	}
	med := "NA"
	if len(secs) > 0 {
		slices.Sort(secs)
		med = strconv.FormatFloat(secs[len(secs)/2], 'f', 1, 64)
		if len(secs)%2 == 0 {
			med = strconv.FormatFloat((secs[len(secs)/2-1]+secs[len(secs)/2])/2, 'f', 1, 64)
		}
	}
	fmt.Fprintf(env.Stdout, "learn_secs_median=%s learned=%d/%d frame_ms=%.2f\n", med, len(secs), len(f.seeds), median(frames))
	return nil
}

// learnSeed opens a fresh window, resets training to seed as the panel's Reset does, plays
// and draws frames at 60 Hz until the quality watcher reports learned or the timeout
// passes. Frame times are appended to frames.
func learnSeed(env *cli.Env, o *shell.Offscreen, seed uint64, timeout time.Duration, frames *[]time.Duration) (learnResult, error) {
	opened := time.Now()
	u := newShell(env.Ctx, shell.Options{}, plane.Options{Paused: true}, runs.Options{Paused: true})
	defer u.Close()
	p := u.Workspace(ws.Plane).(*plane.Plane)
	p.ResetSeed(seed)
	p.Run().Start()
	res := learnResult{seed: seed, timeout: timeout}
	for {
		if err := env.Ctx.Err(); err != nil {
			return res, err
		}
		tick := time.Now()
		d, err := o.Frame(u)
		if err != nil {
			return res, err
		}
		*frames = append(*frames, d)
		snap := p.Run().Latest()
		res.steps = snap.Step
		if st := p.Quality(); st != nil {
			res.last = st
			if st.Learned() {
				res.learned, res.secs = true, st.LearnedAt.Sub(opened).Seconds()
				return res, nil
			}
		}
		if snap.Err != nil && snap.Seed == seed {
			var msg string
			if msg = snap.Err.Error(); len(msg) > 60 {
				msg = msg[:57] + "…"
			}
			res.err = msg
			return res, nil
		}
		if time.Since(opened) >= timeout {
			return res, nil
		}
		if w := time.Until(tick.Add(ws.FrameInterval)); w > 0 {
			time.Sleep(w)
		}
	}
}
