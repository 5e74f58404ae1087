package plane

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"gioui.org/f32"
	"gioui.org/io/pointer"

	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/watch"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// This file is what the app's headless commands (screenshot, bench --frame, bench --learn)
// and the shell's tests do with the plane besides the ws.Workspace methods.

// ChooseRecipe picks a recipe of the registry as the panel's recipe row does (the run
// restarts with it and the panel's seed).
func (u *Plane) ChooseRecipe(name string) { u.panel.train.chooseRecipe(name) }

// ResetSeed resets the run to seed as typing it into the panel and pressing Reset does.
func (u *Plane) ResetSeed(seed uint64) {
	u.panel.train.seed.SetText(strconv.FormatUint(seed, 10))
	u.panel.train.reset()
}

// Run returns the training run.
func (u *Plane) Run() *run.Run { return u.lab.run }

// Quality returns the background measurement of the run's current generation, or nil.
func (u *Plane) Quality() *watch.Status { return u.lab.quality() }

// ShowAllLayers turns every layer on.
func (u *Plane) ShowAllLayers() { u.pv.layers = plane.LayerAll }

// SelectFirstProbe selects the first probe, so that its outcome shows in the panel.
func (u *Plane) SelectFirstProbe() {
	if len(u.pv.probes.list) > 0 {
		u.pv.probes.Select(u.pv.probes.list[0].ID)
	}
}

// ToPixel returns the window pixel of data point (x, y) (the plane is at the window's
// origin).
func (u *Plane) ToPixel(x, y float64) f32.Point {
	px, py := u.pv.view.ToPixel(x, y)
	return f32.Pt(px, py)
}

// Train runs the lab's training for n steps and waits for them, reporting the time on log.
func (u *Plane) Train(ctx context.Context, n int, log io.Writer) error {
	if n == 0 {
		return nil
	}
	r := u.lab.run
	r.Start()
	t0 := time.Now()
	for r.Latest().Step < n {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s := r.Latest(); s.Err != nil {
			fmt.Fprintf(log, "training stopped at step %d: %v\n", s.Step, s.Err)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.Pause()
	fmt.Fprintf(log, "trained %d steps in %.1f s\n", r.Latest().Step, time.Since(t0).Seconds())
	return nil
}

// RasterTimes returns the painted raster's drawing time and its scene's computing time.
func (u *Plane) RasterTimes() (rasterMS, sceneMS float64) {
	if r := u.pv.shown; r != nil {
		rasterMS = r.ms
		if r.res != nil {
			sceneMS = r.res.ComputeMS
		}
	}
	return rasterMS, sceneMS
}

// Driver draws frames of the window showing the plane and feeds it pointer events (the
// headless benchmark's offscreen window).
type Driver interface {
	Pointer(kind pointer.Kind, at f32.Point, buttons pointer.Buttons)
	Frame() error
}

// DragLatency drags the first probe with the mouse in n steps of a few pixels, drawing
// frames at 60 Hz, and returns for each step the frames drawn and the time until the plane
// shows the probe (with its attack and projection) at the pointer's new place.
func (u *Plane) DragLatency(d Driver, n int) (frames []int, waits []time.Duration) {
	if len(u.pv.probes.list) == 0 {
		return nil, nil
	}
	id, x0 := u.pv.probes.list[0].ID, u.pv.probes.list[0].X
	at := u.ToPixel(x0[0], x0[1])
	d.Pointer(pointer.Press, at, pointer.ButtonPrimary)
	defer func() {
		d.Pointer(pointer.Release, at, 0)
		_ = d.Frame()
	}()
	for k := 0; k < n; k++ {
		at = at.Add(f32.Pt(float32(3+k%4), float32(k%3-1)))
		d.Pointer(pointer.Move, at, pointer.ButtonPrimary)
		t0 := time.Now()
		for f := 1; f <= 240; f++ {
			// Frames at 60 Hz, as a display paces them (back-to-back frames would leave
			// the background workers no time at all).
			tick := time.Now()
			if err := d.Frame(); err != nil {
				return frames, waits
			}
			if w := time.Until(tick.Add(time.Second / 60)); w > 0 {
				time.Sleep(w)
			}
			q, ok := u.pv.probes.Get(id)
			if ok && u.showsProbeAt(id, q.X) {
				frames, waits = append(frames, f), append(waits, time.Since(t0))
				break
			}
		}
	}
	return frames, waits
}

// showsProbeAt reports whether the painted raster has probe id at x (a scene's probe results
// are complete — attack, projection, case — even while slower layers are still pending).
func (u *Plane) showsProbeAt(id int, x [2]float64) bool {
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

// LoadClassifier reads a classifier checkpoint in the background (as Models › Load).
func (u *Plane) LoadClassifier(path string) { u.lab.LoadClassifier(path) }

// LoadFlow reads a flow checkpoint in the background and shows it (as Models › Load).
func (u *Plane) LoadFlow(path string) { u.lab.LoadFlow(path) }

// NewestRaster returns the version of the newest raster drawn, painted or not (a held
// plane paints an older one).
func (u *Plane) NewestRaster() uint64 {
	u.rz.mu.Lock()
	defer u.rz.mu.Unlock()
	if u.rz.latest == nil {
		return 0
	}
	return u.rz.latest.version
}
