package cli

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mflowlab/mflowlab/app/record"
	"github.com/mflowlab/mflowlab/app/record/anim"
	"github.com/mflowlab/mflowlab/assets"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/internal/progress"
	"github.com/mflowlab/mflowlab/internal/testref"
)

// referenceFlow is the default trained flow of the record scenes, relative to the shared
// folder: checkpoint D, the smoothest of the original runs.
const referenceFlow = "reference/checkpoints/spiral_mflow_D.pt"

// fallbackFlowSteps is how long a flow is trained when no trained flow is at hand.
const fallbackFlowSteps = 600

func runRecord(env *Env, args []string) error {
	fs := newFlags(env, "record")
	sceneName := fs.String("scene", anim.Training, "what to animate: "+strings.Join(anim.Names(), ", "))
	out := fs.String("out", "", "output: FILE.gif, FILE.mp4 (needs ffmpeg) or a folder of PNG frames")
	flowPath := fs.String("flow", "", "trained M-Flow for levelset, projection and attack (default: reference checkpoint D, else a flow trained first)")
	clfPath := fs.String("classifier", "", "classifier checkpoint (default: the embedded one)")
	seed := fs.Uint64("seed", 1, "seed of the data, the training and the chosen points")
	frames := fs.Int("frames", 120, "number of frames")
	fps := fs.Int("fps", 30, "frames per second")
	sizeS := fs.String("size", "800x800", "frame size WIDTHxHEIGHT in pixels")
	steps := fs.Int("steps", 0, "training, boundary and runs scenes: training steps covered (0: the scene's default)")
	rangeS := fs.String("range", strconv.FormatFloat(anim.DefaultLevelRange, 'g', -1, 64),
		"levelset scene: sweep the latent line v = c from -R to R and back; \"auto\" picks R from the flow so that the line stays in view")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("usage: mflowlab record --scene " + strings.Join(anim.Names(), "|") + " --out FILE.gif|FILE.mp4|DIR [--frames N] [--fps N] [--size WxH] [--range R|auto]")
	}
	if !slices.Contains(anim.Names(), *sceneName) {
		return fmt.Errorf("--scene %q: want one of %s", *sceneName, strings.Join(anim.Names(), ", "))
	}
	w, h, err := parseFrameSize(*sizeS)
	if err != nil {
		return err
	}
	if *frames < 1 || *frames > anim.MaxFrames {
		return fmt.Errorf("--frames %d out of range [1, %d]", *frames, anim.MaxFrames)
	}
	if *fps < 1 || *fps > record.MaxFPS {
		return fmt.Errorf("--fps %d out of range [1, %d]", *fps, record.MaxFPS)
	}
	if *steps < 0 || *steps > anim.MaxSteps {
		return fmt.Errorf("--steps %d out of range [0, %d]", *steps, anim.MaxSteps)
	}
	if err := record.CheckSize(*out, w, h, *fps); err != nil {
		return err
	}
	levelRange, err := parseRange(*rangeS)
	if err != nil {
		return err
	}
	rangeSet := false
	fs.Visit(func(f *flag.Flag) { rangeSet = rangeSet || f.Name == "range" })
	if rangeSet && *sceneName != anim.LevelSet {
		return fmt.Errorf("--range applies to the %s scene only", anim.LevelSet)
	}
	if *flowPath != "" && !anim.NeedsFlow(*sceneName) {
		return fmt.Errorf("--flow: the %s scene trains its own model; --flow applies to %s, %s and %s", *sceneName, anim.LevelSet, anim.Projection, anim.Attack)
	}

	// Open the output first: a bad path fails before any model is loaded or trained.
	rec, err := record.NewRecorder(*out, w, h, *fps)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := recordScene(env, rec, *sceneName, *flowPath, *clfPath, anim.Options{Seed: *seed, Frames: *frames, W: w, H: h, Steps: *steps, Range: levelRange}); err != nil {
		rec.Abort()
		if env.Ctx.Err() != nil {
			return env.Ctx.Err()
		}
		return err
	}
	if err := rec.Stop(); err != nil {
		return err
	}
	size := ""
	if fi, err := os.Stat(*out); err == nil && !fi.IsDir() {
		size = fmt.Sprintf(", %.2f MB", float64(fi.Size())/1e6)
	}
	fmt.Fprintf(env.Stdout, "wrote %s (%s, %d frames of %dx%d at %d fps%s) in %.1f s\n",
		*out, record.FormatOf(*out), rec.Frames(), w, h, *fps, size, time.Since(start).Seconds())
	return nil
}

// recordScene loads or makes the models the scene needs and records its frames into rec.
func recordScene(env *Env, rec *record.Recorder, name, flowPath, clfPath string, o anim.Options) error {
	var err error
	if o.Data, err = anim.DefaultData(o.Seed); err != nil {
		return err
	}
	if clfPath != "" {
		o.Clf, err = classify.LoadAny(clfPath)
	} else {
		o.Clf, err = classify.Parse(assets.ClassifierName, assets.Classifier())
	}
	if err != nil {
		return err
	}
	if anim.NeedsFlow(name) {
		if o.Flow, err = recordFlow(env, flowPath, o); err != nil {
			return err
		}
	}
	return recordFrames(env, rec, name, o)
}

// recordFrames draws the scene's frames into rec with a progress bar, stopping on Ctrl-C.
func recordFrames(env *Env, rec *record.Recorder, name string, o anim.Options) error {
	m, err := anim.New(name, o)
	if err != nil {
		return err
	}
	defer m.Close()
	bar := progress.New(env.Stderr, "record "+name, float64(m.Len()))
	img := image.NewRGBA(image.Rect(0, 0, o.W, o.H))
	for i := 0; i < m.Len(); i++ {
		if err := env.Ctx.Err(); err != nil {
			fmt.Fprintln(env.Stderr)
			return err
		}
		if err := m.Next(img); err != nil {
			fmt.Fprintln(env.Stderr)
			return err
		}
		if err := rec.Frame(img); err != nil {
			fmt.Fprintln(env.Stderr)
			return err
		}
		bar.Update(float64(i+1), fmt.Sprintf("frame %d/%d", i+1, m.Len()))
	}
	bar.Done(fmt.Sprintf("%d frames", m.Len()))
	return nil
}

// recordFlow returns the flow to animate: the given checkpoint, else the reference
// checkpoint D, else a live flow trained for a few hundred steps (saying so).
func recordFlow(env *Env, path string, o anim.Options) (*flow.MFlow, error) {
	if path != "" {
		ck, err := flow.LoadCheckpoint(path)
		if err != nil {
			return nil, err
		}
		return ck.Flow, nil
	}
	if p := findReference(referenceFlow); p != "" {
		ck, err := flow.LoadCheckpoint(p)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(env.Stderr, "record: flow: reference checkpoint D (%s)\n", p)
		return ck.Flow, nil
	}
	fmt.Fprintf(env.Stderr, "record: no --flow and no reference checkpoint found: training a live flow for %d steps first\n", fallbackFlowSteps)
	bar := progress.New(env.Stderr, "train-flow", fallbackFlowSteps)
	f, err := anim.TrainFlow(env.Ctx, o.Data, o.Seed, fallbackFlowSteps, func(step int) {
		bar.Update(float64(step), fmt.Sprintf("step %d/%d", step, fallbackFlowSteps))
	})
	if err != nil {
		fmt.Fprintln(env.Stderr)
		return nil, err
	}
	bar.Done("trained")
	return f, nil
}

// findReference returns the path of rel in the shared reference folder — found from the
// working directory (see internal/testref) or beside the folder holding the executable —
// or "" if it is in neither.
func findReference(rel string) string {
	var dirs []string
	if dir, err := testref.Find(); err == nil {
		dirs = append(dirs, dir)
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Join(filepath.Dir(exe), "..", "shared"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, rel)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return filepath.Clean(p)
		}
	}
	return ""
}

// parseRange reads the --range flag: a positive number, or "auto" (anim.AutoLevelRange).
func parseRange(s string) (float64, error) {
	if strings.EqualFold(strings.TrimSpace(s), "auto") {
		return anim.AutoLevelRange, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(v > 0 && v <= anim.MaxLevelRange) {
		return 0, fmt.Errorf("--range %q: want a number in (0, %d] or auto", s, anim.MaxLevelRange)
	}
	return v, nil
}

// parseFrameSize reads "WxH" within the recorder's limits.
func parseFrameSize(s string) (w, h int, err error) {
	a, b, ok := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.Atoi(a)
	h, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("--size %q: want WIDTHxHEIGHT, e.g. 800x800", s)
	}
	if w < anim.MinSide || h < anim.MinSide || w > record.MaxSide || h > record.MaxSide {
		return 0, 0, fmt.Errorf("--size %q: each side must be between %d and %d pixels", s, anim.MinSide, record.MaxSide)
	}
	return w, h, nil
}
