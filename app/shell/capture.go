package shell

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"os"
	"slices"
	"time"

	"gioui.org/gpu/headless"
	"gioui.org/op"
)

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
