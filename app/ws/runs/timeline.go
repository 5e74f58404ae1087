package runs

import (
	"fmt"
	"image"
	"time"

	"gioui.org/io/event"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/widget"

	"github.com/mflowlab/mflowlab/sim/cohort"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// timelineH is the height of the timeline strip under the cells (dp).
const timelineH = 58

// replaySecs is about how long a replay of the whole history takes.
const replaySecs = 15

// timeline is the strip under the cells: live, or every cell rewound to one step (from the
// frames each run keeps), and a replay from there back to live.
type timeline struct {
	u        *Runs
	live     bool
	step     int // the step shown when not live
	replay   bool
	from     float64   // the replay's step at replayAt
	replayAt time.Time // when the replay (re)started
	rate     float64   // replay speed, steps a second
	dragging bool
	track    image.Rectangle // the slider's track in strip pixels, last frame
	org      image.Point     // the strip's place in the main area, last frame
	surf     widgets.Surface
	liveB    widget.Clickable
	replayB  widget.Clickable
}

func (t *timeline) init(u *Runs) { t.u, t.live = u, true }

// reset goes live (a new grid).
func (t *timeline) reset() { t.live, t.replay, t.step, t.dragging = true, false, 0, false }

// goLive follows the runs again.
func (t *timeline) goLive() { t.live, t.replay = true, false }

// maxStep returns the newest step of any live cell (forks count from their parent's step).
func maxStep(st *cohort.State) int {
	n := 0
	for _, m := range st.Members {
		if m.Snap != nil {
			n = max(n, m.ForkStep+m.Snap.Step)
		}
	}
	return n
}

// at returns the step the cells show and whether they follow the runs live.
func (t *timeline) at(st *cohort.State) (step int, live bool) {
	if t.live {
		return maxStep(st), true
	}
	return t.step, false
}

// seek shows every cell at step (not live).
func (t *timeline) seek(step int) {
	t.live, t.step = false, max(0, step)
}

// startReplay plays the history forward from the step shown to live.
func (t *timeline) startReplay(now time.Time) {
	st := t.u.state()
	n := maxStep(st)
	if t.live {
		t.step = 0
	}
	t.live, t.replay, t.from, t.replayAt = false, true, float64(t.step), now
	t.rate = max(40, float64(n)/replaySecs)
}

// poll moves a replay on; it goes live at the newest step.
func (t *timeline) poll(now time.Time) {
	if !t.replay {
		return
	}
	s := t.from + now.Sub(t.replayAt).Seconds()*t.rate
	if n := maxStep(t.u.state()); s >= float64(n) {
		t.goLive()
		return
	}
	t.step = int(s)
}

// layout draws the strip: Live and Replay, the step shown, and the slider.
func (t *timeline) layout(gtx layout.Context, st *cohort.State) {
	u := t.u
	th := u.th
	sz := gtx.Constraints.Max
	n := maxStep(st)
	t.events(gtx, n)
	step, live := t.at(st)
	f := widgets.NewForm(gtx, th, &t.surf, image.Point{}, sz.X, sz.Y, th.Panel, gtx.Dp(12))
	f.L.Fill(image.Rect(0, 0, sz.X, 1), 0, th.Border)
	f.Gap(6)
	ln := f.Line(24)
	kind := widgets.Secondary
	if live {
		kind = widgets.Primary
	}
	if ln.Button(&t.liveB, kind, "● Live", f.Dp(64)) {
		t.goLive()
	}
	label := "Replay"
	if t.replay {
		label = "Stop replay"
	}
	if ln.Button(&t.replayB, widgets.Secondary, label, f.Dp(110)) {
		if t.replay {
			t.replay = false
		} else {
			t.startReplay(gtx.Now)
		}
	}
	ln.Space(8)
	what := fmt.Sprintf("live · step %d", step)
	if !live {
		what = fmt.Sprintf("rewound to step %d of %d", step, n)
	}
	ln.Label(what, th.Text)
	note := "each run keeps its weights every few steps (thinned as it grows)"
	fc := f.Face(widgets.Regular, th.Small)
	if ln.Rest() > fc.Measure(note)+f.Dp(16) {
		ln.To(f.W - fc.Measure(note))
		ln.Label(note, th.Muted)
	}
	// The slider: the track, the part up to the step shown, the handle.
	x0, x1 := f.X, f.X+f.W
	y := f.Y + f.Dp(9)
	t.track = image.Rect(x0, y-f.Dp(8), x1, y+f.Dp(8))
	f.L.Fill(image.Rect(x0, y-f.Dp(2), x1, y+f.Dp(2)), f.Dp(2), th.Border)
	hx := x1
	if n > 0 {
		hx = x0 + int(float64(x1-x0)*float64(min(step, n))/float64(n))
	}
	f.L.Fill(image.Rect(x0, y-f.Dp(2), hx, y+f.Dp(2)), f.Dp(2), widgets.WithAlpha(th.Accent, 160))
	r := f.Dp(7)
	f.L.Fill(image.Rect(hx-r, y-r, hx+r, y+r), r, th.Accent)
	t.surf.PaintAt(gtx, image.Point{})
	// The slider's input area over the track.
	area := clip.Rect(t.track).Push(gtx.Ops)
	event.Op(gtx.Ops, t)
	pointer.CursorPointer.Add(gtx.Ops)
	area.Pop()
	if f.Changed {
		gtx.Execute(op.InvalidateCmd{})
	}
	if t.replay {
		gtx.Execute(op.InvalidateCmd{At: gtx.Now.Add(40 * time.Millisecond)})
	}
}

// events handles presses and drags on the slider's track: the cells rewind to that step.
func (t *timeline) events(gtx layout.Context, n int) {
	for {
		ev, ok := gtx.Event(pointer.Filter{Target: t, Kinds: pointer.Press | pointer.Drag | pointer.Release | pointer.Cancel})
		if !ok {
			return
		}
		e, ok := ev.(pointer.Event)
		if !ok {
			continue
		}
		switch e.Kind {
		case pointer.Press:
			gtx.Execute(key.FocusCmd{Tag: nil})
			t.dragging, t.replay = true, false
			gtx.Execute(pointer.GrabCmd{Tag: t, ID: e.PointerID})
			t.seek(t.stepAt(e.Position.X, n))
		case pointer.Drag:
			if t.dragging {
				t.seek(t.stepAt(e.Position.X, n))
			}
		case pointer.Release, pointer.Cancel:
			t.dragging = false
		}
	}
}

// stepAt returns the step at strip pixel x of the slider.
func (t *timeline) stepAt(x float32, n int) int {
	w := t.track.Dx()
	if w <= 0 {
		return 0
	}
	fr := (float64(x) - float64(t.track.Min.X)) / float64(w)
	return int(float64(n) * max(0, min(1, fr)))
}
