package shell

import (
	"context"
	"image"
	"image/gif"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gioui.org/f32"
	"gioui.org/io/event"
	"gioui.org/io/input"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/unit"

	"github.com/mflowlab/mflowlab/app/record"
	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/app/ws/plane"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// harness drives the shell with the plane headlessly: layout frames through an
// input.Router fed with synthesized events, without a GPU.
type harness struct {
	t      *testing.T
	u      *UI
	p      *plane.Plane
	router input.Router
	ops    op.Ops
	size   image.Point
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	u := New(context.Background(), Options{Sync: true}, plane.Maker(plane.Options{Paused: true}))
	t.Cleanup(u.Close)
	h := &harness{t: t, u: u, p: u.Workspace(ws.Plane).(*plane.Plane), size: image.Pt(620, 420)}
	h.frame()
	return h
}

// frame lays out one frame and hands its input areas to the router.
func (h *harness) frame() {
	h.ops.Reset()
	gtx := layout.Context{
		Ops: &h.ops, Now: time.Now(), Metric: unit.Metric{PxPerDp: 1, PxPerSp: 1},
		Constraints: layout.Exact(h.size), Source: h.router.Source(),
	}
	h.u.Layout(gtx)
	h.router.Frame(&h.ops)
	h.u.AfterFrame(0) // the frame is "presented": buffers no longer painted go back to their pools
}

func (h *harness) queue(evs ...event.Event) { h.router.Queue(evs...) }

func (h *harness) pointer(kind pointer.Kind, p f32.Point, buttons pointer.Buttons) {
	h.router.Queue(pointer.Event{Kind: kind, Source: pointer.Mouse, Position: p, Buttons: buttons})
}

// press types key k and lays out a frame.
func (h *harness) press(k key.Name) {
	h.queue(key.Event{Name: k, State: key.Press})
	h.frame()
}

// click clicks window pixel p and lays out a frame.
func (h *harness) click(p image.Point) {
	at := f32.Pt(float32(p.X), float32(p.Y))
	h.pointer(pointer.Move, at, 0)
	h.pointer(pointer.Press, at, pointer.ButtonPrimary)
	h.pointer(pointer.Release, at, 0)
	h.frame()
}

// settle lays out frames until the plane no longer waits for the recording's encoder.
func (h *harness) settle() {
	for h.u.rec != nil && h.u.rec.held {
		time.Sleep(time.Millisecond)
		h.frame()
	}
}

// shownVersion returns the version of the plane's shown raster.
func (h *harness) shownVersion() uint64 {
	h.t.Helper()
	img, v := h.u.Current().Picture()
	if img == nil {
		h.t.Fatal("the plane shows no raster")
	}
	return v
}

// shown returns the plane's shown raster.
func (h *harness) shown() *image.RGBA {
	img, _ := h.u.Current().Picture()
	return img
}

// statusText returns the status line's message.
func (h *harness) statusText() string { return h.u.status.text }

// decodeGIF reads a GIF file.
func decodeGIF(t *testing.T, path string) *gif.GIF {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := gif.DecodeAll(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return g
}

// pngFrames decodes every frame of a PNG folder, in order.
func pngFrames(t *testing.T, dir string) []image.Image {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []image.Image
	for i, e := range ents {
		if e.Name() != record.FrameName(i) {
			t.Fatalf("%s: entry %d is %s, want %s", dir, i, e.Name(), record.FrameName(i))
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out = append(out, img)
	}
	return out
}

// TestRecordKeyRecordsEveryNewRaster records the plane with the defaults and checks that
// every raster shown while recording is exactly one frame of the GIF: none dropped, none
// twice, whatever the time between them.
func TestRecordKeyRecordsEveryNewRaster(t *testing.T) {
	out := filepath.Join(t.TempDir(), "clip.gif")
	h := newHarness(t)
	h.u.record.path.SetText(out)
	h.press("V")
	if !h.u.Recording() {
		t.Fatalf("v did not start a recording; status %q", h.statusText())
	}
	if note := h.u.RecordNote(); !strings.Contains(note, "REC") || !strings.Contains(note, "1 frames") {
		t.Fatalf("recording indicator %q", note)
	}
	versions := []uint64{h.shownVersion()}
	for _, k := range []key.Name{"6", "1", "6", "1", "3"} {
		h.press(k) // each layer change draws a new raster at once (sync mode)
		versions = append(versions, h.shownVersion())
		h.frame() // nothing new: no frame
	}
	versions = slices.Compact(versions)
	if got := h.u.rec.rec.Frames(); got != len(versions) {
		t.Fatalf("%d frames recorded for %d rasters shown", got, len(versions))
	}
	h.press("V")
	if h.u.Recording() {
		t.Fatal("v did not stop the recording")
	}
	if st := h.u.status; st.err || !strings.Contains(st.text, out) {
		t.Fatalf("status %q, want where the recording was written", st.text)
	}
	g := decodeGIF(t, out)
	if len(g.Image) != len(versions) {
		t.Fatalf("%d frames in the GIF, %d rasters shown", len(g.Image), len(versions))
	}
	v := h.u.mainSize
	if g.Config.Width != v.X || g.Config.Height != v.Y {
		t.Fatalf("GIF is %dx%d, the plane %v", g.Config.Width, g.Config.Height, v)
	}
	if next := widgets.CleanPath(h.u.record.path.Text()); next != out {
		t.Errorf("the path field says %s after the recording, want the path typed, %s", next, out)
	}
}

// TestRecordDatedNames checks the default output: a dated name in the working folder,
// replaced by a new one after each recording so that the next does not overwrite it.
func TestRecordDatedNames(t *testing.T) {
	t.Chdir(t.TempDir())
	h := newHarness(t)
	p := &h.u.record
	first := p.path.Text()
	if !strings.HasPrefix(first, "mflowlab-") || filepath.Ext(first) != ".gif" {
		t.Fatalf("default path %q, want mflowlab-<date>-<time>.gif", first)
	}
	h.press("V")
	h.press("V")
	second := p.path.Text()
	if _, err := os.Stat(first); err != nil {
		t.Fatalf("the recording was not written to %s: %v", first, err)
	}
	if second == first || !strings.HasPrefix(second, "mflowlab-") {
		t.Fatalf("path after the recording %q, want a new dated name", second)
	}
	p.format.Value = formatPNG
	p.formatChanged(formatGIF)
	if got := p.path.Text(); got != strings.TrimSuffix(second, ".gif") {
		t.Fatalf("path %q after choosing PNG folder, want %q", got, strings.TrimSuffix(second, ".gif"))
	}
}

// TestRecordOptionsShapeTheFile checks that the panel's format, fps, size and maximum
// length decide what is written.
func TestRecordOptionsShapeTheFile(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, format, fps, size, custom, maxLen string
		want                                    func(plane image.Point) image.Point
		frames                                  int // 0: one per raster
	}{
		{"half.png", formatPNG, "10", sizeHalf, "", "", func(p image.Point) image.Point { return p.Div(2) }, 0},
		{"custom.gif", formatGIF, "24", sizeCustom, "200x100", "", func(image.Point) image.Point { return image.Pt(200, 100) }, 0},
		{"short.gif", formatGIF, "10", sizeNative, "", "0.3", func(p image.Point) image.Point { return p }, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			p := &h.u.record
			p.format.Value, p.fps.Value, p.size.Value = c.format, c.fps, c.size
			p.custom.SetText(c.custom)
			p.maxLen.SetText(c.maxLen)
			p.path.SetText(filepath.Join(dir, c.name))
			h.press("V")
			if !h.u.Recording() {
				t.Fatalf("not recording: %q", h.statusText())
			}
			path := h.u.rec.opts.path
			rasters := 1
			for i := 0; i < 6 && h.u.Recording(); i++ {
				h.press(key.Name(strconv.Itoa(1 + i%2*5))) // 1, 6, 1, …
				h.settle()                                 // a loaded machine's encoder may fall behind: the plane waits
				rasters++
			}
			if c.frames > 0 {
				if h.u.Recording() {
					t.Fatalf("still recording after %d frames with a maximum length of %s s", h.u.rec.rec.Frames(), c.maxLen)
				}
				rasters = c.frames
			} else {
				h.press("V")
			}
			if st := h.u.status; st.err || !strings.Contains(st.text, "wrote the recording") {
				t.Fatalf("status %q", st.text)
			}
			want := c.want(h.u.mainSize)
			fps, _ := strconv.Atoi(c.fps)
			if c.format == formatPNG {
				if filepath.Ext(path) != "" {
					t.Errorf("PNG folder %s has an extension", path)
				}
				frames := pngFrames(t, path)
				if len(frames) != rasters {
					t.Fatalf("%d PNG frames, want %d", len(frames), rasters)
				}
				for i, f := range frames {
					if f.Bounds().Size() != want {
						t.Fatalf("frame %d is %v, want %v", i, f.Bounds().Size(), want)
					}
				}
				return
			}
			g := decodeGIF(t, path)
			if len(g.Image) != rasters || g.Config.Width != want.X || g.Config.Height != want.Y {
				t.Fatalf("GIF of %d frames of %dx%d, want %d of %v", len(g.Image), g.Config.Width, g.Config.Height, rasters, want)
			}
			total := 0
			for _, d := range g.Delay {
				total += d
			}
			if wantT := int(math.Round(100 * float64(rasters) / float64(fps))); total != wantT {
				t.Errorf("GIF plays %d hundredths of a second, want %d (%d frames at %d fps)", total, wantT, rasters, fps)
			}
		})
	}
}

// TestRecordHalfSizeAveragesPixels checks the resampled frames against the rasters: a ½
// recording is the 2×2 average of the plane's pixels.
func TestRecordHalfSizeAveragesPixels(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "frames")
	h := newHarness(t)
	p := &h.u.record
	p.format.Value, p.size.Value = formatPNG, sizeHalf
	p.path.SetText(dir)
	h.press("V")
	src := h.shown()
	want := image.NewRGBA(image.Rect(0, 0, src.Rect.Dx()/2, src.Rect.Dy()/2))
	for y := range want.Rect.Dy() {
		for x := range want.Rect.Dx() {
			for c := range 4 {
				s := 0
				for _, d := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
					s += int(src.Pix[src.PixOffset(2*x+d[0], 2*y+d[1])+c])
				}
				want.Pix[want.PixOffset(x, y)+c] = uint8((s + 2) / 4)
			}
		}
	}
	h.press("V")
	frames := pngFrames(t, dir)
	if len(frames) != 1 {
		t.Fatalf("%d frames, want 1", len(frames))
	}
	got := frames[0]
	for y := range want.Rect.Dy() {
		for x := range want.Rect.Dx() {
			r, g, b, _ := got.At(x, y).RGBA()
			w := want.RGBAAt(x, y)
			if uint8(r>>8) != w.R || uint8(g>>8) != w.G || uint8(b>>8) != w.B {
				t.Fatalf("pixel (%d, %d) is %d,%d,%d, want %v", x, y, r>>8, g>>8, b>>8, w)
			}
		}
	}
}

// gatedSink holds every frame until the test opens the gate, like an encoder that has
// fallen behind.
type gatedSink struct {
	record.Sink
	gate chan struct{}
}

func (s *gatedSink) WriteFrame(img *image.RGBA) error {
	<-s.gate
	return s.Sink.WriteFrame(img)
}

// TestRecordHoldsThePlaneWhileTheEncoderIsBehind fills the recorder's buffers and checks
// that the plane then keeps its picture (new rasters wait) instead of dropping frames, says
// so, and shows and records the newest raster once the encoder catches up.
func TestRecordHoldsThePlaneWhileTheEncoderIsBehind(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "frames")
	h := newHarness(t)
	gate := make(chan struct{})
	var open sync.Once
	release := func() { open.Do(func() { close(gate) }) }
	t.Cleanup(release) // before the harness's cleanup, which finishes the recording
	p := &h.u.record
	p.format.Value = formatPNG
	p.path.SetText(dir)
	p.openSink = func(path string, w, hh, fps int) (record.Sink, error) {
		s, err := record.Open(path, w, hh, fps)
		return &gatedSink{Sink: s, gate: gate}, err
	}
	h.press("V")
	shown := []uint64{h.shownVersion()}
	held := false
	for i := 0; i < 8; i++ {
		h.press(key.Name(strconv.Itoa(1 + i%2*5)))
		v := h.shownVersion()
		if v != shown[len(shown)-1] {
			shown = append(shown, v)
			continue
		}
		held = true
		if !strings.Contains(h.u.RecordNote(), "waiting for the encoder") {
			t.Fatalf("plane held back, indicator %q", h.u.RecordNote())
		}
		if newest := h.p.NewestRaster(); newest <= v {
			t.Fatal("the plane kept its picture but no newer raster was waiting")
		}
	}
	if !held || len(shown) > 4 {
		t.Fatalf("%d rasters shown while the encoder was stuck; the plane should have waited after the buffers filled", len(shown))
	}
	if !strings.Contains(h.statusText(), "no frame is dropped") {
		t.Errorf("status %q does not say that the plane waits", h.statusText())
	}
	release()
	for !h.u.rec.rec.Ready() {
		time.Sleep(time.Millisecond) // the encoder drains (waiting, not timing)
	}
	h.frame()
	if v := h.shownVersion(); v == shown[len(shown)-1] || v != h.p.NewestRaster() {
		t.Fatalf("after the encoder caught up the plane shows raster %d, the newest is %d", v, h.p.NewestRaster())
	}
	shown = append(shown, h.shownVersion())
	h.press("V")
	if n := len(pngFrames(t, dir)); n != len(shown) {
		t.Fatalf("%d frames written, %d rasters shown", n, len(shown))
	}
	if !strings.Contains(h.statusText(), "waited") {
		t.Errorf("final status %q does not report the waits", h.statusText())
	}
}

// TestRecordMP4WithoutFFmpeg checks that, without ffmpeg, the MP4 choice stays unchosen
// and says how to install ffmpeg.
func TestRecordMP4WithoutFFmpeg(t *testing.T) {
	h := newHarness(t)
	h.size = image.Pt(900, 600)
	p := &h.u.record
	p.lookFFmpeg = func() error { return exec.ErrNotFound }
	p.detectFFmpeg()
	h.u.Panel().ScrollTo(1 << 20) // the Record section is at the bottom of the panel
	h.frame()
	h.frame()
	h.click(h.u.PanelPoint(p.mp4At))
	if p.format.Value != formatGIF {
		t.Fatalf("format %q after clicking MP4 without ffmpeg", p.format.Value)
	}
	if st := h.u.status; !st.err || !strings.Contains(st.text, "sudo apt-get install ffmpeg") {
		t.Fatalf("status %q, want how to install ffmpeg", st.text)
	}
	// A GIF cannot play at 60 fps: that choice is refused too.
	h.click(h.u.PanelPoint(p.fps60At))
	if p.fps.Value == "60" || !strings.Contains(h.statusText(), "at most 50") {
		t.Fatalf("fps %s, status %q", p.fps.Value, h.statusText())
	}
	// With ffmpeg the same click chooses MP4.
	p.lookFFmpeg = func() error { return nil }
	h.click(h.u.PanelPoint(p.mp4At))
	if p.format.Value != formatMP4 || filepath.Ext(p.path.Text()) != ".mp4" {
		t.Fatalf("format %q, path %q after clicking MP4 with ffmpeg", p.format.Value, p.path.Text())
	}
	// ffmpeg gone again: starting a recording says how to install it.
	p.lookFFmpeg = func() error { return exec.ErrNotFound }
	h.press("V")
	if h.u.Recording() || !strings.Contains(h.statusText(), "sudo apt-get install ffmpeg") {
		t.Fatalf("recording %v, status %q", h.u.Recording(), h.statusText())
	}
}

// TestRecordMP4 records an MP4 at 30 fps and half size when ffmpeg is installed.
func TestRecordMP4(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install ffmpeg): skipping", tool)
		}
	}
	out := filepath.Join(t.TempDir(), "clip.mp4")
	h := newHarness(t)
	p := &h.u.record
	p.format.Value, p.fps.Value, p.size.Value = formatMP4, "30", sizeHalf
	p.path.SetText(out)
	h.press("V")
	for _, k := range []key.Name{"6", "1", "6"} {
		h.press(k)
		h.settle() // ffmpeg may be slow to start: the plane waits for it
	}
	if n := h.u.rec.rec.Frames(); n != 4 {
		t.Fatalf("%d frames recorded for 4 rasters", n)
	}
	h.press("V")
	if st := h.u.status; st.err {
		t.Fatal(st.text)
	}
	info, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=width,height,r_frame_rate,nb_read_frames", "-of", "csv=p=0", out).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	v := h.u.mainSize
	w, hh := (v.X/2+1)/2*2, (v.Y/2+1)/2*2 // padded to even sides
	if want := strconv.Itoa(w) + "," + strconv.Itoa(hh) + ",30/1,4"; strings.TrimSpace(string(info)) != want {
		t.Fatalf("ffprobe says %q, want %q", strings.TrimSpace(string(info)), want)
	}
}

// TestRecordWholeWindow records the whole window through the offscreen renderer: frames
// have the window's size, the plane's part shows the raster, and a frame that changes
// nothing (but the recording's own counter) adds no frame.
func TestRecordWholeWindow(t *testing.T) {
	if c, err := newWindowCapture(image.Pt(8, 8)); err != nil {
		t.Skipf("no offscreen GPU rendering here: %v", err)
	} else {
		c.release()
	}
	dir := filepath.Join(t.TempDir(), "window")
	h := newHarness(t)
	// The quality badge appears when the background watcher's first measurement arrives: a
	// real change of the window. Let it arrive before the idle frames below.
	for deadline := time.Now().Add(60 * time.Second); !h.u.Current().Ready(); {
		if time.Now().After(deadline) {
			t.Fatal("the plane's charts and quality measurement were not ready within 60 s")
		}
		time.Sleep(10 * time.Millisecond)
		h.frame()
	}
	h.frame()
	p := &h.u.record
	p.target.Value, p.format.Value = targetWindow, formatPNG
	p.path.SetText(dir)
	h.press("V") // this frame is the first
	if !h.u.Recording() {
		t.Fatalf("not recording: %q", h.statusText())
	}
	if n := h.u.rec.rec.Frames(); n != 1 {
		t.Fatalf("%d frames after the first, want 1", n)
	}
	h.frame()
	h.frame()
	if n := h.u.rec.rec.Frames(); n != 1 {
		t.Fatalf("%d frames after two frames that changed nothing, want 1", n)
	}
	for _, k := range []key.Name{"6", "1", "6"} {
		h.press(k)
	}
	if n := h.u.rec.rec.Frames(); n != 4 {
		t.Fatalf("%d frames after three layer changes, want 4", n)
	}
	raster := h.shown()
	h.press("V")
	frames := pngFrames(t, dir)
	if len(frames) != 4 {
		t.Fatalf("%d frames written, want 4", len(frames))
	}
	for i, f := range frames {
		if f.Bounds().Size() != h.size {
			t.Fatalf("frame %d is %v, the window %v", i, f.Bounds().Size(), h.size)
		}
	}
	// The plane's part of the last frame is the raster, up to the GPU's rounding; the
	// toolbar and the hover card cover its top and bottom-left.
	last := frames[3]
	var diff, n float64
	for y := 60; y < raster.Rect.Dy()-130; y++ {
		for x := 0; x < raster.Rect.Dx(); x++ {
			r, g, b, _ := last.At(x, y).RGBA()
			c := raster.RGBAAt(x, y)
			diff += math.Abs(float64(r>>8)-float64(c.R)) + math.Abs(float64(g>>8)-float64(c.G)) + math.Abs(float64(b>>8)-float64(c.B))
			n += 3
		}
	}
	if diff/n > 1 {
		t.Fatalf("the plane in the window frame differs from the raster by %.2f levels on average", diff/n)
	}
	if !strings.Contains(h.statusText(), "window capture") {
		t.Errorf("status %q does not report the capture time", h.statusText())
	}
}

// BenchmarkWindowCapture measures what a whole-window recording adds to a frame that
// changed: rendering the frame's operations offscreen and reading the pixels back
// (1280×800, the window's default size).
func BenchmarkWindowCapture(b *testing.B) {
	c, err := newWindowCapture(image.Pt(8, 8))
	if err != nil {
		b.Skipf("no offscreen GPU rendering here: %v", err)
	}
	c.release()
	h := newHarness(&testing.T{})
	defer h.u.Close()
	h.size = image.Pt(1280, 800)
	h.frame()
	h.frame()
	c, err = newWindowCapture(h.size)
	if err != nil {
		b.Fatal(err)
	}
	defer c.release()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h.press("5") // a new plane picture every frame (the probes layer toggles)
		b.StartTimer()
		if _, changed, err := c.capture(&h.ops, h.size, image.Rectangle{}); err != nil || !changed {
			b.Fatalf("capture: changed %v, %v", changed, err)
		}
	}
}
