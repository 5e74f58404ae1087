package anim

import (
	"bytes"
	"image"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/assets"
	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

// testFlow returns a small flow with perturbed weights, so that its latent lines bend.
func testFlow(t testing.TB) *flow.MFlow {
	t.Helper()
	f, err := flow.New(flow.Config{N: 2, D: 1, Steps: 2, Hidden: 8, Blocks: 1, Bins: 4, TailBound: 3}, 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range f.P {
		f.P[i] += float32(0.3 * rng.NormFloat64())
	}
	return f
}

func testOptions(t *testing.T) Options { return testOptionsTB(t) }

// testOptionsTB returns small options: 600 points, a perturbed small flow, the embedded
// classifier, 6 frames of 72×64 and 10 training steps.
func testOptionsTB(t testing.TB) Options {
	t.Helper()
	clf, err := classify.Parse(assets.ClassifierName, assets.Classifier())
	if err != nil {
		t.Fatal(err)
	}
	d, err := spirals.Generate(600, 3, 1.2, 2)
	if err != nil {
		t.Fatal(err)
	}
	return Options{Flow: testFlow(t), Clf: clf, Data: d, Seed: 1, Frames: 6, W: 72, H: 64, Steps: 10}
}

// frames renders every frame of the scene.
func frames(t *testing.T, name string, o Options) []*image.RGBA {
	t.Helper()
	m, err := New(name, o)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Len() != o.Frames || m.Name() != name {
		t.Fatalf("movie %q of %d frames, want %q of %d", m.Name(), m.Len(), name, o.Frames)
	}
	var out []*image.RGBA
	for i := 0; i < m.Len(); i++ {
		img := image.NewRGBA(image.Rect(0, 0, o.W, o.H))
		if err := m.Next(img); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		out = append(out, img)
	}
	if err := m.Next(image.NewRGBA(image.Rect(0, 0, o.W, o.H))); err == nil {
		t.Error("Next after the last frame succeeded")
	}
	return out
}

func TestScenesRenderAndRepeat(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			o := testOptions(t)
			if name == Runs && (raceOn || testing.Short()) {
				// Nine live-size runs trained and measured twice take minutes under the race
				// detector: render it once, small (TestRunsSceneOnce).
				t.Skip("the runs scene is rendered once in TestRunsSceneOnce under -race and -short")
			}
			a := frames(t, name, o)
			b := frames(t, name, o)
			for i := range a {
				if !bytes.Equal(a[i].Pix, b[i].Pix) {
					t.Fatalf("frame %d differs between two movies with the same options", i)
				}
			}
			if bytes.Equal(a[0].Pix, a[len(a)-1].Pix) {
				t.Error("the first and last frames are identical: nothing moves")
			}
			// Every frame shows more than the background: data, layers, caption.
			bg := newTools(o).style.Background
			for i, f := range a {
				other := 0
				for p := 0; p < len(f.Pix); p += 4 {
					if f.Pix[p] != bg.R || f.Pix[p+1] != bg.G || f.Pix[p+2] != bg.B {
						other++
					}
				}
				if other < len(f.Pix)/4/20 {
					t.Errorf("frame %d: only %d of %d pixels are not background", i, other, len(f.Pix)/4)
				}
			}
		})
	}
}

// TestRunsSceneOnce renders two small frames of the runs scene: nine panels are drawn, the
// last frame measured.
func TestRunsSceneOnce(t *testing.T) {
	o := testOptions(t)
	o.Frames, o.W, o.H, o.Steps = 2, 160, 160, 3
	f := frames(t, Runs, o)
	if bytes.Equal(f[0].Pix, f[1].Pix) {
		t.Error("the runs scene's frames are identical")
	}
}

func TestBadOptions(t *testing.T) {
	o := testOptions(t)
	for _, c := range []struct {
		name string
		edit func(o *Options)
		want string
	}{
		{"nosuch", func(o *Options) {}, "unknown scene"},
		{Training, func(o *Options) { o.Frames = 0 }, "frames out of range"},
		{Training, func(o *Options) { o.Frames = -3 }, "frames out of range"},
		{Training, func(o *Options) { o.W, o.H = 0, 0 }, "frame size"},
		{Training, func(o *Options) { o.W, o.H = 100000, 100000 }, "frame size"},
		{Training, func(o *Options) { o.Steps = -1 }, "training steps"},
		{LevelSet, func(o *Options) { o.Flow = nil }, "needs a trained flow"},
		{LevelSet, func(o *Options) { o.Range = -3 }, "levelset range"},
		{LevelSet, func(o *Options) { o.Range = math.NaN() }, "levelset range"},
		{LevelSet, func(o *Options) { o.Range = 1000 }, "levelset range"},
		{Attack, func(o *Options) { o.Clf = nil }, "needs a classifier"},
		{Projection, func(o *Options) {
			f, _ := flow.New(flow.Config{N: 3, D: 1, Steps: 2, Hidden: 4, Blocks: 1, Bins: 4, TailBound: 3}, 1)
			o.Flow = f
		}, "n=3"},
		{Training, func(o *Options) { o.Clf, _ = classify.New(3, 4, 1, 2, 1) }, "maps 3 inputs"},
		{Training, func(o *Options) { o.Data = &spirals.Dataset{X: []float32{0, 0}, Y: []int32{0}} }, "at least 4 points"},
	} {
		oo := o
		c.edit(&oo)
		_, err := New(c.name, oo)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
	m, err := New(Training, o)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Next(image.NewRGBA(image.Rect(0, 0, 10, 10))); err == nil || !strings.Contains(err.Error(), "frame is") {
		t.Errorf("wrong-size frame: %v", err)
	}
}

func TestCloseStopsTrainingEarly(t *testing.T) {
	o := testOptions(t)
	o.Frames, o.Steps = 50, 1_000_000
	m, err := New(Training, o)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, o.W, o.H))
	if err := m.Next(img); err != nil {
		t.Fatal(err)
	}
	m.Close() // must return although the trainer is blocked on a full queue
}

func TestSchedules(t *testing.T) {
	if stepAt(0, 120, 1500) != 0 || stepAt(119, 120, 1500) != 1500 || stepAt(0, 1, 1500) != 1500 {
		t.Error("stepAt does not cover [0, total]")
	}
	if boundaryStepAt(0, 10, 500) != 0 || boundaryStepAt(9, 10, 500) != 500 {
		t.Error("boundaryStepAt does not cover [0, total]")
	}
	for i := 1; i < 120; i++ {
		if stepAt(i, 120, 1500) < stepAt(i-1, 120, 1500) || boundaryStepAt(i, 120, 500) < boundaryStepAt(i-1, 120, 500) {
			t.Fatalf("step schedules go back at frame %d", i)
		}
	}
	const n = 120
	if levelC(0, n, 1.4) != -1.4 || math.Abs(levelC(n/2, n, 1.4)-1.4) > 1e-12 || math.Abs(levelC(n/4, n, 1.4)) > 1e-12 {
		t.Errorf("levelC: %v %v %v, want −1.4, 1.4, 0", levelC(0, n, 1.4), levelC(n/2, n, 1.4), levelC(n/4, n, 1.4))
	}
	if phase(0, 11, 0.1, 0.5) != 0 || phase(10, 11, 0.1, 0.5) != 1 || math.Abs(phase(3, 11, 0.1, 0.5)-0.5) > 1e-12 {
		t.Error("phase")
	}
	if phase(5, 11, 0.5, 0.5) != 1 || phase(4, 11, 0.5, 0.5) != 0 {
		t.Error("phase of an empty interval is not a step")
	}
	if smooth(-1) != 0 || smooth(0.5) != 0.5 || smooth(2) != 1 {
		t.Error("smooth")
	}
	path := []float32{0, 0, 1, 0, 1, 2}
	got, end := alongPath(nil, path, 1.5)
	if end != [2]float64{1, 1} || len(got) != 6 || got[4] != 1 || got[5] != 1 {
		t.Errorf("alongPath(1.5) = %v, %v", got, end)
	}
	if _, end := alongPath(nil, path, 7); end != [2]float64{1, 2} {
		t.Errorf("alongPath past the end = %v", end)
	}
}

// TestLatentLineIsTheLevelSet checks that the refined level set lies on v = c with its
// recorded h_M, and that near the view its segments are short.
func TestLatentLineIsTheLevelSet(t *testing.T) {
	o := testOptions(t)
	o.W, o.H = 400, 400
	tl := newTools(o)
	f := o.Flow
	const c = 0.3
	xy, ts := tl.latentLine(f, c, -4, 4)
	if len(xy) != 2*len(ts) || len(ts) <= lineStart {
		t.Fatalf("%d coordinates for %d values of t; want a refined line", len(xy), len(ts))
	}
	h, _ := f.OuterForward(nn.MatFrom(len(ts), 2, xy))
	bad := 0
	for i, tv := range ts {
		if math.Abs(float64(h.At(i, 1))-c) > 1e-3 || math.Abs(float64(h.At(i, 0))-tv) > 1e-3 {
			bad++
		}
	}
	if bad > len(ts)/100 {
		t.Errorf("%d of %d points are not at (t, %v) in latent space", bad, len(ts), c)
	}
	x0, x1, y0, y1 := tl.view.DataRect()
	long := 0
	for i := 0; i+1 < len(ts); i++ {
		ax, ay, bx, by := float64(xy[2*i]), float64(xy[2*i+1]), float64(xy[2*i+2]), float64(xy[2*i+3])
		in := ax >= x0 && ax <= x1 && ay >= y0 && ay <= y1 && bx >= x0 && bx <= x1 && by >= y0 && by <= y1
		if in && math.Hypot(bx-ax, by-ay)*tl.view.Scale > maxChordPx+1e-6 {
			long++
		}
	}
	if long > 0 {
		t.Errorf("%d segments in view are longer than %d pixels", long, maxChordPx)
	}
}

func TestPickProbes(t *testing.T) {
	o := testOptions(t)
	ps, err := pickProbes(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) == 0 || len(ps) > attackProbes {
		t.Fatalf("%d probes", len(ps))
	}
	steps := DefaultAttack().Steps
	for i, p := range ps {
		if p.c < attack.CaseA || p.c > attack.CaseD {
			t.Errorf("probe %d has case %v", i, p.c)
		}
		if len(p.path) != 2*(steps+1) || float64(p.path[0]) != p.x[0] || float64(p.path[len(p.path)-2]) != p.adv[0] {
			t.Errorf("probe %d: attack path of %d values does not run from x to adv", i, len(p.path))
		}
		if d := math.Max(math.Abs(p.adv[0]-p.x[0]), math.Abs(p.adv[1]-p.x[1])); d > DefaultAttack().Eps+1e-6 {
			t.Errorf("probe %d moved %v in L∞, more than ε", i, d)
		}
		k := len(p.proj) / 2
		if float64(p.proj[0]) != float64(float32(p.adv[0])) || float64(p.proj[2*k-2]) != p.def[0] {
			t.Errorf("probe %d: projection path does not run from adv to def", i)
		}
		for j := 0; j < i; j++ {
			if math.Hypot(p.x[0]-ps[j].x[0], p.x[1]-ps[j].x[1]) < attackSpacing {
				t.Errorf("probes %d and %d are closer than %v", j, i, attackSpacing)
			}
		}
	}
	// One probe per case comes first: once a case repeats, no new case follows.
	seen := map[attack.Case]bool{}
	repeated := false
	for i, p := range ps {
		if seen[p.c] {
			repeated = true
		} else if repeated {
			t.Errorf("probe %d brings case %v after a repeated case", i, p.c)
		}
		seen[p.c] = true
	}
}

// TestLevelSetRange checks the sweep of the levelset scene: v = c from −2.2 to 2.2 and
// back by default, as in the original videos, or the flow's own range on request.
func TestLevelSetRange(t *testing.T) {
	o := testOptions(t)
	vl := viewLatentOf(o.Flow, newTools(o).view, 41)
	if got := levelSweep(0, vl); got != 2.2 {
		t.Fatalf("default sweep ±%v, want ±2.2", got)
	}
	if got, want := levelSweep(AutoLevelRange, vl), vl.levelRange(); got != want {
		t.Fatalf("auto sweep ±%v, want ±%v", got, want)
	}
	if got := levelSweep(1.5, vl); got != 1.5 {
		t.Fatalf("sweep ±%v for range 1.5", got)
	}
	const n = 120
	if c0, cm := levelC(0, n, 2.2), levelC(n/2, n, 2.2); math.Abs(c0+2.2) > 1e-12 || math.Abs(cm-2.2) > 1e-12 {
		t.Fatalf("frames 0 and %d at v = %v and %v, want −2.2 and 2.2", n/2, c0, cm)
	}
	for i := 0; i < n; i++ {
		if c := levelC(i, n, 2.2); c < -2.2-1e-12 || c > 2.2+1e-12 {
			t.Fatalf("frame %d at v = %v, outside ±2.2", i, c)
		}
	}
	// The default is the same movie as an explicit 2.2; the flow's own range is another.
	def := frames(t, LevelSet, o)
	o.Range = 2.2
	explicit := frames(t, LevelSet, o)
	o.Range = AutoLevelRange
	auto := frames(t, LevelSet, o)
	same, differ := true, false
	for i := range def {
		same = same && bytes.Equal(def[i].Pix, explicit[i].Pix)
		differ = differ || !bytes.Equal(def[i].Pix, auto[i].Pix)
	}
	if !same {
		t.Error("the default levelset differs from --range 2.2")
	}
	if vl.levelRange() != 2.2 && !differ {
		t.Errorf("the auto range ±%v gives the same frames as ±2.2", vl.levelRange())
	}
}
