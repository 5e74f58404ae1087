package app

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

	"github.com/mflowlab/mflowlab/ui/widgets"
)

// section is one part of the side panel, drawn on its own surface so that a change in one
// (the training statistics, every snapshot) does not redraw the others.
type section interface {
	form(f *widgets.Form)
}

// panel is the side panel: a column of sections that scrolls with the wheel.
type panel struct {
	u      *UI
	head   headPanel
	train  trainPanel
	charts chartsPanel
	attack attackPanel
	data   dataPanel
	models modelsPanel
	record recordPanel

	surfaces [7]widgets.Surface
	scroll   int // pixels scrolled
	contentH int // height of all sections, from the last frame
}

func (p *panel) init(u *UI) {
	p.u = u
	p.head.u = u
	p.train.init(u)
	p.data.init(u)
	p.models.init(u)
	p.attack.init(u)
	p.charts.init(u)
	p.record.init(u)
}

func (p *panel) sections() [7]section {
	return [7]section{&p.head, &p.train, &p.charts, &p.attack, &p.data, &p.models, &p.record}
}

// fields returns every text field of the panel.
func (p *panel) fields() []*widgets.Field {
	var fs []*widgets.Field
	fs = append(fs, p.train.fields()...)
	fs = append(fs, p.data.fields()...)
	fs = append(fs, &p.models.path)
	fs = append(fs, p.attack.fields()...)
	fs = append(fs, p.record.fields()...)
	return fs
}

// editing reports whether a text field has the keyboard focus, so that typing does not
// trigger shortcuts.
func (p *panel) editing() bool {
	for _, f := range p.fields() {
		if f.Focused() {
			return true
		}
	}
	return false
}

// update starts background work the panel needs before the frame is laid out.
func (p *panel) update(gtx layout.Context) {
	p.charts.update(gtx)
}

// scrollbarW is the width of the scroll bar strip on the panel's right edge.
const scrollbarW = 8

func (p *panel) layout(gtx layout.Context) layout.Dimensions {
	th := p.u.th
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

	w := sz.X - gtx.Dp(scrollbarW)
	y := -p.scroll
	changed := false
	for i, s := range p.sections() {
		surf := &p.surfaces[i]
		f := widgets.NewForm(gtx, th, surf, image.Pt(0, y), w, sz.Y, th.Panel, gtx.Dp(14))
		s.form(f)
		h := f.Y + gtx.Dp(2)
		surf.Resize(w, h)
		if y+h > 0 && y < sz.Y {
			surf.PaintAt(gtx, image.Pt(0, y))
			if c, ok := s.(*chartsPanel); ok {
				c.paint(gtx, image.Pt(0, y))
			}
		}
		changed = changed || f.Changed
		y += h
	}
	p.contentH = y + p.scroll + gtx.Dp(16)
	// Panel colour where no section covers: below the last one and the scroll bar strip
	// (sections paint their own background, so the panel is not painted twice).
	fillRect(gtx, image.Rect(0, max(0, y), sz.X, sz.Y), th.Panel)
	fillRect(gtx, image.Rect(w, 0, sz.X, sz.Y), th.Panel)
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
		paint.ColorOp{Color: widgets.WithAlpha(th.Muted, 90)}.Add(gtx.Ops)
		paint.PaintOp{}.Add(gtx.Ops)
		st.Pop()
	}
	// Hairline between the plane and the panel.
	st := clip.Rect{Max: image.Pt(1, sz.Y)}.Push(gtx.Ops)
	paint.ColorOp{Color: th.Border}.Add(gtx.Ops)
	paint.PaintOp{}.Add(gtx.Ops)
	st.Pop()
	return layout.Dimensions{Size: sz}
}

// headPanel is the panel's title.
type headPanel struct{ u *UI }

func (p *headPanel) form(f *widgets.Form) {
	th := p.u.th
	f.Gap(12)
	f.Text(widgets.Bold, th.Title, th.Text, "mflowlab")
	f.Caption("M-Flow projection as an adversarial defence")
}

// gridFields lays out labelled fields in two columns.
func gridFields(f *widgets.Form, labels []string, fields []*widgets.Field, hints []string) {
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

// labelled lays out a label of width lw and returns the line for the control after it.
func labelled(f *widgets.Form, label string, h float64) *widgets.Line {
	ln := f.Line(h)
	ln.LabelW(label, f.Dp(56), f.T.Muted)
	return ln
}

// fillRect paints r with c.
func fillRect(gtx layout.Context, r image.Rectangle, c color.NRGBA) {
	if r.Empty() {
		return
	}
	st := clip.Rect(r).Push(gtx.Ops)
	paint.ColorOp{Color: c}.Add(gtx.Ops)
	paint.PaintOp{}.Add(gtx.Ops)
	st.Pop()
}
