package app

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"time"

	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/unit"
	"gioui.org/widget"

	"github.com/mflowlab/mflowlab/ui/widgets"
)

// overlays are the chrome drawn over and under the plane, each on its own surface.
type overlays struct {
	chips  [6]widget.Clickable
	fit    widget.Clickable
	clear  widget.Clickable
	record widget.Clickable
	bar    widgets.Surface
	hover  widgets.Surface
	fps    widgets.Surface
	status widgets.Surface
}

// layoutPlane draws the plane and its overlays: toolbar, hover readout or hints, and frame
// statistics.
func (u *UI) layoutPlane(gtx layout.Context) layout.Dimensions {
	sz := gtx.Constraints.Max
	u.pv.Layout(gtx, u.rz, u.th)
	u.recordFrame(gtx.Now)
	ov := &u.over
	changed := u.toolbar(gtx)

	// Hover readout (or usage hints) in the bottom-left corner.
	hs := &ov.hover
	w, h := gtx.Dp(262), gtx.Dp(96)
	org := image.Pt(gtx.Dp(10), sz.Y-h-gtx.Dp(10))
	f := widgets.NewForm(gtx, u.th, hs, org, w, h, color.NRGBA{}, gtx.Dp(10))
	u.hoverCard(f)
	hs.Resize(w, f.Y+gtx.Dp(8))
	hs.PaintAt(gtx, image.Pt(org.X, sz.Y-hs.Size().Y-gtx.Dp(10)))

	if u.showFPS {
		fs := &ov.fps
		w := gtx.Dp(150)
		f := widgets.NewForm(gtx, u.th, fs, image.Point{}, w, gtx.Dp(100), color.NRGBA{}, gtx.Dp(10))
		u.fpsCard(f)
		fs.Resize(w, f.Y+gtx.Dp(8))
		fs.PaintAt(gtx, image.Pt(sz.X-w-gtx.Dp(10), sz.Y-fs.Size().Y-gtx.Dp(10)))
		gtx.Execute(op.InvalidateCmd{At: gtx.Now.Add(250 * time.Millisecond)})
	}
	if changed {
		gtx.Execute(op.InvalidateCmd{})
	}
	return layout.Dimensions{Size: sz}
}

// toolbar draws the layer chips and view buttons along the plane's top edge and reports
// whether one was clicked.
func (u *UI) toolbar(gtx layout.Context) bool {
	ov := &u.over
	org := image.Pt(gtx.Dp(10), gtx.Dp(10))
	w := gtx.Constraints.Max.X - 2*org.X
	f := widgets.NewForm(gtx, u.th, &ov.bar, org, w, gtx.Dp(26), color.NRGBA{}, 0)
	ln := f.Line(26)
	for i, d := range layerDefs() {
		if ln.Chip(&ov.chips[i], u.pv.layers&d.mask == d.mask, d.key, d.label) {
			u.pv.layers ^= d.mask
		}
	}
	ln.Space(6)
	if ln.Button(&ov.fit, widgets.Secondary, "Fit view", 0) {
		u.pv.Fit()
	}
	if ln.Button(&ov.clear, widgets.Quiet, "Clear probes", 0) {
		u.pv.probes.Clear()
	}
	recLabel := "Record (v)"
	if u.rec != nil {
		recLabel = "■ Stop (v)"
	}
	if ln.Button(&ov.record, widgets.Quiet, recLabel, 0) {
		u.toggleRecording(gtx.Now)
	}
	ov.bar.Resize(min(w, w-ln.Rest()+gtx.Dp(4)), gtx.Dp(26)) // a little slack for the last label's overhang
	ov.bar.PaintAt(gtx, org)
	return f.Changed
}

// card draws a white rounded card under everything recorded on f so far.
func card(f *widgets.Form, th *widgets.Theme, top int) {
	box := image.Rect(0, top, f.X*2+f.W, f.Y+f.Dp(8))
	f.L.Underlay(func(l *widgets.List) { l.Box(box, f.Dp(6), widgets.WithAlpha(th.Card, 240), th.Border) })
}

// hoverCard shows the readout under the pointer: position, class probabilities, latent
// coordinates and log-density; without a pointer, how to use the plane.
func (u *UI) hoverCard(f *widgets.Form) {
	th := u.th
	f.Gap(8)
	if _, _, ok := u.pv.HoverData(); !ok {
		for _, s := range []string{
			"click: drop a probe · drag a probe: move it",
			"right-click / Delete: remove the selected probe",
			"drag empty space: pan · wheel: zoom · f: fit",
			"space play/pause · s step · r reset · t timing",
		} {
			f.Caption(s)
		}
		card(f, th, 0)
		return
	}
	h, ok := u.hov.Latest()
	if !ok {
		f.Caption("…")
		card(f, th, 0)
		return
	}
	f.Stat("x, y", fmt.Sprintf("%+.3f, %+.3f", h.X, h.Y), th.Text)
	f.Stat("p(class 0), p(class 1)", fmt.Sprintf("%s, %s", fix(h.P[0], 3), fix(h.P[1], 3)), th.Text)
	f.Stat("latent h_M, v", fmt.Sprintf("%s, %s", num(h.HM, 3), num(h.V, 3)), th.Text)
	f.Stat("manifold u", num(h.U, 3), th.Text)
	f.Stat("log p(x)", num(h.LogP, 2), th.Text)
	card(f, th, 0)
}

// fpsCard shows frame time and rates (toggled with t).
func (u *UI) fpsCard(f *widgets.Form) {
	th := u.th
	rms, sms := 0.0, 0.0
	if r := u.pv.shown; r != nil {
		rms = r.ms
		if r.res != nil {
			sms = r.res.ComputeMS
		}
	}
	f.Gap(8)
	f.Stat("frame", fmt.Sprintf("%.1f ms", ms(u.stats.Median())), th.Text)
	f.Stat("fps", fmt.Sprintf("%.0f", u.stats.FPS()), th.Text)
	f.Stat("plane raster", fmt.Sprintf("%.1f ms", rms), th.Muted)
	f.Stat("scene", fmt.Sprintf("%.0f ms", sms), th.Muted)
	card(f, th, 0)
}

// statusHeight is the height of the status line under the plane.
const statusHeight = unit.Dp(26)

// How long messages stay in the status line (unless replaced).
const (
	statusFade = 10 * time.Second // information
	errorFade  = 45 * time.Second // errors
)

// layoutStatus draws the status line under the plane: the latest message on the left, the
// visible data box on the right.
func (u *UI) layoutStatus(gtx layout.Context) layout.Dimensions {
	th := u.th
	st := u.lab.status
	text, c := st.text, th.Muted
	fade := statusFade
	if st.err {
		c, text, fade = th.Error, "⚠ "+text, errorFade
	}
	if text != "" && gtx.Now.Sub(st.at) > fade {
		text = ""
	} else if text != "" {
		gtx.Execute(op.InvalidateCmd{At: st.at.Add(fade)})
	}
	if res := u.scene.Latest(); text == "" && res != nil && res.Err != nil {
		text, c = "⚠ "+res.Err.Error(), th.Warn
	}
	sz := gtx.Constraints.Max
	f := widgets.NewForm(gtx, th, &u.over.status, image.Point{}, sz.X, sz.Y, th.Panel, gtx.Dp(12))
	f.L.Fill(image.Rect(0, 0, sz.X, 1), 0, th.Border)
	note := u.viewNote()
	fc := f.Face(widgets.Regular, th.Small)
	nw := fc.Measure(note)
	rec := u.recordNote() // the recording indicator, always visible while recording
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
	u.over.status.PaintAt(gtx, image.Point{})
	return layout.Dimensions{Size: sz}
}

// viewNote describes the view: the visible data box and the zoom.
func (u *UI) viewNote() string {
	v := u.pv.view
	if v.Scale <= 0 {
		return ""
	}
	x0, x1, y0, y1 := v.DataRect()
	return fmt.Sprintf("x %.2f…%.2f   y %.2f…%.2f   %.0f px/unit", x0, x1, y0, y1, v.Scale)
}

// num formats v with d decimals and a sign, or an en dash when it is not finite.
func num(v float64, d int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return fmt.Sprintf("%+.*f", d, v)
}

// fix formats v with d decimals, or an en dash when it is not finite.
func fix(v float64, d int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return fmt.Sprintf("%.*f", d, v)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }
