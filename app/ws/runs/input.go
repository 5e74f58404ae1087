package runs

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

	"github.com/mflowlab/mflowlab/ui/plane"
)

// cellAt returns the index of the cell under pixel p, or −1.
func (g *gridView) cellAt(p f32.Point) int {
	pt := image.Pt(int(p.X), int(p.Y))
	for i, r := range g.rects {
		if pt.In(r) {
			return i
		}
	}
	return -1
}

// cellView returns the viewport through which cell i shows the data box.
func (g *gridView) cellView(i int) (plane.Viewport, image.Point) {
	in := g.rects[i].Inset(1)
	v := g.u.setup.View
	return plane.Fit(v[0], v[1], v[2], v[3], in.Dx(), in.Dy(), 0), in.Min
}

// pointer handles the pointer over the cells: hover, click to select, double-click to
// open in the plane, drag to pan and wheel to zoom every cell at once.
func (g *gridView) pointer(gtx layout.Context) {
	defer clip.Rect(g.area).Push(gtx.Ops).Pop()
	event.Op(gtx.Ops, g)
	if g.dragging {
		pointer.CursorGrabbing.Add(gtx.Ops)
	} else if g.hover >= 0 {
		pointer.CursorPointer.Add(gtx.Ops)
	}
	for {
		ev, ok := gtx.Event(pointer.Filter{Target: g,
			Kinds:   pointer.Press | pointer.Drag | pointer.Release | pointer.Move | pointer.Scroll | pointer.Enter | pointer.Leave | pointer.Cancel,
			ScrollY: pointer.ScrollRange{Min: -1 << 20, Max: 1 << 20}})
		if !ok {
			return
		}
		e, ok := ev.(pointer.Event)
		if !ok {
			continue
		}
		p := e.Position
		switch e.Kind {
		case pointer.Move, pointer.Enter:
			g.hover = g.cellAt(p)
		case pointer.Leave, pointer.Cancel:
			g.hover, g.dragging, g.pressed = -1, false, false
		case pointer.Scroll:
			g.zoom(p, e.Scroll.Y)
		case pointer.Press:
			gtx.Execute(key.FocusCmd{Tag: nil})
			if e.Buttons.Contain(pointer.ButtonPrimary) {
				g.press, g.last, g.pressed, g.dragging = p, p, true, false
			}
		case pointer.Drag:
			if !g.pressed {
				break
			}
			if d := p.Sub(g.press); !g.dragging && d.X*d.X+d.Y*d.Y >= clickSlop*clickSlop {
				g.dragging = true
				gtx.Execute(pointer.GrabCmd{Tag: g, ID: e.PointerID})
			}
			if g.dragging {
				g.pan(p.Sub(g.last))
				g.last = p
			}
		case pointer.Release:
			if g.pressed && !g.dragging {
				g.click(g.cellAt(p), e.Time)
			}
			g.pressed, g.dragging = false, false
		}
	}
}

// click selects the cell clicked; a second click on it soon after opens it in the plane.
func (g *gridView) click(i int, at time.Duration) {
	if i < 0 || i >= len(g.ids) {
		g.sel = -1
		return
	}
	id := g.ids[i]
	double := id == g.clickID && at >= g.clickAt && at-g.clickAt <= doubleClick
	g.sel, g.clickID, g.clickAt = id, id, at
	if double {
		g.clickID = -1
		g.u.openSelected()
	}
}

// zoom scales every cell's data box around the data point under p.
func (g *gridView) zoom(p f32.Point, scroll float32) {
	i := g.cellAt(p)
	if i < 0 {
		return
	}
	vp, org := g.cellView(i)
	x, y := vp.ToData(float64(p.X)-float64(org.X), float64(p.Y)-float64(org.Y))
	f := math.Max(0.5, math.Min(2, math.Exp(float64(scroll)*0.014)))
	v := g.u.setup.View
	nv := [4]float64{x + (v[0]-x)*f, x + (v[1]-x)*f, y + (v[2]-y)*f, y + (v[3]-y)*f}
	if w := nv[1] - nv[0]; w > 1e-3 && w < 1e3 && finite(nv[:]...) {
		g.u.setup.View = nv
	}
}

// pan moves every cell's data box by d pixels.
func (g *gridView) pan(d f32.Point) {
	if len(g.rects) == 0 {
		return
	}
	vp, _ := g.cellView(0)
	dx, dy := -float64(d.X)/vp.Scale, float64(d.Y)/vp.Scale
	v := &g.u.setup.View
	v[0], v[1], v[2], v[3] = v[0]+dx, v[1]+dx, v[2]+dy, v[3]+dy
}
