package assets_test

import (
	"testing"

	"github.com/mflowlab/mflowlab/assets"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

// TestDefaultClassifier checks that the shipped classifier loads and is accurate on fresh data.
func TestDefaultClassifier(t *testing.T) {
	m, err := classify.Parse(assets.ClassifierName, assets.Classifier())
	if err != nil {
		t.Fatal(err)
	}
	ds, err := spirals.Generate(4000, 3, 1.2, 99)
	if err != nil {
		t.Fatal(err)
	}
	if acc := m.Accuracy(nn.MatFrom(ds.N(), 2, ds.X), ds.Y); acc < 0.995 {
		t.Errorf("default classifier accuracy %.4f on fresh data, want ≥ 0.995", acc)
	}
}
