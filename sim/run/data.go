package run

import (
	"fmt"

	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

// FromDataset returns the points of a Two Spirals data set as an n×2 matrix sharing d's
// memory (New and SetData copy it), for New, NewPool and SetData.
func FromDataset(d *spirals.Dataset) (nn.Mat, error) {
	if d == nil || d.N() < 1 || len(d.X) != 2*d.N() {
		n, x := 0, 0
		if d != nil {
			n, x = d.N(), len(d.X)
		}
		return nn.Mat{}, fmt.Errorf("run: data set has %d labels and %d coordinates; want n ≥ 1 points with 2 coordinates each", n, x)
	}
	return nn.MatFrom(d.N(), 2, d.X), nil
}
