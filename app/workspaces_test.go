package app

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gioui.org/io/key"

	"github.com/mflowlab/mflowlab/app/shell"
	"github.com/mflowlab/mflowlab/app/shell/shelltest"
	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/app/ws/cifar"
	"github.com/mflowlab/mflowlab/app/ws/plane"
	"github.com/mflowlab/mflowlab/app/ws/runs"
	"github.com/mflowlab/mflowlab/sim/run"
)

// TestWorkspaceKeys checks the app's three tabs: F3 and Ctrl+3 show the CIFAR-10 gallery
// (third in newShell's order), F1 the plane, and every name is known to the command line.
func TestWorkspaceKeys(t *testing.T) {
	// No data and an empty cache: the gallery's engine stops at once with "not found".
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("MFLOWLAB_SHARED", filepath.Join(dir, "none"))
	u := newShell(context.Background(), shell.Options{Sync: true}, plane.Options{Paused: true}, runs.Options{Paused: true})
	defer u.Close()
	d := shelltest.Driver{U: u, Size: image.Pt(1000, 700)}
	frame := d.Frame
	frame()
	for _, c := range []struct {
		ev   key.Event
		want string
	}{
		{key.Event{Name: key.NameF3, State: key.Press}, ws.CIFAR},
		{key.Event{Name: key.NameF1, State: key.Press}, ws.Plane},
		{key.Event{Name: "3", Modifiers: key.ModShortcut, State: key.Press}, ws.CIFAR},
		{key.Event{Name: key.NameF2, State: key.Press}, ws.Runs},
	} {
		d.Queue(c.ev)
		frame()
		if got := u.Shown(); got != c.want {
			t.Fatalf("%v shows %q, want %q", c.ev.Name, got, c.want)
		}
	}
	for _, n := range []string{ws.Plane, ws.Runs, ws.CIFAR} {
		if !knownWorkspace(n) || u.Workspace(n) == nil {
			t.Errorf("workspace %q not in the app", n)
		}
	}
}

// TestSessionKeepsTheCIFARTab saves the whole app's state with the CIFAR-10 tab set up and
// loads it into a new app: the tab's settings come back (its filters and detail view are
// checked in app/ws/cifar), and the session opens on it.
func TestSessionKeepsTheCIFARTab(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("MFLOWLAB_SHARED", filepath.Join(dir, "none"))
	mk := func() (*shell.UI, *cifar.CIFAR) {
		u := newShell(context.Background(), shell.Options{Sync: true}, plane.Options{Paused: true}, runs.Options{Paused: true})
		t.Cleanup(u.Close)
		return u, u.Workspace(ws.CIFAR).(*cifar.CIFAR)
	}
	u, c := mk()
	s := c.Settings()
	s.Defence, s.Seed, s.Attack.Eps, s.Attack.Alpha = "pca:16", 7, 4.0/255, 1.0/255
	c.Apply(s)
	c.SetAdaptive(true)
	u.Show(ws.CIFAR, nil)
	path := filepath.Join(dir, "lab.mflsession")
	u.SaveSession(path) // written in the background
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := os.Stat(path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			text, _ := u.Status()
			t.Fatalf("the session was not written: %s", text)
		}
		time.Sleep(10 * time.Millisecond)
	}
	u2, c2 := mk()
	if err := u2.LoadSessionNow(path); err != nil {
		t.Fatal(err)
	}
	got := c2.Settings()
	if got.Defence != "pca:16" || got.Seed != 7 || got.Attack.Eps != 4.0/255 || u2.Shown() != ws.CIFAR {
		t.Fatalf("restored %+v, shown %q", got, u2.Shown())
	}
}

// TestPlaneHoldsTrainingWhileTheGridIsShown checks that the plane's live run pauses while
// the Runs tab is shown and trains on when the plane comes back, but stays paused when the
// grid opens one of its runs there (a deliberate pause).
func TestPlaneHoldsTrainingWhileTheGridIsShown(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	t.Setenv("MFLOWLAB_SHARED", filepath.Join(dir, "none"))
	u := newShell(context.Background(), shell.Options{Sync: true}, plane.Options{}, runs.Options{Paused: true})
	defer u.Close()
	d := shelltest.Driver{U: u, Size: image.Pt(1000, 700)}
	frame := d.Frame
	r := u.Workspace(ws.Plane).(*plane.Plane).Run()
	await := func(what string, want run.State) {
		t.Helper()
		for end := time.Now().Add(time.Minute); r.Latest().State != want; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s: the plane's run is %v, want %v", what, r.Latest().State, want)
			}
			frame()
		}
	}
	await("at start", run.Running)
	u.Show(ws.Runs, nil)
	await("Runs tab shown", run.Paused)
	u.Show(ws.CIFAR, nil)
	await("CIFAR tab shown after Runs", run.Running)
	u.Show(ws.Runs, nil)
	await("Runs tab shown again", run.Paused)
	f := r.Latest().Flow
	if !u.Show(ws.Plane, &ws.FlowRef{Flow: f, Source: "grid cell", Back: ws.Runs}) {
		t.Fatal("the plane did not take the grid's run")
	}
	for i := 0; i < 20; i++ {
		frame()
	}
	if s := r.Latest().State; s != run.Paused {
		t.Errorf("a run opened from the grid: the plane's training is %v, want it paused", s)
	}
}
