package run

import (
	"context"
	"errors"
	"fmt"
	"github.com/mflowlab/mflowlab/internal/osprio"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
)

// publishInterval is the shortest gap between two snapshots published while running;
// state changes and steps taken while paused are always published. Every snapshot makes the
// plane rebuild its scene (warped grid, curve, probes' attacks): at 30 a second the window
// still draws 60 frames a second and training gets the time back (the app's seeds 1–10
// learned in 10.8 s median instead of 12.9 s). A Pool's members publish at most every
// poolPublishInterval: a grid of small pictures needs fewer frames, and every snapshot
// copies the weights (16 runs at 60 a second made 960 copies a second).
const (
	publishInterval     = time.Second / 30
	poolPublishInterval = time.Second / 20
)

// rateWindow is the span over which SamplesPerSec is measured.
const rateWindow = 250 * time.Millisecond

// minSpeed is the slowest speed SetSpeed accepts, in steps per second.
const minSpeed = 1e-3

type cmdKind int

const (
	cmdStart cmdKind = iota
	cmdPause
	cmdStep
	cmdReset
)

type command struct {
	kind cmdKind
	seed uint64
	from *flow.MFlow // cmdReset: continue from these weights instead of fresh ones
}

// Run trains one M-Flow in its own goroutine and publishes Snapshots. Its methods are safe
// for concurrent use and return at once; commands take effect in call order between steps.
type Run struct {
	id     int
	gate   *gate // shared step slots of a Pool, nil when alone
	note   *notifier
	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{}
	done   chan struct{}
	latest atomic.Pointer[Snapshot]
	speed  atomic.Uint64 // float64 bits, steps per second, 0 = flat out

	mu      sync.Mutex
	queue   []command
	pending Settings // for the next Reset
	data    nn.Mat   // for the next Reset (private copy, never modified)

	w worker // owned by the training goroutine
}

// worker is the state only the training goroutine touches.
type worker struct {
	state     State
	settings  Settings
	data      nn.Mat
	tr        *flow.Trainer
	arenas    *flow.ArenaPool // a Pool's shared evaluation scratch, nil when alone
	hist      histBuilder
	phases    phaseBuilder
	gen       uint64        // resets so far
	ranFor    time.Duration // time spent running before runSince
	runSince  time.Time     // when the current stretch of running began (zero unless running)
	info      flow.StepInfo // last real optimisation step
	valLoss   float64
	bestEpoch int
	err       error
	version   uint64
	lastPub   time.Time
	pubEvery  time.Duration // shortest gap between snapshots while running
	lastStep  time.Time     // start of the last step, for the speed limit
	winStart  time.Time
	winRows   int
	sps       float64
}

// New validates the settings and data, builds a flow from s.Seed and starts the run's
// goroutine in state Idle (call Start to train). The data is copied. notify (may be nil) is
// called from other goroutines after new snapshots, at most about 30 times a second; it must
// return quickly. The run stops when ctx is cancelled or Stop is called.
func New(ctx context.Context, data nn.Mat, s Settings, notify func()) (*Run, error) {
	return newRun(ctx, 0, data, s, newNotifier(notify), nil)
}

func newRun(ctx context.Context, id int, data nn.Mat, s Settings, note *notifier, g *gate) (*Run, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := checkData(data); err != nil {
		return nil, err
	}
	if err := checkFit(s, data); err != nil {
		return nil, err
	}
	data = data.Clone()
	r := &Run{id: id, gate: g, note: note, wake: make(chan struct{}, 1), done: make(chan struct{}),
		pending: s, data: data}
	r.w.pubEvery = publishInterval
	if g != nil {
		r.w.arenas = g.arenas
		r.w.pubEvery = poolPublishInterval
	}
	if err := r.w.build(s, data, nil); err != nil {
		return nil, err
	}
	r.ctx, r.cancel = context.WithCancel(ctx)
	r.publish(true)
	go func(low bool) {
		if low {
			osprio.Lower()
		}
		r.loop()
	}(s.LowPriority)
	return r, nil
}

// ID returns the run's id (its index in a Pool, 0 for a lone run).
func (r *Run) ID() int { return r.id }

// Latest returns the newest snapshot (never nil).
func (r *Run) Latest() *Snapshot { return r.latest.Load() }

// Start begins training an idle or paused run.
func (r *Run) Start() { r.send(command{kind: cmdStart}) }

// Resume continues a paused run (the same as Start).
func (r *Run) Resume() { r.send(command{kind: cmdStart}) }

// Pause holds training after the current step.
func (r *Run) Pause() { r.send(command{kind: cmdPause}) }

// StepOnce takes one training step of a paused or idle run (which becomes paused); it does
// nothing while running, diverged, done or stopped.
func (r *Run) StepOnce() { r.send(command{kind: cmdStep}) }

// Reset replaces the flow with a fresh one from seed, built with the settings and data last
// given to SetSettings and SetData, and clears the history. A running or paused run stays
// so; an idle, diverged or finished one becomes idle.
func (r *Run) Reset(seed uint64) { r.send(command{kind: cmdReset, seed: seed}) }

// ResetFrom is Reset that continues from a copy of f (its architecture, permutations and
// weights) instead of fresh weights: the settings' flow configuration becomes f's. It
// returns an error, changing nothing, when f does not fit the run's data or settings.
func (r *Run) ResetFrom(f *flow.MFlow) error {
	if f == nil || f.Arch == nil {
		return errors.New("run: ResetFrom needs a flow")
	}
	r.mu.Lock()
	s := r.pending
	s.Flow = f.Cfg
	err := s.Validate()
	if err == nil {
		err = checkFit(s, r.data)
	}
	if err == nil {
		r.pending = s
	}
	seed := r.pending.Seed
	r.mu.Unlock()
	if err != nil {
		return err
	}
	r.send(command{kind: cmdReset, seed: seed, from: f.Clone()})
	return nil
}

// SetSpeed limits training to stepsPerSec steps a second; 0 (or a negative, infinite or
// NaN value) means as fast as possible. Positive speeds below 0.001 count as 0.001.
func (r *Run) SetSpeed(stepsPerSec float64) {
	if !(stepsPerSec > 0) || math.IsInf(stepsPerSec, 1) {
		stepsPerSec = 0
	} else {
		stepsPerSec = max(stepsPerSec, minSpeed)
	}
	r.speed.Store(math.Float64bits(stepsPerSec))
	r.poke()
}

// Speed returns the speed limit in steps per second (0 = flat out).
func (r *Run) Speed() float64 { return math.Float64frombits(r.speed.Load()) }

// SetSettings validates s and keeps it for the next Reset (whose seed replaces s.Seed).
func (r *Run) SetSettings(s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := checkFit(s, r.data); err != nil {
		return err
	}
	r.pending = s
	return nil
}

// Settings returns the settings the next Reset will use.
func (r *Run) Settings() Settings {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pending
}

// SetData validates and copies data and keeps it for the next Reset.
func (r *Run) SetData(data nn.Mat) error {
	if err := checkData(data); err != nil {
		return err
	}
	data = data.Clone()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := checkFit(r.pending, data); err != nil {
		return err
	}
	r.data = data
	return nil
}

// Stop ends the run after the current step; its last snapshot has state Stopped.
func (r *Run) Stop() { r.cancel() }

// Wait blocks until the run's goroutine has ended and its final snapshot is published.
func (r *Run) Wait() { <-r.done }

// Done returns a channel closed when the run's goroutine has ended.
func (r *Run) Done() <-chan struct{} { return r.done }

func (r *Run) send(c command) {
	select {
	case <-r.done:
		return
	default:
	}
	r.mu.Lock()
	r.queue = append(r.queue, c)
	r.mu.Unlock()
	r.poke()
}

func (r *Run) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Run) takeQueue() []command {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.queue
	r.queue = nil
	return q
}

func (r *Run) loop() {
	defer close(r.done)
	defer r.finish()
	for r.ctx.Err() == nil {
		for _, c := range r.takeQueue() {
			if !r.apply(c) {
				return
			}
		}
		if r.w.state != Running {
			select {
			case <-r.wake:
			case <-r.ctx.Done():
			}
			continue
		}
		if d := r.untilDue(); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-r.wake:
			case <-r.ctx.Done():
			case <-t.C:
			}
			t.Stop()
			continue
		}
		if !r.step() {
			return
		}
	}
}

func (r *Run) finish() {
	r.setState(Stopped)
	r.note.flush()
}

// untilDue returns how long the speed limit still holds the next step back.
func (r *Run) untilDue() time.Duration {
	sp := r.Speed()
	if sp <= 0 || r.w.lastStep.IsZero() {
		return 0
	}
	return time.Until(r.w.lastStep.Add(time.Duration(float64(time.Second) / sp)))
}

// apply carries out one command; it returns false when the run must stop.
func (r *Run) apply(c command) bool {
	w := &r.w
	switch c.kind {
	case cmdStart:
		if w.state == Idle || w.state == Paused {
			r.setState(Running)
		}
	case cmdPause:
		if w.state == Idle || w.state == Running {
			r.setState(Paused)
		}
	case cmdStep:
		if w.state == Idle || w.state == Paused {
			w.state = Paused
			return r.step()
		}
	case cmdReset:
		r.reset(c.seed, c.from)
	}
	return true
}

func (r *Run) setState(s State) {
	w := &r.w
	now := time.Now()
	if !w.runSince.IsZero() {
		w.ranFor += now.Sub(w.runSince)
		w.runSince = time.Time{}
	}
	if s == Running {
		w.runSince = now
	}
	w.state = s
	if s != Running {
		w.sps, w.winStart, w.winRows = 0, time.Time{}, 0
	}
	r.publish(true)
}

// step takes one training step (waiting for a Pool slot); it returns false when the run's
// context ended while waiting.
func (r *Run) step() bool {
	w := &r.w
	if r.gate != nil && !r.gate.acquire(r.ctx) {
		return false
	}
	start := time.Now()
	prev := w.tr.Steps()
	var lent *flow.Workspace
	if r.gate != nil {
		lent = r.gate.lend()
		w.tr.UseWorkspace(lent)
	}
	info, err := w.tr.Step()
	if r.gate != nil {
		w.tr.UseWorkspace(nil)
		r.gate.giveBack(lent)
		r.gate.release()
	}
	w.lastStep = start
	if err != nil {
		// the trainer keeps the last good weights; the snapshot keeps the last good step
		w.err = err
		r.setState(Diverged)
		return true
	}
	w.bestEpoch = info.BestEpoch
	if info.EpochEnd {
		w.valLoss = info.ValLoss
		w.hist.setVal(info.ValLoss)
	}
	if info.Step > prev {
		w.info = info
		w.hist.add(info.Step, info.Loss, info.MSE, info.NLL, info.GradNorm)
		w.phases.add(info.Step, info.Phase)
		if w.state == Running {
			w.meter(start, w.settings.Train.Batch)
		}
	}
	if info.Done {
		r.setState(Done)
		return true
	}
	r.publish(w.state != Running)
	return true
}

// meter adds rows to the throughput window that began no later than start.
func (w *worker) meter(start time.Time, rows int) {
	if w.winStart.IsZero() {
		w.winStart = start
	}
	w.winRows += rows
	if el := time.Since(w.winStart); el >= rateWindow {
		w.sps = float64(w.winRows) / el.Seconds()
		w.winStart, w.winRows = time.Now(), 0
	}
}

func (r *Run) reset(seed uint64, from *flow.MFlow) {
	r.mu.Lock()
	r.pending.Seed = seed
	s, data := r.pending, r.data
	r.mu.Unlock()
	w := &r.w
	if from != nil {
		s.Flow = from.Cfg
	}
	if err := w.build(s, data, from); err != nil {
		w.err = fmt.Errorf("run: reset: %w", err)
		r.publish(true)
		return
	}
	if w.state == Diverged || w.state == Done {
		w.state = Idle
	}
	w.gen++
	w.ranFor, w.runSince = 0, time.Time{}
	w.lastStep = time.Time{}
	r.setState(w.state)
}

// build makes a trainer for a fresh flow, or for from (owned by the trainer from now on)
// when it is not nil.
func (w *worker) build(s Settings, data nn.Mat, from *flow.MFlow) error {
	m := from
	if m == nil {
		var err error
		if m, err = flow.New(s.Flow, s.Seed); err != nil {
			return err
		}
	}
	if w.arenas != nil {
		m.Arch.ShareArenas(w.arenas) // a pool's flows share evaluation scratch
	}
	tc := s.trainConfig()
	if from != nil {
		tc = tc.Continued() // trained weights: no start-up phases that would replace them
	}
	tr, err := flow.NewTrainer(m, data, tc)
	if err != nil {
		return err
	}
	tr.SetSerial(s.SingleCore)
	nan := math.NaN()
	s.Train.Seed = s.Seed
	w.settings, w.data, w.tr = s, data, tr
	w.hist = newHistBuilder()
	w.phases = phaseBuilder{}
	w.info = flow.StepInfo{Phase: flow.PhaseJoint, Loss: nan, MSE: nan, NLL: nan, GradNorm: nan, LR: s.Train.LR}
	if s.Train.Recipe == flow.RecipeOriginal {
		w.info.Phase = flow.PhaseManifold
	}
	w.valLoss, w.bestEpoch, w.err = nan, -1, nil
	return nil
}

// publish stores a new snapshot and notifies; unless forced, at most once per
// publishInterval.
func (r *Run) publish(force bool) {
	w := &r.w
	now := time.Now()
	if !force && now.Sub(w.lastPub) < w.pubEvery {
		return
	}
	w.lastPub = now
	w.version++
	elapsed := w.ranFor
	if !w.runSince.IsZero() {
		elapsed += now.Sub(w.runSince)
	}
	r.latest.Store(&Snapshot{
		Version: w.version, RunID: r.id, Gen: w.gen, Seed: w.settings.Seed, Settings: w.settings,
		Flow: w.tr.Snapshot(), Data: w.data, State: w.state, Err: w.err,
		Step: w.tr.Steps(), Epoch: w.tr.Epoch(), StepsPerEpoch: w.tr.StepsPerEpoch(),
		Phase: w.info.Phase, Loss: w.info.Loss, MSE: w.info.MSE, NLL: w.info.NLL,
		GradNorm: w.info.GradNorm, LR: w.info.LR, ValLoss: w.valLoss, BestEpoch: w.bestEpoch,
		SamplesPerSec: w.sps, History: w.hist.view(), Phases: w.phases.view(), Elapsed: elapsed,
	})
	r.note.trigger()
}
