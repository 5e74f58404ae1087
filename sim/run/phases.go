package run

import "github.com/mflowlab/mflowlab/flow"

// MaxPhaseMarks bounds the phase changes a run records; later changes are not recorded (the
// original recipe's 35 epochs make 70, a warm-start recipe a handful).
const MaxPhaseMarks = 512

// PhaseMark says that the steps after Start (Start+1, Start+2, …) optimised Phase, up to the
// next mark's Start.
type PhaseMark struct {
	Start int        // steps taken before the phase began
	Phase flow.Phase // the loss the phase optimises
}

// Phases is an immutable record of the phases a run went through, oldest first: one mark
// per change of flow.StepInfo.Phase. A nil Phases is empty.
type Phases struct {
	marks []PhaseMark
}

// Len returns the number of marks.
func (p *Phases) Len() int {
	if p == nil {
		return 0
	}
	return len(p.marks)
}

// At returns mark i (0 ≤ i < Len).
func (p *Phases) At(i int) PhaseMark { return p.marks[i] }

// phaseBuilder appends marks; a published Phases is never written again (appends go past
// its length).
type phaseBuilder struct {
	marks []PhaseMark
	pub   *Phases
}

// add records that step (1-based) optimised ph.
func (b *phaseBuilder) add(step int, ph flow.Phase) {
	if n := len(b.marks); (n > 0 && b.marks[n-1].Phase == ph) || n == MaxPhaseMarks {
		return
	}
	b.marks = append(b.marks, PhaseMark{Start: step - 1, Phase: ph})
	b.pub = nil
}

// view returns the immutable record so far.
func (b *phaseBuilder) view() *Phases {
	if b.pub == nil {
		n := len(b.marks)
		b.pub = &Phases{marks: b.marks[:n:n]}
	}
	return b.pub
}
