package shell

import (
	"context"
	"fmt"
	"image"
	"sync/atomic"
	"time"

	"gioui.org/layout"

	"github.com/mflowlab/mflowlab/app/record"
)

// recording is an in-app recording: of the workspace's pictures, or of the whole window's
// pixels. Every new picture becomes exactly one frame — no timer decides — and the
// options' fps is only the playback rate.
type recording struct {
	rec   *record.Recorder
	opts  recordOptions
	src   image.Point    // size of the captured pictures
	last  uint64         // workspace: version of the last picture recorded
	held  bool           // the workspace's picture is held back until the encoder frees a buffer
	wake  *atomic.Bool   // set while held: the encoder's next free buffer asks for a frame
	waits int            // how often the plane was held back or a frame waited for the encoder
	win   *windowCapture // whole-window target: the offscreen renderer, nil for the workspace
	area  string         // what is recorded ("the plane", "the whole window")
}

// Recording reports whether a recording is running (ws.Host).
func (u *UI) Recording() bool { return u.rec != nil }

// RecordFrames returns the frames recorded so far by the running recording (0 when none).
func (u *UI) RecordFrames() int {
	if u.rec == nil {
		return 0
	}
	return u.rec.rec.Frames()
}

// RecordHeld reports whether the workspace's picture waits for the recording's encoder.
func (u *UI) RecordHeld() bool { return u.rec != nil && u.rec.held }

// ToggleRecording starts a recording with the Record section's options, or stops the
// running one.
func (u *UI) ToggleRecording(now time.Time) {
	if u.rec != nil {
		u.stopRecording(false)
		return
	}
	o, err := u.record.options(now)
	if err != nil {
		u.Errorf("not recording: %v", err)
		return
	}
	w := u.spaces[u.cur]
	src, area := u.mainSize, "the "+w.Area()
	if img, _ := w.Picture(); img != nil {
		src = img.Rect.Size() // a workspace's picture may be a part of its area (the grid's cells)
	}
	if o.window {
		src, area = u.winSize, "the whole window"
	}
	if src.X <= 0 || src.Y <= 0 {
		u.Errorf("not recording: the window has not been drawn yet")
		return
	}
	out := o.outSize(src)
	if err := record.CheckSize(o.path, out.X, out.Y, o.fps); err != nil {
		u.Errorf("not recording: %v", err)
		return
	}
	rc := &recording{opts: o, src: src, wake: new(atomic.Bool), area: area}
	if o.window {
		if rc.win, err = newWindowCapture(src); err != nil {
			u.Errorf("not recording the window: %v", err)
			return
		}
	}
	open := u.record.openSink
	if open == nil {
		open = record.Open
	}
	s, err := open(o.path, out.X, out.Y, o.fps)
	if err != nil {
		rc.win.release()
		u.Errorf("not recording: %v", err)
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
	u.Infof("recording %s to %s (%s, %d×%d at %d fps) — press v or Stop to finish", area, o.path, o.format, out.X, out.Y, o.fps)
	if !o.window {
		u.recordFrame() // the picture shown now is the first frame
	}
	// The whole window's first frame is the next one, which shows the recording's state.
}

// recordBefore runs at the start of a frame: it notes the window's size and holds the
// workspace's picture back while the encoder has no free buffer, so that no new picture is
// shown that could not be recorded.
func (u *UI) recordBefore(gtx layout.Context) {
	u.winSize = gtx.Constraints.Max
	w := u.spaces[u.cur]
	rc := u.rec
	if rc == nil {
		w.Hold(false)
		return
	}
	rc.wake.Store(true)
	hold := !rc.rec.Ready() // after setting wake, so that a buffer freed now still wakes us
	rc.wake.Store(hold)
	if hold && !rc.held {
		rc.waits++
		if rc.waits == 1 {
			u.Infof("recording: the encoder is behind — %s waits for it, no frame is dropped", rc.area)
		}
	}
	rc.held = hold
	w.Hold(hold)
}

// recordFrame adds the workspace's painted picture to a workspace recording when it is
// new; it runs right after the main area's layout (no timer decides).
func (u *UI) recordFrame() {
	rc := u.rec
	if rc == nil || rc.win != nil {
		return
	}
	img, v := u.spaces[u.cur].Picture()
	if img == nil || v == rc.last {
		return
	}
	rc.last = v
	u.queueFrame(img)
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
		// The status line under the main area shows the recording's own counter: it alone
		// does not make a new frame (it rides along with the next one).
		status := image.Rect(0, u.mainSize.Y, u.mainSize.X, gtx.Constraints.Max.Y)
		img, changed, err := rc.win.capture(gtx.Ops, gtx.Constraints.Max, status)
		if err != nil {
			u.rec = nil
			u.spaces[u.cur].Hold(false)
			rc.win.release()
			_ = rc.rec.Abort()
			u.Errorf("recording stopped: capturing the window: %v", err)
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

// queueFrame hands img to the encoder. A workspace picture never gets here without a free
// buffer (recordBefore holds it back); a window frame whose chrome changed while the
// encoder is behind waits for it, bounded by one frame's encoding time.
func (u *UI) queueFrame(img *image.RGBA) {
	rc := u.rec
	queued, err := rc.rec.TryFrame(img)
	if !queued && err == nil {
		rc.waits++
		err = rc.rec.Frame(img)
	}
	if err != nil {
		u.rec = nil
		u.spaces[u.cur].Hold(false)
		rc.win.release()
		_ = rc.rec.Abort()
		u.Errorf("recording stopped: %v", err)
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
	// A picture that waited for the encoder is shown now (as the workspace's layout would)
	// so that the final state is in the recording.
	w := u.spaces[u.cur]
	w.Hold(false)
	if img, v := w.Picture(); rc.win == nil && img != nil && v != rc.last {
		_ = rc.rec.Frame(img) // waits for a free buffer at most one frame's encoding
	}
	rc.win.release()
	frames, played, fps := rc.rec.Frames(), rc.rec.Elapsed(), rc.opts.fps
	path, waits := rc.opts.path, rc.waits
	capture := rc.win.costNote()
	u.record.finished(path)
	finish := func() func() {
		err := rc.rec.Stop()
		return func() {
			if err != nil {
				u.Errorf("recording not written: %v", err)
				return
			}
			note := ""
			if waits > 0 {
				note = fmt.Sprintf("; waited %d× for the encoder", waits)
			}
			u.Infof("wrote the recording %s (%d frames, %s at %d fps%s%s)", path, frames, fmtDur(played), fps, capture, note)
		}
	}
	if wait || u.opts.Sync {
		finish()()
		return
	}
	u.Infof("finishing the recording %s …", path)
	u.Go(func(context.Context) func() { return finish() })
}

// RecordNote is the recording indicator: the playing time and the frame count so far.
func (u *UI) RecordNote() string {
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
