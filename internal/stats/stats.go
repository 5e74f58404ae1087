// Package stats holds the percentiles shared by the trainer's fit measurement (flow) and
// the run-quality metric (sim/quality): one definition, NumPy's.
package stats

import (
	"math"
	"slices"
	"sort"
)

// Percentile returns the q-quantile (0 ≤ q ≤ 1) of v with linear interpolation between the
// closest ranks (NumPy's default): position q·(n−1) of the sorted values. It sorts v in
// place; NaN values sort as +Inf. It returns NaN for an empty v.
func Percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	for i, x := range v {
		if math.IsNaN(x) {
			v[i] = math.Inf(1)
		}
	}
	slices.Sort(v)
	pos := q * float64(len(v)-1)
	lo := int(math.Floor(pos))
	if lo >= len(v)-1 {
		return v[len(v)-1]
	}
	f := pos - float64(lo)
	if f == 0 || math.IsInf(v[lo+1], 1) {
		if f == 0 {
			return v[lo]
		}
		return math.Inf(1)
	}
	return v[lo] + f*(v[lo+1]-v[lo])
}

// WeightedPercentile returns the weighted q-quantile of v: the smallest value v[i] such that
// the weights of the values ≤ v[i] add up to at least q times the total weight. It sorts v
// and w together in place; NaN values sort as +Inf, and non-finite or negative weights
// count as 0. Without any positive weight it falls back to Percentile(v, q). It returns
// NaN for an empty v.
func WeightedPercentile(v, w []float64, q float64) float64 {
	if len(v) != len(w) {
		panic("quality: WeightedPercentile with different numbers of values and weights")
	}
	total := 0.0
	for i := range v {
		if math.IsNaN(v[i]) {
			v[i] = math.Inf(1)
		}
		if !(w[i] > 0) || math.IsInf(w[i], 1) {
			w[i] = 0
		}
		total += w[i]
	}
	if total == 0 {
		return Percentile(v, q)
	}
	sort.Sort(byValue{v, w})
	target, cum := q*total, 0.0
	for i := range v {
		cum += w[i]
		if cum >= target && w[i] > 0 {
			return v[i]
		}
	}
	for i := len(v) - 1; i >= 0; i-- { // rounding left cum just below the target
		if w[i] > 0 {
			return v[i]
		}
	}
	return v[len(v)-1]
}

// byValue sorts values and their weights together by value.
type byValue struct{ v, w []float64 }

func (s byValue) Len() int           { return len(s.v) }
func (s byValue) Less(i, j int) bool { return s.v[i] < s.v[j] }
func (s byValue) Swap(i, j int) {
	s.v[i], s.v[j] = s.v[j], s.v[i]
	s.w[i], s.w[j] = s.w[j], s.w[i]
}
