package shell

import (
	"fmt"
	"image"
	"os"
	"runtime/debug"

	"gioui.org/layout"

	"github.com/mflowlab/mflowlab/ui/widgets"
)

// SafeLayout lays out the UI, turning a panic into a message in the status line and a
// second attempt; if that fails too, it draws a plain error screen. No panic escapes.
func (u *UI) SafeLayout(gtx layout.Context) {
	if u.tryLayout(gtx) {
		return
	}
	gtx.Ops.Reset()
	if u.tryLayout(gtx) {
		return
	}
	gtx.Ops.Reset()
	func() {
		defer func() { _ = recover() }()
		var s widgets.Surface
		sz := gtx.Constraints.Max
		f := widgets.NewForm(gtx, u.th, &s, image.Point{}, sz.X, sz.Y, u.th.Window, gtx.Dp(40))
		f.Gap(60)
		f.Text(widgets.Bold, u.th.Body, u.th.Error, "! "+u.status.text)
		f.Caption("The window could not be drawn; the details are on standard error.")
		s.Paint(gtx)
	}()
}

// tryLayout lays out one frame and reports whether it finished without a panic; a panic is
// reported in the status line (with its stack on stderr).
func (u *UI) tryLayout(gtx layout.Context) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "mflowlab: recovered from a panic in the frame: %v\n%s", r, debug.Stack())
			u.Errorf("internal error (recovered): %v", r)
			ok = false
		}
	}()
	u.Layout(gtx)
	return true
}

// FrameMedian returns the median time of the recent frames and of their layout.
func (u *UI) FrameMedian() (frame, layout float64) {
	return ms(u.stats.Median()), ms(u.stats.LayoutMedian())
}

// ShowTimings turns the frame-timing card (key t) on or off.
func (u *UI) ShowTimings(on bool) { u.showFPS = on }
