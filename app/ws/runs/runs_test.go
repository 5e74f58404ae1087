package runs

import (
	"context"
	"image"
	"image/gif"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gioui.org/f32"
	"gioui.org/io/pointer"

	"github.com/mflowlab/mflowlab/app/session"
	"github.com/mflowlab/mflowlab/app/shell"
	"github.com/mflowlab/mflowlab/app/shell/shelltest"
	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/app/ws/plane"
	"github.com/mflowlab/mflowlab/internal/testref"
	"github.com/mflowlab/mflowlab/sim/run"
)

// harness drives the shell with the plane and the Runs grid headlessly (sync mode: cells
// and charts are drawn on the frame's goroutine; training runs in the background).
type harness struct {
	t *testing.T
	shelltest.Driver
	r   *Runs
	now time.Duration
}

// small is a quick grid: two rows (joint, geodesic) of two seeds on 600 points.
func small() Setup {
	s := DefaultSetup()
	s.Rows, s.Cols, s.Seeds = []string{"joint", "geodesic"}, 2, "1-4"
	s.Data.N = 600
	return s
}

func newHarness(t *testing.T, s Setup) *harness {
	t.Helper()
	u := shell.New(context.Background(), shell.Options{Sync: true}, plane.Maker(plane.Options{Paused: true}),
		Maker(Options{Paused: true, Setup: &s, Duty: 1}))
	t.Cleanup(u.Close)
	h := &harness{t: t, Driver: shelltest.Driver{U: u, Size: image.Pt(1100, 760)}, r: u.Workspace(ws.Runs).(*Runs)}
	u.Show(ws.Runs, nil)
	h.Frame()
	deadline := time.Now().Add(2 * time.Minute)  // a tick, but minutes on a loaded 2-core machine
	for len(h.r.gv.rects) < len(s.Rows)*s.Cols { // the grid's runs are published within a tick
		if time.Now().After(deadline) {
			t.Fatal("the grid's cells did not appear")
		}
		time.Sleep(5 * time.Millisecond)
		h.Frame()
	}
	return h
}

// click clicks pixel p (at a time after the last click).
func (h *harness) click(p f32.Point) {
	h.now += time.Second
	h.clickAt(p, h.now)
}

func (h *harness) clickAt(p f32.Point, at time.Duration) {
	h.Queue(pointer.Event{Kind: pointer.Move, Source: pointer.Mouse, Position: p},
		pointer.Event{Kind: pointer.Press, Source: pointer.Mouse, Position: p, Buttons: pointer.ButtonPrimary, Time: at},
		pointer.Event{Kind: pointer.Release, Source: pointer.Mouse, Position: p, Time: at + 20*time.Millisecond})
	h.Frame()
}

// centre returns the middle of cell i.
func (h *harness) centre(i int) f32.Point {
	r := h.r.gv.rects[i]
	return f32.Pt(float32(r.Min.X+r.Dx()/2), float32(r.Min.Y+r.Dy()/2))
}

// train trains the grid to n steps and lays out frames until everything is measured and
// drawn.
func (h *harness) train(n int) {
	h.t.Helper()
	if err := h.r.Train(context.Background(), n, os.Stderr); err != nil {
		h.t.Fatal(err)
	}
	h.settle()
}

// settle lays out frames until the workspace is ready.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for h.Frame(); !h.r.Ready(); h.Frame() {
		if time.Now().After(deadline) {
			h.t.Fatal("the grid was not measured and drawn within 2 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestGridTrainsMeasuresAndDraws(t *testing.T) {
	h := newHarness(t, small())
	h.train(30)
	st := h.r.state()
	if len(st.Members) != 4 || len(h.r.gv.rects) != 4 {
		t.Fatalf("%d members, %d cells; want 4", len(st.Members), len(h.r.gv.rects))
	}
	for i, m := range st.Members {
		want := []string{"joint", "joint", "geodesic (default)", "geodesic (default)"}[i]
		if want == "geodesic (default)" {
			want = "geodesic"
		}
		if m.Snap.Step < 30 || !m.Quality.Measured || m.Snap.Seed != uint64(i+1) || !strings.HasPrefix(m.Label, want) {
			t.Fatalf("cell %d: step %d, measured %v, seed %d, label %q", i, m.Snap.Step, m.Quality.Measured, m.Snap.Seed, m.Label)
		}
	}
	// The recorded picture is the cells as painted, each where the window shows it.
	img, v := h.r.Picture()
	if img == nil || v == 0 || img.Rect.Size() != h.r.gv.area.Size() {
		t.Fatalf("picture %v, version %d; want the cells' area %v", img.Bounds(), v, h.r.gv.area)
	}
	for i, r := range h.r.gv.rects {
		cell := h.r.gv.pics[i].Image()
		p := r.Min.Sub(h.r.gv.area.Min).Add(image.Pt(r.Dx()/2, r.Dy()/3))
		if got, want := img.RGBAAt(p.X, p.Y), cell.RGBAAt(r.Dx()/2, r.Dy()/3); got != want {
			t.Fatalf("cell %d in the picture %v, drawn %v", i, got, want)
		}
	}
	if _, v2 := h.r.Picture(); v2 != v {
		t.Fatal("an unchanged grid has a new picture version")
	}
	if note, _ := h.r.Status(); !strings.Contains(note, "4 runs") {
		t.Fatalf("status note %q", note)
	}
	if !h.r.panel.charts.ready() {
		t.Fatal("charts not drawn")
	}
}

func TestClickSelectsAndDoubleClickOpensInThePlane(t *testing.T) {
	h := newHarness(t, small())
	h.train(5)
	h.click(h.centre(1))
	if h.r.gv.sel != 1 {
		t.Fatalf("a click on cell 2 selected member %d", h.r.gv.sel)
	}
	at := h.now + time.Second
	h.clickAt(h.centre(2), at)
	h.clickAt(h.centre(2), at+200*time.Millisecond)
	if h.U.Shown() != ws.Plane {
		t.Fatalf("a double-click left %q shown", h.U.Shown())
	}
	if msg, isErr := h.U.Status(); isErr || !strings.Contains(msg, "Runs cell 3") {
		t.Fatalf("status %q (error %v)", msg, isErr)
	}
	p := h.U.Workspace(ws.Plane).(*plane.Plane)
	if p.Run().Latest().State == run.Running {
		t.Fatal("the plane's own run trains while it shows a grid cell")
	}
	// Back to the grid: where it was left.
	co := h.r.co
	h.U.Show(ws.Runs, nil)
	h.Frame()
	if h.r.co != co || h.r.gv.sel != 2 {
		t.Fatalf("coming back: same grid %v, selection %d", h.r.co == co, h.r.gv.sel)
	}
}

func TestWheelZoomsAndDragPansEveryCell(t *testing.T) {
	h := newHarness(t, small())
	h.Frame()
	at := h.centre(3).Add(f32.Pt(30, -20))
	vp, org := h.r.gv.cellView(3)
	x0, y0 := vp.ToData(float64(at.X)-float64(org.X), float64(at.Y)-float64(org.Y))
	w0 := h.r.setup.View[1] - h.r.setup.View[0]
	h.Queue(pointer.Event{Kind: pointer.Scroll, Source: pointer.Mouse, Position: at, Scroll: f32.Pt(0, -20)})
	h.Frame()
	if w := h.r.setup.View[1] - h.r.setup.View[0]; !(w < w0) {
		t.Fatalf("scrolling up did not zoom in: width %v → %v", w0, w)
	}
	vp, org = h.r.gv.cellView(3)
	x1, y1 := vp.ToData(float64(at.X)-float64(org.X), float64(at.Y)-float64(org.Y))
	if math.Abs(x1-x0) > 1e-9 || math.Abs(y1-y0) > 1e-9 {
		t.Fatalf("the point under the wheel moved from (%v, %v) to (%v, %v)", x0, y0, x1, y1)
	}
	// Every cell asks for the new box.
	for id, q := range h.r.cells.asked {
		if q.view != h.r.setup.View {
			t.Fatalf("cell %d still shows %v", id, q.view)
		}
	}
	v := h.r.setup.View
	from := h.centre(0)
	h.Queue(pointer.Event{Kind: pointer.Press, Source: pointer.Mouse, Position: from, Buttons: pointer.ButtonPrimary},
		pointer.Event{Kind: pointer.Move, Source: pointer.Mouse, Position: from.Add(f32.Pt(20, 0)), Buttons: pointer.ButtonPrimary},
		pointer.Event{Kind: pointer.Move, Source: pointer.Mouse, Position: from.Add(f32.Pt(60, 0)), Buttons: pointer.ButtonPrimary},
		pointer.Event{Kind: pointer.Release, Source: pointer.Mouse, Position: from.Add(f32.Pt(60, 0))})
	h.Frame()
	vp, _ = h.r.gv.cellView(0)
	if d := v[0] - h.r.setup.View[0]; math.Abs(d-60/vp.Scale) > 1e-9 || h.r.setup.View[2] != v[2] {
		t.Fatalf("a 60 px drag right moved the box by %v, want %v", d, 60/vp.Scale)
	}
	if h.r.gv.sel != -1 {
		t.Fatal("a drag selected a cell")
	}
}

func TestTimelineRewindsAndForks(t *testing.T) {
	h := newHarness(t, small())
	h.train(40)
	st := h.r.state()
	n := maxStep(st)
	// Press the slider a quarter of the way along.
	tr := h.r.tl.track.Add(h.r.tl.org)
	h.click(f32.Pt(float32(tr.Min.X+tr.Dx()/4), float32(tr.Min.Y+tr.Dy()/2)))
	step, live := h.r.tl.at(st)
	if live || step < n/4-n/20 || step > n/4+n/20 {
		t.Fatalf("the slider shows step %d (live %v) of %d, want about a quarter", step, live, n)
	}
	for i, m := range h.r.shown(st) {
		f, meta := cellContent(i, m, step, false)
		if f == nil || meta.Step > step || meta.Step < step-2*m.Timeline.Every() {
			t.Fatalf("cell %d rewound to step %d shows step %d", i, step, meta.Step)
		}
	}
	// Fork cell 1 there with another learning rate.
	h.click(h.centre(0))
	s := &h.r.panel.sel
	s.lr.SetText("0.0005")
	_, shown := cellContent(0, h.r.state().Members[0], step, false)
	s.forkAt(h.r.state().Members[0], step, shown.Step)
	h.Frame()
	var fork bool
	for deadline := time.Now().Add(3 * time.Minute); !fork && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		h.Frame()
		st = h.r.state()
		fork = len(st.Members) == 5
	}
	if !fork {
		t.Fatal("no fifth cell after Fork")
	}
	f := st.Members[4]
	if f.Parent != 0 || f.ForkStep != shown.Step || f.Snap.Settings.Train.LR != 5e-4 || h.r.gv.sel != 4 || !strings.Contains(f.Label, "lr 0.0005") {
		t.Fatalf("fork: parent %d at %d (step %d), lr %g, selection %d, label %q", f.Parent, f.ForkStep, step, f.Snap.Settings.Train.LR, h.r.gv.sel, f.Label)
	}
	h.r.tl.goLive()
	if _, live := h.r.tl.at(st); !live {
		t.Fatal("not live after going live")
	}
}

func TestSessionKeepsTheGrid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "grid.mflsession")
	a := newHarness(t, small())
	a.r.setup.View = [4]float64{-1, 1, -1.2, 1.2}
	a.U.SaveSession(path)
	waitStatus(t, a, "saved the session")
	s, err := session.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Workspace != ws.Runs || s.Parts[ws.Runs] == nil {
		t.Fatalf("session workspace %q, parts %v", s.Workspace, s.Parts)
	}
	b := newHarness(t, DefaultSetup())
	b.U.Show(ws.Plane, nil)
	b.U.LoadSession(path)
	waitStatus(t, b, "loaded session")
	b.Frame()
	want := a.r.setup
	got := b.r.setup
	if b.U.Shown() != ws.Runs || got.Seeds != want.Seeds || got.Cols != want.Cols || len(got.Rows) != 2 || got.Rows[1] != "geodesic" ||
		got.View != want.View || got.Data != want.Data {
		t.Fatalf("restored %+v shown %q, want %+v", got, b.U.Shown(), want)
	}
}

func waitStatus(t *testing.T, h *harness, want string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		msg, isErr := h.U.Status()
		if strings.Contains(msg, want) {
			return
		}
		if isErr || time.Now().After(deadline) {
			t.Fatalf("status %q, want %q", msg, want)
		}
		time.Sleep(5 * time.Millisecond)
		h.Frame()
	}
}

func TestExportPNG(t *testing.T) {
	h := newHarness(t, small())
	h.train(10)
	path := filepath.Join(t.TempDir(), "grid.png")
	h.r.exportPNG(path)
	waitStatus(t, h, "wrote the figure")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 2*420 || b.Dy() < 2*420 {
		t.Fatalf("figure %v for 2×2 cells of 420 px", b)
	}
}

func TestReferencesAreFrozenCells(t *testing.T) {
	dir := testref.Dir(t)
	if testing.Short() || raceOn {
		t.Skip("measuring an original checkpoint takes seconds (minutes under -race): skipped in -short mode and under -race")
	}
	h := newHarness(t, small())
	h.Frame()
	p := filepath.Join(dir, "reference", "checkpoints", "spiral_mflow_D.pt")
	h.r.toggleRef(p)
	h.settle()
	cells := h.r.shown(h.r.state())
	if len(cells) != 5 || cells[4].Frozen == nil || cells[4].Label != "checkpoint D" || !cells[4].Quality.Measured {
		t.Fatalf("%d cells; the last %q frozen %v", len(cells), cells[len(cells)-1].Label, cells[len(cells)-1].Frozen != nil)
	}
	if !contains(h.r.setup.Refs, p) || !h.r.refShown(p) {
		t.Fatal("the reference is not in the setup")
	}
	h.r.toggleRef(p)
	h.Frame()
	if len(h.r.shown(h.r.state())) != 4 || contains(h.r.setup.Refs, p) {
		t.Fatal("toggling the reference again did not hide it")
	}
}

// TestRecordTheGrid records the grid with the Record section's defaults (a GIF with a dated
// name in the working folder): every new picture of the cells is one frame of the grid's
// size.
func TestRecordTheGrid(t *testing.T) {
	t.Chdir(t.TempDir())
	h := newHarness(t, small())
	h.train(5)
	h.U.ToggleRecording(time.Now())
	if !h.U.Recording() {
		msg, _ := h.U.Status()
		t.Fatalf("not recording: %q", msg)
	}
	_, v0 := h.r.Picture()
	for range 3 { // each zoom draws every cell again
		h.Queue(pointer.Event{Kind: pointer.Scroll, Source: pointer.Mouse, Position: h.centre(0), Scroll: f32.Pt(0, -10)})
		h.Frame()
		for h.U.RecordHeld() { // the encoder is behind: the grid waits for it
			time.Sleep(time.Millisecond)
			h.Frame()
		}
	}
	_, v1 := h.r.Picture()
	if v1 == v0 {
		t.Fatal("zooming drew no new cells")
	}
	frames := h.U.RecordFrames()
	h.U.ToggleRecording(time.Now())
	waitStatus(t, h, "wrote the recording")
	names, _ := filepath.Glob("mflowlab-*.gif")
	if len(names) != 1 {
		t.Fatalf("recordings %v", names)
	}
	f, err := os.Open(names[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := gif.DecodeAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != frames || frames < 4 || g.Config.Width != h.r.gv.area.Dx() || g.Config.Height != h.r.gv.area.Dy() {
		t.Fatalf("GIF of %d frames %dx%d; recorded %d, the grid is %v", len(g.Image), g.Config.Width, g.Config.Height, frames, h.r.gv.area.Size())
	}
}
