package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"gioui.org/gpu/headless"
	"gioui.org/layout"
	"gioui.org/op"

	"github.com/mflowlab/mflowlab/app/record"
)

// recording is an in-app recording: of the plane's rasters, or of the whole window's
// pixels. Every new picture becomes exactly one frame — no timer decides — and the
// options' fps is only the playback rate.
type recording struct {
	rec   *record.Recorder
	opts  recordOptions
	src   image.Point    // size of the captured pictures
	last  uint64         // plane: version of the last raster recorded
	held  bool           // the plane is held back until the encoder frees a buffer
	wake  *atomic.Bool   // set while held: the encoder's next free buffer asks for a frame
	waits int            // how often the plane was held back or a frame waited for the encoder
	win   *windowCapture // whole-window target: the offscreen renderer, nil for the plane
}

// Recording reports whether a recording is running.
func (u *UI) Recording() bool { return u.rec != nil }

// toggleRecording starts a recording with the Record panel's options, or stops the
// running one.
func (u *UI) toggleRecording(now time.Time) {
	if u.rec != nil {
		u.stopRecording(false)
		return
	}
	o, err := u.panel.record.options(now)
	if err != nil {
		u.lab.Errorf("not recording: %v", err)
		return
	}
	src := image.Pt(u.pv.view.W, u.pv.view.H)
	if o.window {
		src = u.winSize
	}
	if src.X <= 0 || src.Y <= 0 {
		u.lab.Errorf("not recording: the window has not been drawn yet")
		return
	}
	out := o.outSize(src)
	if err := record.CheckSize(o.path, out.X, out.Y, o.fps); err != nil {
		u.lab.Errorf("not recording: %v", err)
		return
	}
	rc := &recording{opts: o, src: src, wake: new(atomic.Bool)}
	if o.window {
		if rc.win, err = newWindowCapture(src); err != nil {
			u.lab.Errorf("not recording the window: %v", err)
			return
		}
	}
	open := u.panel.record.openSink
	if open == nil {
		open = record.Open
	}
	s, err := open(o.path, out.X, out.Y, o.fps)
	if err != nil {
		rc.win.release()
		u.lab.Errorf("not recording: %v", err)
		return
	}
	inv, wake := u.opts.Invalidate, rc.wake
	onFree := func() {
		if wake.Load() {
			inv() // only while held: a frame after every encoded one would never end
		}
	}
	rc.rec = record.StartRecorder(s, record.Config{W: out.X, H: out.Y, FPS: o.fps, Src: src, OnFree: onFree})
	u.rec = rc
	what := "the plane"
	if o.window {
		what = "the whole window"
	}
	u.lab.Infof("recording %s to %s (%s, %d×%d at %d fps) — press v or Stop to finish", what, o.path, o.format, out.X, out.Y, o.fps)
	if !o.window {
		u.recordFrame(now) // the picture shown now is the first frame
	}
	// The whole window's first frame is the next one, which shows the recording's state.
}

// recordBefore runs at the start of a frame: it notes the window's size and holds the
// plane's picture back while the encoder has no free buffer, so that no new picture is
// shown that could not be recorded.
func (u *UI) recordBefore(gtx layout.Context) {
	u.winSize = gtx.Constraints.Max
	rc := u.rec
	if rc == nil {
		u.pv.hold = false
		return
	}
	rc.wake.Store(true)
	hold := !rc.rec.Ready() // after setting wake, so that a buffer freed now still wakes us
	rc.wake.Store(hold)
	if hold && !rc.held {
		rc.waits++
		if rc.waits == 1 {
			u.lab.Infof("recording: the encoder is behind — the plane waits for it, no frame is dropped")
		}
	}
	rc.held, u.pv.hold = hold, hold
}

// recordFrame adds the plane's shown raster to a plane recording when it is new; the
// plane's layout calls it right after painting (the time is not used: no timer decides).
func (u *UI) recordFrame(time.Time) {
	r, rc := u.pv.shown, u.rec
	if rc == nil || rc.win != nil || r == nil || r.version == rc.last {
		return
	}
	rc.last = r.version
	u.queueFrame(r.img)
}

// recordAfter runs at the end of a frame, when gtx.Ops holds the whole window: a window
// recording renders them offscreen and records the pixels when they changed; any
// recording stops once it reaches its maximum length.
func (u *UI) recordAfter(gtx layout.Context) {
	rc := u.rec
	if rc == nil {
		return
	}
	if rc.win != nil {
		// The status line under the plane shows the recording's own counter: it alone does
		// not make a new frame (it rides along with the next one).
		status := image.Rect(0, u.pv.view.H, u.pv.view.W, gtx.Constraints.Max.Y)
		img, changed, err := rc.win.capture(gtx.Ops, gtx.Constraints.Max, status)
		if err != nil {
			u.rec = nil
			u.pv.hold = false
			rc.win.release()
			_ = rc.rec.Abort()
			u.lab.Errorf("recording stopped: capturing the window: %v", err)
			return
		}
		if changed {
			u.queueFrame(img)
		}
	}
	if u.rec != nil && rc.opts.maxFrames > 0 && rc.rec.Frames() >= rc.opts.maxFrames {
		u.stopRecording(false)
	}
}

// queueFrame hands img to the encoder. The plane never gets here without a free buffer
// (recordBefore holds it back); a window frame whose chrome changed while the encoder is
// behind waits for it, bounded by one frame's encoding time.
func (u *UI) queueFrame(img *image.RGBA) {
	rc := u.rec
	queued, err := rc.rec.TryFrame(img)
	if !queued && err == nil {
		rc.waits++
		err = rc.rec.Frame(img)
	}
	if err != nil {
		u.rec = nil
		u.pv.hold = false
		rc.win.release()
		_ = rc.rec.Abort()
		u.lab.Errorf("recording stopped: %v", err)
	}
}

// stopRecording finishes the file: in the background in the window, at once in sync mode
// or when wait is set.
func (u *UI) stopRecording(wait bool) {
	rc := u.rec
	if rc == nil {
		return
	}
	u.rec = nil
	if u.pv.hold {
		// The plane waited for the encoder: show the newest raster now (as the plane's
		// layout would) so that the final state is in the recording.
		u.pv.hold = false
		if u.pv.released == nil { // one swap per frame: the previous picture goes back after it
			if r := u.rz.Take(); r != nil && r != u.pv.shown {
				u.pv.released, u.pv.shown = u.pv.shown, r
			}
		}
	}
	if r := u.pv.shown; rc.win == nil && r != nil && r.version != rc.last {
		_ = rc.rec.Frame(r.img) // waits for a free buffer at most one frame's encoding
	}
	rc.win.release()
	frames, played, fps := rc.rec.Frames(), rc.rec.Elapsed(), rc.opts.fps
	path, waits := rc.opts.path, rc.waits
	capture := rc.win.costNote()
	u.panel.record.finished(path)
	finish := func() func() {
		err := rc.rec.Stop()
		return func() {
			if err != nil {
				u.lab.Errorf("recording not written: %v", err)
				return
			}
			note := ""
			if waits > 0 {
				note = fmt.Sprintf("; waited %d× for the encoder", waits)
			}
			u.lab.Infof("wrote the recording %s (%d frames, %s at %d fps%s%s)", path, frames, fmtDur(played), fps, capture, note)
		}
	}
	if wait || u.opts.Sync {
		finish()()
		return
	}
	u.lab.Infof("finishing the recording %s …", path)
	u.lab.goJob(func(context.Context) func() { return finish() })
}

// recordNote is the recording indicator: the playing time and the frame count so far.
func (u *UI) recordNote() string {
	rc := u.rec
	if rc == nil {
		return ""
	}
	s := fmt.Sprintf("● REC %s · %d frames", fmtDur(rc.rec.Elapsed()), rc.rec.Frames())
	if rc.held {
		s += " · waiting for the encoder"
	}
	return s
}

// fmtDur formats d as m:ss.
func fmtDur(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// windowCapture renders each frame's operations a second time, on an offscreen GPU window
// (gioui.org/gpu/headless), and reads the pixels back: the same operations the screen
// shows, so the same pixels, without asking the window system for a screen grab. Gio
// uploads an image to this renderer only when it changed, as it does for the screen.
type windowCapture struct {
	gpu       *headless.Window
	size      image.Point
	cur, last *image.RGBA
	have      bool            // last holds the previous frame recorded
	costs     []time.Duration // render and read-back time of the captures so far (up to maxCosts)
}

// maxCosts bounds the capture times kept for the report.
const maxCosts = 4096

func newWindowCapture(size image.Point) (*windowCapture, error) {
	c := &windowCapture{}
	if err := c.resize(size); err != nil {
		return nil, err
	}
	return c, nil
}

// resize (re)creates the offscreen window for frames of size pixels.
func (c *windowCapture) resize(size image.Point) error {
	if c.gpu != nil && c.size == size {
		return nil
	}
	if c.gpu != nil {
		c.gpu.Release()
		c.gpu = nil
	}
	if os.Getenv("EGL_PLATFORM") == "" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		os.Setenv("EGL_PLATFORM", "surfaceless") // no display server: render without one
	}
	w, err := headless.NewWindow(size.X, size.Y)
	if err != nil {
		return fmt.Errorf("offscreen rendering needs EGL (Mesa): %w", err)
	}
	c.gpu, c.size = w, size
	c.cur = image.NewRGBA(image.Rectangle{Max: size})
	c.last = image.NewRGBA(image.Rectangle{Max: size})
	c.have = false
	return nil
}

// capture renders ops at size and reads the pixels back. It reports whether they differ
// from the last frame it returned as changed, outside the rectangle ignore; img stays
// valid until the next capture.
func (c *windowCapture) capture(ops *op.Ops, size image.Point, ignore image.Rectangle) (img *image.RGBA, changed bool, err error) {
	if size.X <= 0 || size.Y <= 0 {
		return nil, false, errors.New("the window has no size")
	}
	if err := c.resize(size); err != nil {
		return nil, false, err
	}
	t0 := time.Now()
	if err := c.gpu.Frame(ops); err != nil {
		return nil, false, err
	}
	if err := c.gpu.Screenshot(c.cur); err != nil {
		return nil, false, err
	}
	for i := 3; i < len(c.cur.Pix); i += 4 {
		c.cur.Pix[i] = 255 // the window is opaque
	}
	if len(c.costs) < maxCosts {
		c.costs = append(c.costs, time.Since(t0))
	}
	if c.have && equalOutside(c.cur, c.last, ignore) {
		return c.cur, false, nil
	}
	c.cur, c.last, c.have = c.last, c.cur, true
	return c.last, true, nil
}

// equalOutside reports whether the equally sized images a and b have the same pixels
// outside the rectangle r.
func equalOutside(a, b *image.RGBA, r image.Rectangle) bool {
	r = r.Intersect(a.Rect)
	for y := a.Rect.Min.Y; y < a.Rect.Max.Y; y++ {
		ra := a.Pix[a.PixOffset(a.Rect.Min.X, y):][:4*a.Rect.Dx()]
		rb := b.Pix[b.PixOffset(b.Rect.Min.X, y):][:4*b.Rect.Dx()]
		if y < r.Min.Y || y >= r.Max.Y {
			if !bytes.Equal(ra, rb) {
				return false
			}
			continue
		}
		x0, x1 := 4*(r.Min.X-a.Rect.Min.X), 4*(r.Max.X-a.Rect.Min.X)
		if !bytes.Equal(ra[:x0], rb[:x0]) || !bytes.Equal(ra[x1:], rb[x1:]) {
			return false
		}
	}
	return true
}

// costNote describes the capture times for the status line ("" for a plane recording).
func (c *windowCapture) costNote() string {
	if c == nil || len(c.costs) == 0 {
		return ""
	}
	ds := slices.Clone(c.costs)
	slices.Sort(ds)
	return fmt.Sprintf("; window capture %.1f ms a frame (median of %d)", ms(ds[len(ds)/2]), len(ds))
}

// release frees the offscreen window; it is safe on nil.
func (c *windowCapture) release() {
	if c == nil || c.gpu == nil {
		return
	}
	c.gpu.Release()
	c.gpu = nil
}
