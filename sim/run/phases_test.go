package run

import (
	"context"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/flow"
)

func TestPhaseBuilderRecordsChangesImmutably(t *testing.T) {
	var b phaseBuilder
	for step, ph := range []flow.Phase{flow.PhaseSearch, flow.PhaseSearch, flow.PhaseJoint, flow.PhaseJoint, flow.PhaseManifold} {
		b.add(step+1, ph)
	}
	v := b.view()
	want := []PhaseMark{{0, flow.PhaseSearch}, {2, flow.PhaseJoint}, {4, flow.PhaseManifold}}
	if v.Len() != len(want) {
		t.Fatalf("%d marks, want %d", v.Len(), len(want))
	}
	for i, m := range want {
		if v.At(i) != m {
			t.Errorf("mark %d = %+v, want %+v", i, v.At(i), m)
		}
	}
	b.add(6, flow.PhaseDensity)
	if v.Len() != 3 || b.view().Len() != 4 {
		t.Errorf("published view changed (%d marks) or new one missing the change (%d)", v.Len(), b.view().Len())
	}
	for i := 0; i < 2*MaxPhaseMarks; i++ {
		b.add(7+i, flow.Phase(i%2))
	}
	if b.view().Len() != MaxPhaseMarks {
		t.Errorf("%d marks, want the cap %d", b.view().Len(), MaxPhaseMarks)
	}
	var nilP *Phases
	if nilP.Len() != 0 {
		t.Error("nil Phases not empty")
	}
}

// TestSnapshotGenPhasesAndElapsed checks that a reset starts a new generation with empty
// phases and a zero running clock, and that the clock stands still while paused.
func TestSnapshotGenPhasesAndElapsed(t *testing.T) {
	r, err := New(context.Background(), spiralData(300, 1), tinySettings(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { r.Stop(); r.Wait() }()
	g0 := r.Latest().Gen
	r.Start()
	s := waitFor(t, r, "10 steps", func(s *Snapshot) bool { return s.Step >= 10 })
	if s.Phases.Len() != 1 || s.Phases.At(0) != (PhaseMark{0, flow.PhaseJoint}) {
		t.Errorf("joint run phases: %d marks, first %+v", s.Phases.Len(), s.Phases.At(0))
	}
	if s.Elapsed <= 0 {
		t.Errorf("running clock %v after %d steps", s.Elapsed, s.Step)
	}
	r.Pause()
	p := waitFor(t, r, "paused", func(s *Snapshot) bool { return s.State == Paused })
	time.Sleep(30 * time.Millisecond)
	r.StepOnce()
	q := waitFor(t, r, "one more step", func(s *Snapshot) bool { return s.Step > p.Step })
	if q.Elapsed != p.Elapsed {
		t.Errorf("running clock moved while paused: %v → %v", p.Elapsed, q.Elapsed)
	}
	r.Reset(2)
	n := waitFor(t, r, "reset", func(s *Snapshot) bool { return s.Gen != g0 })
	if n.Gen != g0+1 || n.Step != 0 || n.Phases.Len() != 0 || n.Elapsed != 0 {
		t.Errorf("after reset: gen %d (was %d), step %d, %d phase marks, clock %v", n.Gen, g0, n.Step, n.Phases.Len(), n.Elapsed)
	}
}
