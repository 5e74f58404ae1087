package cohort

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

func TestTimelineKeepsBoundedThinnedFrames(t *testing.T) {
	b := newTimelineBuilder(10, 8)
	var views []*Timeline
	for step := 0; step <= 1000; step++ {
		b.offer(Frame{Step: step})
		if step%97 == 0 {
			views = append(views, b.view())
		}
	}
	tl := b.view()
	if tl.Len() > 8 || tl.Len() < 4 {
		t.Fatalf("%d frames kept, want at most 8 and not too few", tl.Len())
	}
	if tl.At(0).Step != 0 {
		t.Fatalf("first frame at step %d, want 0 (kept through thinning)", tl.At(0).Step)
	}
	for i := 1; i < tl.Len(); i++ {
		if d := tl.At(i).Step - tl.At(i-1).Step; d < 10 {
			t.Fatalf("frames %d and %d only %d steps apart", i-1, i, d)
		}
	}
	if last := tl.At(tl.Len() - 1).Step; last < 1000-tl.Every() {
		t.Fatalf("newest frame at step %d, spacing %d: the newest steps are missing", last, tl.Every())
	}
	if tl.Every() <= 10 {
		t.Fatalf("spacing %d after thinning, want it doubled", tl.Every())
	}
	// Earlier views are never changed by later offers.
	for _, v := range views {
		for i := 1; i < v.Len(); i++ {
			if v.At(i).Step <= v.At(i-1).Step {
				t.Fatal("an earlier view changed")
			}
		}
	}
	for _, c := range []struct{ step, want int }{{-5, -1}, {0, 0}, {1000000, tl.Len() - 1}} {
		if got := tl.Find(c.step); got != c.want {
			t.Errorf("Find(%d) = %d, want %d", c.step, got, c.want)
		}
	}
	if i := tl.Find(tl.At(2).Step + 1); i != 2 {
		t.Errorf("Find just after frame 2 gives %d", i)
	}
}

func TestMarksThin(t *testing.T) {
	b := marksBuilder{keep: 16}
	for i := range 100 {
		b.add(Mark{Step: i})
	}
	m := b.view()
	if m.Len() > 16 || m.At(0).Step != 0 || m.At(m.Len()-1).Step != 99 {
		t.Fatalf("%d marks from %d to %d", m.Len(), m.At(0).Step, m.At(m.Len()-1).Step)
	}
	if i := m.Find(50); i < 0 || m.At(i).Step > 50 || (i+1 < m.Len() && m.At(i+1).Step <= 50) {
		t.Fatalf("Find(50) = %d", i)
	}
}

// tiny returns small settings that train fast on a little data.
func tiny(seed uint64) run.Settings {
	s := run.DefaultSettings()
	s.Flow = flow.Config{N: 2, D: 1, Steps: 2, Hidden: 8, Blocks: 1, Bins: 4, TailBound: 3}
	s.Train.Batch = 64
	s.Seed = seed
	s.SingleCore = true
	return s
}

func tinyData(t *testing.T) nn.Mat {
	d, err := spirals.Generate(300, 3, 1.2, 1)
	if err != nil {
		t.Fatal(err)
	}
	return nn.Mat{Rows: d.N(), Cols: 2, Data: d.X}
}

// waitFor lays out nothing: it polls cond until it holds or a minute passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within a minute", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCohortTrainsMeasuresAndForks(t *testing.T) {
	curve, err := quality.SpiralCurve(1.2, 2000)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(context.Background(), tinyData(t), Options{Curve: curve, Every: 5, Keep: 12, Duty: 1, Tick: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, seed := range []uint64{1, 2} {
		if _, err := c.AddRun(tiny(seed), "joint"); err != nil {
			t.Fatal(err)
		}
	}
	frozen, err := flow.New(tiny(9).Flow, 9)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := c.AddFrozen(frozen, "checkpoint"); err != nil || id != 2 {
		t.Fatalf("AddFrozen: id %d, %v", id, err)
	}
	c.Start()
	waitFor(t, "two runs at step 60, every member measured", func() bool {
		st := c.State()
		if len(st.Members) != 3 {
			return false
		}
		for _, m := range st.Members {
			if !m.Quality.Measured || (m.Run != nil && (m.Snap.Step < 60 || m.Timeline.Len() < 3)) {
				return false
			}
		}
		return true
	})
	c.Pause()
	st := c.State()
	for _, m := range st.Members[:2] {
		if m.Quality.Result.HasCurve != true || math.IsNaN(m.Quality.Result.D2M95) || m.Marks.Len() == 0 {
			t.Fatalf("member %d quality %+v", m.ID, m.Quality)
		}
		tl := m.Timeline
		if tl.At(0).Step > 5 || tl.At(tl.Len()-1).Flow == nil {
			t.Fatalf("member %d timeline from step %d", m.ID, tl.At(0).Step)
		}
	}
	if fm := st.Members[2]; fm.Frozen != frozen || fm.Flow() != frozen || fm.Timeline.Len() != 0 {
		t.Fatal("the frozen member is not its flow")
	}
	// Fork member 0 at one of its kept frames, with another learning rate.
	src := st.Members[0]
	fr := src.Timeline.At(src.Timeline.Len() / 2)
	s := tiny(1)
	s.Train.LR = 5e-4
	s.Seed = 77
	id, err := c.Fork(0, fr.Step+1, s, "joint lr 5e-4")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the fork published", func() bool {
		st := c.State()
		return len(st.Members) == 4 && st.Members[3].Snap != nil && st.Members[3].Snap.Step > 0
	})
	c.Pause()
	f := c.State().Members[id]
	if f.Parent != 0 || f.ForkStep != fr.Step || f.Label != "joint lr 5e-4" {
		t.Fatalf("fork: parent %d at %d, label %q; want 0 at %d", f.Parent, f.ForkStep, f.Label, fr.Step)
	}
	first := f.Timeline.At(0)
	if first.Step != 0 || !slices.Equal(first.Flow.P, fr.Flow.P) {
		t.Fatalf("the fork's first frame (step %d) is not the frame it was forked from", first.Step)
	}
	if f.Snap.Settings.Train.LR != 5e-4 {
		t.Fatalf("fork trains with lr %g", f.Snap.Settings.Train.LR)
	}
	if _, err := c.Fork(2, 0, tiny(3), "from the checkpoint"); err != nil {
		t.Fatalf("forking the frozen member: %v", err)
	}
	if _, err := c.Fork(9, 0, tiny(3), "x"); err == nil {
		t.Fatal("forking a member that does not exist")
	}
}

// TestDivergedRunKeepsOthersGoing trains one run that counts any gradient as exploding next
// to a sane one: the first shows as diverged, the other keeps training.
func TestDivergedRunKeepsOthersGoing(t *testing.T) {
	c, err := New(context.Background(), tinyData(t), Options{Tick: 10 * time.Millisecond, Duty: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bad := tiny(1)
	bad.Train.MaxNorm = 1e-12 // any real gradient counts as exploding
	if _, err := c.AddRun(bad, "diverges"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddRun(tiny(2), "joint"); err != nil {
		t.Fatal(err)
	}
	c.Start()
	waitFor(t, "the bad run diverged", func() bool {
		st := c.State()
		return len(st.Members) == 2 && st.Members[0].Snap != nil && st.Members[0].Snap.State == run.Diverged
	})
	st := c.State()
	if v := st.Members[0].Quality.Verdict; v != quality.Diverged {
		t.Fatalf("diverged run's verdict %v", v)
	}
	step := st.Members[1].Snap.Step
	waitFor(t, "the other run trained on", func() bool { return c.State().Members[1].Snap.Step > step+20 })
	if err := c.State().Members[1].Snap.Err; err != nil {
		t.Fatalf("the sane run stopped: %v", err)
	}
}

func TestUntilTickFollowsTheWallClock(t *testing.T) {
	base := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	tick := 200 * time.Millisecond
	for _, c := range []struct{ at, want time.Duration }{
		{100 * time.Millisecond, 105 * time.Millisecond}, // to 0.205
		{203 * time.Millisecond, 2 * time.Millisecond},   // still before 0.205
		{205 * time.Millisecond, 200 * time.Millisecond}, // just looked: the next tick
		{399 * time.Millisecond, 6 * time.Millisecond},   // to 0.405
	} {
		if got := untilTick(base.Add(c.at), tick); got != c.want {
			t.Errorf("at +%v: wait %v, want %v", c.at, got, c.want)
		}
	}
}
