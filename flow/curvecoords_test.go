package flow

import (
	"math"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// spiralData is the Two Spirals generator's noiseless curve with a deterministic offset
// pattern: points ordered from one end (arm 1, outside) through the centre to the other.
func spiralData(m int, rotations, noise float64) (x nn.Mat, s []float64) {
	x = nn.NewMat(2*m, 2)
	s = make([]float64, 2*m)
	for i := 0; i < m; i++ {
		t := math.Sqrt(float64(i) / float64(m-1))
		th := 2 * math.Pi * rotations * t
		r := th / (2 * math.Pi)
		a := noise * math.Sin(float64(i)*1.7)
		b := noise * math.Cos(float64(i)*2.3)
		px, py := r*math.Cos(th)+a, r*math.Sin(th)+b
		// arm 0 at index m-1-i (so the order runs outside → centre), arm 1 mirrored after it
		x.Data[2*(m-1-i)], x.Data[2*(m-1-i)+1] = float32(px), float32(py)
		x.Data[2*(m+i)], x.Data[2*(m+i)+1] = float32(-px), float32(-py)
		s[m-1-i] = -th * th // monotone in the arc length along the S-curve
		s[m+i] = th * th
	}
	return x, s
}

// TestCurveCoordsFollowTheCurve checks that U orders the points as they lie along the curve
// (from either end) and spans [−2, 2].
func TestCurveCoordsFollowTheCurve(t *testing.T) {
	x, s := spiralData(1500, 1.2, 0.01)
	c, err := NewCurveCoords(x)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	inv, pairs := 0, 0
	for i := 0; i+25 < x.Rows; i += 5 {
		j := i + 25
		pairs++
		if (s[j]-s[i])*float64(c.U[j]-c.U[i]) < 0 {
			inv++
		}
	}
	for _, u := range c.U {
		lo, hi = math.Min(lo, float64(u)), math.Max(hi, float64(u))
	}
	if inv != 0 && inv != pairs {
		t.Fatalf("U orders %d of %d point pairs against the curve", inv, pairs)
	}
	if math.Abs(lo+2) > 1e-6 || math.Abs(hi-2) > 1e-6 {
		t.Fatalf("U spans [%v, %v], want [−2, 2]", lo, hi)
	}
	t.Logf("length %.3f, scale %.3f", c.Length, c.Scale)
}
