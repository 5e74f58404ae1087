package record

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/ui/plane"
)

// testFrames renders n frames of a small plane scene: spiral points, a decision-region
// tint and a polyline that sweeps across, so that consecutive frames differ in part.
func testFrames(w, h, n int) []*image.RGBA {
	var pts []float32
	var labels []int32
	for i := 0; i < 300; i++ {
		t := math.Sqrt(float64(i) / 299)
		th := 2 * math.Pi * 1.2 * t
		x, y := float32(t*math.Cos(th)*1.2), float32(t*math.Sin(th)*1.2)
		pts = append(pts, x, y, -x, -y)
		labels = append(labels, 0, 1)
	}
	g := &plane.Grid{X0: -2, X1: 2, Y0: -2, Y1: 2, NX: 9, NY: 9, V: make([]float32, 81)}
	for j := 0; j < 9; j++ {
		for i := 0; i < 9; i++ {
			g.V[j*9+i] = float32(i) / 8
		}
	}
	r := plane.NewRenderer()
	out := make([]*image.RGBA, n)
	for k := range out {
		sc := plane.Scene{Viewport: plane.Fit(-1.6, 1.6, -1.6, 1.6, w, h, 4), Style: plane.DefaultStyle(),
			Layers: plane.LayerAll, Points: pts, Labels: labels, Heatmap: g}
		c := -1.4 + 2.8*float64(k)/float64(max(n-1, 1))
		var line []float32
		for i := 0; i <= 40; i++ {
			x := -1.6 + 3.2*float64(i)/40
			line = append(line, float32(x), float32(c+0.2*math.Sin(3*x)))
		}
		sc.Manifold = line
		if k == n/2 {
			sc.Probes = []plane.Probe{{X: [2]float64{0.3, 0.2}, Adv: [2]float64{0.5, 0.1}, Defended: [2]float64{0.4, 0.4}, Case: 'A'}}
		}
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		r.Render(img, &sc)
		out[k] = img
	}
	return out
}

func writeAll(t *testing.T, path string, frames []*image.RGBA, fps int) {
	t.Helper()
	b := frames[0].Bounds()
	s, err := Open(path, b.Dx(), b.Dy(), fps)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := s.WriteFrame(f); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// entries returns the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestGIFDecodesToTheQuantisedFrames(t *testing.T) {
	const w, h, n, fps = 96, 80, 7, 30
	frames := testFrames(w, h, n)
	dir := t.TempDir()
	path := filepath.Join(dir, "a.gif")
	writeAll(t, path, frames, fps)
	if got := entries(t, dir); len(got) != 1 || got[0] != "a.gif" {
		t.Fatalf("folder holds %v, want only a.gif", got)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != n || g.Config.Width != w || g.Config.Height != h {
		t.Fatalf("decoded %d frames of %d×%d, want %d of %d×%d", len(g.Image), g.Config.Width, g.Config.Height, n, w, h)
	}
	if g.LoopCount != 0 {
		t.Errorf("loop count %d, want 0 (forever)", g.LoopCount)
	}
	// 30 fps: delays of 3 or 4 hundredths that add up to round(100·k/30) after k frames.
	sum := 0
	for i, d := range g.Delay {
		sum += d
		if want := int(math.Round(100 * float64(i+1) / fps)); sum != want {
			t.Errorf("after frame %d the delays add up to %d, want %d", i, sum, want)
		}
		if g.Disposal[i] != gif.DisposalNone {
			t.Errorf("frame %d disposal %d, want %d", i, g.Disposal[i], gif.DisposalNone)
		}
	}
	// Compose the frames as a player does and compare with the palette colour of every
	// original pixel: the change rectangles and transparency must reproduce it exactly.
	q := newQuantizer(buildPalette(frames[0]))
	canvas := image.NewRGBA(image.Rect(0, 0, w, h))
	for k, pi := range g.Image {
		for y := pi.Rect.Min.Y; y < pi.Rect.Max.Y; y++ {
			for x := pi.Rect.Min.X; x < pi.Rect.Max.X; x++ {
				idx := pi.ColorIndexAt(x, y)
				if k > 0 && idx == transparent {
					continue
				}
				canvas.Set(x, y, pi.Palette[idx])
			}
		}
		if k > 0 && pi.Rect.Dx()*pi.Rect.Dy() >= w*h {
			t.Errorf("frame %d re-encodes the whole picture (%v)", k, pi.Rect)
		}
		bad := 0
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				o := frames[k].RGBAAt(x, y)
				want := q.pal[q.index(o.R, o.G, o.B)]
				got := canvas.RGBAAt(x, y)
				if got.R != want.r || got.G != want.g || got.B != want.b {
					bad++
				}
			}
		}
		if bad > 0 {
			t.Errorf("frame %d: %d pixels differ from the quantised original", k, bad)
		}
	}
}

func TestPaletteKeepsFlatColoursExact(t *testing.T) {
	frames := testFrames(64, 64, 1)
	q := newQuantizer(buildPalette(frames[0]))
	st := plane.DefaultStyle()
	for name, c := range map[string]color.NRGBA{
		"background": st.Background, "manifold": st.Manifold, "attack": st.Attack,
		"projection": st.Projection, "blue": st.Classes[0], "orange": st.Classes[1],
		"case C": st.CaseColors[2], "white": st.Original,
	} {
		got := q.pal[q.index(c.R, c.G, c.B)]
		if d := dist(got, rgbOf(c)); d > 3*16 {
			t.Errorf("%s %v maps to %v (distance %d)", name, c, got, d)
		}
	}
	bg := q.pal[q.index(st.Background.R, st.Background.G, st.Background.B)]
	if bg != rgbOf(st.Background) {
		t.Errorf("background maps to %v, want exactly %v", bg, rgbOf(st.Background))
	}
}

func TestGIFStillFramesAndDeterminism(t *testing.T) {
	frames := testFrames(40, 30, 3)
	frames = append(frames, frames[2], frames[2]) // nothing changes in the last two
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.gif"), filepath.Join(dir, "b.gif")
	writeAll(t, a, frames, 12)
	writeAll(t, b, frames, 12)
	ra, _ := os.ReadFile(a)
	rb, _ := os.ReadFile(b)
	if !bytes.Equal(ra, rb) {
		t.Fatal("the same frames gave different GIF files")
	}
	g, err := gif.DecodeAll(bytes.NewReader(ra))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != 5 {
		t.Fatalf("%d frames, want 5", len(g.Image))
	}
	for _, k := range []int{3, 4} {
		if r := g.Image[k].Rect; r.Dx()*r.Dy() != 1 || g.Image[k].ColorIndexAt(r.Min.X, r.Min.Y) != transparent {
			t.Errorf("unchanged frame %d is %v, want one transparent pixel", k, r)
		}
	}
	// 12 fps: 8 or 9 hundredths, 100 per 12 frames on average.
	for i, d := range g.Delay {
		if d != 8 && d != 9 {
			t.Errorf("frame %d delay %d, want 8 or 9", i, d)
		}
	}
}

func TestPNGFolder(t *testing.T) {
	frames := testFrames(50, 40, 4)
	dir := t.TempDir()
	out := filepath.Join(dir, "frames")
	writeAll(t, out, frames, 30)
	if got := entries(t, dir); len(got) != 1 || got[0] != "frames" {
		t.Fatalf("parent holds %v, want only frames", got)
	}
	names := entries(t, out)
	if len(names) != 4 || names[0] != "frame_00000.png" || names[3] != "frame_00003.png" {
		t.Fatalf("folder holds %v", names)
	}
	first := map[string][]byte{}
	for i, n := range names {
		raw, err := os.ReadFile(filepath.Join(out, n))
		if err != nil {
			t.Fatal(err)
		}
		first[n] = raw
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		for y := 0; y < 40; y++ {
			for x := 0; x < 50; x++ {
				r, g, b, a := img.At(x, y).RGBA()
				o := frames[i].RGBAAt(x, y)
				if uint8(r>>8) != o.R || uint8(g>>8) != o.G || uint8(b>>8) != o.B || uint8(a>>8) != o.A {
					t.Fatalf("frame %d pixel (%d, %d) differs", i, x, y)
				}
			}
		}
	}
	// Recording again replaces the earlier recording with identical files.
	writeAll(t, out, frames[:2], 30)
	names = entries(t, out)
	if len(names) != 2 {
		t.Fatalf("after re-recording the folder holds %v, want 2 frames", names)
	}
	for _, n := range names {
		raw, _ := os.ReadFile(filepath.Join(out, n))
		if !bytes.Equal(raw, first[n]) {
			t.Errorf("%s differs between two recordings of the same frames", n)
		}
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Errorf("parent holds %v after re-recording, want only frames", got)
	}
	// A folder holding anything else is refused.
	other := filepath.Join(dir, "other")
	os.Mkdir(other, 0o755)
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o644)
	if _, err := Open(other, 50, 40, 30); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("Open on a folder with other files: %v, want an error naming notes.txt", err)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	frames := testFrames(32, 24, 2)
	for _, name := range []string{"a.gif", "a.mp4", "dir"} {
		t.Run(name, func(t *testing.T) {
			if name == "a.mp4" {
				needFFmpeg(t)
			}
			dir := t.TempDir()
			s, err := Open(filepath.Join(dir, name), 32, 24, 30)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range frames {
				if err := s.WriteFrame(f); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Abort(); err != nil {
				t.Fatal(err)
			}
			if got := entries(t, dir); len(got) != 0 {
				t.Errorf("after Abort the folder holds %v", got)
			}
			if err := s.WriteFrame(frames[0]); err == nil {
				t.Error("WriteFrame after Abort succeeded")
			}
		})
	}
}

func TestNoFramesWritesNothing(t *testing.T) {
	for _, name := range []string{"a.gif", "dir"} {
		dir := t.TempDir()
		s, err := Open(filepath.Join(dir, name), 8, 8, 30)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err == nil || !strings.Contains(err.Error(), "no frames") {
			t.Errorf("%s: Close without frames: %v, want a 'no frames' error", name, err)
		}
		if got := entries(t, dir); len(got) != 0 {
			t.Errorf("%s: folder holds %v", name, got)
		}
	}
}

func TestBadSizes(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name      string
		w, h, fps int
		want      string
	}{
		{"a.gif", 0, 0, 30, "frame size"},
		{"a.gif", 100000, 100000, 30, "frame size"},
		{"a.gif", 10, 10, 0, "frames per second"},
		{"a.gif", 10, 10, 60, "GIF plays at most 50"},
		{"a.mp4", 10, 10, 500, "frames per second"},
	} {
		_, err := Open(filepath.Join(dir, c.name), c.w, c.h, c.fps)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%s, %d, %d, %d): %v, want an error with %q", c.name, c.w, c.h, c.fps, err, c.want)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing", "a.gif"), 10, 10, 30); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Open in a missing folder: %v", err)
	}
	s, err := Open(filepath.Join(dir, "b.gif"), 10, 10, 30)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort()
	if err := s.WriteFrame(image.NewRGBA(image.Rect(0, 0, 11, 10))); err == nil || !strings.Contains(err.Error(), "11×10") {
		t.Errorf("wrong-size frame: %v", err)
	}
}

func needFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed: skipping the MP4 test")
	}
}

func TestMP4(t *testing.T) {
	needFFmpeg(t)
	frames := testFrames(63, 47, 6) // odd sides are padded for yuv420p
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.mp4"), filepath.Join(dir, "b.mp4")
	writeAll(t, a, frames, 24)
	writeAll(t, b, frames, 24)
	ra, _ := os.ReadFile(a)
	rb, _ := os.ReadFile(b)
	if len(ra) < 100 || !bytes.Equal(ra, rb) {
		t.Fatalf("MP4 files of %d and %d bytes; want identical non-empty files", len(ra), len(rb))
	}
	if got := entries(t, dir); len(got) != 2 {
		t.Errorf("folder holds %v, want a.mp4 and b.mp4 only", got)
	}
	if _, err := exec.LookPath("ffprobe"); err == nil {
		out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
			"-show_entries", "stream=nb_read_frames,width,height,codec_name", "-of", "csv=p=0", a).Output()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(out)); got != "h264,64,48,6" {
			t.Errorf("ffprobe says %q, want h264,64,48,6", got)
		}
	}
}

func TestMP4WithoutFFmpeg(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", dir) // no ffmpeg here
	_, err := Open(filepath.Join(dir, "a.mp4"), 16, 16, 30)
	if !errors.Is(err, ErrNoFFmpeg) || !strings.Contains(err.Error(), "MP4 needs ffmpeg: apt-get install ffmpeg") {
		t.Fatalf("Open without ffmpeg: %v", err)
	}
	_, err = openMP4(filepath.Join(dir, "b.mp4"), 16, 16, 30, mp4Options{lookPath: func(string) (string, error) {
		return "", exec.ErrNotFound
	}})
	if !errors.Is(err, ErrNoFFmpeg) {
		t.Fatalf("openMP4 with a failing lookup: %v", err)
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("folder holds %v", got)
	}
}

func TestMP4FailingFFmpeg(t *testing.T) {
	bin := t.TempDir()
	script := "#!/bin/sh\ncat >/dev/null\necho 'Unknown encoder libx264' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "ffmpeg"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	dir := t.TempDir()
	s, err := Open(filepath.Join(dir, "a.mp4"), 16, 16, 30)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range testFrames(16, 16, 3) {
		if err := s.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	err = s.Close()
	if err == nil || !strings.Contains(err.Error(), "Unknown encoder libx264") || !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("Close with a failing ffmpeg: %v", err)
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("folder holds %v after ffmpeg failed", got)
	}
}

// failingSink passes frames on to a real sink until frame n, which fails.
type failingSink struct {
	Sink
	n, seen int
}

func (f *failingSink) WriteFrame(img *image.RGBA) error {
	if f.seen == f.n {
		return fmt.Errorf("disk full at frame %d", f.n)
	}
	f.seen++
	return f.Sink.WriteFrame(img)
}

func TestRecorder(t *testing.T) {
	frames := testFrames(48, 36, 5)
	dir := t.TempDir()
	path := filepath.Join(dir, "r.gif")
	r, err := NewRecorder(path, 48, 36, 25)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := r.Frame(f); err != nil {
			t.Fatal(err)
		}
	}
	if r.Frames() != 5 || r.Elapsed().Milliseconds() != 200 {
		t.Errorf("Frames %d, Elapsed %v; want 5 and 200ms", r.Frames(), r.Elapsed())
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := r.Frame(frames[0]); err == nil {
		t.Error("Frame after Stop succeeded")
	}
	// The same frames through a plain sink give the same file.
	direct := filepath.Join(dir, "d.gif")
	writeAll(t, direct, frames, 25)
	ra, _ := os.ReadFile(path)
	rd, _ := os.ReadFile(direct)
	if !bytes.Equal(ra, rd) {
		t.Error("the recorder's GIF differs from the sink's")
	}
}

func TestRecorderPadsOtherSizes(t *testing.T) {
	dir := t.TempDir()
	r, err := NewRecorder(filepath.Join(dir, "p"), 6, 4, 30)
	if err != nil {
		t.Fatal(err)
	}
	small := image.NewRGBA(image.Rect(10, 10, 14, 13)) // 4×3 with an offset origin
	for i := range small.Pix {
		small.Pix[i] = 7
	}
	big := image.NewRGBA(image.Rect(0, 0, 9, 9))
	for i := range big.Pix {
		big.Pix[i] = 9
	}
	r.Frame(small)
	r.Frame(big)
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	for i, want := range []func(x, y int) uint8{
		func(x, y int) uint8 {
			if x < 4 && y < 3 {
				return 7
			}
			return 0xf8
		},
		func(x, y int) uint8 { return 9 },
	} {
		f, _ := os.Open(filepath.Join(dir, "p", FrameName(i)))
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != 6 || b.Dy() != 4 {
			t.Fatalf("frame %d is %v, want 6×4", i, b)
		}
		for y := 0; y < 4; y++ {
			for x := 0; x < 6; x++ {
				r, _, _, _ := img.At(x, y).RGBA()
				if uint8(r>>8) != want(x, y) {
					t.Fatalf("frame %d pixel (%d, %d) red %d, want %d", i, x, y, r>>8, want(x, y))
				}
			}
		}
	}
}

func TestRecorderFailingSinkLeavesNothing(t *testing.T) {
	frames := testFrames(32, 24, 8)
	dir := t.TempDir()
	s, err := Open(filepath.Join(dir, "f.gif"), 32, 24, 30)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRecorderTo(&failingSink{Sink: s, n: 3}, 32, 24, 30)
	var ferr error
	for _, f := range frames {
		if ferr = r.Frame(f); ferr != nil {
			break
		}
	}
	err = r.Stop()
	if err == nil || !strings.Contains(err.Error(), "disk full at frame 3") {
		t.Fatalf("Stop: %v, want the sink's error", err)
	}
	if ferr != nil && !strings.Contains(ferr.Error(), "disk full") {
		t.Errorf("Frame returned %v", ferr)
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("folder holds %v after the sink failed", got)
	}
}

func TestRecorderAbort(t *testing.T) {
	dir := t.TempDir()
	r, err := NewRecorder(filepath.Join(dir, "x.gif"), 16, 16, 30)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range testFrames(16, 16, 3) {
		r.Frame(f)
	}
	if err := r.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("folder holds %v after Abort", got)
	}
	if err := r.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
}

func BenchmarkGIFFrame800(b *testing.B) {
	frames := testFrames(800, 800, 8)
	s, err := Open(filepath.Join(b.TempDir(), "b.gif"), 800, 800, 30)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Abort()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.WriteFrame(frames[i%len(frames)]); err != nil {
			b.Fatal(err)
		}
	}
}

func TestQuantizerTableIsNearest(t *testing.T) {
	pal := buildPalette(testFrames(64, 64, 1)[0])
	q := newQuantizer(pal)
	for k := 0; k < tableSize; k += 7 {
		c := rgb{uint8(k>>(2*cellBits))<<cellShift | cellSize/2, uint8(k>>cellBits&(1<<cellBits-1))<<cellShift | cellSize/2, uint8(k&(1<<cellBits-1))<<cellShift | cellSize/2}
		bd := math.MaxInt
		for _, p := range pal {
			bd = min(bd, dist(c, p))
		}
		if got := dist(c, pal[q.table[k]]); got != bd {
			t.Fatalf("cell %d (%v): table gives distance %d, nearest is %d", k, c, got, bd)
		}
	}
}

func BenchmarkNewQuantizer(b *testing.B) {
	pal := buildPalette(testFrames(64, 64, 1)[0])
	for i := 0; i < b.N; i++ {
		newQuantizer(pal)
	}
}

// slowSink holds every frame until released.
type slowSink struct {
	release chan struct{}
	n       int
}

func (s *slowSink) WriteFrame(*image.RGBA) error { <-s.release; s.n++; return nil }
func (s *slowSink) Close() error                 { return nil }
func (s *slowSink) Abort() error                 { return nil }

func TestTryFrameDropsWhenBehind(t *testing.T) {
	s := &slowSink{release: make(chan struct{})}
	r := NewRecorderTo(s, 4, 4, 30)
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	queued := 0
	for i := 0; i < queueFrames+3; i++ {
		ok, err := r.TryFrame(img)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			queued++
		}
	}
	if queued != queueFrames || r.Frames() != queueFrames {
		t.Errorf("queued %d frames (Frames %d) while the sink was stuck, want %d", queued, r.Frames(), queueFrames)
	}
	close(s.release)
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if s.n != queueFrames {
		t.Errorf("sink got %d frames, want %d", s.n, queueFrames)
	}
}

// TestReadyAndOnFree checks the back-pressure signals: Ready turns false when every buffer
// waits for a stuck encoder, and OnFree reports each buffer the encoder gives back.
func TestReadyAndOnFree(t *testing.T) {
	s := &slowSink{release: make(chan struct{})}
	freed := make(chan struct{}, 16)
	r := StartRecorder(s, Config{W: 4, H: 4, FPS: 30, OnFree: func() { freed <- struct{}{} }})
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for i := 0; i < queueFrames; i++ {
		if !r.Ready() {
			t.Fatalf("not ready after %d of %d frames", i, queueFrames)
		}
		if ok, err := r.TryFrame(img); !ok || err != nil {
			t.Fatalf("TryFrame %d: %v, %v", i, ok, err)
		}
	}
	if r.Ready() {
		t.Fatal("ready while every buffer waits for the stuck encoder")
	}
	s.release <- struct{}{} // one frame encoded
	<-freed
	if !r.Ready() {
		t.Fatal("not ready after the encoder freed a buffer")
	}
	close(s.release)
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if len(freed) != queueFrames-1 {
		t.Errorf("OnFree called %d more times, want %d", len(freed), queueFrames-1)
	}
}

// TestRecorderResamples checks frames given at another size than the recording's: halving
// is an exact 2×2 average, and other sizes keep the aspect ratio, centred on the padding.
func TestRecorderResamples(t *testing.T) {
	dir := t.TempDir()
	src := image.NewRGBA(image.Rect(0, 0, 8, 4))
	for y := 0; y < 4; y++ {
		for x := 0; x < 8; x++ {
			v := uint8(10 * (x + 8*y))
			src.Set(x, y, color.RGBA{v, 255 - v, uint8(x * 30), 255})
		}
	}
	half := filepath.Join(dir, "half")
	r, err := OpenRecorder(half, Config{W: 4, H: 2, FPS: 10, Src: image.Pt(8, 4)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Frame(src); err != nil {
		t.Fatal(err)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	got := readPNG(t, filepath.Join(half, FrameName(0)))
	for y := 0; y < 2; y++ {
		for x := 0; x < 4; x++ {
			var sum [3]int
			for _, d := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				c := src.RGBAAt(2*x+d[0], 2*y+d[1])
				sum[0], sum[1], sum[2] = sum[0]+int(c.R), sum[1]+int(c.G), sum[2]+int(c.B)
			}
			want := color.RGBA{uint8((sum[0] + 2) / 4), uint8((sum[1] + 2) / 4), uint8((sum[2] + 2) / 4), 255}
			if c := color.RGBAModel.Convert(got.At(x, y)).(color.RGBA); c != want {
				t.Fatalf("half pixel (%d, %d) = %v, want %v", x, y, c, want)
			}
		}
	}

	// 8×4 into 16×16: scaled 2× to 16×8, centred with 4 rows of padding above and below.
	big := filepath.Join(dir, "big")
	r, err = OpenRecorder(big, Config{W: 16, H: 16, FPS: 10, Src: image.Pt(8, 4)})
	if err != nil {
		t.Fatal(err)
	}
	r.Frame(src)
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	got = readPNG(t, filepath.Join(big, FrameName(0)))
	if got.Bounds().Size() != image.Pt(16, 16) {
		t.Fatalf("frame is %v, want 16×16", got.Bounds().Size())
	}
	pad := color.RGBA{0xf8, 0xf7, 0xf4, 0xff}
	for _, y := range []int{0, 3, 12, 15} {
		if c := color.RGBAModel.Convert(got.At(5, y)).(color.RGBA); c != pad {
			t.Errorf("row %d is %v, want the padding %v", y, c, pad)
		}
	}
	if c := color.RGBAModel.Convert(got.At(0, 4)).(color.RGBA); c == pad || c.G < 200 {
		t.Errorf("picture's top-left at (0, 4) is %v, want the source's top-left colour", c)
	}
	if FitRect(16, 16, 8, 4) != image.Rect(0, 4, 16, 12) || FitRect(10, 10, 10, 10) != image.Rect(0, 0, 10, 10) {
		t.Errorf("FitRect: %v, %v", FitRect(16, 16, 8, 4), FitRect(10, 10, 10, 10))
	}
	if _, err := OpenRecorder(filepath.Join(dir, "bad"), Config{W: 4, H: 4, FPS: 10, Src: image.Pt(0, 3)}); err == nil {
		t.Error("a 0×3 source size was accepted")
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
