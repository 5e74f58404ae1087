// Package quality measures whether a 2-D M-Flow with a 1-D manifold has learned its data's
// curve: the metric of spec/instability.md, which anyone can recompute.
//
//   - d2m95 (data to manifold): the 95th percentile, over the data points x, of
//     |project(x) − x|. Small when the learned curve passes through all of the data.
//   - core m2d95 (manifold to data): the learned curve c(t) = f⁻¹((t, 0)) is sampled densely
//     for t between the smallest and largest h_M = f(x)₁ of the data (at least MinSamples
//     points, more where segments are long); every segment's midpoint is measured against
//     the data's known noiseless curve and weighed by the segment's length; core m2d95 is the
//     length-weighted 95th percentile. Small when the curve between the data's ends stays on
//     the true curve: no shortcuts through the gaps, no loops. It needs the noiseless curve,
//     so it exists only when that is known (SpiralCurve for generated Two Spirals).
//   - the Verdict: Learned ⇔ d2m95 ≤ LearnedMax and core m2d95 ≤ LearnedMax; Failed ⇔
//     d2m95 ≥ FailedMin; Partial otherwise. Without a known curve the verdict rests on
//     d2m95 alone (Result.HasCurve is false).
//
// Measure is the one-shot form. A Meter keeps the noiseless curve's search structure and its
// scratch memory between calls, for a run that is measured again and again; the nearest-
// distance queries use a bounding-box hierarchy over the curve's segments, so a measurement
// costs O((N + M) log M) rather than N·M.
package quality

import (
	"fmt"
	"math"
)

// The metric's constants (spec/instability.md).
const (
	Quantile   = 0.95  // the percentile both distances report
	LearnedMax = 0.05  // d2m95 and core m2d95 at most this: learned
	FailedMin  = 0.15  // d2m95 at least this: failed
	MinSamples = 20000 // fewest points of the sampled learned curve
)

// Point is a point of the plane.
type Point struct{ X, Y float64 }

// Verdict is what a measurement says about a run.
type Verdict uint8

// The verdicts. Diverged is never returned by Classify or Measure: it is for callers whose
// training stopped with flow.ErrDiverged.
const (
	Learned  Verdict = iota // the curve follows all of the data
	Partial                 // close but not there (typically: the innermost half-turn skipped)
	Failed                  // the curve misses a good part of the data
	Diverged                // training diverged (set by the caller)
)

var verdictNames = [...]string{"learned", "partial", "failed", "diverged"}

// String returns the verdict's name: learned, partial, failed or diverged.
func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// ParseVerdict returns the verdict named s (as String writes it).
func ParseVerdict(s string) (Verdict, error) {
	for i, n := range verdictNames {
		if s == n {
			return Verdict(i), nil
		}
	}
	return 0, fmt.Errorf("quality: unknown verdict %q (want learned, partial, failed or diverged)", s)
}

// Classify returns the verdict for the two distances. Without a known curve (hasCurve false)
// m2d95Core is ignored and the verdict rests on d2m95 alone. NaN distances count as failed.
func Classify(d2m95, m2d95Core float64, hasCurve bool) Verdict {
	switch {
	case !(d2m95 < FailedMin): // also NaN
		return Failed
	case d2m95 <= LearnedMax && (!hasCurve || m2d95Core <= LearnedMax):
		return Learned
	}
	return Partial
}

// Result is one measurement.
type Result struct {
	D2M95     float64 // 95th percentile of |project(x) − x| over the data
	M2D95Core float64 // length-weighted 95th percentile of the core curve's distance to the true curve; NaN without one
	HasCurve  bool    // the true curve was known, so M2D95Core was measured
	Verdict   Verdict // Classify(D2M95, M2D95Core, HasCurve)
	Lo, Hi    float64 // the data's range of h_M, the core curve's parameter interval (NaN: none finite)
	Samples   int     // points of the sampled core curve (0 without a true curve)
}

// String formats the result as "verdict d2m95=… m2d95core=…" ("m2d95core=none" without a
// true curve).
func (r Result) String() string {
	if !r.HasCurve {
		return fmt.Sprintf("%v d2m95=%.4f m2d95core=none", r.Verdict, r.D2M95)
	}
	return fmt.Sprintf("%v d2m95=%.4f m2d95core=%.4f", r.Verdict, r.D2M95, r.M2D95Core)
}

// dist returns |(x, y) − (u, v)|, or +Inf when it is not finite.
func dist(x, y, u, v float64) float64 {
	d := math.Hypot(x-u, y-v)
	if math.IsNaN(d) {
		return math.Inf(1)
	}
	return d
}
