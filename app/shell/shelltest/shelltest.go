// Package shelltest lays out frames of the shell without a window or a GPU, for the tests of
// the shell and its workspaces: one reused op list and an input router fed with synthesized
// events.
package shelltest

import (
	"image"
	"time"

	"gioui.org/io/event"
	"gioui.org/io/input"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/unit"

	"github.com/mflowlab/mflowlab/app/shell"
)

// Driver lays out frames of U at Size pixels, one pixel per dp (a 96 dpi screen).
type Driver struct {
	U      *shell.UI
	Size   image.Point
	Router input.Router // takes each frame's input areas; tests queue events on it
	Ops    op.Ops       // the last frame's operations
}

// Frame lays out one frame, hands its input areas to the router and counts the frame as
// presented (pictures no longer painted go back to their pools).
func (d *Driver) Frame() {
	d.Ops.Reset()
	gtx := layout.Context{Ops: &d.Ops, Now: time.Now(), Metric: unit.Metric{PxPerDp: 1, PxPerSp: 1},
		Constraints: layout.Exact(d.Size), Source: d.Router.Source()}
	d.U.Layout(gtx)
	d.Router.Frame(&d.Ops)
	d.U.AfterFrame(0)
}

// Queue queues events for the next frame.
func (d *Driver) Queue(evs ...event.Event) { d.Router.Queue(evs...) }
