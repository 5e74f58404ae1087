package quality

import (
	"fmt"

	"github.com/mflowlab/mflowlab/sim/spirals"
)

// Two Spirals generator settings of the app's and the original's data (spec section 1).
const (
	SpiralRotations = 1.2   // turns of each arm
	SpiralArmPoints = 10000 // points per arm SpiralCurve is usually asked for
)

// SpiralCurve returns the noiseless Two Spirals curve: the generator's formula
// (spirals.Generate) with noise 0 and perArm ≥ 2 points per arm, both arms joined at the
// origin into one polyline from the outer end of arm 1 through the origin to the outer end
// of arm 0 (2·perArm − 1 points).
func SpiralCurve(rotations float64, perArm int) ([]Point, error) {
	if perArm < 2 {
		return nil, fmt.Errorf("quality: spiral curve with %d points per arm, want at least 2", perArm)
	}
	d, err := spirals.Generate(2*perArm, 0, rotations, 0)
	if err != nil {
		return nil, fmt.Errorf("quality: spiral curve: %w", err)
	}
	out := make([]Point, 0, 2*perArm-1)
	for i := 2*perArm - 1; i > perArm; i-- { // arm 1 from its outer end to the origin (excluded)
		out = append(out, Point{float64(d.X[2*i]), float64(d.X[2*i+1])})
	}
	for i := 0; i < perArm; i++ { // arm 0 from the origin outwards
		out = append(out, Point{float64(d.X[2*i]), float64(d.X[2*i+1])})
	}
	return out, nil
}
