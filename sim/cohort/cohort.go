// Package cohort trains and watches a set of M-Flow runs side by side on the same data —
// live runs of a run.Pool and frozen checkpoints — for the instability lab: each member
// keeps a bounded timeline of its weights (to rewind and fork) and a bounded record of its
// manifold measurements (package quality), taken in the background in turn with a bounded
// share of a core. Readers get immutable States through an atomic pointer and never wait.
package cohort

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/osprio"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/run"
)

// Options configure a Cohort. Zero fields take the defaults.
type Options struct {
	// Curve is the data's noiseless curve for core m2d95 (quality.SpiralCurve); nil when
	// unknown, then only d2m95 is measured.
	Curve []quality.Point
	// Every is the timeline's first spacing in steps (default 25); Keep the most frames a
	// member keeps (default 40; thinning doubles the spacing).
	Every, Keep int
	// Duty is the share of one core spent measuring (default 0.3): after a measurement that
	// took d, the next waits (1/Duty − 1)·d.
	Duty float64
	// Tick is how often members are looked at (default 100 ms), just after the multiples of
	// Tick on the wall clock: a viewer that limits its refreshes to the same ticks then
	// refreshes once per tick.
	Tick time.Duration
	// LowPriority runs the cohort's goroutine on a thread of the lowest OS priority.
	LowPriority bool
	// Notify is called (from other goroutines) after a new State, at most about 10 times a
	// second; it must return quickly. It may be nil.
	Notify func()
}

// MaxMembers bounds the members of a cohort.
const MaxMembers = 16

// keepMarks bounds the measurements a member keeps.
const keepMarks = 256

// Cohort is a set of members training and measured in the background. Its methods are safe
// for concurrent use and return at once.
type Cohort struct {
	ctx    context.Context
	cancel context.CancelFunc
	pool   *run.Pool
	data   nn.Mat
	opts   Options
	index  *quality.Index
	state  atomic.Pointer[State]
	kick   chan struct{}
	done   chan struct{}

	mu      sync.Mutex
	members []*member
	closed  bool
}

// member is one cell: a live run or a frozen flow. id, label, run, frozen and the fork
// fields never change; the rest belongs to the cohort's goroutine.
type member struct {
	id       int
	label    string
	run      *run.Run    // nil when frozen
	frozen   *flow.MFlow // nil when live
	parent   int         // the member it was forked from, −1 for none
	forkStep int         // the parent's step it was forked at (steps shown as forkStep + own)

	gen      uint64
	tl       timelineBuilder
	marks    marksBuilder
	measured uint64 // version of the last snapshot measured (frozen: 1 once measured)
	last     Quality
}

// Quality is a member's newest measurement.
type Quality struct {
	Measured    bool            // a measurement exists
	Step        int             // the measured step (the run's own)
	Result      quality.Result  // its distances
	Verdict     quality.Verdict // Result.Verdict, or quality.Diverged once training diverged
	LearnedStep int             // the first step measured learned, −1 before
	Err         string          // a measurement that failed
}

// Member is what a State says about one member. Its pointers are immutable.
type Member struct {
	ID       int // its index in every State's Members: members are never removed
	Label    string
	Run      *run.Run    // the live run (its Latest is fresher than Snap), nil when frozen
	Frozen   *flow.MFlow // the frozen flow, nil when live
	Snap     *run.Snapshot
	Parent   int // forked from this member, −1 for none
	ForkStep int // at this step of the parent
	Quality  Quality
	Timeline *Timeline
	Marks    *Marks
}

// Flow returns the member's newest flow: the frozen one or the run's latest.
func (m *Member) Flow() *flow.MFlow {
	if m.Frozen != nil {
		return m.Frozen
	}
	return m.Snap.Flow
}

// State is an immutable picture of the cohort: its members in the order they were added.
type State struct {
	Version uint64
	Members []Member
}

// New returns an empty cohort training on a copy of data (n×2). It stops when ctx ends or
// Close is called.
func New(ctx context.Context, data nn.Mat, o Options) (*Cohort, error) {
	if o.Every <= 0 {
		o.Every = 25
	}
	if o.Keep <= 0 {
		o.Keep = 40
	}
	if !(o.Duty > 0 && o.Duty <= 1) {
		o.Duty = 0.3
	}
	if o.Tick <= 0 {
		o.Tick = 100 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &Cohort{ctx: ctx, cancel: cancel, opts: o, kick: make(chan struct{}, 1), done: make(chan struct{})}
	pool, err := run.NewPool(ctx, data, nil) // the cohort looks at its runs every Tick
	if err != nil {
		cancel()
		return nil, err
	}
	c.pool, c.data = pool, data.Clone()
	if len(o.Curve) > 0 {
		c.index = quality.NewIndex(o.Curve)
	}
	c.state.Store(&State{})
	go func() {
		defer close(c.done)
		if o.LowPriority {
			osprio.Lower()
		}
		c.loop()
	}()
	return c, nil
}

// State returns the newest State (never nil).
func (c *Cohort) State() *State { return c.state.Load() }

// Data returns the data the members train on (shared; read only).
func (c *Cohort) Data() nn.Mat { return c.data }

// poke asks the cohort's goroutine to look at the members soon.
func (c *Cohort) poke() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// add appends a member under the lock, refusing when full or closed; first (may be nil) is
// its timeline's first frame, of run generation gen.
func (c *Cohort) add(m *member, first *Frame, gen uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return errors.New("cohort: closed")
	case len(c.members) >= MaxMembers:
		return fmt.Errorf("cohort: at most %d members", MaxMembers)
	}
	m.id = len(c.members)
	m.tl = newTimelineBuilder(c.opts.Every, c.opts.Keep)
	if first != nil {
		m.tl.offer(*first)
	}
	m.gen = gen
	m.marks.keep = keepMarks
	m.last.LearnedStep = -1
	c.members = append(c.members, m)
	c.poke()
	return nil
}

// AddRun adds an idle live run with settings s (Start trains it) and returns its id.
func (c *Cohort) AddRun(s run.Settings, label string) (int, error) {
	if err := c.room(); err != nil {
		return -1, err
	}
	r, err := c.pool.Add(s)
	if err != nil {
		return -1, err
	}
	m := &member{label: label, run: r, parent: -1}
	s0 := r.Latest() // the fresh weights, before any step
	if err := c.add(m, &Frame{Step: s0.Step, Flow: s0.Flow, Loss: s0.Loss}, s0.Gen); err != nil {
		r.Stop()
		return -1, err
	}
	return m.id, nil
}

// AddFrozen adds a flow that does not train (a checkpoint) and returns its id.
func (c *Cohort) AddFrozen(f *flow.MFlow, label string) (int, error) {
	if f == nil || f.Cfg.N != 2 || f.Cfg.D != 1 {
		return -1, errors.New("cohort: a frozen member needs a flow of 2-D points onto a 1-D manifold")
	}
	m := &member{label: label, frozen: f, parent: -1}
	if err := c.add(m, nil, 0); err != nil {
		return -1, err
	}
	return m.id, nil
}

// Fork adds a live run that continues from the frame of member id kept at step (the last
// frame at or before it) with settings s (its flow configuration is the frame's), and
// starts it. It returns the new member's id.
func (c *Cohort) Fork(id, step int, s run.Settings, label string) (int, error) {
	st := c.State()
	if id < 0 || id >= len(st.Members) {
		return -1, fmt.Errorf("cohort: no member %d", id)
	}
	src := st.Members[id]
	var from *flow.MFlow
	at := step
	if src.Frozen != nil {
		from, at = src.Frozen, 0
	} else {
		i := src.Timeline.Find(step - src.ForkStep)
		if i < 0 {
			return -1, fmt.Errorf("cohort: member %d has no weights at or before step %d", id, step)
		}
		fr := src.Timeline.At(i)
		from, at = fr.Flow, src.ForkStep+fr.Step
	}
	if err := c.room(); err != nil {
		return -1, err
	}
	s.Flow = from.Cfg
	r, err := c.pool.Add(s)
	if err != nil {
		return -1, err
	}
	gen := r.Latest().Gen + 1 // the generation ResetFrom makes
	if err := r.ResetFrom(from); err != nil {
		r.Stop()
		return -1, err
	}
	m := &member{label: label, run: r, parent: id, forkStep: at}
	if err := c.add(m, &Frame{Step: 0, Flow: from, Loss: math.NaN()}, gen); err != nil {
		r.Stop()
		return -1, err
	}
	r.Start()
	return m.id, nil
}

// room reports whether another member fits.
func (c *Cohort) room() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.members) >= MaxMembers {
		return fmt.Errorf("cohort: at most %d members", MaxMembers)
	}
	return nil
}

// runs returns the live runs.
func (c *Cohort) runs() []*run.Run {
	c.mu.Lock()
	defer c.mu.Unlock()
	var rs []*run.Run
	for _, m := range c.members {
		if m.run != nil {
			rs = append(rs, m.run)
		}
	}
	return rs
}

// Start trains every live run; Pause holds them.
func (c *Cohort) Start() {
	for _, r := range c.runs() {
		r.Start()
	}
}

// Pause holds every live run.
func (c *Cohort) Pause() {
	for _, r := range c.runs() {
		r.Pause()
	}
}

// SetSpeed limits every live run to stepsPerSec (0: flat out).
func (c *Cohort) SetSpeed(stepsPerSec float64) {
	for _, r := range c.runs() {
		r.SetSpeed(stepsPerSec)
	}
}

// Close stops every run and the cohort's goroutine and waits for them.
func (c *Cohort) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.pool.Close()
	<-c.done
}
