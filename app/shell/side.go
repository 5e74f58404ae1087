package shell

import (
	"fmt"
	"image"
	"image/color"
	"time"

	"gioui.org/layout"
	"gioui.org/op"

	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// header is the top of the side column: the app's name and the workspace tabs. It does
// not scroll with the panel under it.
type header struct {
	tabs widgets.Choice
	surf widgets.Surface
	h    int // height in the last frame
}

// layoutSide lays out the side column: the header, then the workspace's sections and the
// Record section in a scrolling panel.
func (u *UI) layoutSide(gtx layout.Context, w ws.Workspace) {
	th := u.th
	sz := gtx.Constraints.Max
	hd := &u.head
	if hd.tabs.Value == "" {
		hd.tabs.Value = w.Name()
	}
	f := widgets.NewForm(gtx, th, &hd.surf, image.Point{}, sz.X, sz.Y, th.Panel, gtx.Dp(14))
	f.Gap(12)
	f.Text(widgets.Bold, th.Title, th.Text, "mflowlab")
	f.Caption("M-Flow projection as an adversarial defence")
	if len(u.spaces) > 1 {
		f.Gap(6)
		keys, labels := make([]string, len(u.spaces)), make([]string, len(u.spaces))
		for i, s := range u.spaces {
			keys[i], labels[i] = s.Name(), s.Title()
		}
		ln := f.Line(26)
		if ln.Segmented(&hd.tabs, keys, labels, ln.Rest()) {
			for i, s := range u.spaces {
				if s.Name() == hd.tabs.Value {
					u.switchTo(i)
				}
			}
		}
		f.Gap(2)
		f.Caption(fmt.Sprintf("F1–F%d or Ctrl+1–%d switch", len(u.spaces), len(u.spaces)))
	}
	f.Gap(6)
	f.L.Fill(image.Rect(0, f.Y-1, sz.X, f.Y), 0, th.Border)
	hd.h = f.Y
	hd.surf.Resize(sz.X, hd.h)
	hd.surf.PaintAt(gtx, image.Point{})
	widgets.FillRect(gtx, image.Rect(0, 0, 1, hd.h), th.Border) // the hairline beside the main area
	if f.Changed {
		gtx.Execute(op.InvalidateCmd{})
	}

	st := op.Offset(image.Pt(0, hd.h)).Push(gtx.Ops)
	g := gtx
	g.Constraints = layout.Exact(image.Pt(sz.X, max(1, sz.Y-hd.h)))
	secs := append(w.Sections(), &u.record)
	u.panels[u.cur].Layout(g, secs)
	st.Pop()
}

// PanelPoint turns a point in the side panel's coordinates (those of the sections' forms)
// into a window pixel, for tests that click controls.
func (u *UI) PanelPoint(p image.Point) image.Point {
	return p.Add(image.Pt(u.mainSize.X, u.head.h))
}

// Panel returns the shown workspace's side panel (tests scroll it and read its surfaces).
func (u *UI) Panel() *widgets.Panel { return &u.panels[u.cur] }

// How long messages stay in the status line (unless replaced).
const (
	statusFade = 10 * time.Second // information
	errorFade  = 45 * time.Second // errors
)

// layoutStatus draws the status line under the main area: the latest message (or the
// workspace's warning) on the left, the recording indicator and the workspace's note on
// the right.
func (u *UI) layoutStatus(gtx layout.Context, w ws.Workspace) {
	th := u.th
	st := u.status
	text, c := st.text, th.Muted
	fade := statusFade
	if st.err {
		c, text, fade = th.Error, "! "+text, errorFade
	}
	if text != "" && gtx.Now.Sub(st.at) > fade {
		text = ""
	} else if text != "" {
		gtx.Execute(op.InvalidateCmd{At: st.at.Add(fade)})
	}
	note, warn := w.Status()
	if text == "" && warn != "" {
		text, c = "! "+warn, th.Warn
	}
	sz := gtx.Constraints.Max
	f := widgets.NewForm(gtx, th, &u.statusS, image.Point{}, sz.X, sz.Y, th.Panel, gtx.Dp(12))
	f.L.Fill(image.Rect(0, 0, sz.X, 1), 0, th.Border)
	fc := f.Face(widgets.Regular, th.Small)
	nw := fc.Measure(note)
	rec := u.RecordNote() // the recording indicator, always visible while recording
	rw := 0
	if rec != "" {
		rw = fc.Measure(rec) + f.Dp(16)
	}
	ln := f.Line(float64(sz.Y) / float64(max(gtx.Metric.PxPerDp, 0.1)))
	ln.LabelW(text, f.W-nw-rw-f.Dp(16), c)
	if rec != "" {
		ln.To(f.W - nw - rw)
		ln.Label(rec, th.Error)
	}
	ln.To(f.W - nw)
	ln.Label(note, th.Muted)
	u.statusS.PaintAt(gtx, image.Point{})
}

// fpsCard shows frame time and rates (toggled with t) in the main area's bottom-right
// corner, with the workspace's own timings.
func (u *UI) fpsCard(gtx layout.Context, w ws.Workspace) {
	th := u.th
	sz := gtx.Constraints.Max
	cw := gtx.Dp(150)
	f := widgets.NewForm(gtx, th, &u.fpsS, image.Point{}, cw, gtx.Dp(100), color.NRGBA{}, gtx.Dp(10))
	f.Gap(8)
	f.Stat("frame", fmt.Sprintf("%.1f ms", ms(u.stats.Median())), th.Text)
	f.Stat("fps", fmt.Sprintf("%.0f", u.stats.FPS()), th.Text)
	for _, t := range w.Timings() {
		f.Stat(t[0], t[1], th.Muted)
	}
	box := image.Rect(0, 0, f.X*2+f.W, f.Y+f.Dp(8))
	f.L.Underlay(func(l *widgets.List) { l.Box(box, f.Dp(6), widgets.WithAlpha(th.Card, 240), th.Border) })
	u.fpsS.Resize(cw, f.Y+gtx.Dp(8))
	u.fpsS.PaintAt(gtx, image.Pt(sz.X-cw-gtx.Dp(10), sz.Y-u.fpsS.Size().Y-gtx.Dp(10)))
}

// ms converts d to milliseconds.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }
