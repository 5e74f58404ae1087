package plane

import (
	"context"
	"fmt"
	"image"
	"math"
	"strings"
	"testing"
	"time"

	"gioui.org/f32"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/unit"

	"github.com/mflowlab/mflowlab/app/shell"
	"github.com/mflowlab/mflowlab/app/shell/shelltest"
	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/ui/plane"
	"github.com/mflowlab/mflowlab/ui/scene"
)

// harness drives the shell with the plane headlessly: layout frames through an
// input.Router fed with synthesized events, without a GPU.
type harness struct {
	t *testing.T
	shelltest.Driver
	p *Plane
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	u := shell.New(context.Background(), shell.Options{Sync: true}, Maker(Options{Paused: true}))
	t.Cleanup(u.Close)
	h := &harness{t: t, Driver: shelltest.Driver{U: u, Size: image.Pt(620, 420)}, p: u.Workspace(ws.Plane).(*Plane)}
	h.Frame()
	return h
}

// status returns the status line's message and whether it is an error.
func (h *harness) status() (string, bool) { return h.U.Status() }

// statusText returns the status line's message.
func (h *harness) statusText() string { s, _ := h.U.Status(); return s }

// statusErr reports whether the status line shows an error.
func (h *harness) statusErr() bool { _, e := h.U.Status(); return e }

// press types key k and lays out a frame.
func (h *harness) press(k key.Name) {
	h.Queue(key.Event{Name: k, State: key.Press})
	h.Frame()
}

// pointer queues one mouse event at window pixel p.
func (h *harness) pointer(kind pointer.Kind, p f32.Point, buttons pointer.Buttons) {
	h.Router.Queue(pointer.Event{Kind: kind, Source: pointer.Mouse, Position: p, Buttons: buttons})
}

// pixel returns the window pixel of data point x.
func (h *harness) pixel(x [2]float64) f32.Point {
	px, py := h.p.pv.view.ToPixel(x[0], x[1])
	return f32.Pt(px, py)
}

// probe returns the scene's result for probe id.
func (h *harness) probe(id int) scene.ProbeResult {
	h.t.Helper()
	res := h.p.scene.Latest()
	if res == nil {
		h.t.Fatal("no scene computed")
	}
	for _, p := range res.Probes {
		if p.ID == id {
			return p
		}
	}
	h.t.Fatalf("probe %d not in the scene (%d probes)", id, len(res.Probes))
	return scene.ProbeResult{}
}

func TestDragMovesProbeAndItsProjection(t *testing.T) {
	h := newHarness(t)
	q := h.p.pv.probes.list[0]
	before := h.probe(q.ID)
	if len(before.ProjectionPath) < 4 {
		t.Fatalf("probe %d has no projection path before the drag", q.ID)
	}
	from := h.pixel(q.X)
	to := from.Add(f32.Pt(70, -45))
	h.pointer(pointer.Press, from, pointer.ButtonPrimary)
	h.pointer(pointer.Move, from.Add(f32.Pt(20, -10)), pointer.ButtonPrimary)
	h.pointer(pointer.Move, to, pointer.ButtonPrimary)
	h.pointer(pointer.Release, to, 0)
	h.Frame()

	got, ok := h.p.pv.probes.Get(q.ID)
	if !ok {
		t.Fatalf("probe %d vanished", q.ID)
	}
	wx, wy := h.p.pv.view.ToData(float64(to.X), float64(to.Y))
	if math.Abs(got.X[0]-wx) > 1e-6 || math.Abs(got.X[1]-wy) > 1e-6 {
		t.Fatalf("probe at %v after the drag, want (%.6f, %.6f)", got.X, wx, wy)
	}
	after := h.probe(q.ID)
	if after.X != got.X {
		t.Fatalf("scene shows the probe at %v, the UI has it at %v", after.X, got.X)
	}
	if after.Defended == before.Defended || after.ProjectionPath[0] == before.ProjectionPath[0] {
		t.Fatalf("the projection did not follow the drag: defended %v → %v", before.Defended, after.Defended)
	}
	if h.p.pv.probes.selected != q.ID {
		t.Fatalf("dragged probe %d not selected (selected %d)", q.ID, h.p.pv.probes.selected)
	}
	if n := len(h.p.pv.probes.list); n != 4 {
		t.Fatalf("a drag changed the number of probes to %d", n)
	}
}

func TestClickDropsProbe(t *testing.T) {
	h := newHarness(t)
	n := len(h.p.pv.probes.list)
	at := f32.Pt(150, 200)
	h.pointer(pointer.Press, at, pointer.ButtonPrimary)
	h.pointer(pointer.Release, at, 0)
	h.Frame()
	if got := len(h.p.pv.probes.list); got != n+1 {
		t.Fatalf("%d probes after a click, want %d", got, n+1)
	}
	p := h.p.pv.probes.list[n]
	wx, wy := h.p.pv.view.ToData(150, 200)
	if math.Abs(p.X[0]-wx) > 1e-9 || math.Abs(p.X[1]-wy) > 1e-9 || !p.Selected {
		t.Fatalf("new probe %+v, want selected at (%.4f, %.4f)", p, wx, wy)
	}
	if r := h.probe(p.ID); r.X != p.X || r.Label < 0 {
		t.Fatalf("the scene has not attacked the new probe: %+v", r)
	}
}

func TestPanDoesNotDropProbe(t *testing.T) {
	h := newHarness(t)
	n := len(h.p.pv.probes.list)
	c0 := h.p.pv.view.Center
	from := f32.Pt(150, 250)
	h.pointer(pointer.Press, from, pointer.ButtonPrimary)
	h.pointer(pointer.Move, from.Add(f32.Pt(40, 0)), pointer.ButtonPrimary)
	h.pointer(pointer.Move, from.Add(f32.Pt(100, 0)), pointer.ButtonPrimary)
	h.pointer(pointer.Release, from.Add(f32.Pt(100, 0)), 0)
	h.Frame()
	if got := len(h.p.pv.probes.list); got != n {
		t.Fatalf("panning changed the probes from %d to %d", n, got)
	}
	want := c0[0] - 100/h.p.pv.view.Scale
	if c := h.p.pv.view.Center; math.Abs(c[0]-want) > 1e-9 || c[1] != c0[1] {
		t.Fatalf("centre %v after a 100 px pan right, want (%.4f, %.4f)", c, want, c0[1])
	}
}

func TestRightClickAndDeleteRemoveProbes(t *testing.T) {
	h := newHarness(t)
	a, b := h.p.pv.probes.list[0], h.p.pv.probes.list[1]
	h.pointer(pointer.Press, h.pixel(a.X), pointer.ButtonSecondary)
	h.pointer(pointer.Release, h.pixel(a.X), 0)
	h.Frame()
	if _, ok := h.p.pv.probes.Get(a.ID); ok {
		t.Fatal("right-click did not delete the probe")
	}
	// Select b with a click, then press Delete.
	h.pointer(pointer.Press, h.pixel(b.X), pointer.ButtonPrimary)
	h.pointer(pointer.Release, h.pixel(b.X), 0)
	h.Frame()
	if h.p.pv.probes.selected != b.ID {
		t.Fatalf("clicking probe %d selected %d", b.ID, h.p.pv.probes.selected)
	}
	h.Queue(key.Event{Name: key.NameDeleteForward, State: key.Press})
	h.Frame()
	if _, ok := h.p.pv.probes.Get(b.ID); ok {
		t.Fatal("Delete did not remove the selected probe")
	}
	if n := len(h.p.pv.probes.list); n != 2 {
		t.Fatalf("%d probes left, want 2", n)
	}
}

func TestKeysToggleLayers(t *testing.T) {
	h := newHarness(t)
	if h.p.pv.layers.Has(plane.LayerDensity) {
		t.Fatal("density is on by default")
	}
	h.Queue(key.Event{Name: "6", State: key.Press})
	h.Frame()
	if !h.p.pv.layers.Has(plane.LayerDensity) {
		t.Fatal("key 6 did not turn the density layer on")
	}
	if res := h.p.scene.Latest(); res.Scene.Density == nil || !res.Scene.Layers.Has(plane.LayerDensity) {
		t.Fatal("the scene has no density after key 6")
	}
	h.Queue(key.Event{Name: "1", State: key.Press}, key.Event{Name: "3", State: key.Press})
	h.Frame()
	if l := h.p.pv.layers; l.Has(plane.LayerBoundary) || l.Has(plane.LayerGrid) || l.Has(plane.LayerManifold) {
		t.Fatalf("keys 1 and 3 left layers %b on", l)
	}
	if res := h.p.scene.Latest(); res.Scene.Layers.Has(plane.LayerBoundary) {
		t.Fatal("the scene still draws the boundary")
	}
}

func TestWheelZoomsAroundCursor(t *testing.T) {
	h := newHarness(t)
	at := f32.Pt(130, 180)
	x0, y0 := h.p.pv.view.ToData(130, 180)
	s0 := h.p.pv.view.Scale
	h.Router.Queue(pointer.Event{Kind: pointer.Scroll, Source: pointer.Mouse, Position: at, Scroll: f32.Pt(0, -10)})
	h.Frame()
	if h.p.pv.view.Scale <= s0 {
		t.Fatalf("scrolling up did not zoom in: scale %v → %v", s0, h.p.pv.view.Scale)
	}
	x1, y1 := h.p.pv.view.ToData(130, 180)
	if math.Abs(x1-x0) > 1e-9 || math.Abs(y1-y0) > 1e-9 {
		t.Fatalf("the point under the cursor moved from (%v, %v) to (%v, %v)", x0, y0, x1, y1)
	}
}

func TestBadFileShowsErrorAndKeepsState(t *testing.T) {
	h := newHarness(t)
	clf, cv := h.p.lab.clf, h.p.lab.clfVersion
	h.p.lab.LoadClassifier(t.TempDir() + "/missing.pt")
	h.p.lab.LoadFlow(t.TempDir() + "/missing.mfl")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !h.statusErr() {
		time.Sleep(5 * time.Millisecond)
		h.Frame()
	}
	if !h.statusErr() {
		t.Fatalf("no error in the status line; it says %q", h.statusText())
	}
	if h.p.lab.clf != clf || h.p.lab.clfVersion != cv || h.p.lab.static != nil {
		t.Fatal("a failed load changed the models")
	}
}

func TestTypingInFieldDoesNotTriggerShortcuts(t *testing.T) {
	h := newHarness(t)
	seed := &h.p.panel.train.seed
	h.Router.Source().Execute(key.FocusCmd{Tag: seed})
	h.Frame()
	if !seed.Focused() || !h.p.panel.editing() {
		t.Fatal("the seed field did not take the focus")
	}
	layers := h.p.pv.layers
	h.Queue(key.Event{Name: "6", State: key.Press}, key.EditEvent{Range: key.Range{Start: 1, End: 1}, Text: "6"})
	h.Frame()
	if h.p.pv.layers != layers {
		t.Fatal("typing 6 into a field toggled a layer")
	}
	if got := seed.Text(); got != "16" {
		t.Fatalf("seed field holds %q after typing 6, want \"16\"", got)
	}
	// Enter resets the run with the new seed.
	h.Queue(key.Event{Name: key.NameReturn, State: key.Press})
	h.Frame()
	h.Frame()
	if s := h.p.lab.run.Settings().Seed; s != 16 {
		t.Fatalf("run settings have seed %d after Enter, want 16", s)
	}
	if seed.Focused() {
		t.Fatal("Enter left the field focused")
	}
}

func TestToolbarChipTogglesLayer(t *testing.T) {
	h := newHarness(t)
	// The first chip (boundary) sits at the toolbar's left end.
	at := f32.Pt(30, 22)
	h.pointer(pointer.Press, at, pointer.ButtonPrimary)
	h.pointer(pointer.Release, at, 0)
	h.Frame()
	if h.p.pv.layers.Has(plane.LayerBoundary) {
		t.Fatal("clicking the Boundary chip did not hide the boundary")
	}
	if n := len(h.p.pv.probes.list); n != 4 {
		t.Fatalf("a click on the toolbar reached the plane: %d probes", n)
	}
}

func TestPanicInFrameReachesStatusLine(t *testing.T) {
	h := newHarness(t)
	run := h.p.lab.run
	h.p.lab.run = nil // every frame now panics
	defer func() { h.p.lab.run = run }()
	h.Ops.Reset()
	gtx := layout.Context{Ops: &h.Ops, Now: time.Now(), Metric: unit.Metric{PxPerDp: 1, PxPerSp: 1},
		Constraints: layout.Exact(h.Size), Source: h.Router.Source()}
	h.U.SafeLayout(gtx) // must not panic
	if st, isErr := h.status(); !isErr || !strings.Contains(st, "internal error") {
		t.Fatalf("status after a panicking frame: %+v", st)
	}
}

func TestRetrainClassifierLive(t *testing.T) {
	if testing.Short() {
		t.Skip("classifier training skipped in -short mode")
	}
	h := newHarness(t)
	v0 := h.p.lab.clfVersion
	h.p.lab.RetrainClassifier(7)
	versions := map[uint64]bool{}
	deadline := time.Now().Add(3 * time.Minute)
	for h.p.lab.ClassifierTraining() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		h.Frame()
		versions[h.p.lab.clfVersion] = true
	}
	if h.p.lab.ClassifierTraining() {
		t.Fatal("classifier training did not finish")
	}
	h.Frame() // the frame after the last epoch: training may have ended after the loop's last frame
	// Every epoch publishes a new classifier (and nothing else takes versions while paused).
	if n := h.p.lab.clfVersion - v0; n < classifierEpochs || len(versions) < 2 {
		t.Fatalf("%d classifiers published over %d frames, want one per epoch (%d)", n, len(versions), classifierEpochs)
	}
	if !strings.Contains(h.p.lab.clfNote, fmt.Sprintf("epoch %d/%d", classifierEpochs, classifierEpochs)) {
		t.Fatalf("note %q does not report the last epoch", h.p.lab.clfNote)
	}
	d := h.p.lab.data
	if acc := h.p.lab.clf.Accuracy(matOf(d), d.Y); acc < 0.95 {
		t.Fatalf("retrained classifier accuracy %.3f on the data, want ≥ 0.95", acc)
	}
}
