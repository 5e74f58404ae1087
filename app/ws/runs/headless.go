package runs

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/run"
)

// This file is what the app's headless commands (screenshot, bench --frame, record) do
// with the workspace besides the ws.Workspace methods.

// Setup returns the grid's setup.
func (u *Runs) Setup() Setup { return u.setup }

// Rebuild replaces the grid with one made from s (training at once when play is set).
func (u *Runs) Rebuild(s Setup, play bool) error {
	u.panel.show(s)
	return u.build(s, play)
}

// Train trains the grid until every live run has taken n steps (or finished or diverged),
// then pauses it, reporting the time on log.
func (u *Runs) Train(ctx context.Context, n int, log io.Writer) error {
	u.ensure()
	if u.co == nil {
		return fmt.Errorf("no grid")
	}
	u.Play()
	t0 := time.Now()
	for !u.reached(n) {
		if err := ctx.Err(); err != nil {
			u.Pause()
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	u.Pause()
	for u.training() { // the runs take the pause between steps
		if err := ctx.Err(); err != nil {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
	steps, _ := u.Trained()
	fmt.Fprintf(log, "trained %d runs to step %d (%d steps in all) in %.1f s\n", len(u.state().Members), n, steps, time.Since(t0).Seconds())
	return nil
}

// reached reports whether every live run has taken n steps, finished or diverged.
func (u *Runs) reached(n int) bool {
	ms := u.co.State().Members
	if len(ms) < len(u.setup.Rows)*u.setup.Cols {
		return false // not published yet
	}
	for _, r := range ms {
		if r.Frozen != nil {
			continue
		}
		s := r.Run.Latest()
		if s.Step < n && s.State != run.Done && s.State != run.Diverged && s.Err == nil {
			return false
		}
	}
	return true
}

// training reports whether a live run still trains.
func (u *Runs) training() bool {
	for _, m := range u.co.State().Members {
		if m.Run != nil && m.Run.Latest().State == run.Running {
			return true
		}
	}
	return false
}

// Busy reports whether a live run is still in a training step (after Pause, until it takes
// the pause).
func (u *Runs) Busy() bool { return u.co != nil && u.training() }

// Trained returns the training steps all live runs have taken so far, and the samples
// they trained on (steps × batch).
func (u *Runs) Trained() (steps int, samples int64) {
	for _, m := range u.state().Members {
		if m.Run == nil {
			continue
		}
		s := m.Run.Latest()
		steps += s.Step
		samples += int64(s.Step) * int64(s.Settings.Train.Batch)
	}
	return steps, samples
}

// Select selects cell i (as a click does); −1 clears the selection.
func (u *Runs) Select(i int) {
	if i >= 0 && i < len(u.gv.ids) {
		u.gv.sel = u.gv.ids[i]
		return
	}
	u.gv.sel = -1
}

// Settled reports whether every live run is past its recipe's start-up phases (search,
// unroll, align) or no longer trains: from then on a step costs what it will go on costing.
func (u *Runs) Settled() bool {
	u.ensure()
	if u.co == nil {
		return true
	}
	for _, m := range u.co.State().Members {
		if m.Run == nil {
			continue
		}
		s := m.Run.Latest()
		startUp := s.Step == 0 || s.Phase == flow.PhaseSearch || s.Phase == flow.PhaseUnroll || s.Phase == flow.PhaseAlign
		if s.State == run.Running && startUp {
			return false
		}
	}
	return true
}

// Phases says what the live runs do now, as counts: "joint 3, done 6" (the phase of the
// last step of a running run, the state of the others).
func (u *Runs) Phases() string {
	u.ensure()
	if u.co == nil {
		return "no grid"
	}
	counts := map[string]int{}
	var names []string
	for _, m := range u.co.State().Members {
		if m.Run == nil {
			continue
		}
		s := m.Run.Latest()
		name := s.State.String()
		switch {
		case s.State == run.Running && s.Step == 0:
			name = "starting" // no step taken: no phase yet
		case s.State == run.Running:
			name = s.Phase.String()
		}
		if counts[name] == 0 {
			names = append(names, name)
		}
		counts[name]++
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %d", n, counts[n])
	}
	return strings.Join(parts, ", ")
}

// Running returns the newest snapshots of the live runs training now, and the grid's data:
// what a headless comparison (`mflowlab runs`) needs to train the same runs.
func (u *Runs) Running() ([]*run.Snapshot, nn.Mat) {
	u.ensure()
	if u.co == nil {
		return nil, nn.Mat{}
	}
	var ss []*run.Snapshot
	for _, m := range u.co.State().Members {
		if m.Run == nil {
			continue
		}
		if s := m.Run.Latest(); s.State == run.Running {
			ss = append(ss, s)
		}
	}
	return ss, u.co.Data()
}
