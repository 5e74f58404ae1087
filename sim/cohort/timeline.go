package cohort

import (
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/quality"
)

// Frame is one kept moment of a run: its flow (an immutable snapshot) at a step.
type Frame struct {
	Step int         // the run's own step (a fork's steps count from its fork)
	Flow *flow.MFlow // the weights after Step steps; never modified
	Loss float64     // the last step's weighted loss
}

// Timeline is an immutable, bounded record of a run's frames, oldest first. A nil Timeline
// is empty.
type Timeline struct {
	frames []Frame
	every  int
}

// Len returns the number of frames.
func (t *Timeline) Len() int {
	if t == nil {
		return 0
	}
	return len(t.frames)
}

// At returns frame i (0 ≤ i < Len).
func (t *Timeline) At(i int) Frame { return t.frames[i] }

// Every returns the steps between kept frames now (it doubles at every thinning).
func (t *Timeline) Every() int {
	if t == nil {
		return 0
	}
	return t.every
}

// Find returns the index of the last frame at or before step, −1 when there is none.
func (t *Timeline) Find(step int) int {
	lo, hi := 0, t.Len() // the first frame after step is in [lo, hi]
	for lo < hi {
		m := (lo + hi) / 2
		if t.frames[m].Step <= step {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo - 1
}

// timelineBuilder keeps a frame every `every` steps, at most keep frames: when full, every
// other frame goes (the first and the newest stay) and every doubles, so memory stays fixed
// however long the run trains. Frames handed out in a Timeline are never written again.
type timelineBuilder struct {
	frames []Frame
	every  int
	keep   int
	pub    *Timeline
}

func newTimelineBuilder(every, keep int) timelineBuilder {
	return timelineBuilder{frames: make([]Frame, 0, keep), every: max(1, every), keep: max(4, keep)}
}

// offer keeps f if it is due: the first frame, or every steps after the last kept one.
func (b *timelineBuilder) offer(f Frame) {
	if n := len(b.frames); n > 0 && f.Step < b.frames[n-1].Step+b.every {
		return
	}
	if len(b.frames) == b.keep {
		b.thin()
	}
	b.frames = append(b.frames, f)
	b.pub = nil
}

// thin drops every other frame into a fresh array, keeping the first and the newest, and
// doubles the spacing.
func (b *timelineBuilder) thin() {
	out := make([]Frame, 0, b.keep)
	n := len(b.frames)
	for i := 0; i < n; i += 2 {
		out = append(out, b.frames[i])
	}
	if n%2 == 0 {
		out = append(out, b.frames[n-1])
	}
	b.frames = out
	b.every *= 2
}

// view returns the immutable Timeline of the frames so far.
func (b *timelineBuilder) view() *Timeline {
	if b.pub == nil {
		n := len(b.frames)
		b.pub = &Timeline{frames: b.frames[:n:n], every: b.every}
	}
	return b.pub
}

// Mark is one measurement of a run's manifold (quality.Result) at a step.
type Mark struct {
	Step      int
	D2M95     float64
	M2D95Core float64 // NaN without a known curve
	Verdict   quality.Verdict
}

// Marks is an immutable, bounded record of a run's measurements, oldest first. A nil Marks
// is empty.
type Marks struct{ marks []Mark }

// Len returns the number of measurements.
func (m *Marks) Len() int {
	if m == nil {
		return 0
	}
	return len(m.marks)
}

// At returns measurement i (0 ≤ i < Len).
func (m *Marks) At(i int) Mark { return m.marks[i] }

// Find returns the index of the last measurement at or before step, −1 when there is none.
func (m *Marks) Find(step int) int {
	i := -1
	for lo, hi := 0, m.Len(); lo < hi; {
		mid := (lo + hi) / 2
		if m.marks[mid].Step <= step {
			i, lo = mid, mid+1
		} else {
			hi = mid
		}
	}
	return i
}

// marksBuilder keeps at most keep measurements, dropping every other one when full.
type marksBuilder struct {
	marks []Mark
	keep  int
	pub   *Marks
}

func (b *marksBuilder) add(m Mark) {
	if b.marks == nil {
		b.marks = make([]Mark, 0, b.keep)
	}
	if len(b.marks) == b.keep {
		out := make([]Mark, 0, b.keep)
		for i := 0; i < len(b.marks); i += 2 {
			out = append(out, b.marks[i])
		}
		b.marks = out
	}
	b.marks = append(b.marks, m)
	b.pub = nil
}

func (b *marksBuilder) view() *Marks {
	if b.pub == nil {
		n := len(b.marks)
		b.pub = &Marks{marks: b.marks[:n:n]}
	}
	return b.pub
}
