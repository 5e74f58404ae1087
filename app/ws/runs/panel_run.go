package runs

import (
	"fmt"
	"math"
	"strconv"

	"github.com/mflowlab/mflowlab/sim/cohort"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// Form lays out the selected cell's section (widgets.Section): what it is, opening it in
// the plane, and forking it at the timeline's step with other hyper-parameters.
func (r *runSection) Form(f *widgets.Form) {
	u := r.u
	th := u.th
	st := u.state()
	id := u.gv.sel
	if id < 0 || id >= len(st.Members) {
		f.Section("Selected cell", "none", th.Muted)
		f.Caption("Click a cell to select it (its lines stand out in the charts);")
		f.Caption("double-click or Enter opens it in the Two Spirals plane.")
		return
	}
	m := st.Members[id]
	step, live := u.tl.at(st)
	_, meta := cellContent(id, m, step, live)
	name := meta.Title
	if name == "" {
		name = fmt.Sprintf("seed %d", meta.Seed)
	}
	f.Section("Selected cell", fmt.Sprintf("cell %d · %s", id+1, name), th.Text)
	q := m.Quality
	stats := [][2]string{{"recipe", m.Label}}
	if m.Snap != nil {
		s := m.Snap
		state := s.State.String()
		if s.Err != nil {
			state = "diverged"
		}
		stats = append(stats, [2]string{"state", state}, [2]string{"step", strconv.Itoa(m.ForkStep + s.Step)},
			[2]string{"loss", sig(s.Loss)}, [2]string{"lr", sig(s.Settings.Train.LR)})
	}
	if !live && m.Frozen == nil {
		// Rewound: the measurement at or before the step shown, as the cell says.
		if k := m.Marks.Find(step - m.ForkStep); k >= 0 {
			mk := m.Marks.At(k)
			q = cohort.Quality{Measured: true, Step: mk.Step, Verdict: mk.Verdict, LearnedStep: q.LearnedStep,
				Result: quality.Result{D2M95: mk.D2M95, M2D95Core: mk.M2D95Core, HasCurve: q.Result.HasCurve}}
		} else {
			q.Measured = false
		}
	}
	if q.Measured {
		core := "none"
		if q.Result.HasCurve {
			core = fmt.Sprintf("%.4f", q.Result.M2D95Core)
		}
		stats = append(stats, [2]string{"verdict", fmt.Sprintf("%v (step %d)", q.Verdict, m.ForkStep+q.Step)},
			[2]string{"d2m95", fmt.Sprintf("%.4f", q.Result.D2M95)}, [2]string{"core m2d95", core})
	}
	if q.LearnedStep >= 0 {
		stats = append(stats, [2]string{"learned at", strconv.Itoa(m.ForkStep + q.LearnedStep)})
	}
	f.Stats(stats, 0.42)
	ln := f.Line(26)
	if ln.Button(&r.open, widgets.Secondary, "Open in the plane", 0) {
		u.openSelected()
	}
	ln.Label(" Enter · its tab comes back", th.Muted)

	f.Gap(4)
	// the step of the weights a fork takes: the run's own newest (a finished run stopped
	// earlier than the others) or the newest kept at or before the timeline's step
	f.Text(widgets.Bold, th.Small, th.Text, fmt.Sprintf("Fork at step %d", meta.Step))
	names := append([]string{"same"}, run.RecipeNames()...)
	ln = f.Labelled("recipe", 24)
	ln.Segmented(&r.recipe, names, names, ln.Rest())
	f.FieldGrid([]string{"lr", "seed"}, []*widgets.Field{&r.lr, &r.seed}, []string{"same", "same"})
	ln = f.Line(26)
	if ln.Button(&r.fork, widgets.Primary, "Fork", f.Dp(64)) {
		r.forkAt(m, step, meta.Step)
	}
	ln.Label(" a new cell trains on from these weights", th.Muted)
	if !live {
		f.Caption("the weights kept at or before the step the timeline shows")
	} else {
		f.Caption("rewind with the timeline to fork from an earlier step")
	}
}

// forkAt forks member m at the timeline's step (its weights of step from) with the
// section's recipe, learning rate and seed.
func (r *runSection) forkAt(m cohort.Member, step, from int) {
	u := r.u
	s, err := run.RecipeSettings(u.setup.Config, run.DefaultRecipe)
	if m.Snap != nil {
		s, err = m.Snap.Settings, nil
	}
	if err != nil {
		u.host.Errorf("not forked: %v", err)
		return
	}
	label := m.Label
	if m.Frozen != nil {
		label = "from " + m.Label
	}
	if v := r.recipe.Value; v != "same" {
		rs, err := run.RecipeSettings(u.setup.Config, v)
		if err != nil {
			u.host.Errorf("not forked: %v", err)
			return
		}
		s.Train, label = rs.Train, v
	}
	if t := r.lr.Text(); t != "" {
		lr, err := strconv.ParseFloat(t, 64)
		if err != nil || !(lr > 0) {
			u.host.Errorf("not forked: learning rate %q", t)
			return
		}
		s.Train.LR, s.Train.JointLR = lr, 0
		label += " · lr " + strconv.FormatFloat(lr, 'g', 3, 64)
	}
	if t := r.seed.Text(); t != "" {
		seed, err := strconv.ParseUint(t, 10, 64)
		if err != nil {
			u.host.Errorf("not forked: seed %q", t)
			return
		}
		s.Seed = seed
	}
	s.SingleCore, s.LowPriority = true, true
	id, err := u.co.Fork(m.ID, step, s, label)
	if err != nil {
		u.host.Errorf("not forked: %v", err)
		return
	}
	u.gv.sel = id
	if !u.playing {
		u.co.Pause() // Fork starts the new run; a paused grid stays paused
	}
	u.host.Infof("forked cell %d at step %d into cell %d (%s)", m.ID+1, from, id+1, label)
}

// sig formats v with four significant digits, or an en dash.
func sig(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
