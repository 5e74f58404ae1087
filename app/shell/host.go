package shell

import (
	"context"
	"fmt"
	"time"

	"github.com/mflowlab/mflowlab/internal/osprio"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// Theme implements ws.Host.
func (u *UI) Theme() *widgets.Theme { return u.th }

// Sync implements ws.Host.
func (u *UI) Sync() bool { return u.opts.Sync }

// Context implements ws.Host.
func (u *UI) Context() context.Context { return u.ctx }

// Invalidate implements ws.Host.
func (u *UI) Invalidate() { u.opts.Invalidate() }

// spaceHost is the Host a workspace gets: the shell's, except that a hidden workspace's
// requests for frames are dropped (the plane training behind the Runs grid asked for 40
// frames a second that showed nothing new, each costing the grid's runs CPU); its
// background results still apply at the next frame, and switching to it draws one.
type spaceHost struct {
	*UI
	idx int32
}

// Invalidate implements ws.Host.
func (h *spaceHost) Invalidate() {
	if h.shown.Load() == h.idx {
		h.UI.Invalidate()
	}
}

// Infof sets the status line.
func (u *UI) Infof(format string, a ...any) {
	u.status = status{text: fmt.Sprintf(format, a...), at: time.Now()}
}

// Errorf sets the status line to an error message.
func (u *UI) Errorf(format string, a ...any) {
	u.status = status{text: fmt.Sprintf(format, a...), err: true, at: time.Now()}
}

// Status returns the status line's message and whether it is an error.
func (u *UI) Status() (text string, isErr bool) { return u.status.text, u.status.err }

// Go implements ws.Host: work runs on a low-priority thread and the closure it returns is
// applied at the start of a later frame.
func (u *UI) Go(work func(ctx context.Context) func()) {
	osprio.Go(func() {
		var apply func()
		func() {
			defer func() {
				if r := recover(); r != nil {
					apply = func() { u.Errorf("internal error: %v", r) }
				}
			}()
			apply = work(u.ctx)
		}()
		if apply == nil {
			return
		}
		select {
		case u.results <- apply:
			u.opts.Invalidate()
		case <-u.ctx.Done():
		}
	})
}

// Post implements ws.Host.
func (u *UI) Post(apply func()) {
	select {
	case u.results <- apply:
		u.opts.Invalidate()
	case <-u.ctx.Done():
	}
}

// poll applies the results of finished background jobs; it runs at the start of a frame.
func (u *UI) poll() {
	for {
		select {
		case f := <-u.results:
			f()
		default:
			return
		}
	}
}

// Browse implements ws.Host: the file browser opens over the main area.
func (u *UI) Browse(kind widgets.Browse, target *widgets.Field) { u.fb.Open(kind, target) }

// Browser returns the file browser (tests look into it).
func (u *UI) Browser() *widgets.FileBrowser { return &u.fb }
