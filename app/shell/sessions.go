package shell

import (
	"context"

	"github.com/mflowlab/mflowlab/app/session"
	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// sessionState collects every workspace's part of a session and the workspace shown.
func (u *UI) sessionState() (*session.Session, error) {
	s := &session.Session{Workspace: u.spaces[u.cur].Name()}
	for _, w := range u.spaces {
		if err := w.Save(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// SaveSession writes the whole state to path in the background (ws.Host).
func (u *UI) SaveSession(path string) {
	path = widgets.CleanPath(path)
	if path == "" {
		u.Errorf("type the path to save the session to first (e.g. scene.mflsession)")
		return
	}
	s, err := u.sessionState()
	if err != nil {
		u.Errorf("session not saved: %v", err)
		return
	}
	u.Go(func(context.Context) func() {
		err := session.Save(path, s)
		return func() {
			if err != nil {
				u.Errorf("%v", err)
				return
			}
			u.Infof("saved the session to %s", path)
		}
	})
}

// LoadSession reads a session file in the background and then restores every workspace's
// part and shows the session's workspace (ws.Host). A bad file leaves the state untouched
// and shows the error.
func (u *UI) LoadSession(path string) {
	path = widgets.CleanPath(path)
	if path == "" {
		u.Errorf("type the path of a session file first")
		return
	}
	u.Infof("loading session %s …", path)
	u.Go(func(context.Context) func() {
		apply, err := u.readSession(path)
		if err != nil {
			return func() { u.Errorf("%v", err) }
		}
		return apply
	})
}

// LoadSessionNow reads and applies a session file on the caller's goroutine (headless
// commands).
func (u *UI) LoadSessionNow(path string) error {
	apply, err := u.readSession(path)
	if err != nil {
		return err
	}
	apply()
	return nil
}

// readSession loads the file and lets every workspace prepare its part; the returned
// closure applies them on the frame's goroutine.
func (u *UI) readSession(path string) (func(), error) {
	s, err := session.Load(path)
	if err != nil {
		return nil, err
	}
	var applies []func()
	for _, w := range u.spaces {
		a, err := w.Restore(path, s)
		if err != nil {
			return nil, err
		}
		if a != nil {
			applies = append(applies, a)
		}
	}
	name := s.Workspace
	if name == "" {
		name = ws.Plane // files of the first format had only the plane
	}
	return func() {
		for _, a := range applies {
			a()
		}
		for i, w := range u.spaces {
			if w.Name() == name {
				u.switchTo(i)
			}
		}
		if u.Workspace(name) == nil && !u.status.err {
			u.Infof("%s (its %q workspace is not in this mflowlab)", u.status.text, name)
		}
	}, nil
}
