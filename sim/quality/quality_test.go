package quality

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/stats"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		d, m  float64
		curve bool
		want  Verdict
	}{
		{0.02, 0.02, true, Learned},
		{0.05, 0.05, true, Learned},
		{0.02, 0.3, true, Partial},
		{0.08, 0.01, true, Partial},
		{0.15, 0.01, true, Failed},
		{math.NaN(), 0.01, true, Failed},
		{0.02, math.NaN(), false, Learned},
		{0.02, math.NaN(), true, Partial},
		{0.1, math.NaN(), false, Partial},
	} {
		if got := Classify(c.d, c.m, c.curve); got != c.want {
			t.Errorf("Classify(%v, %v, %v) = %v, want %v", c.d, c.m, c.curve, got, c.want)
		}
	}
	for v := Learned; v <= Diverged; v++ {
		if p, err := ParseVerdict(v.String()); err != nil || p != v {
			t.Errorf("ParseVerdict(%q) = %v, %v", v.String(), p, err)
		}
	}
	if _, err := ParseVerdict("great"); err == nil {
		t.Error("ParseVerdict(great) gave no error")
	}
}

// bruteDistance is the O(M) reference for Index.Distance.
func bruteDistance(pts []Point, x, y float64) float64 {
	best := math.Inf(1)
	for i := 0; i+1 < len(pts); i++ {
		a, b := pts[i], pts[i+1]
		dx, dy := b.X-a.X, b.Y-a.Y
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = math.Min(1, math.Max(0, ((x-a.X)*dx+(y-a.Y)*dy)/l2))
		}
		best = math.Min(best, math.Hypot(a.X+t*dx-x, a.Y+t*dy-y))
	}
	return best
}

func TestIndexMatchesBruteForce(t *testing.T) {
	curve, err := SpiralCurve(SpiralRotations, 700)
	if err != nil {
		t.Fatal(err)
	}
	ix := NewIndex(curve)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		scale := []float64{0.05, 1.5, 4, 200}[i%4]
		x, y := (rng.Float64()*2-1)*scale, (rng.Float64()*2-1)*scale
		if i%4 == 0 { // right beside the curve
			p := curve[rng.IntN(len(curve))]
			x, y = p.X+x, p.Y+y
		}
		got, want := ix.Distance(x, y), bruteDistance(curve, x, y)
		if math.Abs(got-want) > 1e-12*math.Max(1, want) {
			t.Fatalf("Distance(%v, %v) = %v, brute force %v", x, y, got, want)
		}
		hint := rng.IntN(len(curve)+2) - 1 // any hint, even a bad one, gives the same answer
		if h := ix.DistanceHint(x, y, &hint); h != got {
			t.Fatalf("DistanceHint(%v, %v) = %v, Distance %v", x, y, h, got)
		}
	}
	if d := ix.Distance(math.NaN(), 0); !math.IsInf(d, 1) {
		t.Errorf("Distance(NaN) = %v, want +Inf", d)
	}
	one := NewIndex([]Point{{1, 1}})
	if d := one.Distance(4, 5); d != 5 {
		t.Errorf("one-point curve: distance %v, want 5", d)
	}
	if NewIndex([]Point{{math.NaN(), 0}}) != nil {
		t.Error("an all-NaN curve gave an index")
	}
}

func TestSpiralCurveIsTheNoiselessGenerator(t *testing.T) {
	c, err := SpiralCurve(SpiralRotations, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(c) != 1999 || c[999] != (Point{}) {
		t.Fatalf("%d points, middle %v; want 1999 with the origin in the middle", len(c), c[999])
	}
	// the outer ends: r = rotations at θ = 2π·rotations, arm 1 the negation of arm 0
	th := 2 * math.Pi * SpiralRotations
	end := Point{SpiralRotations * math.Cos(th), SpiralRotations * math.Sin(th)}
	if math.Hypot(c[1998].X-end.X, c[1998].Y-end.Y) > 1e-6 || math.Hypot(c[0].X+end.X, c[0].Y+end.Y) > 1e-6 {
		t.Errorf("ends %v and %v, want %v and its negation", c[1998], c[0], end)
	}
	if _, err := SpiralCurve(1.2, 1); err == nil {
		t.Error("one point per arm gave no error")
	}
}

// spiralPolyline returns the spiral r = θ/2π of arm 0 for θ from th0 to th1 as a float32
// polyline of n points (evaluated independently of the generator).
func spiralPolyline(th0, th1 float64, n int) []float32 {
	var xy []float32
	for i := 0; i < n; i++ {
		th := th0 + (th1-th0)*float64(i)/float64(n-1)
		r := th / (2 * math.Pi)
		xy = append(xy, float32(r*math.Cos(th)), float32(r*math.Sin(th)))
	}
	return xy
}

func TestCurveDistanceOnAndOffTheSpiral(t *testing.T) {
	curve, err := SpiralCurve(SpiralRotations, SpiralArmPoints)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMeter(curve)
	thMax := 2 * math.Pi * SpiralRotations
	on := spiralPolyline(0, thMax, 3333)
	if d := m.CurveDistance(on); d > 1e-4 {
		t.Errorf("a curve on the spiral: core m2d95 %v, want ≈ 0", d)
	}
	// a straight shortcut from the outer end to the origin: most of its length is far off
	end := on[len(on)-2:]
	var line []float32
	for i := 0; i <= 400; i++ {
		f := float32(i) / 400
		line = append(line, end[0]*(1-f), end[1]*(1-f))
	}
	if d := m.CurveDistance(line); d < 0.2 {
		t.Errorf("a straight shortcut: core m2d95 %v, want large (> 0.2)", d)
	}
	// the spiral with its innermost half-turn replaced by a chord: a partial curve
	inner := math.Pi
	part := append([]float32{0, 0}, spiralPolyline(inner, thMax, 3000)...)
	if d := m.CurveDistance(part); !(d > LearnedMax && d < 0.5) {
		t.Errorf("a chord over the inner half-turn: core m2d95 %v, want between %v and 0.5", d, LearnedMax)
	}
	if d := NewMeter(nil).CurveDistance(on); !math.IsNaN(d) {
		t.Errorf("no true curve: %v, want NaN", d)
	}
}

// identityFlow returns a flow whose couplings are exactly the identity (zero conditioner
// output weights, uniform bins, unit derivatives), so f is a fixed permutation of the
// coordinates.
func identityFlow(t *testing.T, cfg flow.Config, seed uint64) *flow.MFlow {
	t.Helper()
	f, err := flow.New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	dHat := float32(math.Log(math.Exp(1-1e-3) - 1)) // 1e-3 + softplus(dHat) = 1
	for _, c := range f.Couplings {
		w, b := c.Net.Final.W, c.Net.Final.B
		clear(f.P[w.Off : w.Off+w.Size()])
		bias := f.P[b.Off : b.Off+b.Size()]
		for i := range bias {
			bias[i] = 0
			if i%(3*cfg.Bins-1) >= 2*cfg.Bins {
				bias[i] = dHat
			}
		}
	}
	return f
}

func spiralData(t *testing.T, n int) nn.Mat {
	t.Helper()
	d, err := spirals.Generate(n, 3, SpiralRotations, 1)
	if err != nil {
		t.Fatal(err)
	}
	return nn.MatFrom(n, 2, d.X)
}

func TestMeasureIdentityFlowKnownAnswer(t *testing.T) {
	cfg := flow.Config{N: 2, D: 1, Steps: 3, Hidden: 8, Blocks: 1, Bins: 4, TailBound: 3}
	data := spiralData(t, 2000)
	curve, err := SpiralCurve(SpiralRotations, 500)
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(1); seed <= 4; seed++ {
		f := identityFlow(t, cfg, seed)
		h, _ := f.OuterForward(nn.MatFrom(1, 2, []float32{0.25, -0.5}))
		keep := 0 // which data coordinate the flow keeps as h_M
		if h.Data[0] == -0.5 {
			keep = 1
		} else if h.Data[0] != 0.25 {
			t.Fatalf("seed %d: identity flow maps (0.25, −0.5) to %v", seed, h.Data)
		}
		// project keeps that coordinate and zeroes the other: |x − project(x)| = |other|
		var other []float64
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := 0; i < data.Rows; i++ {
			other = append(other, math.Abs(float64(data.Data[2*i+1-keep])))
			lo, hi = math.Min(lo, float64(data.Data[2*i+keep])), math.Max(hi, float64(data.Data[2*i+keep]))
		}
		want := stats.Percentile(other, Quantile)
		m := NewMeter(curve)
		r := m.Measure(f, data)
		if math.Abs(r.D2M95-want) > 1e-5 {
			t.Errorf("seed %d: d2m95 %v, want %v", seed, r.D2M95, want)
		}
		if r.Lo != lo || r.Hi != hi || r.Samples < MinSamples {
			t.Errorf("seed %d: core interval [%v, %v] with %d samples, want [%v, %v] with ≥ %d", seed, r.Lo, r.Hi, r.Samples, lo, hi, MinSamples)
		}
		// the core curve is the axis segment [lo, hi]: compare with brute force on it
		var d, w []float64
		const n = 4001
		for i := 0; i+1 < n; i++ {
			a := lo + (hi-lo)*(float64(i)+0.5)/(n-1)
			p := [2]float64{}
			p[keep] = a
			d = append(d, bruteDistance(curve, p[0], p[1]))
			w = append(w, 1)
		}
		wantM := stats.WeightedPercentile(d, w, Quantile)
		if math.Abs(r.M2D95Core-wantM) > 2e-3 {
			t.Errorf("seed %d: core m2d95 %v, brute force %v", seed, r.M2D95Core, wantM)
		}
		if r.Verdict != Failed || !r.HasCurve {
			t.Errorf("seed %d: %v, want failed with a curve (a straight line is no spiral)", seed, r)
		}
		if c := m.Curve(); len(c) != 2*r.Samples {
			t.Errorf("Curve() has %d values for %d samples", len(c), r.Samples)
		}
	}
}

func TestMeasureMatchesProjectAndWorkers(t *testing.T) {
	f, err := flow.New(flow.Config{N: 2, D: 1, Steps: 4, Hidden: 16, Blocks: 1, Bins: 8, TailBound: 3}, 7)
	if err != nil {
		t.Fatal(err)
	}
	data := spiralData(t, 1000)
	pr := f.Project(data)
	var d []float64
	for i := 0; i < data.Rows; i++ {
		d = append(d, math.Hypot(float64(pr.Data[2*i]-data.Data[2*i]), float64(pr.Data[2*i+1]-data.Data[2*i+1])))
	}
	want := stats.Percentile(d, Quantile)
	curve, _ := SpiralCurve(SpiralRotations, 1000)
	r1 := Measure(f, data, curve)
	if math.Abs(r1.D2M95-want) > 1e-4 {
		t.Errorf("d2m95 %v, from Project %v", r1.D2M95, want)
	}
	g := *f
	g.Workers = 1
	if r2 := Measure(&g, data, curve); r2 != r1 {
		t.Errorf("one worker: %+v, default workers: %+v", r2, r1)
	}
	r3 := Measure(f, data, nil)
	if r3.HasCurve || !math.IsNaN(r3.M2D95Core) || r3.D2M95 != r1.D2M95 || r3.Verdict != Classify(r1.D2M95, 0, false) {
		t.Errorf("without a curve: %+v", r3)
	}
}

func BenchmarkMeasureLive(b *testing.B) {
	f, err := flow.New(flow.LiveConfig(), 1)
	if err != nil {
		b.Fatal(err)
	}
	f.Workers = 1
	d, _ := spirals.Generate(4000, 3, SpiralRotations, 1)
	data := nn.MatFrom(4000, 2, d.X)
	curve, _ := SpiralCurve(SpiralRotations, SpiralArmPoints)
	m := NewMeter(curve)
	b.ReportAllocs()
	for b.Loop() {
		m.Measure(f, data)
	}
}
