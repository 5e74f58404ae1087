// Package shell is the app's window content around its workspaces: the workspace switcher
// (tabs and keys), the side panel that hosts the shown workspace's sections, the status
// line, background jobs, the file browser, recording and sessions. It knows workspaces only
// through package ws, so a new workspace needs no change here.
package shell

import (
	"context"
	"fmt"
	"image"
	"os"
	"sync/atomic"
	"time"

	"gioui.org/io/key"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/paint"
	"gioui.org/unit"

	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// Options configure a UI.
type Options struct {
	// Sync does background work on the frame's goroutine, so that one frame shows the
	// result of its own inputs (tests and screenshots).
	Sync bool
	// Invalidate asks the window for a new frame; it may be called from any goroutine.
	Invalidate func()
}

// Maker builds a workspace for a host.
type Maker func(h ws.Host) ws.Workspace

// UI is the whole window's content. It is independent of the OS window, so tests and the
// headless commands drive it with their own frames.
type UI struct {
	th      *widgets.Theme
	ctx     context.Context
	cancel  context.CancelFunc
	opts    Options
	results chan func()
	status  status

	spaces []ws.Workspace
	shown  atomic.Int32    // cur, for other goroutines (spaceHost.Invalidate)
	panels []widgets.Panel // one side panel (its scroll) per workspace
	cur    int             // the shown workspace
	head   header
	record recordPanel
	fb     widgets.FileBrowser

	statusS widgets.Surface
	fpsS    widgets.Surface
	showFPS bool
	stats   frameStats

	rec      *recording  // the running recording, nil when not recording
	winSize  image.Point // the window's size in the last frame (whole-window recordings)
	mainSize image.Point // the main area's size in the last frame
	sideW    int         // the side column's width in the last frame
}

// status is the message shown in the status line.
type status struct {
	text string
	err  bool
	at   time.Time
}

// New builds the workspaces (the first is shown) and the shell around them.
func New(ctx context.Context, opts Options, makers ...Maker) *UI {
	if opts.Invalidate == nil {
		opts.Invalidate = func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	u := &UI{th: widgets.NewTheme(), ctx: ctx, cancel: cancel, opts: opts, results: make(chan func(), 64)}
	u.fb.Theme = u.th
	u.fb.Notify = func(msg string) { u.Infof("%s", msg) }
	if !opts.Sync {
		u.fb.Go = func(work func() func()) { u.Go(func(context.Context) func() { return work() }) }
	}
	u.record.init(u)
	for i, m := range makers {
		u.spaces = append(u.spaces, m(&spaceHost{UI: u, idx: int32(i)}))
	}
	u.panels = make([]widgets.Panel, len(u.spaces))
	for i := range u.panels {
		u.panels[i].Theme = u.th
	}
	return u
}

// Close stops the workspaces and the jobs; a running recording is finished first.
func (u *UI) Close() {
	if u.rec != nil {
		u.stopRecording(true) // the file is kept
		if st := u.status; st.err {
			fmt.Fprintf(os.Stderr, "mflowlab: %s\n", st.text)
		}
	}
	u.cancel()
	for _, w := range u.spaces {
		w.Close()
	}
}

// Workspace returns the workspace called name, or nil.
func (u *UI) Workspace(name string) ws.Workspace {
	for _, w := range u.spaces {
		if w.Name() == name {
			return w
		}
	}
	return nil
}

// Current returns the shown workspace.
func (u *UI) Current() ws.Workspace { return u.spaces[u.cur] }

// Show implements ws.Host: it switches to the workspace called name, handing it msg first.
func (u *UI) Show(name string, msg any) bool {
	for i, w := range u.spaces {
		if w.Name() != name {
			continue
		}
		if msg != nil {
			r, ok := w.(ws.Receiver)
			if !ok {
				u.Errorf("the %s workspace cannot take that", w.Title())
				return false
			}
			if err := r.Receive(msg); err != nil {
				u.Errorf("%v", err)
				return false
			}
		}
		u.switchTo(i)
		return true
	}
	u.Errorf("no workspace called %q", name)
	return false
}

// Shown implements ws.Host.
func (u *UI) Shown() string { return u.spaces[u.cur].Name() }

// switchTo shows workspace i; a recording of the former workspace's picture stops.
func (u *UI) switchTo(i int) {
	if i == u.cur || i < 0 || i >= len(u.spaces) {
		return
	}
	if u.rec != nil && u.rec.win == nil {
		u.stopRecording(false) // it recorded the other workspace's picture
	}
	u.spaces[u.cur].Hold(false)
	u.cur = i
	u.shown.Store(int32(i))
	u.head.tabs.Value = u.spaces[i].Name()
	u.opts.Invalidate()
}

// Side panel and status line sizes.
const (
	sideWidth    = unit.Dp(348)
	statusHeight = unit.Dp(26)
)

// Layout lays out one frame of the whole window: the side column (title, workspace tabs,
// the workspace's sections and the Record section), the workspace's main area, the status
// line under it and the file browser over it.
func (u *UI) Layout(gtx layout.Context) layout.Dimensions {
	t0 := time.Now()
	u.poll()
	for _, w := range u.spaces {
		w.Poll(gtx.Now)
	}
	w := u.spaces[u.cur]
	u.recordBefore(gtx)
	keys := u.keys(gtx)

	// The window's colour everywhere first: a full-window opaque fill is the GPU's clear and
	// costs nothing, while llvmpipe blends every other painted pixel (the workspaces leave
	// their background unpainted).
	paint.Fill(gtx.Ops, u.th.Window)
	sz := gtx.Constraints.Max
	sideW := gtx.Dp(sideWidth)
	if sz.X < 3*sideW/2 {
		sideW = sz.X / 3
	}
	statusH := gtx.Dp(statusHeight)
	mainSz := image.Pt(sz.X-sideW, sz.Y-statusH)
	u.mainSize, u.sideW = mainSz, sideW

	g := gtx
	g.Constraints = layout.Exact(mainSz)
	u.layoutMain(g, w, keys)

	st := op.Offset(image.Pt(mainSz.X, 0)).Push(gtx.Ops)
	g = gtx
	g.Constraints = layout.Exact(image.Pt(sideW, sz.Y))
	u.layoutSide(g, w)
	st.Pop()

	st = op.Offset(image.Pt(0, mainSz.Y)).Push(gtx.Ops)
	g = gtx
	g.Constraints = layout.Exact(image.Pt(mainSz.X, statusH))
	u.layoutStatus(g, w)
	st.Pop()

	u.fb.Layout(gtx, mainSz) // the file browser, over the main area
	if u.showFPS {
		gtx.Execute(op.InvalidateCmd{At: gtx.Now.Add(250 * time.Millisecond)})
	}
	u.recordAfter(gtx)
	u.stats.layout(time.Since(t0))
	return layout.Dimensions{Size: sz}
}

// layoutMain lays out the workspace's main area, records its picture and draws the frame
// timing card over it.
func (u *UI) layoutMain(gtx layout.Context, w ws.Workspace, keys bool) {
	w.Layout(gtx, keys)
	u.recordFrame()
	if u.showFPS {
		u.fpsCard(gtx, w)
	}
}

// keys handles the shell's shortcuts (v records, t shows timing, F1–F3 and Ctrl+1–3
// switch workspaces) unless a text field has the focus or the file browser is open, and
// reports whether the workspace may handle its own.
func (u *UI) keys(gtx layout.Context) bool {
	editing := u.editing()
	if u.fb.Keys(gtx, editing) { // the open file browser takes the keyboard
		return false
	}
	// Switching works also while a field has the focus (it leaves the field).
	for {
		ev, ok := gtx.Event(
			key.Filter{Name: key.NameF1}, key.Filter{Name: key.NameF2}, key.Filter{Name: key.NameF3},
			key.Filter{Name: "1", Required: key.ModShortcut}, key.Filter{Name: "2", Required: key.ModShortcut},
			key.Filter{Name: "3", Required: key.ModShortcut},
		)
		if !ok {
			break
		}
		if e, ok := ev.(key.Event); ok && e.State == key.Press {
			i := map[key.Name]int{key.NameF1: 0, key.NameF2: 1, key.NameF3: 2, "1": 0, "2": 1, "3": 2}[e.Name]
			if i < len(u.spaces) {
				gtx.Execute(key.FocusCmd{Tag: nil})
				u.switchTo(i)
			}
		}
	}
	if editing {
		return false
	}
	for {
		ev, ok := gtx.Event(key.Filter{Name: "V"}, key.Filter{Name: "T"})
		if !ok {
			break
		}
		if e, ok := ev.(key.Event); ok && e.State == key.Press {
			switch e.Name {
			case "V":
				u.ToggleRecording(gtx.Now)
			case "T":
				u.showFPS = !u.showFPS
			}
		}
	}
	return true
}

// editing reports whether a text field (the shell's or the shown workspace's) has the
// keyboard focus, so that typing does not trigger shortcuts.
func (u *UI) editing() bool {
	return u.record.editing() || u.fb.Editing() || u.spaces[u.cur].Editing()
}

// AfterFrame records the presented frame's timing; call it after the frame was handed to
// the GPU.
func (u *UI) AfterFrame(frameTime time.Duration) {
	u.spaces[u.cur].AfterFrame()
	u.stats.frame(frameTime)
}
