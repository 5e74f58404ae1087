package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"math"
	"os"
	"runtime/pprof"
	"slices"
	"time"

	gioapp "gioui.org/app"
	"gioui.org/f32"
	"gioui.org/io/pointer"
	"gioui.org/op"
	"gioui.org/unit"

	"github.com/mflowlab/mflowlab/app/cli"
	"github.com/mflowlab/mflowlab/app/shell"
	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/app/ws/plane"
	"github.com/mflowlab/mflowlab/app/ws/runs"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/run"
)

// runBenchFrame measures the full window's frame time with every layer on, the default
// probes under PGD, and training running: headless by default, or in a real window (which
// adds presenting to the display) with --window.
func runBenchFrame(env *cli.Env, args []string) error {
	fs := newFlags(env, "bench --frame")
	sizeS := fs.String("size", "1280x800", "window size in pixels")
	frames := fs.Int("frames", 240, "measured frames")
	warm := fs.Duration("warmup", 3*time.Second, "time to let training, scenes and charts start before measuring")
	cpuProf := fs.String("cpuprofile", "", "write a CPU profile of the measured frames to this file")
	memProf := fs.String("memprofile", "", "write an allocation profile (all allocations since start) to this file")
	paused := fs.Bool("paused", false, "measure without training (the plane then changes only with the pointer)")
	window := fs.Bool("window", false, "draw in a real window (needs a display) instead of headlessly")
	wsName := fs.String("workspace", ws.Plane, "workspace shown: "+workspaceNames()+" (runs: the default 3×3 grid training flat out; cifar: the gallery with its engine at work)")
	hz := fs.Int("hz", 0, "draw at most this many frames a second, as a display paces them (0: back to back)")
	paced := fs.Bool("paced", false, "draw a frame only when the app asks for one (a background update or a timed redraw), at most 60 a second, with the pointer still: as the window draws while you watch (the default for --workspace runs; --paced=false draws back to back)")
	anchor := fs.Duration("anchor", 15*time.Second, "runs workspace: just before the frames and again after them, pause the grid and measure for this long what `mflowlab runs --jobs 2` trains headless from the same runs' weights (0: skip)")
	gridS := fs.String("grid", "", "runs workspace: the grid's shape ROWSxCOLS instead of the default 3x3 (e.g. 4x4: 16 runs, seeds 1–16; rows take the default grid's recipes in turn)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !knownWorkspace(*wsName) {
		return fmt.Errorf("--workspace %q: want one of %s", *wsName, workspaceNames())
	}
	if *wsName == ws.Runs && !flagSet(fs, "paced") && !flagSet(fs, "hz") {
		*paced = true // the grid changes a few times a second; so does the window
	}
	size, err := parseSize(*sizeS)
	if err != nil {
		return err
	}
	if *frames < 10 || *frames > 100000 {
		return fmt.Errorf("--frames %d out of range [10, 100000]", *frames)
	}
	if *hz < 0 || *hz > 1000 {
		return fmt.Errorf("--hz %d out of range [0, 1000]", *hz)
	}
	ro := runs.Options{Paused: *paused || *wsName != ws.Runs}
	if *gridS != "" {
		if *wsName != ws.Runs {
			return fmt.Errorf("--grid %s applies to --workspace runs", *gridS)
		}
		if ro.Setup, err = benchGrid(*gridS); err != nil {
			return err
		}
	}
	if *anchor < 0 || *anchor > time.Hour {
		return fmt.Errorf("--anchor %v out of range [0, 1h]", *anchor)
	}
	m := &frameMeter{u: nil, want: *frames, warm: *warm, ws: *wsName, hz: *hz, paced: *paced, anchorFor: *anchor, ctx: env.Ctx}
	if *cpuProf != "" {
		pf, err := os.Create(*cpuProf)
		if err != nil {
			return err
		}
		defer pf.Close()
		m.prof = pf
	}
	windowProcs()
	po := plane.Options{Paused: *paused || *wsName != ws.Plane, AllLayers: true}
	if *window {
		err = benchWindow(env, size, po, ro, m)
	} else {
		err = benchOffscreen(env, size, po, ro, m)
	}
	if err != nil {
		return err
	}
	if m.err != nil {
		return fmt.Errorf("anchor: %w", m.err)
	}
	if m.r != nil && m.anchorFor > 0 {
		fmt.Fprintf(env.Stderr, "measuring the headless anchor again (%v)…\n", *anchor)
		a, err := runsAnchor(env.Ctx, m.running, m.data, m.settled, *anchor)
		switch {
		case errors.Is(err, errNoneTraining): // the runs finished meanwhile: the first anchor stands
		case err != nil:
			return fmt.Errorf("anchor: %w", err)
		default:
			m.anchors = append(m.anchors, a)
		}
	}
	fmt.Fprintln(env.Stdout, m.report(size)+memoryReport())
	if *memProf != "" {
		pf, err := os.Create(*memProf)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.Lookup("allocs").WriteTo(pf, 0); err != nil {
			return err
		}
	}
	return nil
}

// frameMeter records frame times after a warm-up.
type frameMeter struct {
	u     *shell.UI
	p     *plane.Plane
	ws    string // the workspace measured
	hz    int    // frames a second at most (0: back to back)
	paced bool   // frames only when the app asks for them
	// runs: headless steps a second of the same runs, measured for anchorFor just before and
	// just after the frames (the machine's speed drifts)
	anchors   []float64
	anchorFor time.Duration
	// noneTraining: no run of the grid trained when the anchor was due
	noneTraining bool
	ctx          context.Context
	err          error
	phases       [2]string // runs: what the runs did when the measurement began and ended
	// runs, when the measurement ended: the running runs' settings, the data, and whether
	// every run was past its start-up phases
	running []*run.Snapshot
	data    nn.Mat
	settled bool
	r       *runs.Runs // the Runs workspace when it is measured
	samp0   int64      // samples trained before the measurement (runs)
	want    int
	warm    time.Duration
	prof    *os.File
	start   time.Time // of the measurement
	step0   int
	ds      []time.Duration
	dsNew   []time.Duration // frames that painted a new plane raster
	dsSame  []time.Duration // frames that painted the same raster as the frame before
	// dragFrames and dragWaits: per probe move, frames and time until the plane showed it
	dragFrames []int
	dragWaits  []time.Duration
	wall       time.Duration
	raster     uint64
	rasters    int
	began      time.Time // of the warm-up
}

// add records one frame; it reports whether the measurement is complete.
func (m *frameMeter) add(d time.Duration) bool {
	now := time.Now()
	if m.began.IsZero() {
		m.began = now
	}
	if now.Sub(m.began) < m.warm {
		return false
	}
	if m.r != nil && !m.r.Settled() && now.Sub(m.began) < m.warm+settleMax {
		return false // a start-up phase's steps cost a fraction of the later ones
	}
	if m.start.IsZero() {
		if m.r != nil && m.anchorFor > 0 && len(m.anchors) == 0 {
			a, err := m.anchorNow()
			switch {
			case errors.Is(err, errNoneTraining):
				m.anchorFor, m.noneTraining = 0, true // nothing to compare the grid's training with
			case err != nil:
				m.err = err
				return true
			default:
				m.anchors = append(m.anchors, a)
			}
			return false // the next frame starts the measurement
		}
		m.start, m.step0 = now, m.p.Run().Latest().Step
		if m.r != nil {
			m.step0, m.samp0 = m.r.Trained()
			m.phases[0] = m.r.Phases()
		}
		if m.prof != nil {
			pprof.StartCPUProfile(m.prof)
		}
		return false
	}
	if img, v := m.u.Current().Picture(); img != nil && v != m.raster {
		m.raster = v
		m.rasters++
		m.dsNew = append(m.dsNew, d)
	} else {
		m.dsSame = append(m.dsSame, d)
	}
	m.ds = append(m.ds, d)
	if len(m.ds) < m.want {
		return false
	}
	m.wall = now.Sub(m.start)
	if m.r != nil {
		m.phases[1] = m.r.Phases()
		m.running, m.data = m.r.Running()
		m.settled = m.r.Settled()
	}
	if m.prof != nil {
		pprof.StopCPUProfile()
	}
	return true
}

func (m *frameMeter) report(size image.Point) string {
	ds := slices.Clone(m.ds)
	slices.Sort(ds)
	if len(ds) == 0 {
		return "frame_ms=NaN fps=0"
	}
	_, layoutMS := m.u.FrameMedian()
	if m.ws == ws.CIFAR {
		note, _ := m.u.Current().Status()
		return fmt.Sprintf("workspace=cifar hz=%d frame_ms=%.2f fps=%.1f p90_ms=%.2f new_picture_ms=%.2f same_picture_ms=%.2f layout_ms=%.2f size=%dx%d frames=%d picture_updates=%d state=%q",
			m.hz, ms(ds[len(ds)/2]), float64(len(ds))/m.wall.Seconds(), ms(ds[len(ds)*9/10]), median(m.dsNew), median(m.dsSame),
			layoutMS, size.X, size.Y, len(ds), m.rasters, note)
	}
	if m.r != nil {
		steps, samples := m.r.Trained()
		secs := m.wall.Seconds()
		rate := float64(steps-m.step0) / secs
		anchor := ""
		switch len(m.anchors) {
		case 2:
			a := (m.anchors[0] + m.anchors[1]) / 2
			anchor = fmt.Sprintf(" anchor_steps_per_s=%.0f (before %.0f, after %.0f) share=%.0f%%", a, m.anchors[0], m.anchors[1], 100*rate/a)
		case 1:
			anchor = fmt.Sprintf(" anchor_steps_per_s=%.0f (before only) share=%.0f%%", m.anchors[0], 100*rate/m.anchors[0])
		default:
			if m.noneTraining {
				anchor = " anchor=none (no run of the grid trains)"
			}
		}
		return fmt.Sprintf("workspace=runs hz=%d paced=%t frame_ms=%.2f fps=%.1f p90_ms=%.2f new_grid_ms=%.2f same_grid_ms=%.2f layout_ms=%.2f size=%dx%d frames=%d grid_updates=%d runs=%d train_steps_per_s=%.0f train_samples_per_s=%.0f%s phases_start=%q phases_end=%q",
			m.hz, m.paced, ms(ds[len(ds)/2]), float64(len(ds))/secs, ms(ds[len(ds)*9/10]), median(m.dsNew), median(m.dsSame),
			layoutMS, size.X, size.Y, len(ds), m.rasters, len(m.r.Setup().Rows)*m.r.Setup().Cols,
			rate, float64(samples-m.samp0)/secs, anchor, m.phases[0], m.phases[1])
	}
	rast, sceneMS := m.p.RasterTimes()
	steps := m.p.Run().Latest().Step - m.step0
	drag := ""
	if len(m.dragFrames) > 0 {
		fr := slices.Clone(m.dragFrames)
		slices.Sort(fr)
		drag = fmt.Sprintf(" drag_frames=%d drag_ms=%.1f drag_moves=%d", fr[len(fr)/2], median(m.dragWaits), len(fr))
	}
	return fmt.Sprintf("frame_ms=%.2f fps=%.1f p90_ms=%.2f new_plane_ms=%.2f same_plane_ms=%.2f layout_ms=%.2f raster_ms=%.2f scene_ms=%.0f size=%dx%d frames=%d plane_updates=%d train_steps_per_s=%.0f",
		ms(ds[len(ds)/2]), float64(len(ds))/m.wall.Seconds(), ms(ds[len(ds)*9/10]), median(m.dsNew), median(m.dsSame),
		layoutMS, rast, sceneMS, size.X, size.Y, len(ds), m.rasters, float64(steps)/m.wall.Seconds()) + drag
}

// benchShell opens the shell for a frame benchmark with every plane layer and (unless paced)
// the frame-timing card on, showing the measured workspace.
func benchShell(env *cli.Env, so shell.Options, po plane.Options, ro runs.Options, m *frameMeter) *shell.UI {
	u := newShell(env.Ctx, so, po, ro)
	u.ShowTimings(!m.paced) // the card asks for a frame 4 times a second
	m.u, m.p = u, u.Workspace(ws.Plane).(*plane.Plane)
	if m.ws == ws.Runs {
		m.r = u.Workspace(ws.Runs).(*runs.Runs)
		u.Show(ws.Runs, nil)
	}
	if m.ws == ws.CIFAR {
		u.Show(ws.CIFAR, nil) // the gallery's engine works in the background meanwhile
	}
	return u
}

// driver draws offscreen frames of a shell for the plane's drag measurement.
type driver struct {
	o *shell.Offscreen
	u *shell.UI
}

func (d driver) Pointer(kind pointer.Kind, at f32.Point, buttons pointer.Buttons) {
	d.o.Pointer(kind, at, buttons)
}

func (d driver) Frame() error { _, err := d.o.Frame(d.u); return err }

// benchOffscreen draws frames back to back on the headless GPU, sweeping the pointer over
// the plane so that the hover readout works too.
func benchOffscreen(env *cli.Env, size image.Point, po plane.Options, ro runs.Options, m *frameMeter) error {
	asked := make(chan struct{}, 1)
	lim := shell.NewLimiter(func() { // as the window's: at most one request per 1/40 s
		select {
		case asked <- struct{}{}:
		default:
		}
	}, 25*time.Millisecond)
	u := benchShell(env, shell.Options{Invalidate: lim.Call}, po, ro, m)
	defer u.Close()
	o, err := shell.NewOffscreen(size)
	if err != nil {
		return err
	}
	defer o.Close()
	for i := 0; ; i++ {
		if err := env.Ctx.Err(); err != nil {
			return err
		}
		if !m.paced {
			t := float64(i) / 120
			x := float32(size.X-348) * float32(0.3+0.4*frac(t))
			o.Pointer(pointer.Move, f32.Pt(x, float32(size.Y)*0.45), 0)
		}
		tick := time.Now()
		d, err := o.Frame(u)
		if err != nil {
			return err
		}
		if m.add(d) {
			break
		}
		if m.paced {
			if err := waitAsked(env.Ctx, o, asked); err != nil {
				return err
			}
		}
		if hz := m.hz; hz > 0 || m.paced {
			if hz == 0 {
				hz = 60
			}
			if w := time.Until(tick.Add(time.Second / time.Duration(hz))); w > 0 {
				time.Sleep(w)
			}
		}
	}
	if env.Ctx.Err() == nil && m.ws == ws.Plane {
		m.dragFrames, m.dragWaits = m.p.DragLatency(driver{o, u}, 30)
	}
	return nil
}

// benchWindow draws frames in an OS window, asking for the next frame after each one (paced:
// only when the app asks, after the warm-up).
func benchWindow(env *cli.Env, size image.Point, po plane.Options, ro runs.Options, m *frameMeter) error {
	w := new(gioapp.Window)
	w.Option(gioapp.Title("mflowlab bench"), gioapp.Size(unit.Dp(size.X), unit.Dp(size.Y)))
	inv := w.Invalidate
	if m.paced { // as the app's window: background requests at most every 1/40 s
		inv = shell.NewLimiter(w.Invalidate, 25*time.Millisecond).Call
	}
	u := benchShell(env, shell.Options{Invalidate: inv}, po, ro, m)
	defer u.Close()
	idle := time.AfterFunc(time.Hour, w.Invalidate)
	defer idle.Stop()
	var ops op.Ops
	for {
		switch e := w.Event().(type) {
		case gioapp.DestroyEvent:
			return e.Err
		case gioapp.FrameEvent:
			if err := env.Ctx.Err(); err != nil {
				return err
			}
			t0 := time.Now()
			gtx := gioapp.NewContext(&ops, e)
			u.SafeLayout(gtx)
			e.Frame(gtx.Ops)
			d := time.Since(t0)
			u.AfterFrame(d)
			if m.add(d) {
				return nil
			}
			if !m.paced || m.start.IsZero() {
				w.Invalidate() // paced: the warm-up's frames only
			} else {
				idle.Reset(idleFrame) // a frame a second when the app asks for none
			}
		}
	}
}

// median returns the median of ds in milliseconds, NaN when ds is empty.
func median(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return math.NaN()
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return ms(s[len(s)/2])
}

func frac(t float64) float64 {
	t -= float64(int(t))
	if int(t*2)%2 == 0 {
		return 2 * t
	}
	return 2 - 2*t
}

// flagSet reports whether the command line set the flag called name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
