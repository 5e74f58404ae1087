package charts

import (
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
)

// linTicks places about n labelled ticks at a nice step (1, 2, 2.5 or 5 × 10^k). With
// compact set, values of 10 000 and more are written with a k or M suffix.
type linTicks struct {
	n       int
	compact bool
}

// Ticks implements plot.Ticker.
func (t linTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil
	}
	step, mant := linStep(lo, hi, max(t.n, 2))
	k0, k1 := math.Ceil(lo/step-1e-9), math.Floor(hi/step+1e-9)
	if k1-k0 > 1000 || k1 < k0 {
		return nil
	}
	scale, suffix := 1.0, ""
	if t.compact {
		switch m := math.Max(math.Abs(lo), math.Abs(hi)); {
		case m >= 1e7:
			scale, suffix = 1e6, "M"
		case m >= 1e4:
			scale, suffix = 1e3, "k"
		}
	}
	ticks := make([]plot.Tick, 0, int(k1-k0)+1)
	for k := k0; k <= k1; k++ {
		v := k * step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		label := formatStep(v/scale, step/scale, mant)
		if v != 0 {
			label += suffix
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return ticks
}

// linStep returns the smallest nice step (1, 2, 2.5 or 5 × 10^k; mant is that mantissa ×10)
// that puts at most n ticks in [lo, hi], or if that leaves fewer than two, the largest step
// that puts two there.
func linStep(lo, hi float64, n int) (step float64, mant int) {
	count := func(s float64) int { return int(math.Floor(hi/s+1e-9) - math.Ceil(lo/s-1e-9) + 1) }
	e := int(math.Floor(math.Log10((hi-lo)/float64(n)))) - 1
	var prevStep float64
	var prevMant int
	for ; e < 400; e++ {
		mag := math.Pow10(e)
		for _, m := range [...]int{10, 20, 25, 50} {
			s := float64(m) / 10 * mag
			if count(s) <= n {
				if count(s) < 2 && prevStep > 0 {
					return prevStep, prevMant
				}
				return s, m
			}
			prevStep, prevMant = s, m
		}
	}
	return hi - lo, 10
}

// formatStep writes v with just enough digits to tell ticks step apart; tiny or huge
// magnitudes use exponent notation.
func formatStep(v, step float64, mant int) string {
	if v == 0 {
		return "0"
	}
	e := int(math.Floor(math.Log10(step) + 1e-9))
	if mant == 25 {
		e--
	}
	m := math.Max(math.Abs(v), step)
	if step < 1e-3 || m >= 1e6 {
		sig := int(math.Floor(math.Log10(m)+1e-9)) - e + 1
		return trimExp(strconv.FormatFloat(v, 'e', max(sig-1, 0), 64))
	}
	return strconv.FormatFloat(v, 'f', max(-e, 0), 64)
}

// trimExp shortens Go's exponent notation: "2.5e-05" becomes "2.5e-5", "1e+06" "1e6".
func trimExp(s string) string {
	i := strings.IndexByte(s, 'e')
	if i < 0 {
		return s
	}
	mant, exp := s[:i], s[i+1:]
	sign := ""
	if exp[0] == '-' {
		sign = "-"
	}
	exp = strings.TrimLeft(exp[1:], "0")
	if exp == "" {
		return mant
	}
	return mant + "e" + sign + exp
}

// logTicks labels a log axis with at most maxLabels labels: every integer mantissa, 1-2-5,
// 1-3, or every decade (or every 2nd, 3rd … decade) — the densest set that fits. Unlabelled
// integer mantissas get minor ticks when the range spans few decades.
type logTicks struct {
	maxLabels int
}

// Ticks implements plot.Ticker.
func (t logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) || math.IsInf(hi, 0) {
		return nil
	}
	d0 := int(math.Floor(math.Log10(lo) + 1e-9))
	d1 := int(math.Ceil(math.Log10(hi) - 1e-9))
	if d1-d0 > 600 {
		return nil
	}
	in := func(v float64) bool { return v >= lo*(1-1e-9) && v <= hi*(1+1e-9) }
	// Candidate label sets, densest first: a bit mask of mantissas and a decade stride.
	sets := [...]struct {
		mant   uint16
		stride int
	}{
		{0b11_1111_1110, 1}, {1<<1 | 1<<2 | 1<<5, 1}, {1<<1 | 1<<3, 1},
		{1 << 1, 1}, {1 << 1, 2}, {1 << 1, 3}, {1 << 1, 5}, {1 << 1, 10}, {1 << 1, 20}, {1 << 1, 50},
	}
	count := func(mant uint16, stride, phase int) int {
		n := 0
		for d := d0; d <= d1; d++ {
			if floorMod(d-phase, stride) != 0 {
				continue
			}
			for m := 1; m <= 9; m++ {
				if mant&(1<<m) != 0 && in(decade(m, d)) {
					n++
				}
			}
		}
		return n
	}
	// The densest set with at most maxLabels labels; if that has fewer than two, the
	// sparsest with two or more.
	// A stride of several decades starts at the decade that shows the most labels.
	limit := max(t.maxLabels, 2)
	set, phase := -1, 0
	for i, s := range sets {
		n, ph := -1, 0
		for p := range s.stride {
			if c := count(s.mant, s.stride, p); c > n {
				n, ph = c, p
			}
		}
		if n > limit {
			if n >= 2 {
				set, phase = i, ph
			}
			continue
		}
		if n >= 2 {
			set, phase = i, ph
		}
		break
	}
	if set < 0 {
		// Too little of a decade in view for round values: plain nice steps.
		var ticks []plot.Tick
		for _, t := range (linTicks{n: limit}).Ticks(lo, hi) {
			if t.Value > 0 {
				ticks = append(ticks, t)
			}
		}
		return ticks
	}
	s := sets[set]
	minor := d1-d0 <= 4
	var ticks []plot.Tick
	for d := d0; d <= d1; d++ {
		labelled := floorMod(d-phase, s.stride) == 0
		for m := 1; m <= 9; m++ {
			v := decade(m, d)
			if !in(v) {
				continue
			}
			switch {
			case labelled && s.mant&(1<<m) != 0:
				ticks = append(ticks, plot.Tick{Value: v, Label: formatLog(m, d)})
			case minor || m == 1:
				ticks = append(ticks, plot.Tick{Value: v})
			}
		}
	}
	return ticks
}

// decade returns m·10^d, rounded as the decimal literal would be.
func decade(m, d int) float64 {
	if d < 0 {
		return float64(m) / math.Pow10(-d)
	}
	return float64(m) * math.Pow10(d)
}

// formatLog writes m·10^d plainly between 0.001 and 99 999, else as "me±d".
func formatLog(m, d int) string {
	if d >= -3 && d <= 4 {
		return strconv.FormatFloat(decade(m, d), 'f', -1, 64)
	}
	return strconv.Itoa(m) + "e" + strconv.Itoa(d)
}

// floorMod returns a mod b in [0, b).
func floorMod(a, b int) int {
	r := a % b
	if r < 0 {
		r += b
	}
	return r
}

// pctTicks labels a [0, 1] axis in percent at a step of 10, 20, 25 or 50 % — the finest
// giving at most n labels.
type pctTicks struct {
	n int
}

// Ticks implements plot.Ticker.
func (t pctTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 50
	for _, s := range []int{10, 20, 25, 50} {
		if 100/s+1 <= max(t.n, 2) {
			step = s
			break
		}
	}
	var ticks []plot.Tick
	for p := 0; p <= 100; p += step {
		v := float64(p) / 100
		if v < lo-1e-9 || v > hi+1e-9 {
			continue
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.Itoa(p) + "%"})
	}
	return ticks
}
