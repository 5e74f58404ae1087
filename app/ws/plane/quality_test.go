package plane

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/watch"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// waitQuality lays out frames until the panel has a measurement of the run's current
// generation (the watcher measures in the background, also in Sync mode).
func waitQuality(t *testing.T, h *harness) *watch.Status {
	t.Helper()
	// generous: one measurement takes ~0.3 s on a quiet machine but over 20 s on a 2-core
	// machine running a dozen other jobs
	deadline := time.Now().Add(3 * time.Minute)
	for {
		h.Frame()
		if st := h.p.lab.quality(); st != nil && st.Measured {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("no quality measurement after 3 min (status %+v)", *h.p.lab.watch.Latest())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestVerdictColors(t *testing.T) {
	th := widgets.NewTheme()
	seen := map[color.NRGBA]quality.Verdict{}
	for _, v := range []quality.Verdict{quality.Learned, quality.Partial, quality.Failed, quality.Diverged} {
		bg, fg := verdictColors(th, v)
		if bg == fg {
			t.Errorf("%v: text and fill both %v", v, bg)
		}
		if w, dup := seen[bg]; dup {
			t.Errorf("%v and %v share the badge colour %v", v, w, bg)
		}
		seen[bg] = v
	}
	isGreen := func(c color.NRGBA) bool { return c.G > c.R && c.G > c.B }
	isRed := func(c color.NRGBA) bool { return c.R > c.G+60 && c.R > c.B+60 }
	isAmber := func(c color.NRGBA) bool { return c.R > 0xc0 && c.G > 0x80 && c.B < 0x60 }
	isGrey := func(c color.NRGBA) bool { return max(c.R, c.G, c.B)-min(c.R, c.G, c.B) < 0x20 }
	for v, ok := range map[quality.Verdict]func(color.NRGBA) bool{quality.Learned: isGreen, quality.Partial: isAmber, quality.Failed: isRed, quality.Diverged: isGrey} {
		if bg, _ := verdictColors(th, v); !ok(bg) {
			t.Errorf("%v badge %v has the wrong hue", v, bg)
		}
	}
}

// TestQualityBadgeShowsTheMeasuredVerdict checks that the background measurement reaches
// the panel: the badge is painted in the verdict's colour, generated data has a reference
// curve, and a Reset starts the next generation's measurement.
func TestQualityBadgeShowsTheMeasuredVerdict(t *testing.T) {
	h := newHarness(t)
	st := waitQuality(t, h)
	if !st.Result.HasCurve || st.Gen != h.p.lab.run.Latest().Gen {
		t.Fatalf("generated data: status %+v, want a core m2d95 of the current run", *st)
	}
	h.Frame()
	img := h.U.Panel().Surface(0).Image() // the Training section
	r := h.p.panel.train.badgeR
	if img == nil || r.Empty() {
		t.Fatalf("no badge drawn (image %v, badge %v)", img != nil, r)
	}
	want, _ := verdictColors(h.p.th, st.Verdict)
	if c := img.RGBAAt(r.Min.X+r.Dy()/2, r.Min.Y+2); c != (color.RGBA{want.R, want.G, want.B, 255}) {
		t.Fatalf("%v badge painted %v, want %v", st.Verdict, c, want)
	}

	gen := h.p.lab.run.Latest().Gen
	h.p.panel.train.reset()
	for h.p.lab.run.Latest().Gen == gen {
		time.Sleep(time.Millisecond)
	}
	if st := h.p.lab.quality(); st != nil && st.Gen != gen+1 {
		t.Fatalf("after Reset the panel shows generation %d's quality", st.Gen)
	}
	if st := waitQuality(t, h); st.Gen != gen+1 || st.Learned() {
		t.Fatalf("after Reset: %+v", *st)
	}
}

// TestQualityOfLoadedDataWithoutCurve loads a data set that is not the standard spiral:
// the measurement has d2m95 only.
func TestQualityOfLoadedDataWithoutCurve(t *testing.T) {
	h := newHarness(t)
	var b strings.Builder
	b.WriteString("x,y,label\n")
	d := h.p.lab.data
	for i := 0; i < d.N(); i += 4 {
		fmt.Fprintf(&b, "%g,%g,%d\n", d.X[2*i]+0.4, d.X[2*i+1]-0.3, d.Y[i])
	}
	path := filepath.Join(t.TempDir(), "shifted.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	h.p.lab.LoadData(path)
	waitStatus(t, h, "loaded")
	st := waitQuality(t, h)
	if st.Result.HasCurve || st.Result.D2M95 != st.Result.D2M95 {
		t.Fatalf("shifted file: %+v, want d2m95 only", st.Result)
	}
}

func TestRecipeChoiceResetsWithThePanelSeed(t *testing.T) {
	h := newHarness(t)
	tp := &h.p.panel.train
	if tp.recipe.Value != run.DefaultRecipe {
		t.Fatalf("initial recipe %q, want %q", tp.recipe.Value, run.DefaultRecipe)
	}
	tp.seed.SetText("7")
	tp.chooseRecipe("original")
	h.Frame()
	s := h.p.lab.run.Settings()
	want, _ := run.RecipeSettings(run.LiveConfig, "original")
	s.Train.Seed, want.Train.Seed = 0, 0
	if s.Seed != 7 || s.Train != want.Train || s.Flow != flow.LiveConfig() || tp.recipe.Value != "original" {
		t.Fatalf("after choosing original: seed %d, train %+v, flow %v, choice %q", s.Seed, s.Train, s.Flow, tp.recipe.Value)
	}
	for h.p.lab.run.Latest().Seed != 7 {
		time.Sleep(time.Millisecond)
	}
	if tp.perms.Value != permsRandom {
		t.Fatalf("the original recipe shows couplings %q, want %q", tp.perms.Value, permsRandom)
	}
	tp.chooseRecipe(run.DefaultRecipe)
	if got := h.p.lab.run.Settings(); got.Train.Recipe != run.LiveDefault().Train.Recipe || !got.Flow.Alternate || tp.perms.Value != permsAlternate {
		t.Fatalf("after choosing default: recipe %q (want the live default's %q), alternating %v, choice %q",
			got.Train.Recipe, run.LiveDefault().Train.Recipe, got.Flow.Alternate, tp.perms.Value)
	}
	// The couplings choice applies on Reset, keeping the recipe.
	tp.perms.Value = permsRandom
	tp.reset()
	if got := h.p.lab.run.Settings(); got.Flow.Alternate || got.Train.Recipe != run.LiveDefault().Train.Recipe {
		t.Fatalf("after choosing random couplings: alternating %v, recipe %q", got.Flow.Alternate, got.Train.Recipe)
	}
	if recipeOf(run.LiveDefault().Train) != run.DefaultRecipe || recipeOf(flow.OriginalTraining()) != "original" {
		t.Fatal("recipeOf does not name the registry's recipes")
	}
	odd := run.LiveDefault().Train
	odd.LR *= 3
	if recipeOf(odd) != "" {
		t.Fatal("recipeOf named edited settings")
	}
}
