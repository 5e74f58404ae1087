package widgets

import (
	"image"
	"image/color"

	"gioui.org/io/event"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
)

// Section is one part of a Panel: it records its controls on the form it is given.
type Section interface {
	Form(f *Form)
}

// Overpainter is a Section that paints more (e.g. chart images) over its surface, which
// the panel painted at org.
type Overpainter interface {
	Paint(gtx layout.Context, org image.Point)
}

// Panel is a side panel: a column of sections that scrolls with the wheel. Each section is
// drawn on its own surface, so that a change in one (statistics that change every frame)
// does not redraw the others.
type Panel struct {
	Theme    *Theme
	surfaces []Surface
	tops     []int // where each section was painted in the last frame, panel pixels
	scroll   int   // pixels scrolled
	contentH int   // height of all sections, from the last frame
}

// PanelScrollbar is the width in dp of the scroll bar strip on a panel's right edge.
const PanelScrollbar = 8

// Surface returns the surface of section i (nil before it was drawn), e.g. to test its
// pixels.
func (p *Panel) Surface(i int) *Surface {
	if i < 0 || i >= len(p.surfaces) {
		return nil
	}
	return &p.surfaces[i]
}

// Top returns where section i began in the last frame, in panel pixels (−1 when unknown).
func (p *Panel) Top(i int) int {
	if i < 0 || i >= len(p.tops) {
		return -1
	}
	return p.tops[i]
}

// ScrollTo scrolls to y pixels from the top (clamped to the content in the next frame).
func (p *Panel) ScrollTo(y int) { p.scroll = max(0, y) }

// Layout lays out sections in gtx.Constraints.Max and returns its size.
func (p *Panel) Layout(gtx layout.Context, sections []Section) layout.Dimensions {
	th := p.Theme
	sz := gtx.Constraints.Max
	defer clip.Rect{Max: sz}.Push(gtx.Ops).Pop()
	// The panel's own input area: wheel scrolling, and a click on empty space leaves any
	// text field. Controls are nested inside it, so the wheel works over them too.
	event.Op(gtx.Ops, p)
	for {
		ev, ok := gtx.Event(pointer.Filter{Target: p, Kinds: pointer.Scroll | pointer.Press,
			ScrollY: pointer.ScrollRange{Min: -1 << 20, Max: 1 << 20}})
		if !ok {
			break
		}
		if e, ok := ev.(pointer.Event); ok {
			switch e.Kind {
			case pointer.Scroll:
				p.scroll += int(e.Scroll.Y * 4 * gtx.Metric.PxPerDp)
			case pointer.Press:
				gtx.Execute(key.FocusCmd{Tag: nil})
			}
		}
	}
	p.scroll = max(0, min(p.scroll, p.contentH-sz.Y))
	if len(p.surfaces) != len(sections) {
		p.surfaces = make([]Surface, len(sections))
		p.tops = make([]int, len(sections))
	}

	w := sz.X - gtx.Dp(PanelScrollbar)
	y := -p.scroll
	changed := false
	for i, s := range sections {
		surf := &p.surfaces[i]
		f := NewForm(gtx, th, surf, image.Pt(0, y), w, sz.Y, th.Panel, gtx.Dp(14))
		s.Form(f)
		h := f.Y + gtx.Dp(2)
		surf.Resize(w, h)
		p.tops[i] = y
		if y+h > 0 && y < sz.Y {
			surf.PaintAt(gtx, image.Pt(0, y))
			if o, ok := s.(Overpainter); ok {
				o.Paint(gtx, image.Pt(0, y))
			}
		}
		changed = changed || f.Changed
		y += h
	}
	p.contentH = y + p.scroll + gtx.Dp(16)
	// Panel colour where no section covers: below the last one and the scroll bar strip
	// (sections paint their own background, so the panel is not painted twice).
	FillRect(gtx, image.Rect(0, max(0, y), sz.X, sz.Y), th.Panel)
	FillRect(gtx, image.Rect(w, 0, sz.X, sz.Y), th.Panel)
	if changed {
		gtx.Execute(op.InvalidateCmd{})
	}
	// Scroll bar.
	if p.contentH > sz.Y {
		bw := gtx.Dp(4)
		h := max(gtx.Dp(30), sz.Y*sz.Y/p.contentH)
		top := (sz.Y - h) * p.scroll / max(1, p.contentH-sz.Y)
		r := image.Rect(sz.X-bw-gtx.Dp(3), top, sz.X-gtx.Dp(3), top+h)
		st := clip.UniformRRect(r, bw/2).Push(gtx.Ops)
		paint.ColorOp{Color: WithAlpha(th.Muted, 90)}.Add(gtx.Ops)
		paint.PaintOp{}.Add(gtx.Ops)
		st.Pop()
	}
	// Hairline on the left edge.
	FillRect(gtx, image.Rect(0, 0, 1, sz.Y), th.Border)
	return layout.Dimensions{Size: sz}
}

// FillRect paints r with c.
func FillRect(gtx layout.Context, r image.Rectangle, c color.NRGBA) {
	if r.Empty() {
		return
	}
	st := clip.Rect(r).Push(gtx.Ops)
	paint.ColorOp{Color: c}.Add(gtx.Ops)
	paint.PaintOp{}.Add(gtx.Ops)
	st.Pop()
}

// Labelled lays out a label 56 dp wide and returns the line for the control after it.
func (f *Form) Labelled(label string, h float64) *Line {
	ln := f.Line(h)
	ln.LabelW(label, f.Dp(56), f.T.Muted)
	return ln
}

// FieldGrid lays out labelled fields in two columns, with a hint for each empty field.
func (f *Form) FieldGrid(labels []string, fields []*Field, hints []string) {
	lw := f.Dp(56)
	gap := f.Dp(12)
	colW := (f.W - gap) / 2
	for i := 0; i < len(fields); i += 2 {
		ln := f.Line(24)
		for j := i; j < min(i+2, len(fields)); j++ {
			ln.To((j - i) * (colW + gap))
			ln.LabelW(labels[j], lw, f.T.Muted)
			ln.Field(fields[j], colW-lw, hints[j])
		}
	}
}
