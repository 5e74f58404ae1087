package quality

import (
	"fmt"
	"math"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/stats"
)

// Refinement of the sampled core curve: after the first MinSamples evenly spaced values of
// t, a segment longer than maxSegment is split into pieces of about that length, for at
// most refineRounds rounds and refineBudget added points in all. Where the flow stretches a
// tiny interval of t over a long way the splitting never settles; such a segment keeps its
// length as its weight and its midpoint as its position.
const (
	maxSegment   = 0.005
	maxPieces    = 64
	refineRounds = 4
	refineBudget = 4 * MinSamples
)

// Meter measures flows against one data set's known curve (or none). It keeps the curve's
// search index and scratch memory between calls, so measuring a training run every few
// hundred steps allocates little. A Meter is not safe for concurrent use; the Index it
// holds is, so goroutines measuring against one curve build its Index once and each
// make a Meter with NewMeterIndex.
type Meter struct {
	index *Index // nil: no known curve
	ts    []float64
	ts2   []float64 // scratch for merge
	add   []float64
	pts   []float32 // the sampled core curve of the last Measure, x0, y0, x1, y1, …
	tmp   []float32
	d, w  []float64
}

// NewMeter returns a meter for data whose noiseless curve is the polyline through curve
// (for example SpiralCurve); a nil or empty curve means the curve is unknown and only
// d2m95 is measured.
func NewMeter(curve []Point) *Meter {
	if len(curve) == 0 {
		return &Meter{}
	}
	return &Meter{index: NewIndex(curve)}
}

// NewMeterIndex returns a meter that measures against an index built once with NewIndex
// (nil: no known curve); meters on several goroutines may share one index.
func NewMeterIndex(ix *Index) *Meter { return &Meter{index: ix} }

// Measure measures f on data (rows×2) with a fresh Meter: the one-shot form of
// Meter.Measure. curve is the data's noiseless curve, or nil when it is unknown.
func Measure(f *flow.MFlow, data nn.Mat, curve []Point) Result {
	return NewMeter(curve).Measure(f, data)
}

// Measure returns d2m95 of f over the data points (rows×2) and, when the meter knows the
// true curve, core m2d95 and the verdict of both. The projection is computed as
// f⁻¹((f(x)₁, 0)), which is decode(encode(x)) without the inner transform's rounding. It
// evaluates f with f.Workers goroutines; the result does not depend on them. It panics
// unless f maps 2-D data to a 1-D manifold and data has two columns.
func (m *Meter) Measure(f *flow.MFlow, data nn.Mat) Result {
	if f.Cfg.N != 2 || f.Cfg.D != 1 || data.Cols != 2 {
		panic(fmt.Sprintf("quality: Measure needs a flow with n=2, d=1 and 2-column data; got n=%d d=%d and %d columns", f.Cfg.N, f.Cfg.D, data.Cols))
	}
	r := Result{D2M95: math.NaN(), M2D95Core: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), HasCurve: m.index != nil}
	m.pts = m.pts[:0]
	if data.Rows == 0 {
		r.Verdict = Classify(r.D2M95, r.M2D95Core, r.HasCurve)
		return r
	}
	h, _ := f.OuterForward(data)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := 0; i < h.Rows; i++ {
		t := float64(h.Data[2*i])
		if isFinite(t) {
			lo, hi = math.Min(lo, t), math.Max(hi, t)
		}
		h.Data[2*i+1] = 0
	}
	proj, _ := f.OuterInverse(h)
	m.d = m.d[:0]
	for i := 0; i < data.Rows; i++ {
		m.d = append(m.d, dist(float64(proj.Data[2*i]), float64(proj.Data[2*i+1]),
			float64(data.Data[2*i]), float64(data.Data[2*i+1])))
	}
	r.D2M95 = stats.Percentile(m.d, Quantile)
	if lo <= hi {
		r.Lo, r.Hi = lo, hi
	}
	if m.index != nil && lo <= hi {
		m.sampleCore(f, lo, hi)
		r.Samples = len(m.pts) / 2
		r.M2D95Core = m.CurveDistance(m.pts)
	} else if m.index != nil {
		r.M2D95Core = math.Inf(1) // no finite latent coordinate: nothing lies on the curve
	}
	r.Verdict = Classify(r.D2M95, r.M2D95Core, r.HasCurve)
	return r
}

// Curve returns the core curve sampled by the last Measure as x0, y0, x1, y1, … (empty
// without a true curve). It is valid until the next Measure.
func (m *Meter) Curve() []float32 { return m.pts }

// decode returns f⁻¹((t, 0)) for every t as x0, y0, x1, y1, ….
func decode(f *flow.MFlow, ts []float64) []float32 {
	h := nn.NewMat(len(ts), 2)
	for i, t := range ts {
		h.Data[2*i] = float32(t)
	}
	x, _ := f.OuterInverse(h)
	return x.Data
}

// sampleCore samples c(t) = f⁻¹((t, 0)) on [lo, hi] into m.ts and m.pts: MinSamples even
// steps, then long segments split (see maxSegment).
func (m *Meter) sampleCore(f *flow.MFlow, lo, hi float64) {
	n := MinSamples
	if hi == lo {
		n = 1
	}
	m.ts = m.ts[:0]
	for i := 0; i < n; i++ {
		m.ts = append(m.ts, lo+(hi-lo)*float64(i)/float64(max(n-1, 1)))
	}
	m.pts = append(m.pts[:0], decode(f, m.ts)...)
	budget := refineBudget
	for round := 0; round < refineRounds && budget > 0; round++ {
		m.add = m.add[:0]
		for k := 0; k+1 < len(m.ts) && len(m.add) < budget; k++ {
			l := segLen(m.pts, k)
			t0, t1 := m.ts[k], m.ts[k+1]
			if !(l > maxSegment) || math.IsInf(l, 1) || !(t1-t0 > 4e-7*math.Max(1, math.Abs(t0))) {
				continue
			}
			p := min(int(math.Ceil(l/maxSegment)), maxPieces, budget-len(m.add)+1)
			for j := 1; j < p; j++ {
				m.add = append(m.add, t0+(t1-t0)*float64(j)/float64(p))
			}
		}
		if len(m.add) == 0 {
			break
		}
		budget -= len(m.add)
		m.merge(decode(f, m.add))
	}
}

// merge inserts the parameters m.add (sorted, each inside one segment of m.ts) and their
// points into m.ts and m.pts, keeping both in order of t.
func (m *Meter) merge(addPts []float32) {
	ts := m.ts2[:0]
	m.tmp = m.tmp[:0]
	j := 0
	for k, t := range m.ts {
		ts = append(ts, t)
		m.tmp = append(m.tmp, m.pts[2*k], m.pts[2*k+1])
		for j < len(m.add) && (k+1 == len(m.ts) || m.add[j] < m.ts[k+1]) && m.add[j] > t {
			ts = append(ts, m.add[j])
			m.tmp = append(m.tmp, addPts[2*j], addPts[2*j+1])
			j++
		}
	}
	m.ts, m.ts2 = ts, m.ts
	m.pts, m.tmp = m.tmp, m.pts
}

// segLen returns the length of segment k of the polyline xy (NaN when an end is not finite).
func segLen(xy []float32, k int) float64 {
	l := math.Hypot(float64(xy[2*k+2]-xy[2*k]), float64(xy[2*k+3]-xy[2*k+1]))
	if math.IsInf(l, 0) {
		return math.NaN()
	}
	return l
}

// CurveDistance returns the length-weighted Quantile of the distances of the segment
// midpoints of the polyline xy (x0, y0, x1, y1, …) to the meter's true curve: core m2d95
// of a curve sampled elsewhere. A segment with a non-finite end counts as +Inf away and
// weighs as much as the mean finite segment; a single point gives its own distance. It
// returns NaN when the meter has no true curve or xy has no point.
func (m *Meter) CurveDistance(xy []float32) float64 {
	if m.index == nil || len(xy) < 2 {
		return math.NaN()
	}
	segs := len(xy)/2 - 1
	if segs < 1 {
		return m.index.Distance(float64(xy[0]), float64(xy[1]))
	}
	m.d, m.w = m.d[:0], m.w[:0]
	sum, nFinite, hint := 0.0, 0, -1
	for k := 0; k < segs; k++ {
		l := segLen(xy, k)
		if math.IsNaN(l) {
			m.d, m.w = append(m.d, math.Inf(1)), append(m.w, math.NaN())
			continue
		}
		sum += l
		nFinite++
		mx := 0.5 * (float64(xy[2*k]) + float64(xy[2*k+2]))
		my := 0.5 * (float64(xy[2*k+1]) + float64(xy[2*k+3]))
		m.d, m.w = append(m.d, m.index.DistanceHint(mx, my, &hint)), append(m.w, l)
	}
	mean := 1.0
	if nFinite > 0 && sum > 0 {
		mean = sum / float64(nFinite)
	}
	for i, w := range m.w {
		if math.IsNaN(w) {
			m.w[i] = mean
		}
	}
	return stats.WeightedPercentile(m.d, m.w, Quantile)
}
