package charts

import (
	"math"
	"reflect"
	"testing"

	"gonum.org/v1/plot"
)

// labels returns the labelled ticks' values and labels.
func labels(ts []plot.Tick) (vals []float64, labs []string) {
	for _, t := range ts {
		if !t.IsMinor() {
			vals = append(vals, t.Value)
			labs = append(labs, t.Label)
		}
	}
	return vals, labs
}

func TestLinTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi  float64
		n       int
		compact bool
		want    []string
	}{
		{0, 0.3, 4, false, []string{"0", "0.1", "0.2", "0.3"}},
		{0, 0.3, 7, false, []string{"0", "0.05", "0.10", "0.15", "0.20", "0.25", "0.30"}},
		{1, 6000, 3, false, []string{"2000", "4000", "6000"}},
		{0, 60000, 4, true, []string{"0", "20k", "40k", "60k"}},
		{0, 12.5, 6, false, []string{"0", "2.5", "5.0", "7.5", "10.0", "12.5"}},
		{-1.2, 0.4, 3, false, []string{"-1.0", "-0.5", "0"}},
		{0.00011, 0.00049, 3, false, []string{"2e-4", "3e-4", "4e-4"}},
		{0.00011, 0.00049, 2, false, []string{"2e-4", "4e-4"}},
		// too narrow for n = 2 at the first fitting step: two labels anyway
		{0.07, 0.21, 2, false, []string{"0.1", "0.2"}},
	} {
		_, got := labels(linTicks{n: c.n, compact: c.compact}.Ticks(c.lo, c.hi))
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("linTicks{%d}(%v, %v) = %q, want %q", c.n, c.lo, c.hi, got, c.want)
		}
	}
	if ts := (linTicks{n: 3}).Ticks(1, 1); ts != nil {
		t.Errorf("empty range gave %v", ts)
	}
	if ts := (linTicks{n: 3}).Ticks(0, math.Inf(1)); ts != nil {
		t.Errorf("infinite range gave %v", ts)
	}
}

func TestLogTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		max    int
		want   []string
	}{
		{0.0008, 12, 6, []string{"0.001", "0.01", "0.1", "1", "10"}},
		{0.0008, 12, 3, []string{"0.001", "0.1", "10"}},
		{0.02, 0.6, 5, []string{"0.02", "0.05", "0.1", "0.2", "0.5"}},
		{0.02, 0.6, 4, []string{"0.03", "0.1", "0.3"}},
		{1e-7, 3e-5, 4, []string{"1e-7", "1e-6", "1e-5"}},
		// a panel too small for more than one: still two, from the best-placed stride
		{0.08, 20, 1, []string{"0.1", "10"}},
	} {
		_, got := labels(logTicks{maxLabels: c.max}.Ticks(c.lo, c.hi))
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("logTicks{%d}(%v, %v) = %q, want %q", c.max, c.lo, c.hi, got, c.want)
		}
	}
	// Less than a decade without round values: plain steps, all positive.
	vals, _ := labels(logTicks{maxLabels: 4}.Ticks(0.031, 0.039))
	if len(vals) < 2 {
		t.Errorf("narrow range: %v", vals)
	}
	for _, v := range vals {
		if v <= 0 || v < 0.031 || v > 0.039 {
			t.Errorf("narrow range: tick %v out of range", v)
		}
	}
	if ts := (logTicks{maxLabels: 4}).Ticks(0, 1); ts != nil {
		t.Errorf("non-positive range gave %v", ts)
	}
}

func TestPctTicks(t *testing.T) {
	for n, want := range map[int][]string{
		11: {"0%", "10%", "20%", "30%", "40%", "50%", "60%", "70%", "80%", "90%", "100%"},
		6:  {"0%", "20%", "40%", "60%", "80%", "100%"},
		5:  {"0%", "25%", "50%", "75%", "100%"},
		2:  {"0%", "50%", "100%"},
	} {
		if _, got := labels(pctTicks{n: n}.Ticks(0, 1)); !reflect.DeepEqual(got, want) {
			t.Errorf("pctTicks{%d} = %q, want %q", n, got, want)
		}
	}
}

func TestMovingAverage(t *testing.T) {
	// Two runs split by a separator: y = x on 0…9, then a constant 5 on 20…29.
	var in []xy
	for i := 0; i < 10; i++ {
		in = append(in, xy{float64(i), float64(i)})
	}
	in = append(in, brk())
	for i := 20; i < 30; i++ {
		in = append(in, xy{float64(i), 5})
	}
	out := movingAverage(append([]xy(nil), in...), 0, len(in), 2, false, 1)[len(in):]
	if len(out) != len(in) || !math.IsNaN(out[10].y) {
		t.Fatalf("got %d points (separator %v), want %d with the separator kept", len(out), out[10], len(in))
	}
	for i := 2; i <= 7; i++ { // a full window of a line is the line
		if math.Abs(out[i].y-float64(i)) > 1e-12 {
			t.Errorf("x = %d: average %v", i, out[i].y)
		}
	}
	if want := (0.0 + 1 + 2) / 3; math.Abs(out[0].y-want) > 1e-12 {
		t.Errorf("edge average %v, want %v", out[0].y, want)
	}
	for _, p := range out[11:] {
		if p.y != 5 {
			t.Errorf("constant run averaged to %v", p.y)
		}
	}
	// Geometric on a log axis: the mean of 1 and 100 is 10.
	g := movingAverage([]xy{{0, 1}, {1, 100}}, 0, 2, 5, true, 1)[2:]
	if math.Abs(g[0].y-10) > 1e-9 || math.Abs(g[1].y-10) > 1e-9 {
		t.Errorf("log average %v, want 10", g)
	}
	// A stride keeps every stride-th point and the last.
	s := movingAverage(append([]xy(nil), in[:10]...), 0, 10, 1, false, 4)[10:]
	if len(s) != 4 || s[0].x != 0 || s[1].x != 4 || s[2].x != 8 || s[3].x != 9 {
		t.Errorf("stride 4 kept %v", s)
	}
}
