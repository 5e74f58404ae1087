package cifar

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"image"
	"image/gif"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gioui.org/f32"
	"gioui.org/io/key"
	"gioui.org/io/pointer"

	"github.com/mflowlab/mflowlab/app/session"
	"github.com/mflowlab/mflowlab/app/shell"
	"github.com/mflowlab/mflowlab/app/shell/shelltest"
	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/sim/cifar"
	sgal "github.com/mflowlab/mflowlab/sim/gallery"
	"github.com/mflowlab/mflowlab/ui/gallery"
	"github.com/mflowlab/mflowlab/ui/grid"
)

// fake is a stand-in engine: a pool of n synthetic samples whose adversarial image is the
// original plus ε times a ±1 pattern (so its L∞ distance tells the ε it was made at), the
// class predictions following the attack's strength.
type fake struct {
	mu       sync.Mutex
	n        int
	err      error  // a snapshot that stopped with this error
	data     string // the data the snapshot says it uses
	settings Settings
	snap     *Snapshot
	prio     []int
	details  []float64 // ε of every Detail call
	applies  int
}

func newFake(n int) *fake { return &fake{n: n} }

func (f *fake) Apply(s Settings) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settings, f.applies = s, f.applies+1
	s2 := &Snapshot{Version: uint64(f.applies), Settings: sgal.Normalised(s), Stage: "ready", Progress: 1,
		Classes: []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}}
	s2.Data = f.data
	if f.err != nil {
		s2.Stage, s2.Err, s2.Looked = "error", f.err, []string{"/nowhere/cifar10"}
	} else {
		for i := range f.n {
			s2.Samples = append(s2.Samples, fakeSample(i, s.Attack.Eps))
		}
		s2.Done = f.n
		s2.Acc = sgal.AccuracyOf(s2.Samples)
		s2.Cases = &CaseCurve{Eps: []float64{0, 4.0 / 255, 8.0 / 255}, Plain: [][4]int{{0, 20, 0, 10}, {5, 10, 10, 5}, {8, 2, 15, 5}},
			Adaptive: [][4]int{{0, 20, 0, 10}, {2, 8, 16, 4}, {2, 1, 24, 3}}, N: []int{30, 30, 30}, Final: true}
	}
	f.snap = s2
}

func (f *fake) Snapshot() *Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.snap == nil {
		return &Snapshot{Stage: "looking for data"}
	}
	return f.snap
}

func (f *fake) Priority(idx []int) {
	f.mu.Lock()
	f.prio = append([]int(nil), idx...)
	f.mu.Unlock()
}

func (f *fake) Detail(ctx context.Context, i int, eps float64, adaptive bool) (*Sample, error) {
	f.mu.Lock()
	f.details = append(f.details, eps)
	f.mu.Unlock()
	if i < 0 || i >= f.n {
		return nil, errors.New("no such sample")
	}
	s := fakeSample(i, eps)
	return &s, ctx.Err()
}

func (f *fake) Close() {}

// fakeSample is pool image i attacked at eps: a label i%10, the attack fooling the CNN
// from ε = 4/255 on and the defence undoing it on even images.
func fakeSample(i int, eps float64) Sample {
	orig := make([]float32, gallery.Pixels)
	for j := range orig {
		orig[j] = float32((j*7+i*13)%200+20) / 255
	}
	label := int32(i % 10)
	s := Sample{Index: 1000 + i, Label: label, Orig: orig, Ready: true, OrigPred: label, ProjPred: label}
	s.OrigProbs[label], s.ProjProbs[label] = 0.9, 0.8
	for k, a := range []*sgal.Attacked{&s.Plain, &s.Adaptive} {
		a.Adv, a.Proj = make([]float32, gallery.Pixels), make([]float32, gallery.Pixels)
		for j := range orig {
			d := float32(eps)
			if (j+k)%2 == 1 {
				d = -d
			}
			a.Adv[j] = orig[j] + d
			a.Proj[j] = orig[j]
		}
		fooled := eps >= 4.0/255
		a.AdvPred, a.ProjPred = label, label
		if fooled {
			a.AdvPred = (label + 1) % 10
		}
		if fooled && (i%2 == 1 || k == 1) {
			a.ProjPred = (label + 1) % 10
		}
		a.AdvProbs[a.AdvPred], a.ProjProbs[a.ProjPred] = 0.7, 0.6
		a.Case = attack.CaseOf(a.AdvPred != label, a.ProjPred == label)
	}
	return s
}

// harness drives the shell with the workspace headlessly (layout frames through an input
// router, no GPU).
type harness struct {
	t *testing.T
	shelltest.Driver
	c *CIFAR
	f *fake
}

func newHarness(t *testing.T, f *fake) *harness {
	t.Helper()
	u := shell.New(context.Background(), shell.Options{Sync: true},
		Maker(Options{NewSource: func(context.Context, func()) Source { return f }}))
	t.Cleanup(u.Close)
	h := &harness{t: t, Driver: shelltest.Driver{U: u, Size: image.Pt(1280, 800)}, c: u.Workspace(ws.CIFAR).(*CIFAR), f: f}
	h.Frame()
	h.Frame()
	return h
}

func (h *harness) pointer(kind pointer.Kind, p f32.Point, buttons pointer.Buttons) {
	h.Router.Queue(pointer.Event{Kind: kind, Source: pointer.Mouse, Position: p, Buttons: buttons})
}

func (h *harness) click(p f32.Point) {
	h.pointer(pointer.Move, p, 0)
	h.pointer(pointer.Press, p, pointer.ButtonPrimary)
	h.pointer(pointer.Release, p, 0)
	h.Frame()
	h.Frame()
}

// linf returns the largest |a − b| in grey levels.
func linf(a, b []float32) float64 {
	var m float64
	for j := range a {
		m = math.Max(m, math.Abs(float64(a[j]-b[j])))
	}
	return m * 255
}

func TestGalleryPageAndPriority(t *testing.T) {
	f := newFake(60)
	h := newHarness(t, f)
	c := h.c
	if got := c.Snapshot(); got == nil || len(got.Samples) != 60 {
		t.Fatalf("the workspace does not show the engine's snapshot")
	}
	if !c.Ready() {
		t.Fatal("not ready with a finished snapshot and a sync raster")
	}
	img, v := c.Picture()
	if img == nil || v == 0 {
		t.Fatal("no picture painted")
	}
	if len(f.prio) != gallery.PageSize || f.prio[0] != 0 {
		t.Fatalf("the engine's priority is %v, want the first page", f.prio)
	}
	// Paging with the key moves the priority to the next page.
	h.Router.Queue(key.Event{Name: key.NameRightArrow, State: key.Press})
	h.Frame()
	if c.Page() != 1 || f.prio[0] != gallery.PageSize {
		t.Fatalf("after →: page %d, priority from %v", c.Page(), f.prio)
	}
	if _, v2 := c.Picture(); v2 == v {
		t.Fatal("the next page painted no new picture")
	}
	// Past the last page it stays.
	for range 5 {
		h.Router.Queue(key.Event{Name: key.NameRightArrow, State: key.Press})
		h.Frame()
	}
	if c.Page() != 2 {
		t.Fatalf("page %d of 60 images, want the last, 2", c.Page())
	}
	note, warn := c.Status()
	if !strings.Contains(note, "60/60") || warn != "" {
		t.Fatalf("status %q, warning %q", note, warn)
	}
}

func TestClickTileOpensDetailAndSliderRecomputes(t *testing.T) {
	f := newFake(30)
	h := newHarness(t, f)
	c := h.c
	h.click(c.SlotCentre(3))
	if c.DetailOpen() != 3 {
		t.Fatalf("clicking slot 3 opened %d, want the detail view of sample 3", c.DetailOpen())
	}
	s, ok := c.DetailSample()
	if !ok || s == nil || math.Abs(linf(s.Orig, s.Plain.Adv)-8) > 1e-3 {
		t.Fatalf("the detail view shows %v (wanted: %v), want sample 3 at the attack's ε = 8/255", s, ok)
	}
	if len(f.details) != 0 {
		t.Fatalf("the detail at the gallery's ε was recomputed %d times; the snapshot has it", len(f.details))
	}
	_, v0 := c.Picture()

	// Drag the slider to its right end: 32/255.
	r := c.det.sliderR
	from := f32.Pt(float32(r.Min.X)+float32(r.Dx())*0.25, float32(r.Min.Y+r.Dy()/2))
	to := f32.Pt(float32(r.Max.X)+20, from.Y)
	h.pointer(pointer.Press, from, pointer.ButtonPrimary)
	h.pointer(pointer.Move, to, pointer.ButtonPrimary)
	h.pointer(pointer.Release, to, 0)
	h.Frame()
	h.Frame()
	if got := c.DetailEps() * 255; math.Abs(got-sliderMax) > 1e-9 {
		t.Fatalf("slider at %g/255, want %d/255", got, sliderMax)
	}
	s, ok = c.DetailSample()
	if !ok || math.Abs(linf(s.Orig, s.Plain.Adv)-sliderMax) > 1e-3 {
		t.Fatalf("after the slide the adversarial image is %.3f/255 from the original, want %d/255 (details %v, ok %v, eps %v)", linf(s.Orig, s.Plain.Adv), sliderMax, f.details, ok, c.det.eps*255)
	}
	if n := len(f.details); n == 0 || math.Abs(f.details[n-1]*255-sliderMax) > 1e-9 {
		t.Fatalf("Detail calls at %v, want the last at %d/255", f.details, sliderMax)
	}
	if _, v1 := c.Picture(); v1 == v0 {
		t.Fatal("the new adversarial image was not painted")
	}
	if !c.Ready() {
		t.Fatal("not ready after the recomputation")
	}

	// Escape goes back to the gallery; the sample stays selected.
	h.Router.Queue(key.Event{Name: key.NameEscape, State: key.Press})
	h.Frame()
	if c.DetailOpen() != -1 || c.sel != 3 {
		t.Fatalf("after Escape: detail %d, selected %d", c.DetailOpen(), c.sel)
	}
}

func TestStaleDetailResultsDropped(t *testing.T) {
	f := newFake(10)
	h := newHarness(t, f)
	c := h.c
	c.OpenDetail(2)
	c.SetDetailEps(4.0 / 255)
	h.Frame()
	// New settings arrive: the result computed for the old ones is no longer wanted.
	s := c.Settings()
	s.Seed = 9
	c.Apply(s)
	h.Frame()
	if c.det.resFor.gen != c.det.gen {
		t.Fatalf("the detail view kept a result of older settings")
	}
	got, ok := c.DetailSample()
	if !ok || math.Abs(linf(got.Orig, got.Plain.Adv)-4) > 1e-3 {
		t.Fatalf("detail after new settings: wanted-ness %v, ε %.3f/255", ok, linf(got.Orig, got.Plain.Adv))
	}
}

func TestFirstRunCard(t *testing.T) {
	f := newFake(0)
	f.err = errors.New("cifar: no CIFAR-10 data found (run `mflowlab data cifar10`); looked in:\n  /nowhere/cifar10: not found\n  shared test batch: not found")
	h := newHarness(t, f)
	c := h.c
	if !c.Ready() {
		t.Fatal("the first-run card is not ready")
	}
	lines := lookedLines(c.Snapshot())
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "/nowhere/cifar10") {
		t.Fatalf("looked lines %q", lines)
	}
	_, warn := c.Status()
	if strings.Contains(warn, "\n") || !strings.Contains(warn, "no CIFAR-10 data found") {
		t.Fatalf("status warning %q: want the first line of the error", warn)
	}
	// Use points the engine at a path.
	c.useData("/some/where/test_batch.bin")
	if f.settings.Images != "/some/where/test_batch.bin" {
		t.Fatalf("the engine got data %q", f.settings.Images)
	}
}

func TestSessionPartRoundTrip(t *testing.T) {
	f := newFake(30)
	h := newHarness(t, f)
	c := h.c
	s := c.Settings()
	s.Defence, s.Seed = "pca:32", 5
	s.Attack.Eps, s.Attack.Alpha = 4.0/255, 1.0/255
	c.Apply(s)
	c.SetAdaptive(true)
	c.filter.Class, c.filter.Case = 4, attack.CaseC
	c.OpenDetail(7)
	c.SetDetailEps(12.0 / 255)
	var sess session.Session
	if err := c.Save(&sess); err != nil {
		t.Fatal(err)
	}

	f2 := newFake(30)
	h2 := newHarness(t, f2)
	apply, err := h2.c.Restore("x.mflsession", &sess)
	if err != nil || apply == nil {
		t.Fatalf("restore: %v", err)
	}
	apply()
	h2.Frame()
	c2 := h2.c
	if got := f2.settings; got.Defence != "pca:32" || got.Seed != 5 || math.Abs(got.Attack.Eps*255-4) > 1e-9 || got.Attack.Kind != attack.PGD {
		t.Fatalf("restored settings %+v", got)
	}
	if !c2.adaptive || c2.filter.Class != 4 || c2.filter.Case != attack.CaseC || c2.DetailOpen() != 7 || math.Abs(c2.DetailEps()*255-12) > 1e-9 {
		t.Fatalf("restored adaptive %v, filter %+v, detail %d at %g/255", c2.adaptive, c2.filter, c2.DetailOpen(), c2.DetailEps()*255)
	}

	// A bad part is refused with a message and changes nothing.
	for _, bad := range []string{`{"attack":"nope","pool":10}`, `{"attack":"pgd","eps":0.03,"alpha":0.01,"steps":10,"pool":0}`,
		`{"attack":"pgd","eps":0.03,"alpha":0.01,"steps":10,"pool":10,"detail":99}`, `{"attack":"fgsm","eps":0.03,"pool":10,"filter":{"class":3,"case":"Q"}}`, `[1,2]`} {
		sess.Parts[ws.CIFAR] = []byte(bad)
		if _, err := h2.c.Restore("bad.mflsession", &sess); err == nil || !strings.Contains(err.Error(), "bad.mflsession") {
			t.Errorf("part %s: error %v, want one naming the file", bad, err)
		}
	}
}

func TestFilterSectionSelects(t *testing.T) {
	f := newFake(40)
	h := newHarness(t, f)
	c := h.c
	c.pan.gal.stepClass(1) // class 0: airplane
	h.Frame()
	for _, i := range c.indices() {
		if c.snap.Samples[i].Label != 0 {
			t.Fatalf("class filter airplane shows sample %d of class %d", i, c.snap.Samples[i].Label)
		}
	}
	if n := len(c.indices()); n != 4 {
		t.Fatalf("%d airplanes among 40, want 4", n)
	}
	c.pan.gal.stepClass(-2) // wraps to class 9
	if c.filter.Class != 10 {
		t.Fatalf("class filter %d after stepping back past all, want 10 (truck)", c.filter.Class)
	}
}

// TestRecordDetailWhileSliding records the detail view while the ε slider moves: every
// recomputed picture is one frame of the GIF (a presenter's animation of one image being
// attacked and projected).
func TestRecordDetailWhileSliding(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // the recording's default name is a dated file in the working folder
	f := newFake(12)
	h := newHarness(t, f)
	c := h.c
	c.OpenDetail(1)
	h.Frame()
	if c.Area() != "detail view" {
		t.Fatalf("area %q", c.Area())
	}
	h.Router.Queue(key.Event{Name: "V", State: key.Press})
	h.Frame()
	if !h.U.Recording() {
		s, _ := h.U.Status()
		t.Fatalf("v did not start a recording: %s", s)
	}
	steps := []float64{2, 4, 6, 8, 10}
	for _, g := range steps {
		c.SetDetailEps(g / 255)
		h.Frame()
		for h.U.RecordHeld() { // the encoder has no free buffer yet: the picture waits
			time.Sleep(5 * time.Millisecond)
			h.Frame()
		}
	}
	frames := h.U.RecordFrames()
	h.Router.Queue(key.Event{Name: "V", State: key.Press})
	h.Frame()
	if h.U.Recording() {
		t.Fatal("v did not stop the recording")
	}
	if frames < len(steps) {
		t.Fatalf("%d frames recorded for %d slider positions", frames, len(steps))
	}
	gifs, _ := filepath.Glob(filepath.Join(dir, "*.gif"))
	if len(gifs) != 1 {
		t.Fatalf("recording files %v, want one GIF", gifs)
	}
	fh, err := os.Open(gifs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	g, err := gif.DecodeAll(fh)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != frames {
		t.Fatalf("%d frames in the GIF, %d recorded", len(g.Image), frames)
	}
}

// TestFirstRunDownloadPointsTheEngineAtTheArchive downloads a stand-in archive from a
// local server (MD5-checked by sim/cifar) and checks that the engine is then pointed at its
// folder.
func TestFirstRunDownloadPointsTheEngineAtTheArchive(t *testing.T) {
	body := []byte(strings.Repeat("not really CIFAR-10 ", 5000))
	sum := md5.Sum(body)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "cifar-10-binary.tar.gz", time.Time{}, bytes.NewReader(body))
	}))
	defer srv.Close()
	f := newFake(0)
	f.err = errors.New("cifar: no CIFAR-10 data found; looked in:\n  /nowhere: not found")
	u := shell.New(context.Background(), shell.Options{Sync: true}, Maker(Options{
		NewSource: func(context.Context, func()) Source { return f },
		Download:  func(d *cifar.Download) { d.URL, d.MD5 = srv.URL, hex.EncodeToString(sum[:]) },
	}))
	defer u.Close()
	h := &harness{t: t, Driver: shelltest.Driver{U: u, Size: image.Pt(1280, 800)}, c: u.Workspace(ws.CIFAR).(*CIFAR), f: f}
	h.Frame()
	dir := t.TempDir()
	h.c.dl.start(h.c, dir)
	deadline := time.Now().Add(20 * time.Second)
	for f.settings.Images != dir {
		if time.Now().After(deadline) {
			s, _ := u.Status()
			t.Fatalf("the engine was not pointed at the download (status %q)", s)
		}
		time.Sleep(10 * time.Millisecond)
		h.Frame()
	}
	got, err := os.ReadFile(filepath.Join(dir, cifar.ArchiveName))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("archive on disk: %v (%d bytes, want %d)", err, len(got), len(body))
	}
	if h.c.dl.active() {
		t.Fatal("the download still counts as running")
	}
}

// TestEngineStartsWhenShown checks that settings applied before the tab is first shown (a
// session opened on another tab) start no work until it is.
func TestEngineStartsWhenShown(t *testing.T) {
	f := newFake(5)
	started := 0
	u := shell.New(context.Background(), shell.Options{Sync: true}, Maker(Options{
		NewSource: func(context.Context, func()) Source { started++; return f }}))
	defer u.Close()
	c := u.Workspace(ws.CIFAR).(*CIFAR)
	s := c.Settings()
	s.Seed = 42
	c.Apply(s)
	if started != 0 || f.applies != 0 {
		t.Fatalf("the engine started (%d) or took settings (%d) before the tab was shown", started, f.applies)
	}
	h := &harness{t: t, Driver: shelltest.Driver{U: u, Size: image.Pt(1000, 700)}, c: c, f: f}
	h.Frame()
	if started != 1 || f.applies != 1 || f.settings.Seed != 42 {
		t.Fatalf("shown: engine started %d times, %d applies, seed %d; want once with seed 42", started, f.applies, f.settings.Seed)
	}
}

// TestStoppedEngineSaysWhy checks an engine that found the data but stopped (a truncated
// checkpoint): the accuracy line says so in place of the numbers, and the first-run card is
// not shown.
func TestStoppedEngineSaysWhy(t *testing.T) {
	f := newFake(0)
	f.err, f.data = errors.New("/tmp/bad.mfl: truncated: 4243 bytes of array data"), "/data/cifar10"
	h := newHarness(t, f)
	text, col := h.c.accuracyLine()
	if !strings.HasPrefix(text, "stopped: /tmp/bad.mfl: truncated") || col != h.c.th.Error {
		t.Fatalf("accuracy line %q in %v", text, col)
	}
	if !h.c.Ready() {
		t.Fatal("a stopped engine's state is not ready for a screenshot")
	}
}

// TestDetailInBackground runs the workspace as the window does (background raster and
// recomputation): moving the slider twice quickly ends with the second position's sample
// painted.
func TestDetailInBackground(t *testing.T) {
	f := newFake(10)
	u := shell.New(context.Background(), shell.Options{}, Maker(Options{NewSource: func(context.Context, func()) Source { return f }}))
	defer u.Close()
	h := &harness{t: t, Driver: shelltest.Driver{U: u, Size: image.Pt(1000, 700)}, c: u.Workspace(ws.CIFAR).(*CIFAR), f: f}
	c := h.c
	h.Frame()
	c.OpenDetail(4)
	c.SetDetailEps(3.0 / 255)
	h.Frame()
	c.SetDetailEps(20.0 / 255)
	deadline := time.Now().Add(20 * time.Second)
	for !c.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("the detail view never showed ε = 20/255")
		}
		time.Sleep(5 * time.Millisecond)
		h.Frame()
	}
	s, ok := c.DetailSample()
	if !ok || math.Abs(linf(s.Orig, s.Plain.Adv)-20) > 1e-3 {
		t.Fatalf("shown sample at %.3f/255 (wanted %v), want 20/255", linf(s.Orig, s.Plain.Adv), ok)
	}
	if img, _ := c.Picture(); img == nil || !strings.Contains(c.gv.picKey, " 4 0.0784") {
		t.Fatalf("the painted picture is %q, want the detail of sample 4 at 20/255", c.gv.picKey)
	}
}

// TestAccuracyChartFallsBackToLoss checks the CNN chart: the eval accuracy when recorded,
// the loss when not (both draw a line in the run colour).
func TestAccuracyChartFallsBackToLoss(t *testing.T) {
	inked := func(img *image.RGBA) int {
		n := 0
		c := grid.RunColour(0)
		for i := 0; i+3 < len(img.Pix); i += 4 {
			if img.Pix[i] == c.R && img.Pix[i+1] == c.G && img.Pix[i+2] == c.B {
				n++
			}
		}
		return n
	}
	var withAcc, without []cnn.Progress
	for e := 1; e <= 5; e++ {
		withAcc = append(withAcc, cnn.Progress{Epoch: e, Epochs: 15, EpochDone: true, Loss: 2 / float64(e), EvalAccuracy: 0.3 + 0.05*float64(e)})
		without = append(without, cnn.Progress{Epoch: e, Epochs: 15, EpochDone: true, Loss: 2 / float64(e), EvalAccuracy: math.NaN()})
	}
	if n := inked(accuracyChart(withAcc, 300, 110, 1)); n < 30 {
		t.Fatalf("accuracy chart has %d line pixels", n)
	}
	if n := inked(accuracyChart(without, 300, 110, 1)); n < 30 {
		t.Fatalf("loss fallback chart has %d line pixels", n)
	}
}
