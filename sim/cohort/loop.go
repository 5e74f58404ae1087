package cohort

import (
	"fmt"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/run"
)

// loop looks at the members every Tick: it keeps their timelines, publishes a State if
// something changed, and measures one member when the duty allows.
func (c *Cohort) loop() {
	meter := quality.NewMeterIndex(c.index)
	t := time.NewTimer(untilTick(time.Now(), c.opts.Tick))
	defer t.Stop()
	var due time.Time // earliest next measurement
	rr := 0           // where the round-robin search for the next measurement starts
	var snaps []*run.Snapshot
	measured := false // since the last State
	for {
		ms := c.list()
		snaps = snaps[:0]
		for _, m := range ms {
			var s *run.Snapshot
			if m.run != nil {
				s = m.run.Latest()
				c.keepFrame(m, s)
			}
			snaps = append(snaps, s)
		}
		// One State per tick, at the tick (each asks the viewer for a frame); a measurement's
		// result waits for the next one.
		if measured || c.changed(ms, snaps) {
			c.publish(ms, snaps)
		}
		measured = false
		if now := time.Now(); !now.Before(due) && len(ms) > 0 {
			for k := range ms {
				i := (rr + k) % len(ms)
				if c.measureDue(ms[i], snaps[i]) {
					t0 := time.Now()
					c.measure(meter, ms[i], snaps[i])
					measured = true
					d := time.Since(t0)
					due = time.Now().Add(time.Duration(float64(d) * (1/c.opts.Duty - 1)))
					rr = i + 1
					break
				}
			}
		}
		t.Reset(untilTick(time.Now(), c.opts.Tick))
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		case <-c.kick:
		}
	}
}

// tickLag is how long after a multiple of Tick the members are looked at.
const tickLag = 5 * time.Millisecond

// untilTick returns the wait from now until tickLag after the next multiple of tick on the
// wall clock.
func untilTick(now time.Time, tick time.Duration) time.Duration {
	next := now.Add(-tickLag).Truncate(tick).Add(tick + tickLag)
	return next.Sub(now)
}

// list returns the members (a copy of the slice).
func (c *Cohort) list() []*member {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*member(nil), c.members...)
}

// keepFrame offers the run's latest weights to the member's timeline; a reset run (a newer
// generation) starts a new timeline and record, an older generation (a fork's run before
// its reset took effect) is ignored.
func (c *Cohort) keepFrame(m *member, s *run.Snapshot) {
	if s.Gen < m.gen {
		return
	}
	if s.Gen > m.gen {
		m.gen = s.Gen
		m.tl = newTimelineBuilder(c.opts.Every, c.opts.Keep)
		m.marks = marksBuilder{keep: keepMarks}
		m.measured, m.last = 0, Quality{LearnedStep: -1}
	}
	if s.Flow != nil {
		m.tl.offer(Frame{Step: s.Step, Flow: s.Flow, Loss: s.Loss})
	}
}

// measureDue reports whether the member has weights not measured yet.
func (c *Cohort) measureDue(m *member, s *run.Snapshot) bool {
	if m.frozen != nil {
		return m.measured == 0
	}
	return s != nil && s.Flow != nil && s.Gen == m.gen && s.Version != m.measured && s.State != run.Diverged
}

// measure measures the member's newest weights and records the result.
func (c *Cohort) measure(meter *quality.Meter, m *member, s *run.Snapshot) {
	f, step := m.frozen, 0
	if f == nil {
		f, step = s.Flow, s.Step
		m.measured = s.Version
	} else {
		m.measured = 1
	}
	res, err := safeMeasure(meter, f, c.data)
	q := m.last
	if err != nil {
		q.Err = err.Error()
		m.last = q
		return
	}
	q.Measured, q.Step, q.Result, q.Verdict, q.Err = true, step, res, res.Verdict, ""
	if q.Verdict == quality.Learned && q.LearnedStep < 0 {
		q.LearnedStep = step
	}
	m.last = q
	m.marks.add(Mark{Step: step, D2M95: res.D2M95, M2D95Core: res.M2D95Core, Verdict: res.Verdict})
}

// safeMeasure measures a one-goroutine copy of f, turning a panic into an error.
func safeMeasure(m *quality.Meter, f *flow.MFlow, data nn.Mat) (r quality.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cohort: measuring failed: %v", p)
		}
	}()
	cp := *f // flows in snapshots are immutable: a shallow copy with its own worker count
	cp.Workers = 1
	return m.Measure(&cp, data), nil
}

// changed reports whether the members or their runs' snapshots differ from the State's.
func (c *Cohort) changed(ms []*member, snaps []*run.Snapshot) bool {
	st := c.State()
	if len(st.Members) != len(ms) {
		return true
	}
	for i, s := range snaps {
		if s != st.Members[i].Snap {
			return true
		}
	}
	return false
}

// publish stores a new State of the members.
func (c *Cohort) publish(ms []*member, snaps []*run.Snapshot) {
	prev := c.State()
	st := &State{Version: prev.Version + 1, Members: make([]Member, len(ms))}
	for i, m := range ms {
		q := m.last
		if s := snaps[i]; s != nil && s.State == run.Diverged {
			q.Verdict = quality.Diverged
		}
		st.Members[i] = Member{ID: m.id, Label: m.label, Run: m.run, Frozen: m.frozen, Snap: snaps[i],
			Parent: m.parent, ForkStep: m.forkStep, Quality: q, Timeline: m.tl.view(), Marks: m.marks.view()}
	}
	c.state.Store(st)
	if c.opts.Notify != nil {
		c.opts.Notify()
	}
}
