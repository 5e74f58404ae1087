package quality

import (
	"testing"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/testref"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

// TestOriginalCheckpointVerdicts measures the original checkpoints on the original data set
// against the noiseless spiral (noise 3, 1.2 rotations): spec/instability.md says A, B and D
// learned the spiral, C is partial and mflow_two_spirals failed.
func TestOriginalCheckpointVerdicts(t *testing.T) {
	if testing.Short() {
		t.Skip("five original-size flows on 20 000 points: skipped in -short")
	}
	dataPath := testref.Path(t, "reference", "data", "spiral_dataset_20k.pt")
	ds, err := spirals.Load(dataPath)
	if err != nil {
		t.Fatal(err)
	}
	data := nn.MatFrom(ds.N(), 2, ds.X)
	curve, err := SpiralCurve(SpiralRotations, SpiralArmPoints)
	if err != nil {
		t.Fatal(err)
	}
	ix := NewIndex(curve)
	for _, c := range []struct {
		name string
		want Verdict
	}{
		{"spiral_mflow_A", Learned}, {"spiral_mflow_B", Learned}, {"spiral_mflow_C", Partial},
		{"spiral_mflow_D", Learned}, {"mflow_two_spirals", Failed},
	} {
		ck, err := flow.LoadCheckpoint(testref.Path(t, "reference", "checkpoints", c.name+".pt"))
		if err != nil {
			t.Fatal(err)
		}
		r := NewMeterIndex(ix).Measure(ck.Flow, data)
		t.Logf("%-18s %v (core t ∈ [%.3f, %.3f], %d samples)", c.name, r, r.Lo, r.Hi, r.Samples)
		if r.Verdict != c.want || !r.HasCurve {
			t.Errorf("%s: %v, want %v", c.name, r, c.want)
		}
	}
}
