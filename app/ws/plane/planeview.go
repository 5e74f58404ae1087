package plane

import (
	"image"
	"math"
	"time"

	"gioui.org/f32"
	"gioui.org/io/event"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op/clip"
	"gioui.org/op/paint"

	"github.com/mflowlab/mflowlab/ui/plane"
	"github.com/mflowlab/mflowlab/ui/scene"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// Interaction distances in pixels.
const (
	probeHitRadius = 11 // grab a probe within this distance of its clean point
	clickSlop      = 4  // a press that moves less than this is a click
)

// dragMode is what the pointer is doing with the plane.
type dragMode uint8

const (
	dragNone  dragMode = iota
	dragClick          // pressed on empty space, not moved yet: a click drops a probe
	dragPan            // moving the view
	dragProbe          // moving a probe
)

// planeView is the plane widget's state: the viewport, the layers shown, the probes, and
// the pointer interaction. It paints the newest raster of the newest scene.
type planeView struct {
	view   plane.Viewport // current viewport (W, H follow the widget's size)
	fitted bool           // view was fitted to the data once
	fitBox [4]float64     // data box that Fit shows
	layers plane.LayerMask
	probes probeSet

	mode     dragMode
	dragID   int        // probe being dragged
	dragOff  [2]float64 // probe position minus pointer position, in data units
	press    f32.Point
	last     f32.Point
	hover    f32.Point
	hoverIn  bool
	moving   time.Time // last pan, zoom or probe drag: draft quality until it settles
	viewSeq  uint64    // increases whenever the view changes
	pic      widgets.Picture
	shown    *raster // the raster painted by the last frame
	hold     bool    // keep painting shown: a recording waits for the encoder to free a buffer
	released *raster // painted by an earlier frame; back to the pool after this one
}

// draftFor is how long after the last movement the scene stays at draft quality.
const draftFor = 250 * time.Millisecond

// Fit fits the view to the data box with a margin.
func (pv *planeView) Fit() {
	b := pv.fitBox
	if pv.view.W <= 0 || pv.view.H <= 0 {
		pv.fitted = false
		return
	}
	pv.view = plane.Fit(b[0], b[1], b[2], b[3], pv.view.W, pv.view.H, 28)
	pv.fitted = true
	pv.viewSeq++
}

// Quality returns Draft while the user moves the view or a probe.
func (pv *planeView) Quality(now time.Time) scene.Quality {
	if pv.mode == dragPan || pv.mode == dragProbe || now.Sub(pv.moving) < draftFor {
		return scene.Draft
	}
	return scene.Full
}

// Settling reports whether the view moved recently, so that the frame should come back to
// switch to full quality.
func (pv *planeView) Settling(now time.Time) (bool, time.Time) {
	until := pv.moving.Add(draftFor)
	return now.Before(until), until
}

// resize keeps the centre and scale when the widget changes size.
func (pv *planeView) resize(sz image.Point) {
	if sz.X == pv.view.W && sz.Y == pv.view.H {
		return
	}
	pv.view.W, pv.view.H = sz.X, sz.Y
	if !pv.fitted || pv.view.Scale <= 0 {
		pv.Fit()
	}
	pv.viewSeq++
}

// Update handles the pointer events of the last frame.
func (pv *planeView) Update(gtx layout.Context) {
	for {
		ev, ok := gtx.Event(pointer.Filter{
			Target:  pv,
			Kinds:   pointer.Press | pointer.Drag | pointer.Release | pointer.Move | pointer.Scroll | pointer.Enter | pointer.Leave | pointer.Cancel,
			ScrollY: pointer.ScrollRange{Min: -1 << 20, Max: 1 << 20},
			ScrollX: pointer.ScrollRange{Min: -1 << 20, Max: 1 << 20},
		})
		if !ok {
			break
		}
		if e, ok := ev.(pointer.Event); ok {
			pv.pointer(gtx, e)
		}
	}
}

func (pv *planeView) pointer(gtx layout.Context, e pointer.Event) {
	p := e.Position
	switch e.Kind {
	case pointer.Enter, pointer.Move:
		pv.hover, pv.hoverIn = p, true
	case pointer.Leave:
		pv.hoverIn = false
	case pointer.Cancel:
		pv.mode = dragNone
	case pointer.Scroll:
		d := e.Scroll.Y
		if d == 0 {
			d = e.Scroll.X
		}
		f := math.Exp(-float64(d) * 0.014)
		f = math.Max(0.5, math.Min(2, f))
		nv := pv.view.Zoom(f, float64(p.X), float64(p.Y))
		if nv.Scale > 2 && nv.Scale < 2e5 {
			pv.view = nv
			pv.moved(gtx)
		}
		pv.hover, pv.hoverIn = p, true
	case pointer.Press:
		gtx.Execute(key.FocusCmd{Tag: nil}) // leave any text field
		pv.press, pv.last = p, p
		id := pv.probes.Hit(pv.view, float64(p.X), float64(p.Y), probeHitRadius)
		if e.Buttons.Contain(pointer.ButtonSecondary) {
			if id != 0 {
				pv.probes.Delete(id)
			}
			pv.mode = dragNone
			return
		}
		if !e.Buttons.Contain(pointer.ButtonPrimary) {
			return
		}
		if id != 0 {
			q, _ := pv.probes.Get(id)
			x, y := pv.view.ToData(float64(p.X), float64(p.Y))
			pv.mode, pv.dragID, pv.dragOff = dragProbe, id, [2]float64{q.X[0] - x, q.X[1] - y}
			pv.probes.Select(id)
			gtx.Execute(pointer.GrabCmd{Tag: pv, ID: e.PointerID})
			return
		}
		pv.mode = dragClick
	case pointer.Drag:
		pv.hover, pv.hoverIn = p, true
		switch pv.mode {
		case dragClick:
			if dx, dy := p.X-pv.press.X, p.Y-pv.press.Y; dx*dx+dy*dy >= clickSlop*clickSlop {
				pv.mode = dragPan
				gtx.Execute(pointer.GrabCmd{Tag: pv, ID: e.PointerID})
				pv.pan(gtx, p)
			}
		case dragPan:
			pv.pan(gtx, p)
		case dragProbe:
			x, y := pv.view.ToData(float64(p.X), float64(p.Y))
			x, y = x+pv.dragOff[0], y+pv.dragOff[1]
			if finite(x, y) {
				pv.probes.Move(pv.dragID, x, y)
				pv.moved(gtx)
			}
		}
	case pointer.Release:
		if pv.mode == dragClick {
			x, y := pv.view.ToData(float64(p.X), float64(p.Y))
			if finite(x, y) {
				pv.probes.Add(x, y)
			}
		}
		if pv.mode == dragProbe {
			pv.moving = gtx.Now // full quality follows shortly
		}
		pv.mode = dragNone
	}
}

func (pv *planeView) pan(gtx layout.Context, p f32.Point) {
	pv.view = pv.view.Pan(float64(p.X-pv.last.X), float64(p.Y-pv.last.Y))
	pv.last = p
	pv.moved(gtx)
}

func (pv *planeView) moved(gtx layout.Context) {
	pv.moving = gtx.Now
	pv.viewSeq++
}

// HoverData returns the data point under the pointer.
func (pv *planeView) HoverData() (x, y float64, ok bool) {
	if !pv.hoverIn {
		return 0, 0, false
	}
	x, y = pv.view.ToData(float64(pv.hover.X), float64(pv.hover.Y))
	return x, y, finite(x, y)
}

// Layout registers the plane's input area and paints the newest raster moved to the current
// viewport (identity when it was drawn for this viewport).
func (pv *planeView) Layout(gtx layout.Context, rz *rasterizer, th *widgets.Theme) layout.Dimensions {
	sz := gtx.Constraints.Max
	defer clip.Rect{Max: sz}.Push(gtx.Ops).Pop()
	event.Op(gtx.Ops, pv)
	cur := pointer.CursorCrosshair
	switch {
	case pv.mode == dragPan:
		cur = pointer.CursorGrabbing
	case pv.mode == dragProbe:
		cur = pointer.CursorGrabbing
	case pv.hoverIn && pv.probes.Hit(pv.view, float64(pv.hover.X), float64(pv.hover.Y), probeHitRadius) != 0:
		cur = pointer.CursorGrab
	}
	cur.Add(gtx.Ops)

	if !pv.hold {
		if r := rz.Take(); r != nil && r != pv.shown {
			pv.released, pv.shown = pv.shown, r
		}
	}
	r := pv.shown
	if r == nil {
		paint.FillShape(gtx.Ops, th.Window, clip.Rect{Max: sz}.Op())
		return layout.Dimensions{Size: sz}
	}
	pv.pic.Set(r.img, r.version)
	if r.view == pv.view {
		pv.pic.Layout(gtx)
		return layout.Dimensions{Size: sz}
	}
	// Map the raster's pixels into the current view: same data point, new pixel.
	a := pv.view.Scale / r.view.Scale
	dx := float64(pv.view.W)/2 - a*float64(r.view.W)/2 + pv.view.Scale*(r.view.Center[0]-pv.view.Center[0])
	dy := float64(pv.view.H)/2 - a*float64(r.view.H)/2 - pv.view.Scale*(r.view.Center[1]-pv.view.Center[1])
	pv.pic.LayoutScaled(gtx, float32(a), float32(dx), float32(dy), th.Window)
	return layout.Dimensions{Size: sz}
}

// AfterFrame returns the buffer of a raster no longer painted to the pool; call it after
// the frame has been presented.
func (pv *planeView) AfterFrame(rz *rasterizer) {
	if pv.released != nil {
		rz.Release(pv.released)
		pv.released = nil
	}
}
