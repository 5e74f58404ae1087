package shell

import (
	"fmt"
	"image"
	"os"
	"time"

	"gioui.org/f32"
	"gioui.org/gpu/headless"
	"gioui.org/io/event"
	"gioui.org/io/input"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/unit"
)

// Offscreen renders UI frames without an OS window: Gio's headless GPU window (Mesa's
// surfaceless EGL platform works without a display) and an input router that tests and
// benchmarks feed with synthesized events.
type Offscreen struct {
	win    *headless.Window
	size   image.Point
	ops    op.Ops
	router input.Router
	now    time.Time
	px     *image.RGBA // one pixel, read back to wait for the GPU
}

// Size returns the window's size in pixels.
func (o *Offscreen) Size() image.Point { return o.size }

// NewOffscreen opens a headless GPU window of size pixels.
func NewOffscreen(size image.Point) (*Offscreen, error) {
	if os.Getenv("EGL_PLATFORM") == "" {
		// Render without an X or Wayland display.
		os.Setenv("EGL_PLATFORM", "surfaceless")
	}
	w, err := headless.NewWindow(size.X, size.Y)
	if err != nil {
		return nil, fmt.Errorf("headless rendering needs EGL (Mesa): %w", err)
	}
	return &Offscreen{win: w, size: size, now: time.Now(), px: image.NewRGBA(image.Rect(0, 0, 1, 1))}, nil
}

// Close releases the GPU window.
func (o *Offscreen) Close() { o.win.Release() }

// Context returns the layout context of the next frame (1 px per dp, like a 96 dpi screen).
func (o *Offscreen) Context() layout.Context {
	o.ops.Reset()
	o.now = time.Now()
	return layout.Context{
		Ops:         &o.ops,
		Now:         o.now,
		Metric:      unit.Metric{PxPerDp: 1, PxPerSp: 1},
		Constraints: layout.Exact(o.size),
		Source:      o.router.Source(),
	}
}

// Frame lays out u and draws it on the GPU, returning how long that took.
func (o *Offscreen) Frame(u *UI) (time.Duration, error) {
	t0 := time.Now()
	gtx := o.Context()
	u.SafeLayout(gtx)
	o.router.Frame(&o.ops)
	err := o.win.Frame(&o.ops)
	if err == nil {
		// Wait for the software GPU to finish, as presenting a window frame does.
		err = o.win.Screenshot(o.px)
	}
	d := time.Since(t0)
	u.AfterFrame(d)
	return d, err
}

// Screenshot downloads the last frame.
func (o *Offscreen) Screenshot() (*image.RGBA, error) {
	img := image.NewRGBA(image.Rectangle{Max: o.size})
	if err := o.win.Screenshot(img); err != nil {
		return nil, err
	}
	// The GPU output is opaque; make sure the PNG is too.
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	return img, nil
}

// Pointer queues synthesized pointer events at window pixel positions.
func (o *Offscreen) Pointer(kind pointer.Kind, at f32.Point, buttons pointer.Buttons) {
	o.router.Queue(pointer.Event{Kind: kind, Source: pointer.Mouse, Position: at, Buttons: buttons, Time: time.Since(o.now)})
}

// Queue queues arbitrary events.
func (o *Offscreen) Queue(evs ...event.Event) { o.router.Queue(evs...) }

// Wakeup reports when the last frame asked for the next one, as a window would learn it: ok
// is false when it asked for none, and a zero time means at once (an invalidation without a
// time, or events waiting). Each request is reported once.
func (o *Offscreen) Wakeup() (at time.Time, ok bool) { return o.router.WakeupTime() }
