// Package watch measures a training run's manifold quality (package quality: d2m95, core
// m2d95 and the verdict) in the background while it trains, for the app's side panel and
// `mflowlab bench --learn`. A Watcher takes the run's latest snapshot every Every, measures
// it on its own goroutine (a low-priority thread when asked) and publishes an immutable
// Status through an atomic pointer; readers never wait for a measurement.
package watch

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/osprio"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/run"
)

// DefaultEvery is the measurement cadence of the app and of `bench --learn`: one measurement
// (about 0.1 s of one core at the live size) at most this often, and only of a new snapshot;
// slower measurements are spaced further apart (see maxDuty).
const DefaultEvery = 750 * time.Millisecond

// Source gives the snapshot to measure; *run.Run is one.
type Source interface {
	Latest() *run.Snapshot
}

// Curve is what the watcher knows about the data's noiseless curve.
type Curve struct {
	// Points is the noiseless curve as a polyline (quality.SpiralCurve for Two Spirals);
	// nil when it is unknown, and then only d2m95 is measured.
	Points []quality.Point
	// FitWithin, when positive, makes Points conditional: they count as the data's curve
	// only when every data point lies within FitWithin of them (checked once per data set,
	// in the background), as for a loaded file that may or may not be the standard spiral.
	FitWithin float64
}

// Options configure a Watcher.
type Options struct {
	Every       time.Duration // time between measurements; 0 means DefaultEvery
	LowPriority bool          // measure on a thread of the lowest OS priority (package osprio)
	Notify      func()        // called (from the watcher's goroutine) after each new Status; may be nil
}

// Status is one published measurement. It is never modified after publication.
type Status struct {
	Gen      uint64        // the run generation (run.Snapshot.Gen) it belongs to
	Version  uint64        // the measured snapshot's version; 0 before the first measurement
	Step     int           // the measured snapshot's step
	Elapsed  time.Duration // its running clock (run.Snapshot.Elapsed)
	Result   quality.Result
	Verdict  quality.Verdict // Result.Verdict, or quality.Diverged when training diverged
	Measured bool            // a measurement of this generation exists (Result, Verdict are set)
	Took     time.Duration   // how long the measurement took
	Err      string          // a measurement that failed (e.g. a flow the metric cannot measure)
	// LearnedStep is the step of this generation's first measurement with the verdict
	// learned (−1 before); LearnedElapsed its running clock and LearnedAt when it finished.
	LearnedStep    int
	LearnedElapsed time.Duration
	LearnedAt      time.Time
	curve          *curveReq // the curve it was measured against
}

// Learned reports whether this generation has been measured learned at least once.
func (s *Status) Learned() bool { return s.LearnedStep >= 0 }

// curveReq is a SetCurve call: the curve and the first generation it applies to.
type curveReq struct {
	curve Curve
	from  uint64
}

// Watcher measures a Source's snapshots in the background; see the package comment. Its
// methods are safe for concurrent use and never wait for a measurement.
type Watcher struct {
	src     Source
	opts    Options
	measure measureFunc
	latest  atomic.Pointer[Status]
	curve   atomic.Pointer[curveReq]
	kick    chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
}

// measureFunc measures f on data with m (Meter.Measure; tests replace it).
type measureFunc func(m *quality.Meter, f *flow.MFlow, data nn.Mat) quality.Result

// New starts a watcher of src measuring against c from generation 0 on. It stops when ctx
// ends or Close is called.
func New(ctx context.Context, src Source, c Curve, o Options) *Watcher {
	return newWatcher(ctx, src, c, o, func(m *quality.Meter, f *flow.MFlow, data nn.Mat) quality.Result {
		return m.Measure(f, data)
	})
}

func newWatcher(ctx context.Context, src Source, c Curve, o Options, measure measureFunc) *Watcher {
	if o.Every <= 0 {
		o.Every = DefaultEvery
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &Watcher{src: src, opts: o, measure: measure, kick: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	req := &curveReq{curve: c}
	w.curve.Store(req)
	w.latest.Store(cleared(0, req))
	go func() {
		defer close(w.done)
		if o.LowPriority {
			osprio.Lower()
		}
		w.loop(ctx)
	}()
	return w
}

// cleared returns the Status of a generation not measured yet.
func cleared(gen uint64, req *curveReq) *Status {
	return &Status{Gen: gen, LearnedStep: -1, curve: req}
}

// Latest returns the newest Status (never nil). Compare its Gen with the run's latest
// snapshot: another Gen means the run was reset and is not measured yet.
func (w *Watcher) Latest() *Status { return w.latest.Load() }

// SetCurve makes runs of generation from and later be measured against c (for new data:
// pass the run's Gen + 1 before resetting it onto the data) and clears the published Status.
func (w *Watcher) SetCurve(c Curve, from uint64) {
	req := &curveReq{curve: c, from: from}
	w.curve.Store(req)
	w.latest.Store(cleared(from, req))
	w.Kick()
}

// Kick asks for a measurement now instead of at the next tick (it still happens on the
// watcher's goroutine, and only of a new snapshot).
func (w *Watcher) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Close stops the watcher and waits for a measurement in progress to end.
func (w *Watcher) Close() {
	w.cancel()
	<-w.done
}

// maxDuty bounds the share of time the watcher spends measuring: after a measurement that
// took d it waits at least (1/maxDuty − 1)·d, so a large flow (the original architecture
// takes seconds) never keeps a core busy and training keeps its pace.
const maxDuty = 0.2

// loop measures at the cadence until ctx ends.
func (w *Watcher) loop(ctx context.Context) {
	var st state
	t := time.NewTimer(w.opts.Every)
	defer t.Stop()
	for {
		t0 := time.Now()
		w.tick(&st)
		took := time.Since(t0)
		t.Reset(max(w.opts.Every-took, time.Duration(float64(took)*(1/maxDuty-1))))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.kick:
		}
	}
}

// state is what the watcher's goroutine keeps between measurements.
type state struct {
	req   *curveReq      // the curve the index and meter are for
	ix    *quality.Index // its index (nil: no curve)
	meter *quality.Meter // with ix; a fresh one per data when the curve is conditional
	data  *float32       // the data the fit check was done for
	fits  bool           // the curve fits that data
}

// tick measures the source's latest snapshot if it is new and publishes the result.
func (w *Watcher) tick(st *state) {
	snap := w.src.Latest()
	req := w.curve.Load()
	if snap == nil || snap.Flow == nil || snap.Gen < req.from {
		return // the run has not been reset onto the new data yet
	}
	cur := w.latest.Load()
	same := cur.Gen == snap.Gen && cur.curve == req
	if same && cur.Version == snap.Version {
		return
	}
	if !same {
		cur = cleared(snap.Gen, req)
		w.publish(cur) // the old generation's numbers go at once
	}
	meter := st.meterFor(req, snap.Data)
	next := &Status{Gen: snap.Gen, Version: snap.Version, Step: snap.Step, Elapsed: snap.Elapsed, curve: req,
		LearnedStep: cur.LearnedStep, LearnedElapsed: cur.LearnedElapsed, LearnedAt: cur.LearnedAt}
	t0 := time.Now()
	res, err := w.safeMeasure(meter, snap.Flow, snap.Data)
	next.Took = time.Since(t0)
	if err != nil {
		next.Err = err.Error()
		w.publish(next)
		return
	}
	next.Result, next.Verdict, next.Measured = res, res.Verdict, true
	if snap.State == run.Diverged {
		next.Verdict = quality.Diverged
	}
	if next.Verdict == quality.Learned && next.LearnedStep < 0 {
		next.LearnedStep, next.LearnedElapsed, next.LearnedAt = snap.Step, snap.Elapsed, time.Now()
	}
	w.publish(next)
}

// publish stores s unless a SetCurve replaced the curve meanwhile, and notifies.
func (w *Watcher) publish(s *Status) {
	if w.curve.Load() != s.curve {
		return
	}
	w.latest.Store(s)
	if w.opts.Notify != nil {
		w.opts.Notify()
	}
}

// safeMeasure measures a one-goroutine copy of f, turning a panic into an error.
func (w *Watcher) safeMeasure(m *quality.Meter, f *flow.MFlow, data nn.Mat) (r quality.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("watch: measuring failed: %v", p)
		}
	}()
	c := *f // snapshots are immutable: a shallow copy with its own worker count
	c.Workers = 1
	return w.measure(m, &c, data), nil
}

// meterFor returns the meter for req's curve on data, building the curve's index and
// checking a conditional curve's fit when they change.
func (st *state) meterFor(req *curveReq, data nn.Mat) *quality.Meter {
	if st.req != req {
		st.req, st.ix, st.meter, st.data = req, nil, nil, nil
		if len(req.curve.Points) > 0 {
			st.ix = quality.NewIndex(req.curve.Points)
		}
	}
	if st.ix == nil || req.curve.FitWithin <= 0 {
		if st.meter == nil {
			st.meter = quality.NewMeterIndex(st.ix)
		}
		return st.meter
	}
	var key *float32
	if len(data.Data) > 0 {
		key = &data.Data[0]
	}
	if st.meter == nil || st.data != key {
		st.data, st.fits = key, fitsCurve(st.ix, data, req.curve.FitWithin)
		if st.fits {
			st.meter = quality.NewMeterIndex(st.ix)
		} else {
			st.meter = quality.NewMeterIndex(nil)
		}
	}
	return st.meter
}

// fitsCurve reports whether every point of data (rows×2) lies within d of ix's curve.
func fitsCurve(ix *quality.Index, data nn.Mat, d float64) bool {
	hint := -1
	for i := 0; i < data.Rows; i++ {
		if ix.DistanceHint(float64(data.Data[2*i]), float64(data.Data[2*i+1]), &hint) > d {
			return false
		}
	}
	return data.Rows > 0
}
