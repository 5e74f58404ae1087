package watch

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

// fakeSource publishes hand-made snapshots.
type fakeSource struct{ p atomic.Pointer[run.Snapshot] }

func (s *fakeSource) Latest() *run.Snapshot { return s.p.Load() }

func tinyFlow(t *testing.T) *flow.MFlow {
	t.Helper()
	f, err := flow.New(flow.Config{N: 2, D: 1, Steps: 2, Hidden: 8, Blocks: 1, Bins: 4, TailBound: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func spiralMat(t *testing.T, n int) nn.Mat {
	t.Helper()
	d, err := spirals.Generate(n, 3, quality.SpiralRotations, 1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := run.FromDataset(d)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// goid returns the calling goroutine's id.
func goid() uint64 {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	id, _ := strconv.ParseUint(string(b[:bytes.IndexByte(b, ' ')]), 10, 64)
	return id
}

// waitStatus polls w until cond holds (a hang guard of 10 s, not a timing assertion).
func waitStatus(t *testing.T, w *Watcher, what string, cond func(*Status) bool) *Status {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if s := w.Latest(); cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("never %s; last status %+v", what, *w.Latest())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// scripted is a measure hook returning the verdicts in order (the last one repeated) and
// recording the goroutines and calls.
type scripted struct {
	verdicts []quality.Verdict
	calls    atomic.Int32
	goids    chan uint64
}

func (s *scripted) measure(m *quality.Meter, f *flow.MFlow, data nn.Mat) quality.Result {
	i := int(s.calls.Add(1)) - 1
	select {
	case s.goids <- goid():
	default:
	}
	v := s.verdicts[min(i, len(s.verdicts)-1)]
	return quality.Result{D2M95: 0.01 * float64(i+1), Verdict: v}
}

func TestWatcherPublishesLearnedAndClearsOnReset(t *testing.T) {
	src := &fakeSource{}
	f, data := tinyFlow(t), spiralMat(t, 200)
	src.p.Store(&run.Snapshot{Version: 1, Gen: 0, Flow: f, Data: data, Step: 100, Elapsed: time.Second})
	sc := &scripted{verdicts: []quality.Verdict{quality.Partial, quality.Learned, quality.Partial}, goids: make(chan uint64, 16)}
	var notes atomic.Int32
	w := newWatcher(context.Background(), src, Curve{}, Options{Every: time.Hour, Notify: func() { notes.Add(1) }}, sc.measure)
	defer w.Close()

	s := waitStatus(t, w, "measured version 1", func(s *Status) bool { return s.Version == 1 })
	if !s.Measured || s.Verdict != quality.Partial || s.Learned() || s.Step != 100 {
		t.Fatalf("first status %+v", *s)
	}
	if id := <-sc.goids; id == goid() {
		t.Fatal("the measurement ran on the caller's goroutine")
	}
	// Cached by snapshot version: kicks without a new snapshot measure nothing.
	for range 3 {
		w.Kick()
	}
	time.Sleep(50 * time.Millisecond)
	if c := sc.calls.Load(); c != 1 {
		t.Fatalf("%d measurements of one snapshot", c)
	}
	src.p.Store(&run.Snapshot{Version: 2, Gen: 0, Flow: f, Data: data, Step: 250, Elapsed: 3 * time.Second})
	w.Kick()
	s = waitStatus(t, w, "measured version 2", func(s *Status) bool { return s.Version == 2 })
	if s.Verdict != quality.Learned || s.LearnedStep != 250 || s.LearnedElapsed != 3*time.Second || s.LearnedAt.IsZero() {
		t.Fatalf("learned status %+v", *s)
	}
	src.p.Store(&run.Snapshot{Version: 3, Gen: 0, Flow: f, Data: data, Step: 400, Elapsed: 5 * time.Second, State: run.Diverged})
	w.Kick()
	s = waitStatus(t, w, "measured version 3", func(s *Status) bool { return s.Version == 3 })
	if s.Verdict != quality.Diverged || s.LearnedStep != 250 {
		t.Fatalf("after learning, then diverging: %+v (the first learned step must stay)", *s)
	}
	// A reset (new generation) clears the learned moment and is measured afresh.
	src.p.Store(&run.Snapshot{Version: 4, Gen: 1, Flow: f, Data: data, Step: 0})
	w.Kick()
	s = waitStatus(t, w, "measured generation 1", func(s *Status) bool { return s.Gen == 1 && s.Measured })
	if s.Learned() || s.Version != 4 {
		t.Fatalf("after a reset: %+v", *s)
	}
	// New data: cleared at once, and older generations are not measured against it.
	w.SetCurve(Curve{}, 2)
	if s := w.Latest(); s.Measured || s.Gen != 2 {
		t.Fatalf("SetCurve did not clear: %+v", *s)
	}
	before := sc.calls.Load()
	src.p.Store(&run.Snapshot{Version: 5, Gen: 1, Flow: f, Data: data, Step: 10})
	w.Kick()
	time.Sleep(50 * time.Millisecond)
	if sc.calls.Load() != before || w.Latest().Measured {
		t.Fatal("a snapshot of the old data was measured after SetCurve")
	}
	src.p.Store(&run.Snapshot{Version: 6, Gen: 2, Flow: f, Data: data, Step: 0})
	w.Kick()
	waitStatus(t, w, "measured generation 2", func(s *Status) bool { return s.Gen == 2 && s.Measured })
	close(sc.goids)
	for id := range sc.goids {
		if id == goid() {
			t.Fatal("a measurement ran on the caller's goroutine")
		}
	}
	if notes.Load() == 0 {
		t.Error("Notify never called")
	}
}

func TestWatcherRealMetricAndConditionalCurve(t *testing.T) {
	curve, err := quality.SpiralCurve(quality.SpiralRotations, 2000)
	if err != nil {
		t.Fatal(err)
	}
	f, data := tinyFlow(t), spiralMat(t, 300)
	shifted := data.Clone()
	for i := range shifted.Data {
		shifted.Data[i] += 0.3
	}
	for _, c := range []struct {
		name  string
		curve Curve
		data  nn.Mat
		has   bool
	}{
		{"generated", Curve{Points: curve}, data, true},
		{"file on the spiral", Curve{Points: curve, FitWithin: 0.05}, data, true},
		{"file off the spiral", Curve{Points: curve, FitWithin: 0.05}, shifted, false},
		{"no curve", Curve{}, data, false},
	} {
		src := &fakeSource{}
		src.p.Store(&run.Snapshot{Version: 1, Flow: f, Data: c.data})
		w := New(context.Background(), src, c.curve, Options{Every: time.Hour, LowPriority: true})
		s := waitStatus(t, w, c.name+" measured", func(s *Status) bool { return s.Measured || s.Err != "" })
		w.Close()
		want := quality.Measure(f, c.data, nil)
		if c.has {
			want = quality.Measure(f, c.data, curve)
		}
		if s.Err != "" || s.Result.HasCurve != c.has || s.Result.D2M95 != want.D2M95 || s.Verdict != want.Verdict {
			t.Errorf("%s: status %+v (err %q), want HasCurve %v and %v", c.name, s.Result, s.Err, c.has, want)
		}
	}
}

func TestWatcherSurvivesAFlowItCannotMeasure(t *testing.T) {
	f, err := flow.New(flow.Config{N: 3, D: 1, Steps: 2, Hidden: 8, Blocks: 1, Bins: 4, TailBound: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{}
	src.p.Store(&run.Snapshot{Version: 1, Flow: f, Data: nn.NewMat(4, 3)})
	w := New(context.Background(), src, Curve{}, Options{})
	defer w.Close()
	s := waitStatus(t, w, "failed", func(s *Status) bool { return s.Err != "" })
	if s.Measured {
		t.Fatalf("status %+v", *s)
	}
}
