package scene

import (
	"math"
	"testing"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// smallInputs returns a random live-size flow, a small classifier, 2000
// spiral points and two probes on a w×h view of the spec's square.
func smallInputs(t testing.TB, w, h int) Inputs {
	t.Helper()
	f, err := flow.New(flow.LiveConfig(), 7)
	if err != nil {
		t.Fatal(err)
	}
	clf, err := classify.New(2, 32, 2, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := spirals.Generate(2000, 3, 1.2, 5)
	if err != nil {
		t.Fatal(err)
	}
	return Inputs{
		Flow: f, FlowVersion: 1, Clf: clf, ClfVersion: 1, Data: ds, DataVersion: 1,
		View:   plane.Fit(-2.3, 2.3, -2.3, 2.3, w, h, 8),
		Layers: plane.LayerAll,
		Probes: []ProbeInput{{ID: 10, X: [2]float64{0.3, 0.5}, Selected: true}, {ID: 11, X: [2]float64{-0.7, -0.2}}},
		Attack: attack.Params{Kind: attack.FGSM, Eps: 0.2},
	}
}

func TestBuildLayers(t *testing.T) {
	in := smallInputs(t, 320, 200)
	res := Build(in)
	if res.Err != nil || res.Pending {
		t.Fatalf("Err %v Pending %v", res.Err, res.Pending)
	}
	sc := &res.Scene
	if sc.Viewport != in.View || sc.Layers != in.Layers {
		t.Errorf("viewport or layers not passed on")
	}
	// Decision regions: a 4-pixel lattice over the view, the classifier's class-1 probability.
	hm := sc.Heatmap
	if hm == nil || hm.NX != 320/4+1 || hm.NY != 200/4+1 {
		t.Fatalf("heatmap %+v, want 81×51", hm)
	}
	xmin, xmax, ymin, ymax := in.View.DataRect()
	if hm.X0 != xmin || hm.X1 != xmax || hm.Y0 != ymin || hm.Y1 != ymax {
		t.Errorf("heatmap box %v %v %v %v, view %v %v %v %v", hm.X0, hm.X1, hm.Y0, hm.Y1, xmin, xmax, ymin, ymax)
	}
	for _, ij := range [][2]int{{0, 0}, {80, 0}, {17, 33}, {80, 50}} {
		x := hm.X0 + float64(ij[0])*(hm.X1-hm.X0)/float64(hm.NX-1)
		y := hm.Y0 + float64(ij[1])*(hm.Y1-hm.Y0)/float64(hm.NY-1)
		want := in.Clf.Probs(matOf([][2]float64{{x, y}})).At(0, 1)
		if got := hm.V[ij[1]*hm.NX+ij[0]]; math.Abs(float64(got-want)) > 1e-5 {
			t.Errorf("heatmap at %v = %v, want %v", ij, got, want)
		}
	}
	// Density: a 2-pixel lattice.
	if d := sc.Density; d == nil || d.NX != 161 || d.NY != 101 || !(sc.DensityMax > sc.DensityMin) {
		t.Errorf("density %v range [%v, %v]", d != nil, sc.DensityMin, sc.DensityMax)
	}
	if len(sc.Points) != 2*in.Data.N() || &sc.Points[0] != &in.Data.X[0] || len(sc.Labels) != in.Data.N() {
		t.Errorf("points not the data set's slices")
	}
	if n := len(sc.GridLines); n < 10 || n > 2*gridLevels-1 {
		t.Errorf("%d grid lines", n)
	}
	if len(sc.Manifold) < 2*200 {
		t.Errorf("manifold has %d points", len(sc.Manifold)/2)
	}
	// Projection field: 16×10 start points 20 pixels apart, each with a path of 41 points.
	if n := len(sc.Trajectories); n != 160 {
		t.Errorf("%d trajectories, want 160", n)
	}
	for _, p := range sc.Trajectories {
		if len(p) != 2*(pathSteps+1) {
			t.Fatalf("trajectory of %d values", len(p))
		}
	}
	if len(res.Probes) != 2 || len(sc.Probes) != 2 {
		t.Fatalf("%d probe results, %d scene probes", len(res.Probes), len(sc.Probes))
	}
	for i, p := range res.Probes {
		if p.ID != in.Probes[i].ID || p.X != in.Probes[i].X {
			t.Errorf("probe %d: id %d x %v", i, p.ID, p.X)
		}
		if len(p.AttackPath) != 4 || len(p.ProjectionPath) != 2*(probeSteps+1) {
			t.Errorf("probe %d: paths of %d and %d values", i, len(p.AttackPath), len(p.ProjectionPath))
		}
		if d := math.Max(math.Abs(p.Adv[0]-p.X[0]), math.Abs(p.Adv[1]-p.X[1])); math.Abs(d-0.2) > 1e-6 {
			t.Errorf("probe %d: FGSM moved %v, want ε = 0.2", i, d)
		}
		if p.Case < attack.CaseA || p.Case > attack.CaseD || sc.Probes[i].Case != p.Case.String()[0] {
			t.Errorf("probe %d: case %v, scene badge %q", i, p.Case, sc.Probes[i].Case)
		}
		if sc.Probes[i].Selected != in.Probes[i].Selected {
			t.Errorf("probe %d: selection not passed on", i)
		}
	}
}

func TestBuildDraftSizes(t *testing.T) {
	in := smallInputs(t, 320, 200)
	in.Quality = Draft
	res := Build(in)
	if hm := res.Scene.Heatmap; hm == nil || hm.NX != 41 || hm.NY != 26 {
		t.Errorf("draft heatmap %+v, want 41×26", hm)
	}
	if d := res.Scene.Density; d == nil || d.NX != 81 || d.NY != 51 {
		t.Errorf("draft density wrong size")
	}
}

// TestManifoldDecodes checks that the manifold is the latent line v = 0:
// its points encode to v ≈ 0 and to u monotone along the curve.
func TestManifoldDecodes(t *testing.T) {
	in := smallInputs(t, 320, 200)
	in.Layers = plane.LayerManifold
	m := Build(in).Scene.Manifold
	var pts []float32
	for i := 0; i+1 < len(m); i += 2 {
		if !math.IsNaN(float64(m[i])) {
			pts = append(pts, m[i], m[i+1])
		}
	}
	x := nn.MatFrom(len(pts)/2, 2, pts)
	h, _ := in.Flow.OuterForward(x)
	u := in.Flow.Encode(x)
	a := in.Flow.Inner.Scale.View(in.Flow.P)[0]
	sgn := float32(1)
	if a < 0 {
		sgn = -1
	}
	for i := 0; i < x.Rows; i++ {
		if v := h.At(i, 1); math.Abs(float64(v)) > 1e-3 {
			t.Fatalf("manifold point %d (%v) has v = %v", i, x.Row(i), v)
		}
		if i > 0 && sgn*(u.Data[i]-u.Data[i-1]) < -1e-4 {
			t.Fatalf("u not monotone at %d: %v then %v", i, u.Data[i-1], u.Data[i])
		}
	}
	if span := math.Abs(float64(u.Data[x.Rows-1] - u.Data[0])); !(span > 0.5) {
		t.Errorf("manifold spans only %v in u", span)
	}
}

// TestProbeCases checks probe outcomes against the attack package run on
// the same inputs, for a plain and an adaptive PGD attack.
func TestProbeCases(t *testing.T) {
	in := smallInputs(t, 160, 100)
	in.Layers = plane.LayerProbes
	in.Probes = nil
	for i := 0; i < 12; i++ {
		a := 2 * math.Pi * float64(i) / 12
		in.Probes = append(in.Probes, ProbeInput{ID: i, X: [2]float64{0.8 * math.Cos(a), 0.8 * math.Sin(a)}})
	}
	for _, adaptive := range []bool{false, true} {
		in.Adaptive = adaptive
		in.Attack = attack.Params{Kind: attack.PGD, Eps: 0.3, Alpha: 0.05, Steps: 8, RandomStart: true, Seed: 9}
		res := Build(in)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		pts := make([][2]float64, len(in.Probes))
		for i, p := range in.Probes {
			pts[i] = p.X
		}
		x := matOf(pts)
		y := in.Clf.Predict(x)
		var target attack.Classifier = in.Clf
		if adaptive {
			target = attack.Defended{Clf: in.Clf, Flow: in.Flow}
		}
		ar, err := attack.Run(target, x, y, in.Attack)
		if err != nil {
			t.Fatal(err)
		}
		cases := attack.Classify(target, in.Flow, ar.Adv, y)
		def := in.Flow.Project(ar.Adv)
		for i, p := range res.Probes {
			if p.Label != y[i] || p.PredClean != y[i] {
				t.Errorf("probe %d: label %d, want %d", i, p.Label, y[i])
			}
			if p.Adv != [2]float64{float64(ar.Adv.At(i, 0)), float64(ar.Adv.At(i, 1))} {
				t.Errorf("probe %d: adv %v, attack gives %v", i, p.Adv, ar.Adv.Row(i))
			}
			if p.Defended != [2]float64{float64(def.At(i, 0)), float64(def.At(i, 1))} {
				t.Errorf("probe %d: defended %v, want %v", i, p.Defended, def.Row(i))
			}
			if p.Case != cases[i] {
				t.Errorf("adaptive %v probe %d: case %v, attack.Classify says %v", adaptive, i, p.Case, cases[i])
			}
			if len(p.AttackPath) != 2*(in.Attack.Steps+1) {
				t.Errorf("probe %d: attack path of %d values", i, len(p.AttackPath))
			}
			n := len(p.ProjectionPath)
			if p.ProjectionPath[0] != float32(p.Adv[0]) || float64(p.ProjectionPath[n-1]) != p.Defended[1] {
				t.Errorf("probe %d: projection path runs from %v to %v; adv %v def %v", i, p.ProjectionPath[:2], p.ProjectionPath[n-2:], p.Adv, p.Defended)
			}
		}
	}
}

func TestProbeOnlyUpdateReusesLayers(t *testing.T) {
	in := smallInputs(t, 160, 100)
	var c cache
	a := c.build(&in, nil)
	in.Probes = append([]ProbeInput(nil), in.Probes...)
	in.Probes[0].X = [2]float64{0.1, -0.4}
	b := c.build(&in, nil)
	if a.Scene.Heatmap != b.Scene.Heatmap || a.Scene.Density != b.Scene.Density ||
		&a.Scene.GridLines[0] != &b.Scene.GridLines[0] || &a.Scene.Trajectories[0] != &b.Scene.Trajectories[0] {
		t.Errorf("a probe move recomputed other layers")
	}
	if b.Probes[0].X != in.Probes[0].X || a.Probes[1].Adv != b.Probes[1].Adv {
		t.Errorf("probe results not updated")
	}
	in.Probes[1].Selected = !in.Probes[1].Selected
	d := c.build(&in, nil)
	if &d.Probes[0] != &b.Probes[0] || d.Scene.Probes[1].Selected != in.Probes[1].Selected {
		t.Errorf("a selection change should reuse the probe results and change the scene's")
	}
	// A new classifier version recomputes the decision regions only.
	in.ClfVersion++
	e := c.build(&in, nil)
	if e.Scene.Heatmap == d.Scene.Heatmap || &e.Scene.GridLines[0] != &d.Scene.GridLines[0] {
		t.Errorf("classifier version change: wrong layers recomputed")
	}
}

func TestBuildErrors(t *testing.T) {
	in := smallInputs(t, 160, 100)
	in.Attack.Eps = -1
	res := Build(in)
	if res.Err == nil || res.Scene.Heatmap == nil || len(res.Probes) != 2 {
		t.Fatalf("invalid attack: Err %v, heatmap %v, %d probes", res.Err, res.Scene.Heatmap != nil, len(res.Probes))
	}
	if p := res.Probes[0]; p.Adv != p.X || p.Case != attack.CaseNone || p.Label < 0 {
		t.Errorf("probe of a failed attack: %+v", p)
	}

	// A flow that is not 2-D: reported, flow layers left out, probes undefended.
	in = smallInputs(t, 160, 100)
	f3, err := flow.New(flow.Config{N: 3, D: 1, Steps: 2, Hidden: 8, Blocks: 1, Bins: 4, TailBound: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	in.Flow = f3
	res = Build(in)
	if res.Err == nil || res.Scene.GridLines != nil || res.Scene.Manifold != nil || res.Scene.Density != nil || res.Scene.Heatmap == nil {
		t.Errorf("3-D flow: Err %v, flow layers present", res.Err)
	}
	if p := res.Probes[0]; p.Defended != p.Adv || p.Case != attack.CaseNone {
		t.Errorf("3-D flow: probe defended %v case %v", p.Defended, p.Case)
	}

	// A probe at NaN is left alone; the others are attacked.
	in = smallInputs(t, 160, 100)
	in.Probes = append(in.Probes, ProbeInput{ID: 99, X: [2]float64{math.NaN(), 0}})
	res = Build(in)
	if res.Err != nil || res.Probes[2].Label != -1 || res.Probes[2].AttackPath != nil || res.Probes[0].Case == attack.CaseNone {
		t.Errorf("NaN probe: Err %v, results %+v", res.Err, res.Probes)
	}

	// An empty viewport: reported, nothing to compute but the probes.
	in.View = plane.Viewport{}
	res = Build(in)
	if res.Err == nil || res.Scene.Heatmap != nil || res.Scene.GridLines != nil || res.Probes[0].Case == attack.CaseNone {
		t.Errorf("empty viewport: Err %v", res.Err)
	}

	// No models at all: points only, probes stay where they were put.
	in = smallInputs(t, 160, 100)
	in.Flow, in.Clf = nil, nil
	res = Build(in)
	sc := res.Scene
	if res.Err != nil || sc.Heatmap != nil || sc.GridLines != nil || sc.Trajectories != nil || len(sc.Points) == 0 {
		t.Errorf("no models: Err %v, layers %v %v %v", res.Err, sc.Heatmap != nil, sc.GridLines != nil, sc.Trajectories != nil)
	}
	if p := res.Probes[0]; p.Adv != p.X || p.Label != -1 || p.PredAdv != -1 {
		t.Errorf("no models: probe %+v", p)
	}
}

// TestDensityMatchesLogProb checks the density layer against the flow's
// own PIE log-density where the fine lattice meets the coarse one.
func TestDensityMatchesLogProb(t *testing.T) {
	in := smallInputs(t, 160, 96)
	in.Layers = plane.LayerDensity
	g := Build(in).Scene.Density
	r := densCoarseFull / densStepFull
	var pts [][2]float64
	var got []float32
	for j := 0; j < g.NY; j += r {
		for i := 0; i < g.NX; i += 3 * r {
			pts = append(pts, [2]float64{
				g.X0 + float64(i)*(g.X1-g.X0)/float64(g.NX-1),
				g.Y0 + float64(j)*(g.Y1-g.Y0)/float64(g.NY-1),
			})
			got = append(got, g.V[j*g.NX+i])
		}
	}
	want := in.Flow.LogProbPIE(matOf(pts), flow.DefaultPIEEps)
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-3*math.Max(1, math.Abs(float64(want[i]))) {
			t.Errorf("log-density at %v = %v, flow says %v", pts[i], got[i], want[i])
		}
	}
}

func TestReadout(t *testing.T) {
	in := smallInputs(t, 16, 16)
	h := Readout(in.Flow, in.Clf, 0.4, -0.3)
	x := matOf([][2]float64{{0.4, -0.3}})
	p := in.Clf.Probs(x)
	lat, _ := in.Flow.OuterForward(x)
	if !h.Valid || h.P[1] != float64(p.At(0, 1)) || h.HM != float64(lat.At(0, 0)) || h.V != float64(lat.At(0, 1)) ||
		h.U != float64(in.Flow.Encode(x).Data[0]) || h.LogP != float64(in.Flow.LogProbPIE(x, flow.DefaultPIEEps)[0]) {
		t.Errorf("readout %+v", h)
	}
	if math.Abs(h.P[0]+h.P[1]-1) > 1e-6 {
		t.Errorf("probabilities %v", h.P)
	}
	h = Readout(nil, nil, 0, 0)
	if h.Valid || !math.IsNaN(h.P[0]) || !math.IsNaN(h.LogP) {
		t.Errorf("readout without models %+v", h)
	}
	if h = Readout(in.Flow, in.Clf, math.NaN(), 0); h.Valid {
		t.Errorf("readout at NaN is valid")
	}
}
