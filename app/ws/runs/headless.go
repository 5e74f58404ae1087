package runs

import (
	"context"
	"fmt"
	"io"
	"time"

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
