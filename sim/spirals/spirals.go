// Package spirals makes, splits, loads and saves the Two Spirals data set: two interleaved
// 2-D spiral arms, one per class, meeting at the origin (spec section 1).
package spirals

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Dataset is a labelled set of 2-D points: point i is (X[2i], X[2i+1]) with class Y[i],
// which is 0 or 1.
type Dataset struct {
	X      []float32 // n×2, row-major
	Y      []int32   // n labels
	Source string    // where the points came from: a file path or the generator's settings
}

// N returns the number of points.
func (d *Dataset) N() int { return len(d.Y) }

// Limits on Generate's arguments; MaxN also bounds the rows LoadCSV and LoadPT accept.
const (
	MinN         = 4          // fewest points Generate makes
	MaxN         = 10_000_000 // most points in a data set
	MaxNoise     = 1000       // largest noise level; noise is in hundredths of a unit, so offsets stay below 10
	MaxRotations = 100        // most turns of each spiral arm
)

// Stream identifiers mixed with the caller's seed, so that Generate and Split never share
// a random stream for the same seed.
const (
	generateStream = 0x5350495241_4C53 // "SPIRALS"
	splitStream    = 0x53504C4954      // "SPLIT"
)

// Generate draws n points (n even) of the Two Spirals data set exactly as the original
// research code does: m = n/2 points per class, t_i = sqrt(i/(m−1)), θ_i = 2π·rotations·t_i,
// r_i = θ_i/2π; class 0 is (r cos θ + a, r sin θ + b) with a, b independent uniform on
// [0, noise/100), and class 1 is the exact negation of class 0. Class 0 comes first. Values
// are computed in float64 and rounded to float32. All a_i are drawn before all b_i, from a
// PCG stream seeded with seed.
func Generate(n int, noise, rotations float64, seed uint64) (*Dataset, error) {
	switch {
	case n < MinN || n > MaxN:
		return nil, fmt.Errorf("spirals: n = %d points, want %d to %d", n, MinN, MaxN)
	case n%2 != 0:
		return nil, fmt.Errorf("spirals: n = %d points is odd, want an even number (two equal classes)", n)
	case !(noise >= 0 && noise <= MaxNoise): // also rejects NaN
		return nil, fmt.Errorf("spirals: noise = %v, want 0 to %d (hundredths of a unit)", noise, MaxNoise)
	case !(rotations >= 0 && rotations <= MaxRotations):
		return nil, fmt.Errorf("spirals: rotations = %v, want 0 to %d", rotations, MaxRotations)
	}
	m := n / 2
	rng := rand.New(rand.NewPCG(seed, generateStream))
	scale := noise / 100
	a := make([]float64, m)
	for i := range a {
		a[i] = rng.Float64() * scale
	}
	b := make([]float64, m)
	for i := range b {
		b[i] = rng.Float64() * scale
	}
	d := &Dataset{
		X:      make([]float32, 2*n),
		Y:      make([]int32, n),
		Source: fmt.Sprintf("generated: n=%d noise=%g rotations=%g seed=%d", n, noise, rotations, seed),
	}
	for i := range m {
		t := math.Sqrt(float64(i) / float64(m-1))
		theta := 2 * math.Pi * rotations * t
		r := theta / (2 * math.Pi)
		x := float32(r*math.Cos(theta) + a[i])
		y := float32(r*math.Sin(theta) + b[i])
		d.X[2*i], d.X[2*i+1] = x, y
		d.X[2*(m+i)], d.X[2*(m+i)+1] = -x, -y
		d.Y[m+i] = 1
	}
	return d, nil
}

// Split shuffles the points with a PCG stream seeded with seed and returns the first
// round(evalFrac·n) of them as eval and the rest as train. The same seed gives the same
// split. It panics if evalFrac is not in [0, 1].
func (d *Dataset) Split(evalFrac float64, seed uint64) (train, eval *Dataset) {
	if !(evalFrac >= 0 && evalFrac <= 1) {
		panic(fmt.Sprintf("spirals: Split fraction %v outside [0, 1]", evalFrac))
	}
	if len(d.X) != 2*len(d.Y) {
		panic(fmt.Sprintf("spirals: Split of a dataset with %d coordinates for %d labels", len(d.X), len(d.Y)))
	}
	n := d.N()
	nEval := int(math.Round(evalFrac * float64(n)))
	perm := rand.New(rand.NewPCG(seed, splitStream)).Perm(n)
	pick := func(idx []int, part string) *Dataset {
		out := &Dataset{
			X:      make([]float32, 2*len(idx)),
			Y:      make([]int32, len(idx)),
			Source: fmt.Sprintf("%s (%s part of split %g, seed %d)", d.Source, part, evalFrac, seed),
		}
		for k, i := range idx {
			out.X[2*k], out.X[2*k+1] = d.X[2*i], d.X[2*i+1]
			out.Y[k] = d.Y[i]
		}
		return out
	}
	return pick(perm[nEval:], "train"), pick(perm[:nEval], "eval")
}

// check returns a description of the first problem that keeps d from being a valid data
// set, or "" if there is none.
func (d *Dataset) check() string {
	if len(d.X) != 2*len(d.Y) {
		return fmt.Sprintf("%d coordinates for %d labels, want two per label", len(d.X), len(d.Y))
	}
	for i, y := range d.Y {
		if y != 0 && y != 1 {
			return fmt.Sprintf("point %d has label %d, want 0 or 1", i, y)
		}
	}
	for i, v := range d.X {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Sprintf("point %d has a non-finite coordinate %v", i/2, v)
		}
	}
	return ""
}
