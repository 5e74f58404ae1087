package app

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"gioui.org/f32"
	"gioui.org/io/pointer"

	"github.com/mflowlab/mflowlab/app/cli"
	"github.com/mflowlab/mflowlab/app/shell"
	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/app/ws/cifar"
	"github.com/mflowlab/mflowlab/app/ws/plane"
	"github.com/mflowlab/mflowlab/app/ws/runs"
	sgal "github.com/mflowlab/mflowlab/sim/gallery"
	"github.com/mflowlab/mflowlab/ui/gallery"
)

// runBenchGallery is `mflowlab bench --gallery`: the CIFAR-10 gallery's refresh time — from
// a change of ε until the visible page (24 samples, both attacks) is recomputed, measured on
// the engine alone (sim/gallery.BenchRefresh) — and the window's frame time while the
// workspace is shown and refreshing (ε changed every --every), headlessly.
func runBenchGallery(env *cli.Env, args []string) error {
	fs := newFlags(env, "bench --gallery")
	var o cifarShot
	o.modelFlags(fs, "")
	fs.StringVar(&o.eps, "eps", "8/255", "ε; the rounds alternate between it and half of it")
	rounds := fs.Int("rounds", 5, "ε changes timed by the engine benchmark")
	frames := fs.Int("frames", 300, "measured window frames")
	every := fs.Duration("every", 3*time.Second, "window part: change ε (to a value not seen before) this often while measuring frames")
	hz := fs.Int("hz", 60, "draw at most this many frames a second, as a display paces them (0: back to back)")
	sizeS := fs.String("size", "1280x800", "window size in pixels")
	wait := fs.Duration("wait", 15*time.Minute, "longest wait for the engine (the default CNN trains on first use)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.seed = 1
	size, err := parseSize(*sizeS)
	if err != nil {
		return err
	}
	switch {
	case *rounds < 1 || *rounds > 1000:
		return fmt.Errorf("--rounds %d out of range [1, 1000]", *rounds)
	case *frames < 10 || *frames > 100000:
		return fmt.Errorf("--frames %d out of range [10, 100000]", *frames)
	case *hz < 0 || *hz > 1000:
		return fmt.Errorf("--hz %d out of range [0, 1000]", *hz)
	case *every < 100*time.Millisecond:
		return fmt.Errorf("--every %v: want at least 100ms", *every)
	}
	st, err := o.settings()
	if err != nil {
		return err
	}
	cache := ""
	if d, err := os.UserCacheDir(); err == nil {
		cache = filepath.Join(d, "mflowlab")
	}

	// The engine alone.
	r, err := sgal.BenchRefresh(env.Ctx, cache, st, gallery.PageSize, *rounds, *wait)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "bench --gallery: engine: cold %.0f ms, rounds %v (%s)\n", ms(r.Cold), r.Rounds, r.Stage)

	// The window while the workspace refreshes.
	windowProcs()
	u := newShell(env.Ctx, shell.Options{}, plane.Options{Paused: true}, runs.Options{Paused: true})
	defer u.Close()
	c := u.Workspace(ws.CIFAR).(*cifar.CIFAR)
	c.Apply(st)
	u.Show(ws.CIFAR, nil)
	off, err := shell.NewOffscreen(size)
	if err != nil {
		return err
	}
	defer off.Close()
	tick := func() (time.Duration, error) {
		t0 := time.Now()
		d, err := off.Frame(u)
		if *hz > 0 {
			if w := time.Until(t0.Add(time.Second / time.Duration(*hz))); w > 0 {
				time.Sleep(w)
			}
		}
		return d, err
	}
	deadline := time.Now().Add(*wait)
	for !c.Ready() {
		if err := env.Ctx.Err(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the gallery was not ready after %v", *wait)
		}
		if _, err := tick(); err != nil {
			return err
		}
	}
	var ds []time.Duration
	before := len(c.Refreshes())
	base := st.Attack.Eps
	last, k := time.Now(), 0
	t0 := time.Now()
	for len(ds) < *frames {
		if err := env.Ctx.Err(); err != nil {
			return err
		}
		if time.Since(last) >= *every {
			k++
			// A new ε each time (0.95, 0.9, … of --eps, then again from 0.97): the engine
			// keeps recent attacks, and going back to a visited ε would be instant.
			s := c.Settings()
			s.Attack.Eps = base * (1 - 0.05*float64((k-1)%10+1) + 0.02*float64((k-1)/10%2))
			if s.Attack.Alpha > 0 {
				s.Attack.Alpha = s.Attack.Eps / 4
			}
			c.Apply(s)
			last = time.Now()
		}
		// The pointer moves over the page (hover frames).
		x := float32(size.X-348) * float32(0.2+0.6*frac(float64(len(ds))/90))
		off.Pointer(pointer.Move, f32.Pt(x, float32(size.Y)*0.5), 0)
		d, err := tick()
		if err != nil {
			return err
		}
		ds = append(ds, d)
	}
	wall := time.Since(t0)
	refreshes := c.Refreshes()[before:]
	fmt.Fprintf(env.Stderr, "bench --gallery: window: %d ε changes, %d page refreshes finished before the next change, after %v\n", k, len(refreshes), refreshes)
	slices.Sort(ds)
	win := "NaN"
	if len(refreshes) > 0 {
		win = fmt.Sprintf("%.0f", median(refreshes))
	}
	_, layoutMS := u.FrameMedian()
	fmt.Fprintf(env.Stdout, "refresh_ms=%.0f refresh_cpu_ms=%.0f cold_ms=%.0f frame_ms=%.2f p90_ms=%.2f fps=%.1f layout_ms=%.2f raster_ms=%.1f window_refresh_ms=%s window_refreshes=%d/%d page=%d rounds=%d frames=%d hz=%d size=%dx%d models=%q\n",
		ms(r.Median), ms(r.MedianCPU), ms(r.Cold), ms(ds[len(ds)/2]), ms(ds[len(ds)*9/10]), float64(len(ds))/wall.Seconds(), layoutMS, c.RasterMS(), win, len(refreshes), k,
		r.Page, len(r.Rounds), len(ds), *hz, size.X, size.Y, r.Stage)
	return nil
}
