package run

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

func TestStateString(t *testing.T) {
	want := map[State]string{Idle: "idle", Running: "running", Paused: "paused", Diverged: "diverged",
		Done: "done", Stopped: "stopped", State(42): "State(42)"}
	for s, w := range want {
		if s.String() != w {
			t.Errorf("State(%d).String() = %q, want %q", int(s), s.String(), w)
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	for name, s := range map[string]Settings{"default": DefaultSettings(), "original": OriginalSettings()} {
		if err := s.Validate(); err != nil {
			t.Errorf("%s settings invalid: %v", name, err)
		}
	}
	d := DefaultSettings()
	if d.Flow != flow.LiveConfig() || d.Train.Recipe != flow.RecipeJoint || d.Train.Batch != flow.LiveBatch || d.Train.Cosine {
		t.Errorf("default settings are not the live ones: %+v", d)
	}
	o := OriginalSettings()
	if o.Flow != flow.OriginalConfig() || o.Train != flow.OriginalTraining() {
		t.Errorf("original settings differ from the original recipe: %+v", o)
	}
	bad := DefaultSettings()
	bad.Train.LR = math.NaN()
	if bad.Validate() == nil {
		t.Error("NaN learning rate accepted")
	}
	bad = DefaultSettings()
	bad.Flow.D = 2
	if bad.Validate() == nil {
		t.Error("d = n accepted")
	}
}

func TestFromDataset(t *testing.T) {
	d, err := spirals.Generate(10, 3, 1.2, 1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := FromDataset(d)
	if err != nil || m.Rows != 10 || m.Cols != 2 || m.At(3, 1) != d.X[7] {
		t.Fatalf("FromDataset: %v, %d×%d", err, m.Rows, m.Cols)
	}
	d.X = d.X[:5]
	if _, err := FromDataset(d); err == nil {
		t.Error("ragged data set accepted")
	}
	if _, err := FromDataset(nil); err == nil {
		t.Error("nil data set accepted")
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	data := spiralData(200, 1)
	bad := data.Clone()
	bad.Set(7, 1, float32(math.Inf(1)))
	if _, err := New(ctx, bad, tinySettings(1), nil); err == nil || !contains(err.Error(), "row 7") {
		t.Errorf("infinite data: err = %v, want one naming row 7", err)
	}
	three := nn.NewMat(10, 3)
	if _, err := New(ctx, three, tinySettings(1), nil); err == nil {
		t.Error("3-column data accepted for a 2-D flow")
	}
	s := tinySettings(1)
	s.Train.Batch = 0
	if _, err := New(ctx, data, s, nil); err == nil {
		t.Error("batch 0 accepted")
	}
	s = tinySettings(1)
	s.Train.ValFrac = 0.999
	if _, err := New(ctx, nn.NewMat(3, 2), s, nil); err == nil {
		t.Error("validation share leaving no training rows accepted")
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestSnapshotsImmutableAndVersioned reads snapshots while training runs flat out and checks
// that versions never go back and that no published flow or history changes afterwards.
func TestSnapshotsImmutableAndVersioned(t *testing.T) {
	r, err := New(context.Background(), spiralData(1000, 1), tinySettings(3), nil)
	if err != nil {
		t.Fatal(err)
	}
	type seen struct {
		s    *Snapshot
		hash uint64
		hist []Point
	}
	var got []seen
	r.Start()
	var last uint64
	for len(got) < 20 {
		s := r.Latest()
		if s.Version < last {
			t.Fatalf("version went back from %d to %d", last, s.Version)
		}
		if s.Version > last {
			got = append(got, seen{s, hashWeights(s.Flow.P), s.History.Points()})
			last = s.Version
		}
		time.Sleep(100 * time.Microsecond)
	}
	r.Pause()
	r.Reset(9)
	r.Start()
	waitFor(t, r, "steps after reset", func(s *Snapshot) bool { return s.Seed == 9 && s.Step > 5 })
	r.Stop()
	r.Wait()
	final := r.Latest()
	if final.State != Stopped || final.Version <= last {
		t.Fatalf("final snapshot: state %v version %d (last read %d)", final.State, final.Version, last)
	}
	steps := 0
	for _, g := range got {
		if h := hashWeights(g.s.Flow.P); h != g.hash {
			t.Fatalf("snapshot version %d: weights changed after publication", g.s.Version)
		}
		if !samePoints(g.s.History.Points(), g.hist) {
			t.Fatalf("snapshot version %d: history changed after publication", g.s.Version)
		}
		if g.s.Step < steps && g.s.Seed == 3 {
			t.Fatalf("step went back from %d to %d", steps, g.s.Step)
		}
		steps = g.s.Step
	}
	if steps == 0 {
		t.Fatal("no training steps were published")
	}
}

// samePoints compares histories bit for bit (NaN equals NaN).
func samePoints(a, b []Point) bool {
	if len(a) != len(b) {
		return false
	}
	bits := math.Float64bits
	for i, p := range a {
		q := b[i]
		if p.Step != q.Step || bits(p.Loss) != bits(q.Loss) || bits(p.MSE) != bits(q.MSE) || bits(p.NLL) != bits(q.NLL) ||
			bits(p.ValLoss) != bits(q.ValLoss) || bits(p.GradNorm) != bits(q.GradNorm) {
			return false
		}
	}
	return true
}

func TestNotifyRate(t *testing.T) {
	before := runtime.NumGoroutine()
	var calls atomic.Int64
	r, err := New(context.Background(), spiralData(1000, 1), tinySettings(1), func() { calls.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	r.Start()
	var sps float64
	for time.Since(t0) < time.Second {
		sps = max(sps, r.Latest().SamplesPerSec)
		time.Sleep(10 * time.Millisecond)
	}
	r.Stop()
	r.Wait()
	el := time.Since(t0).Seconds()
	n := calls.Load()
	if s := r.Latest(); s.Step == 0 || s.State != Stopped {
		t.Fatalf("run did not train: %+v", s)
	}
	// one call per 1/30 s, plus the first and the final flush
	if limit := int64(30*el) + 3; n > limit || n < 2 {
		t.Errorf("%d notify calls in %.2f s of flat-out training (want 2…%d)", n, el, limit)
	}
	if !(sps > 0) {
		t.Error("no throughput reported while running")
	}
	checkNoLeak(t, before)
}

func TestNotifierTrailingCall(t *testing.T) {
	var calls atomic.Int64
	n := newNotifier(func() { calls.Add(1) })
	n.trigger() // immediate
	n.trigger() // schedules the trailing call
	n.trigger() // coalesced
	if c := calls.Load(); c != 1 {
		t.Fatalf("%d calls right after three triggers, want 1", c)
	}
	for calls.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	n.trigger()
	n.flush() // the pending trailing call is delivered at once
	if c := calls.Load(); c != 3 {
		t.Fatalf("%d calls after flush, want 3", c)
	}
}

// TestStepOnceDeterministic steps two runs with the same seed and settings by hand and
// expects bit-identical weights; a third seed must differ.
func TestStepOnceDeterministic(t *testing.T) {
	const n = 25
	data := spiralData(1000, 2)
	weights := func(seed uint64) (*Snapshot, []float32) {
		r, err := New(context.Background(), data, tinySettings(seed), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { r.Stop(); r.Wait() }()
		for i := 0; i < n; i++ {
			r.StepOnce()
		}
		s := waitFor(t, r, "25 single steps", func(s *Snapshot) bool { return s.Step >= n })
		if s.Step != n || s.State != Paused {
			t.Fatalf("after %d StepOnce calls: step %d state %v", n, s.Step, s.State)
		}
		return s, s.Flow.P
	}
	sa, a := weights(5)
	_, b := weights(5)
	_, c := weights(6)
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("same seed, weight %d differs: %v vs %v", i, a[i], b[i])
		}
	}
	if hashWeights(a) == hashWeights(c) {
		t.Fatal("different seeds gave identical weights")
	}
	if sa.History.Len() != n || sa.History.At(n-1).Step != n || !(sa.Loss > 0) {
		t.Fatalf("history of %d points (last %+v), loss %v", sa.History.Len(), sa.History.At(sa.History.Len()-1), sa.Loss)
	}
	// the same steps taken by the engine directly give the same weights
	m, _ := flow.New(tinySettings(5).Flow, 5)
	tr, _ := flow.NewTrainer(m, data, tinySettings(5).trainConfig())
	for i := 0; i < n; i++ {
		if _, err := tr.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if hashWeights(m.P) != hashWeights(a) {
		t.Fatal("run's weights differ from the engine's after the same steps")
	}
}

func TestDivergence(t *testing.T) {
	data := spiralData(1000, 1)
	for name, mod := range map[string]func(*Settings){
		"exploding gradient": func(s *Settings) { s.Train.MaxNorm = 1e-3 },
		"infinite loss":      func(s *Settings) { s.Train.MSEWeight = 1e308 },
	} {
		t.Run(name, func(t *testing.T) {
			s := tinySettings(4)
			mod(&s)
			r, err := New(context.Background(), data, s, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { r.Stop(); r.Wait() }()
			init := append([]float32(nil), r.Latest().Flow.P...)
			r.Start()
			d := waitFor(t, r, "divergence", func(s *Snapshot) bool { return s.State == Diverged })
			if !errors.Is(d.Err, flow.ErrDiverged) {
				t.Fatalf("error %v does not wrap flow.ErrDiverged", d.Err)
			}
			if !finiteWeights(d.Flow.P) || hashWeights(d.Flow.P) != hashWeights(init) {
				t.Fatal("diverged snapshot does not hold the last good (initial) weights")
			}
			r.StepOnce()
			r.Start()
			// reset with sane settings recovers
			if err := r.SetSettings(tinySettings(4)); err != nil {
				t.Fatal(err)
			}
			r.Reset(4)
			s2 := waitFor(t, r, "reset", func(s *Snapshot) bool { return s.State == Idle })
			if s2.Err != nil || s2.Step != 0 || s2.History.Len() != 0 {
				t.Fatalf("after reset: err %v step %d history %d", s2.Err, s2.Step, s2.History.Len())
			}
			r.Start()
			waitFor(t, r, "training after reset", func(s *Snapshot) bool { return s.Step >= 3 && s.State == Running })
		})
	}
}

func TestDoneKeepsBestWeights(t *testing.T) {
	s := tinySettings(2)
	s.Train.Epochs = 2
	s.Train.Batch = 256
	r, err := New(context.Background(), spiralData(600, 1), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { r.Stop(); r.Wait() }()
	r.Start()
	d := waitFor(t, r, "done", func(s *Snapshot) bool { return s.State == Done })
	if d.Epoch != 2 || d.BestEpoch < 0 || math.IsNaN(d.ValLoss) || d.Err != nil {
		t.Fatalf("done snapshot: epoch %d best %d val %v err %v", d.Epoch, d.BestEpoch, d.ValLoss, d.Err)
	}
	r.Start() // no effect
	r.StepOnce()
	r.Reset(3)
	waitFor(t, r, "reset after done", func(s *Snapshot) bool { return s.State == Idle && s.Seed == 3 })
}

func TestSetSettingsAndData(t *testing.T) {
	r, err := New(context.Background(), spiralData(500, 1), tinySettings(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { r.Stop(); r.Wait() }()
	bad := tinySettings(1)
	bad.Train.Clip = -1
	if r.SetSettings(bad) == nil {
		t.Error("negative clip accepted")
	}
	wide := tinySettings(1)
	wide.Flow.N = 3
	if r.SetSettings(wide) == nil {
		t.Error("3-D flow accepted for 2-D data")
	}
	nanData := spiralData(100, 1)
	nanData.Data[5] = float32(math.NaN())
	if err := r.SetData(nanData); err == nil || !contains(err.Error(), "row 2") {
		t.Errorf("NaN data: err = %v, want one naming row 2", err)
	}
	s := tinySettings(1)
	s.Train.Batch = 32
	if err := r.SetSettings(s); err != nil {
		t.Fatal(err)
	}
	small := spiralData(100, 4)
	if err := r.SetData(small); err != nil {
		t.Fatal(err)
	}
	small.Data[0] = 99 // the run holds its own copy
	if got := r.Latest(); got.Settings.Train.Batch != 64 || got.Data.Rows != 500 {
		t.Fatal("settings or data took effect before Reset")
	}
	r.Reset(8)
	got := waitFor(t, r, "reset", func(s *Snapshot) bool { return s.Seed == 8 })
	if got.Settings.Train.Batch != 32 || got.Data.Rows != 100 || got.Data.Data[0] == 99 || got.Settings.Train.Seed != 8 {
		t.Fatalf("after reset: batch %d rows %d first %v train seed %d", got.Settings.Train.Batch, got.Data.Rows, got.Data.Data[0], got.Settings.Train.Seed)
	}
	if r.Settings().Seed != 8 {
		t.Errorf("pending seed %d after Reset(8)", r.Settings().Seed)
	}
}

// TestSpeedLimit checks that a slow speed holds steps back without timing them: at 0.01
// steps a second, running briefly allows one step at most (the first is immediate).
func TestSpeedLimit(t *testing.T) {
	r, err := New(context.Background(), spiralData(500, 1), tinySettings(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.SetSpeed(0.01)
	if r.Speed() != 0.01 {
		t.Fatalf("speed %v", r.Speed())
	}
	r.Start()
	time.Sleep(100 * time.Millisecond)
	r.Pause()
	s := waitFor(t, r, "pause", func(s *Snapshot) bool { return s.State == Paused })
	if s.Step > 1 {
		t.Errorf("%d steps at 0.01 steps/s", s.Step)
	}
	for _, v := range []float64{-1, math.NaN(), math.Inf(1)} {
		r.SetSpeed(v)
		if r.Speed() != 0 {
			t.Errorf("SetSpeed(%v) gave speed %v, want 0 (flat out)", v, r.Speed())
		}
	}
	r.Stop()
	r.Wait()
}

// TestHammer calls every control at random from several goroutines while training runs,
// then stops and checks the run ended cleanly with consistent snapshots.
func TestHammer(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var notes atomic.Int64
	r, err := New(ctx, spiralData(800, 1), tinySettings(1), func() { notes.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	r.Start()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				switch rng.IntN(9) {
				case 0:
					r.Pause()
				case 1:
					r.Resume()
				case 2:
					r.StepOnce()
				case 3:
					r.SetSpeed([]float64{0, 50, 500, -1}[rng.IntN(4)])
				case 4:
					r.Reset(rng.Uint64N(4))
				case 5:
					s := tinySettings(1)
					s.Train.Batch = 16 + rng.IntN(64)
					if rng.IntN(3) == 0 {
						s.Train.LR = -1
						if r.SetSettings(s) == nil {
							t.Error("negative learning rate accepted")
						}
						continue
					}
					if err := r.SetSettings(s); err != nil {
						t.Error(err)
					}
				case 6:
					r.Start()
				case 7:
					_ = r.SetData(spiralData(200+2*rng.IntN(200), rng.Uint64()))
				case 8:
					_ = r.Settings()
				}
				time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond)
			}
		}(g)
	}
	// a reader checks every snapshot it sees
	wg.Add(1)
	go func() {
		defer wg.Done()
		var last uint64
		for {
			select {
			case <-stop:
				return
			default:
			}
			s := r.Latest()
			if s.Version < last {
				t.Errorf("version went back from %d to %d", last, s.Version)
			}
			last = s.Version
			if !finiteWeights(s.Flow.P) || s.Data.Cols != 2 || s.History.Len() > MaxHistory {
				t.Errorf("bad snapshot %d", s.Version)
			}
			time.Sleep(200 * time.Microsecond)
		}
	}()
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	r.Stop()
	r.Wait()
	r.Start() // after the end: ignored, must not block
	r.Reset(1)
	r.Wait()
	if s := r.Latest(); s.State != Stopped {
		t.Fatalf("final state %v", s.State)
	}
	t.Logf("hammer: %d versions published, %d notifications", r.Latest().Version, notes.Load())
	if notes.Load() == 0 {
		t.Error("no notifications")
	}
	checkNoLeak(t, before)
}

func TestContextCancelStops(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	r, err := New(ctx, spiralData(500, 1), tinySettings(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Start()
	waitFor(t, r, "a step", func(s *Snapshot) bool { return s.Step > 0 })
	cancel()
	r.Wait()
	if s := r.Latest(); s.State != Stopped || s.Step == 0 {
		t.Fatalf("after cancel: state %v step %d", s.State, s.Step)
	}
	checkNoLeak(t, before)
}

// TestResetFromContinuesFromWeights checks that a run reset from a flow of another
// architecture publishes exactly its weights and then trains on from them as the engine
// does, and that flows that do not fit are refused.
func TestResetFromContinuesFromWeights(t *testing.T) {
	data := spiralData(1000, 2)
	src, err := flow.New(flow.Config{N: 2, D: 1, Steps: 3, Hidden: 6, Blocks: 1, Bins: 5, TailBound: 3}, 9)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(context.Background(), data, tinySettings(5), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { r.Stop(); r.Wait() }()
	r.StepOnce()
	waitFor(t, r, "one step", func(s *Snapshot) bool { return s.Step == 1 })
	if err := r.ResetFrom(src); err != nil {
		t.Fatal(err)
	}
	s := waitFor(t, r, "the reset", func(s *Snapshot) bool { return s.Step == 0 && s.Settings.Flow == src.Cfg })
	if hashWeights(s.Flow.P) != hashWeights(src.P) {
		t.Fatal("after ResetFrom the run's weights are not the given flow's")
	}
	const n = 7
	for i := 0; i < n; i++ {
		r.StepOnce()
	}
	s = waitFor(t, r, "7 steps", func(s *Snapshot) bool { return s.Step == n })
	if got := r.Settings().Flow; got != src.Cfg {
		t.Fatalf("settings keep flow %v, want %v", got, src.Cfg)
	}
	// the same steps taken by the engine from the same weights
	m := src.Clone()
	tr, err := flow.NewTrainer(m, data, r.Settings().trainConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := tr.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if hashWeights(m.P) != hashWeights(s.Flow.P) {
		t.Fatal("the run did not continue from the given weights")
	}
	bad, _ := flow.New(flow.Config{N: 3, D: 1, Steps: 1, Hidden: 4, Blocks: 0, Bins: 2, TailBound: 3}, 1)
	if err := r.ResetFrom(bad); err == nil {
		t.Fatal("ResetFrom accepted a 3-dimensional flow for 2-column data")
	}
	if err := r.ResetFrom(nil); err == nil {
		t.Fatal("ResetFrom accepted nil")
	}
}
