package runs

import (
	"context"
	"image"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/app/shell"
	"github.com/mflowlab/mflowlab/app/shell/shelltest"
	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/app/ws/plane"
)

// With the window idle, a live grid's cells follow the cohort's States on the drawing
// goroutine, and each State brings at most one frame (not one to ask for the cells and one
// to show them); a hidden grid draws no cells.
func TestCellsFollowTheRunsWithOneFramePerState(t *testing.T) {
	var asked atomic.Int64
	s := small()
	s.Rows, s.Cols, s.Seeds = []string{"joint"}, 2, "1-2"
	u := shell.New(context.Background(), shell.Options{Invalidate: func() { asked.Add(1) }},
		plane.Maker(plane.Options{Paused: true}), Maker(Options{Setup: &s, Duty: 1}))
	t.Cleanup(u.Close)
	r := u.Workspace(ws.Runs).(*Runs)
	r.cells.batchShow = time.Hour // one frame per batch however slowly the machine draws
	u.Show(ws.Runs, nil)
	d := shelltest.Driver{U: u, Size: image.Pt(1000, 700)}
	frame := d.Frame
	deadline := time.Now().Add(2 * time.Minute)
	for frame(); len(r.gv.rects) < 2 || r.state().Members[0].Snap.Step < 5; frame() {
		if time.Now().After(deadline) {
			t.Fatal("the grid did not start training")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ids := append([]int(nil), r.gv.ids...)
	version := func() (v uint64) {
		for _, id := range ids {
			v = max(v, r.cells.pic(id).version)
		}
		return v
	}
	// No frame from here: the drawing goroutine asks for the cells itself.
	v0, st0, n0 := version(), r.co.State().Version, asked.Load()
	for version() < v0+4 {
		if time.Now().After(deadline) {
			t.Fatalf("cells drawn %d times in 2 minutes without frames; want them to follow the runs", version()-v0)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.Pause()
	time.Sleep(3 * metaEvery) // the last State's batch (its frame may come later on a loaded machine)
	states, frames := r.co.State().Version-st0, asked.Load()-n0
	if frames > int64(states)+2 {
		t.Errorf("%d frames asked for over %d States; want about one each", frames, states)
	}
	// Hidden, the grid draws nothing.
	u.Show(ws.Plane, nil)
	frame()
	time.Sleep(2 * metaEvery)
	for r.cells.pending() { // a batch begun before the grid was hidden
		if time.Now().After(deadline) {
			t.Fatal("the cells' last batch did not end")
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.Play()
	v1 := version()
	time.Sleep(6 * metaEvery)
	if v := version(); v != v1 {
		t.Errorf("a hidden grid drew its cells %d times", v-v1)
	}
}

// The frame benchmark's view of the grid: what its runs do, and whether their steps cost
// what they will go on costing.
func TestPhasesAndSettled(t *testing.T) {
	h := newHarness(t, small()) // rows: joint, geodesic (starts in its search phase)
	h.r.Play()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ss, data := h.r.Running()
		if len(ss) == 4 && ss[0].Step > 0 && ss[1].Step > 0 && ss[2].Step > 0 && ss[3].Step > 0 {
			if data.Rows != 600 {
				t.Fatalf("Running gives %d data rows, want 600", data.Rows)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the grid did not start training")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if p := h.r.Phases(); !strings.Contains(p, "joint 2") || !strings.Contains(p, "search 2") {
		t.Errorf("Phases() = %q, want joint 2 and search 2", p)
	}
	if h.r.Settled() {
		t.Error("Settled with two runs in the geodesic recipe's search phase")
	}
	h.r.Pause()
	for h.r.training() {
		time.Sleep(10 * time.Millisecond)
	}
	if !h.r.Settled() || h.r.Phases() != "paused 4" {
		t.Errorf("paused: Settled %v, Phases %q; want true, \"paused 4\"", h.r.Settled(), h.r.Phases())
	}
}
