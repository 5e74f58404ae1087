// Package runs is the Runs workspace, the instability lab: a grid of M-Flow runs training
// side by side with different seeds (rows may use different recipes), frozen reference
// checkpoints beside them, their losses and manifold distances charted together, a
// timeline to rewind, replay and fork them, and the grid as a labelled figure. Training and
// measuring happen in package cohort; cells are CPU rasters drawn off the frame's goroutine.
package runs

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"time"

	"github.com/mflowlab/mflowlab/app/session"
	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/cohort"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/grid"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// Options configure the workspace.
type Options struct {
	// Paused builds the grid without training it (Play starts it).
	Paused bool
	// Setup is the first grid; zero means DefaultSetup.
	Setup *Setup
	// Duty is the share of one core the grid's measurements take (0: 0.2).
	Duty float64
}

// Runs is the Runs workspace (ws.Workspace).
type Runs struct {
	host ws.Host
	th   *widgets.Theme
	sync bool

	setup   Setup            // the grid shown (its View follows pan and zoom)
	co      *cohort.Cohort   // its runs, nil when building failed
	data    *spirals.Dataset // their data
	gen     uint64           // counts grids built, so that old loads are dropped
	playing bool
	play0   bool            // train the first grid once it is built
	duty    float64         // measuring's share of a core
	tried   bool            // the first grid was built (or failed to be)
	refs    map[string]bool // reference paths shown (loaded or loading)
	hidden  map[int]bool    // frozen members hidden again

	cells  *cellRasters
	notify func() // the cohort's: a new State
	gv     gridView
	tl     timeline
	panel  panel
}

// New builds the workspace and its first grid.
func New(h ws.Host, o Options) *Runs {
	u := &Runs{host: h, th: h.Theme(), sync: h.Sync()}
	u.cells = newCellRasters(u.sync, h.Invalidate)
	u.notify = u.cells.stateChanged // the cells' batch asks for the frame
	if u.sync {
		u.notify = h.Invalidate
	}
	u.gv.init(u)
	u.tl.init(u)
	s := DefaultSetup()
	if o.Setup != nil {
		s = *o.Setup
	}
	u.panel.init(u, s)
	u.setup, u.play0, u.duty = s, !o.Paused, o.Duty
	if u.duty <= 0 {
		u.duty = 0.2
	}
	return u
}

// ensure builds the first grid when the workspace is first needed (shown, or asked to
// play), so that an app that never shows it trains nothing.
func (u *Runs) ensure() {
	if u.tried {
		return
	}
	u.tried = true
	if err := u.build(u.setup, u.play0); err != nil {
		u.host.Errorf("runs grid: %v", err)
	}
}

// Maker returns the constructor the shell calls with its host.
func Maker(o Options) func(h ws.Host) ws.Workspace {
	return func(h ws.Host) ws.Workspace { return New(h, o) }
}

// Name implements ws.Workspace.
func (u *Runs) Name() string { return ws.Runs }

// Title implements ws.Workspace.
func (u *Runs) Title() string { return "Runs" }

// Area implements ws.Workspace.
func (u *Runs) Area() string { return "grid" }

// build replaces the grid with one made from s (training at once when play is set); the
// old grid stops in the background.
func (u *Runs) build(s Setup, play bool) error {
	if err := s.Check(); err != nil {
		return err
	}
	seeds, _ := s.seeds()
	d, err := spirals.Generate(s.Data.N, s.Data.Noise, s.Data.Rotations, s.Data.Seed)
	if err != nil {
		return err
	}
	var curve []quality.Point
	if pts, err := quality.SpiralCurve(s.Data.Rotations, quality.SpiralArmPoints); err == nil {
		curve = pts
	}
	co, err := cohort.New(u.host.Context(), nn.Mat{Rows: d.N(), Cols: 2, Data: d.X},
		// a new State every metaEvery: the cells' words change no faster, and each State
		// asks for a frame
		cohort.Options{Curve: curve, LowPriority: true, Notify: u.notify, Duty: u.duty, Every: 10, Tick: metaEvery})
	if err != nil {
		return err
	}
	for r := range s.Rows {
		for c := range s.Cols {
			st, err := s.settings(r, seeds[r*s.Cols+c])
			if err == nil {
				_, err = co.AddRun(st, s.rowLabel(r))
			}
			if err != nil {
				go co.Close()
				return err
			}
		}
	}
	if old := u.co; old != nil {
		u.host.Go(func(context.Context) func() { old.Close(); return nil })
	}
	u.co, u.data, u.setup = co, d, s
	u.gen++
	u.tried = true
	u.refs, u.hidden = map[string]bool{}, map[int]bool{}
	u.cells.reset(co.Data().Data)
	u.gv.reset()
	u.tl.reset()
	for _, p := range s.Refs {
		u.addRef(p)
	}
	u.playing = play
	if play {
		co.Start()
	}
	return nil
}

// addRef loads a checkpoint in the background and adds it as a frozen cell.
func (u *Runs) addRef(path string) {
	u.ensure()
	if u.co == nil || u.refs[path] {
		return
	}
	u.refs[path] = true
	gen, co := u.gen, u.co
	load := func() func() {
		c, err := flow.LoadCheckpoint(path)
		return func() {
			if gen != u.gen {
				return // another grid was built meanwhile
			}
			if err == nil {
				_, err = co.AddFrozen(c.Flow, refName(path))
			}
			if err != nil {
				delete(u.refs, path)
				u.host.Errorf("%v", err)
				return
			}
			if !contains(u.setup.Refs, path) {
				u.setup.Refs = append(u.setup.Refs, path)
			}
		}
	}
	if u.sync {
		load()()
		return
	}
	u.host.Go(func(context.Context) func() { return load() })
}

// Play starts every run of the grid; Pause holds them.
func (u *Runs) Play() {
	u.ensure()
	if u.co != nil {
		u.co.Start()
		u.playing = true
	}
}

// Pause holds every run of the grid.
func (u *Runs) Pause() {
	if u.co != nil {
		u.co.Pause()
		u.playing = false
	}
}

// state returns the grid's newest State (empty without a grid).
func (u *Runs) state() *cohort.State {
	if u.co == nil {
		return &cohort.State{}
	}
	return u.co.State()
}

// shown returns the members shown as cells, in order: the runs, then the references not
// hidden.
func (u *Runs) shown(st *cohort.State) []cohort.Member {
	out := make([]cohort.Member, 0, len(st.Members))
	for _, m := range st.Members {
		if m.Frozen != nil && u.hidden[m.ID] {
			continue
		}
		out = append(out, m)
	}
	return out
}

// Poll implements ws.Workspace: the replay moves on.
func (u *Runs) Poll(now time.Time) {
	u.tl.poll(now)
	if u.gv.plan != nil && u.host.Shown() != ws.Runs { // hidden: no cells to draw
		u.gv.plan = nil
		u.cells.setPlan(nil)
	}
}

// Sections implements ws.Workspace.
func (u *Runs) Sections() []widgets.Section { return u.panel.sections() }

// Editing implements ws.Workspace.
func (u *Runs) Editing() bool { return u.panel.editing() }

// Status implements ws.Workspace: the grid's summary.
func (u *Runs) Status() (note, warn string) {
	st := u.state()
	learned, training, diverged, runs := 0, 0, 0, 0
	for _, m := range st.Members {
		if m.Frozen != nil {
			continue
		}
		runs++
		if m.Quality.Verdict == quality.Learned && m.Quality.Measured {
			learned++
		}
		if m.Snap != nil && m.Snap.State == run.Running {
			training++
		}
		if m.Quality.Verdict == quality.Diverged {
			diverged++
		}
	}
	note = fmt.Sprintf("%d runs · %d training · learned %d", runs, training, learned)
	if diverged > 0 {
		note += fmt.Sprintf(" · diverged %d", diverged)
	}
	return note, ""
}

// Timings implements ws.Workspace.
func (u *Runs) Timings() [][2]string {
	return [][2]string{{"cells", fmt.Sprint(len(u.gv.rects))}}
}

// Picture implements ws.Workspace: the grid's cells as one picture.
func (u *Runs) Picture() (*image.RGBA, uint64) { return u.gv.composite() }

// Hold implements ws.Workspace.
func (u *Runs) Hold(on bool) { u.gv.hold = on }

// AfterFrame implements ws.Workspace.
func (u *Runs) AfterFrame() {}

// Ready implements ws.Workspace: every cell is measured, a held run shows its newest
// snapshot, every cell is drawn for its newest request, and the charts are drawn.
func (u *Runs) Ready() bool {
	for _, m := range u.shown(u.state()) {
		if !m.Quality.Measured && m.Quality.Err == "" && (m.Snap == nil || m.Snap.State != run.Diverged) {
			return false
		}
		if m.Run != nil {
			if l := m.Run.Latest(); l.State != run.Running && m.Snap != l {
				return false // a held run's newest snapshot is not shown yet
			}
		}
	}
	return u.gv.drawn() && u.panel.charts.ready()
}

// Close implements ws.Workspace.
func (u *Runs) Close() {
	if u.co != nil {
		u.co.Close()
	}
	u.cells.close()
}

// Save implements ws.Workspace: the grid's setup is the session's "runs" part.
func (u *Runs) Save(s *session.Session) error {
	p, err := u.setup.part()
	if err != nil {
		return err
	}
	if s.Parts == nil {
		s.Parts = map[string]json.RawMessage{}
	}
	s.Parts[ws.Runs] = p
	return nil
}

// Restore implements ws.Workspace: a session with a "runs" part rebuilds the grid.
func (u *Runs) Restore(path string, s *session.Session) (func(), error) {
	p, ok := s.Parts[ws.Runs]
	if !ok {
		return nil, nil // a session without a grid leaves the grid as it is
	}
	st, err := parseSetup(p)
	if err != nil {
		return nil, fmt.Errorf("session %s: %v", path, err)
	}
	return func() {
		u.panel.show(st)
		if err := u.build(st, true); err != nil {
			u.host.Errorf("session %s: %v", path, err)
		}
	}, nil
}

// palette gives cell i its colour, shared by its curve and its chart lines.
func palette(i int) color.NRGBA { return grid.RunColour(i) }

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
