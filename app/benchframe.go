package app

import (
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
	"github.com/mflowlab/mflowlab/ui/plane"
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	size, err := parseSize(*sizeS)
	if err != nil {
		return err
	}
	if *frames < 10 || *frames > 100000 {
		return fmt.Errorf("--frames %d out of range [10, 100000]", *frames)
	}
	m := &frameMeter{u: nil, want: *frames, warm: *warm}
	if *cpuProf != "" {
		pf, err := os.Create(*cpuProf)
		if err != nil {
			return err
		}
		defer pf.Close()
		m.prof = pf
	}
	windowProcs()
	var opts Options
	opts.Paused = *paused
	if *window {
		err = benchWindow(env, size, opts, m)
	} else {
		err = benchOffscreen(env, size, opts, m)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, m.report(size))
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
	u      *UI
	want   int
	warm   time.Duration
	prof   *os.File
	start  time.Time // of the measurement
	step0  int
	ds     []time.Duration
	dsNew  []time.Duration // frames that painted a new plane raster
	dsSame []time.Duration // frames that painted the same raster as the frame before
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
	if m.start.IsZero() {
		m.start, m.step0 = now, m.u.lab.run.Latest().Step
		if m.prof != nil {
			pprof.StartCPUProfile(m.prof)
		}
		return false
	}
	if r := m.u.pv.shown; r != nil && r.version != m.raster {
		m.raster = r.version
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
	rast, sceneMS := 0.0, 0.0
	if r := m.u.pv.shown; r != nil {
		rast = r.ms
		if r.res != nil {
			sceneMS = r.res.ComputeMS
		}
	}
	steps := m.u.lab.run.Latest().Step - m.step0
	drag := ""
	if len(m.dragFrames) > 0 {
		fr := slices.Clone(m.dragFrames)
		slices.Sort(fr)
		drag = fmt.Sprintf(" drag_frames=%d drag_ms=%.1f drag_moves=%d", fr[len(fr)/2], median(m.dragWaits), len(fr))
	}
	return fmt.Sprintf("frame_ms=%.2f fps=%.1f p90_ms=%.2f new_plane_ms=%.2f same_plane_ms=%.2f layout_ms=%.2f raster_ms=%.2f scene_ms=%.0f size=%dx%d frames=%d plane_updates=%d train_steps_per_s=%.0f",
		ms(ds[len(ds)/2]), float64(len(ds))/m.wall.Seconds(), ms(ds[len(ds)*9/10]), median(m.dsNew), median(m.dsSame),
		ms(m.u.stats.LayoutMedian()), rast, sceneMS, size.X, size.Y, len(ds), m.rasters, float64(steps)/m.wall.Seconds()) + drag
}

// setupBench turns every layer and the frame statistics on.
func setupBench(u *UI) {
	u.pv.layers = plane.LayerAll
	u.showFPS = true
}

// benchOffscreen draws frames back to back on the headless GPU, sweeping the pointer over
// the plane so that the hover readout works too.
func benchOffscreen(env *cli.Env, size image.Point, opts Options, m *frameMeter) error {
	u := NewUI(env.Ctx, opts)
	defer u.Close()
	setupBench(u)
	m.u = u
	o, err := newOffscreen(size)
	if err != nil {
		return err
	}
	defer o.Close()
	for i := 0; ; i++ {
		if err := env.Ctx.Err(); err != nil {
			return err
		}
		t := float64(i) / 120
		x := float32(size.X-348) * float32(0.3+0.4*frac(t))
		o.Pointer(pointer.Move, f32.Pt(x, float32(size.Y)*0.45), 0)
		d, err := o.Frame(u)
		if err != nil {
			return err
		}
		if m.add(d) {
			break
		}
	}
	if env.Ctx.Err() == nil {
		m.dragFrames, m.dragWaits = dragLatency(o, u, 30)
	}
	return nil
}

// frameInterval is the frame period of a 60 Hz display.
const frameInterval = time.Second / 60

// dragLatency drags the first probe with the mouse in n steps of a few pixels, drawing
// frames at 60 Hz, and returns for each step the frames drawn and the time until the plane
// shows the probe (with its attack and projection) at the pointer's new place.
func dragLatency(o *offscreen, u *UI, n int) (frames []int, waits []time.Duration) {
	if len(u.pv.probes.list) == 0 {
		return nil, nil
	}
	id, x0 := u.pv.probes.list[0].ID, u.pv.probes.list[0].X
	px, py := u.pv.view.ToPixel(x0[0], x0[1])
	at := f32.Pt(px, py)
	o.Pointer(pointer.Press, at, pointer.ButtonPrimary)
	defer func() {
		o.Pointer(pointer.Release, at, 0)
		_, _ = o.Frame(u)
	}()
	for k := 0; k < n; k++ {
		at = at.Add(f32.Pt(float32(3+k%4), float32(k%3-1)))
		o.Pointer(pointer.Move, at, pointer.ButtonPrimary)
		t0 := time.Now()
		for f := 1; f <= 240; f++ {
			// Frames at 60 Hz, as a display paces them (back-to-back frames would leave
			// the background workers no time at all).
			tick := time.Now()
			if _, err := o.Frame(u); err != nil {
				return frames, waits
			}
			if d := time.Until(tick.Add(frameInterval)); d > 0 {
				time.Sleep(d)
			}
			q, ok := u.pv.probes.Get(id)
			if ok && showsProbeAt(u, id, q.X) {
				frames, waits = append(frames, f), append(waits, time.Since(t0))
				break
			}
		}
	}
	return frames, waits
}

// showsProbeAt reports whether the painted raster has probe id at x (a scene's probe results
// are complete — attack, projection, case — even while slower layers are still pending).
func showsProbeAt(u *UI, id int, x [2]float64) bool {
	r := u.pv.shown
	if r == nil || r.res == nil {
		return false
	}
	for _, p := range r.res.Probes {
		if p.ID == id {
			return p.X == x
		}
	}
	return false
}

// benchWindow draws frames in an OS window, asking for the next frame after each one.
func benchWindow(env *cli.Env, size image.Point, opts Options, m *frameMeter) error {
	w := new(gioapp.Window)
	w.Option(gioapp.Title("mflowlab bench"), gioapp.Size(unit.Dp(size.X), unit.Dp(size.Y)))
	opts.Invalidate = w.Invalidate
	u := NewUI(env.Ctx, opts)
	defer u.Close()
	setupBench(u)
	m.u = u
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
			w.Invalidate()
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
