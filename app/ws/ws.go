// Package ws is the contract between the app's shell and its workspaces (the Two Spirals
// plane, the Runs grid, the CIFAR-10 gallery): a Workspace lays out its main area and its
// side-panel sections, polls its background results, keeps its part of the session file
// and hands the shell the picture to record; a Host is what the shell offers a workspace
// (theme, status line, background jobs, the file browser, recording, switching).
//
// Adding a workspace (the CIFAR-10 gallery, CIFAR): implement Workspace in its own package
// app/ws/NAME (Layout draws its main area; dense pictures are CPU rasters drawn off the
// frame's goroutine, Picture hands the shell the one it painted), add its Maker to
// app.newShell (its tab and F-key follow from the order) and its name to the app's
// workspace names (screenshot, bench --frame and the window's --workspace flag); its state
// goes into the session as Session.Parts[NAME], which only it reads and checks.
package ws

import (
	"context"
	"image"
	"time"

	"gioui.org/layout"

	"github.com/mflowlab/mflowlab/app/session"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// The workspaces' names: their keys in session files and on the command line.
const (
	Plane = "plane"
	Runs  = "runs"
	CIFAR = "cifar"
)

// Workspace is one view of the app. Its methods run on the frame's goroutine, except
// Restore's first half (see there). A workspace never reaches into another's state: it
// hands things over with Host.Show.
type Workspace interface {
	// Name is the workspace's key (Plane, Runs, CIFAR); Title labels its tab.
	Name() string
	Title() string

	// Poll runs at the start of every frame for every workspace, shown or not: it applies
	// background results that arrived since the last frame.
	Poll(now time.Time)
	// Layout lays out the main area (gtx.Constraints.Max) of the shown workspace and
	// handles its pointer input; its keyboard shortcuts only when keys is set (no text
	// field has the focus and nothing modal is open).
	Layout(gtx layout.Context, keys bool) layout.Dimensions
	// AfterFrame runs once the frame that painted the workspace was presented: pictures it
	// no longer paints may be reused.
	AfterFrame()
	// Sections are the workspace's parts of the side panel, top to bottom.
	Sections() []widgets.Section
	// Editing reports whether one of the workspace's text fields has the keyboard focus.
	Editing() bool
	// Status returns the right-hand note of the status line (e.g. the visible data box)
	// and a warning shown when no message is.
	Status() (note, warn string)
	// Timings are extra lines of the frame-timing card (key t): label, value.
	Timings() [][2]string

	// Area names the main area in the Record section and messages ("plane", "grid").
	Area() string
	// Picture returns the main area's picture as last painted and its version (a new
	// version is a new picture): what a recording of the workspace records. nil before
	// the first.
	Picture() (img *image.RGBA, version uint64)
	// Hold keeps the painted picture while on (a recording's encoder has no free buffer);
	// turned off, the newest picture is painted at once.
	Hold(on bool)
	// Ready reports whether everything the current state shows has been computed (the
	// charts, the measurements): headless screenshots wait for it.
	Ready() bool

	// Save adds the workspace's state to a session being saved.
	Save(s *session.Session) error
	// Restore prepares the state of a session read from path. It runs on a background
	// goroutine and must not touch the workspace; the apply it returns (nil: nothing to
	// restore) runs on the frame's goroutine. An error leaves every workspace untouched.
	Restore(path string, s *session.Session) (apply func(), err error)

	// Close stops the workspace's background work.
	Close()
}

// Receiver is a workspace that takes things handed over by another (Host.Show).
type Receiver interface {
	// Receive takes msg, e.g. a *FlowRef; an error leaves the workspace as it was.
	Receive(msg any) error
}

// Host is what the shell offers the workspaces. Its methods run on the frame's goroutine
// unless said otherwise.
type Host interface {
	// Theme is the app's colours and fonts.
	Theme() *widgets.Theme
	// Sync reports whether background work is done on the frame's goroutine instead, so
	// that a frame shows the result of its own inputs (tests and screenshots).
	Sync() bool
	// Context ends when the app closes.
	Context() context.Context
	// Invalidate asks for a new frame; any goroutine may call it.
	Invalidate()
	// Infof and Errorf set the status line.
	Infof(format string, a ...any)
	Errorf(format string, a ...any)
	// Go runs work on a low-priority background thread and applies the closure it returns
	// (if not nil) at the start of a later frame; a panic in work becomes an error message.
	Go(work func(ctx context.Context) (apply func()))
	// Post hands apply to a later frame, applied in the order one goroutine posted them (Go's
	// results may arrive in any order); a background goroutine calls it, it blocks until
	// accepted or the app closes.
	Post(apply func())
	// Browse opens the file browser over the main area; Choose fills target.
	Browse(kind widgets.Browse, target *widgets.Field)
	// ToggleRecording starts a recording with the Record section's options, or stops it.
	ToggleRecording(now time.Time)
	// Recording reports whether a recording runs.
	Recording() bool
	// SaveSession and LoadSession write and read the whole app's state (in the background).
	SaveSession(path string)
	LoadSession(path string)
	// Show switches to the workspace called name, first handing it msg when msg is not nil
	// (the workspace must be a Receiver); it reports whether it switched.
	Show(name string, msg any) bool
	// Shown returns the name of the workspace shown.
	Shown() string
}

// FlowRef hands a flow to the plane: the Runs grid opens a run there with it.
type FlowRef struct {
	Flow   *flow.MFlow      // the flow to show (an immutable snapshot)
	Data   *spirals.Dataset // the data it learned; nil keeps the plane's
	Gen    *session.DataGen // the generator of Data, nil when it came from a file
	Source string           // where it comes from, for the status line and the Models section
	Back   string           // the workspace to return to, "" for none
}

// FrameInterval is the frame period of a 60 Hz display, at which headless measurements
// draw frames.
const FrameInterval = time.Second / 60
