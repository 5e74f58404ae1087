package plane

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"time"

	"gioui.org/layout"
	"gioui.org/op"
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
}

// layoutPlane draws the plane and its overlays: the toolbar and the hover readout or hints.
func (u *Plane) layoutPlane(gtx layout.Context) layout.Dimensions {
	sz := gtx.Constraints.Max
	u.pv.Layout(gtx, u.rz, u.th)
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

	if changed {
		gtx.Execute(op.InvalidateCmd{})
	}
	return layout.Dimensions{Size: sz}
}

// toolbar draws the layer chips and view buttons along the plane's top edge and reports
// whether one was clicked.
func (u *Plane) toolbar(gtx layout.Context) bool {
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
	if u.host.Recording() {
		recLabel = "■ Stop (v)"
	}
	if ln.Button(&ov.record, widgets.Quiet, recLabel, 0) {
		u.host.ToggleRecording(gtx.Now)
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
func (u *Plane) hoverCard(f *widgets.Form) {
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

// viewNote describes the view: the visible data box and the zoom.
func (u *Plane) viewNote() string {
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
