package scene

import (
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/internal/atomicfile"
	"github.com/mflowlab/mflowlab/internal/testref"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// referenceInputs loads checkpoint name, the original classifier and data
// set, with two probes and every layer on a 1280×800 view.
func referenceInputs(t testing.TB, name string) Inputs {
	t.Helper()
	ck, err := flow.LoadCheckpoint(testref.Path(t, "reference", "checkpoints", name))
	if err != nil {
		t.Fatal(err)
	}
	clf, err := classify.LoadAny(testref.Path(t, "reference", "checkpoints", "classifier_two_spirals.pt"))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := spirals.Load(testref.Path(t, "reference", "data", "spiral_dataset_20k.pt"))
	if err != nil {
		t.Fatal(err)
	}
	return Inputs{
		Flow: ck.Flow, FlowVersion: 1, Clf: clf, ClfVersion: 1, Data: ds, DataVersion: 1,
		View:   plane.Fit(-2.3, 2.3, -2.3, 2.3, 1280, 800, 16),
		Layers: plane.LayerAll,
		Probes: []ProbeInput{{ID: 1, X: [2]float64{0.2, 0.62}, Selected: true}, {ID: 2, X: [2]float64{-0.45, 0.1}}},
		Attack: attack.Params{Kind: attack.PGD, Eps: 0.12, Alpha: 0.015, Steps: 20},
	}
}

// TestReferenceManifold checks the manifold of checkpoint D, the one that
// follows the spiral, against the data: most data points lie on it.
func TestReferenceManifold(t *testing.T) {
	if raceOn {
		t.Skip("the original flow is too slow under the race detector: skipping")
	}
	in := referenceInputs(t, "spiral_mflow_D.pt")
	in.Layers = plane.LayerManifold
	in.View = plane.Fit(-2.3, 2.3, -2.3, 2.3, 320, 200, 8)
	in.Quality = Draft // the coarse curve: refining it would only slow the test
	res := Build(in)
	m := res.Scene.Manifold
	d := in.Data
	var near, total int
	var worst float64
	for i := 0; i < d.N(); i += 97 {
		px, py := float64(d.X[2*i]), float64(d.X[2*i+1])
		best := math.Inf(1)
		for k := 0; k+3 < len(m); k += 2 {
			if dd := chordDist(m[k:k+4], float32(px), float32(py)); dd < best {
				best = dd
			}
		}
		total++
		if best < 0.05 {
			near++
		}
		worst = max(worst, best)
	}
	t.Logf("%d of %d data points within 0.05 of the manifold, farthest %.3f", near, total, worst)
	if near < total*9/10 || worst > 0.1 {
		t.Errorf("only %d of %d data points lie near the manifold of D (farthest %.3f)", near, total, worst)
	}
}

// TestRenderReference writes the scene of checkpoint D with every layer
// and two probes to the PNG file named by SCENE_PNG, for people to look
// at. SCENE_CKPT names another checkpoint, SCENE_FRESH=1 uses a fresh
// live-size flow, SCENE_LAYERS (a number) picks other layers, SCENE_ZOOM=1
// zooms into the centre and SCENE_DRAFT=1 computes at Draft quality.
func TestRenderReference(t *testing.T) {
	out := os.Getenv("SCENE_PNG")
	if out == "" {
		t.Skip("set SCENE_PNG to write the picture")
	}
	name := "spiral_mflow_D.pt"
	if c := os.Getenv("SCENE_CKPT"); c != "" {
		name = c
	}
	in := referenceInputs(t, name)
	if os.Getenv("SCENE_FRESH") != "" { // a freshly initialised live flow, as the app starts with
		f, err := flow.New(flow.LiveConfig(), 1)
		if err != nil {
			t.Fatal(err)
		}
		in.Flow = f
	}
	if l := os.Getenv("SCENE_LAYERS"); l != "" {
		m, err := strconv.ParseUint(l, 0, 32)
		if err != nil {
			t.Fatal(err)
		}
		in.Layers = plane.LayerMask(m)
	}
	if os.Getenv("SCENE_ZOOM") != "" {
		in.View = plane.Fit(-0.5, 0.7, -0.5, 0.5, 1280, 800, 0)
	}
	if os.Getenv("SCENE_DRAFT") != "" {
		in.Quality = Draft
	}
	t0 := time.Now()
	res := Build(in)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	sc := &res.Scene
	t.Logf("built in %v: %d grid lines, manifold of %d points, %d trajectories", time.Since(t0), len(sc.GridLines), len(sc.Manifold)/2, len(sc.Trajectories))
	for _, p := range res.Probes {
		t.Logf("probe %d: %v → adv %v → defended %v, labels %d/%d/%d, case %v", p.ID, p.X, p.Adv, p.Defended, p.PredClean, p.PredAdv, p.PredDefended, p.Case)
	}
	img := image.NewRGBA(image.Rect(0, 0, in.View.W, in.View.H))
	plane.NewRenderer().Render(img, sc)
	if err := atomicfile.Write(out, func(w io.Writer) error { return png.Encode(w, img) }); err != nil {
		t.Fatal(err)
	}
}
