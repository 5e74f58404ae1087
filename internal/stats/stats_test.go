package stats

import (
	"math"
	"testing"
)

func TestPercentileKnownAnswers(t *testing.T) {
	for _, c := range []struct {
		v    []float64
		q    float64
		want float64
	}{
		{[]float64{5, 1, 4, 2, 3}, 0.95, 4.8}, // numpy.percentile(…, 95)
		{[]float64{5, 1, 4, 2, 3}, 0.5, 3},
		{[]float64{7}, 0.95, 7},
		{[]float64{1, math.NaN()}, 0.5, math.Inf(1)},
	} {
		if got := Percentile(append([]float64(nil), c.v...), c.q); math.Abs(got-c.want) > 1e-12 && got != c.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", c.v, c.q, got, c.want)
		}
	}
	if got := Percentile(nil, 0.95); !math.IsNaN(got) {
		t.Errorf("Percentile(nil) = %v, want NaN", got)
	}
}

func TestWeightedPercentileKnownAnswers(t *testing.T) {
	for _, c := range []struct {
		v, w []float64
		want float64
	}{
		{[]float64{3, 1, 2}, []float64{98, 1, 1}, 3},
		{[]float64{10, 0.1}, []float64{4, 96}, 0.1},           // 96 % of the length within 0.1
		{[]float64{10, 0.1}, []float64{6, 94}, 10},            // only 94 %
		{[]float64{2, 1}, []float64{0, 0}, 1.95},              // no weight: plain percentile
		{[]float64{1, 5, 9}, []float64{1, math.NaN(), 99}, 9}, // NaN weight counts 0
	} {
		if got := WeightedPercentile(append([]float64(nil), c.v...), append([]float64(nil), c.w...), 0.95); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("WeightedPercentile(%v, %v) = %v, want %v", c.v, c.w, got, c.want)
		}
	}
}
