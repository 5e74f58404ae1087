package plane

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gioui.org/io/key"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/run"
)

// waitStatus lays out frames until the status line contains want (background jobs apply
// their results at the start of a frame) and fails on an error message or after a minute.
func waitStatus(t *testing.T, h *harness, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(h.statusText(), want) {
		if h.statusErr() || time.Now().After(deadline) {
			t.Fatalf("status line says %q, want %q", h.statusText(), want)
		}
		time.Sleep(5 * time.Millisecond)
		h.Frame()
	}
}

func TestSessionSaveLoadRestoresEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scene.mflsession")
	a := newHarness(t)
	a.p.lab.Regenerate(dataSettings{N: 600, Noise: 2, Rotations: 1.1, Seed: 9})
	a.Frame()
	a.Queue(key.Event{Name: "6", State: key.Press})
	a.Frame()
	a.p.pv.probes.Move(a.p.pv.probes.list[0].ID, 0.123, -0.456)
	a.p.pv.view = a.p.pv.view.Pan(13, -7).Zoom(1.3, 100, 80)
	at := &a.p.panel.attack
	at.eps.SetFloat(0.21)
	at.adapt.Value = true
	at.read()
	a.Frame()
	a.U.SaveSession(path)
	waitStatus(t, a, "saved the session")

	b := newHarness(t)
	b.U.LoadSession(path)
	waitStatus(t, b, "loaded session")
	b.Frame()
	fa, _ := a.p.lab.Flow()
	fb, _ := b.p.lab.Flow()
	if !reflect.DeepEqual(fa.P, fb.P) || fa.Cfg != fb.Cfg {
		t.Fatal("the loaded session shows another flow")
	}
	if !reflect.DeepEqual(a.p.lab.clf.P, b.p.lab.clf.P) {
		t.Fatal("the loaded session has another classifier")
	}
	if !reflect.DeepEqual(a.p.lab.data.X, b.p.lab.data.X) || b.p.lab.dataGen != a.p.lab.dataGen {
		t.Fatalf("data: %d points from %+v, want %d from %+v", b.p.lab.data.N(), b.p.lab.dataGen, a.p.lab.data.N(), a.p.lab.dataGen)
	}
	if b.p.pv.layers != a.p.pv.layers {
		t.Fatalf("layers %b, want %b", b.p.pv.layers, a.p.pv.layers)
	}
	var pa, pb [][2]float64
	for _, p := range a.p.pv.probes.list {
		pa = append(pa, p.X)
	}
	for _, p := range b.p.pv.probes.list {
		pb = append(pb, p.X)
	}
	if !reflect.DeepEqual(pa, pb) {
		t.Fatalf("probes %v, want %v", pb, pa)
	}
	apA, adA := a.p.panel.attack.params()
	apB, adB := b.p.panel.attack.params()
	if !reflect.DeepEqual(apA, apB) || adA != adB || apB.Eps != 0.21 || !adB {
		t.Fatalf("attack %+v adaptive %v, want %+v adaptive %v", apB, adB, apA, adA)
	}
	if b.p.pv.view != a.p.pv.view {
		t.Fatalf("view %+v, want %+v", b.p.pv.view, a.p.pv.view)
	}
	sa, sb := a.p.lab.run.Latest().Settings, b.p.lab.run.Settings()
	if sa.Flow != sb.Flow || sa.Train != sb.Train || a.p.lab.run.Latest().Seed != sb.Seed {
		t.Fatalf("settings %+v, want %+v", sb, sa)
	}
}

func TestBadSessionKeepsState(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.mflsession")
	if err := os.WriteFile(bad, []byte("PK\x03\x04 not really a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	clf, data, layers, pver, view := h.p.lab.clf, h.p.lab.data, h.p.pv.layers, h.p.pv.probes.version, h.p.pv.view
	h.U.LoadSession(bad)
	deadline := time.Now().Add(time.Minute)
	for !h.statusErr() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		h.Frame()
	}
	if st, isErr := h.status(); !isErr || !strings.Contains(st, bad) {
		t.Fatalf("status %q (error %v), want an error naming %s", st, isErr, bad)
	}
	if h.p.lab.clf != clf || h.p.lab.data != data || h.p.pv.layers != layers || h.p.pv.probes.version != pver ||
		h.p.pv.view != view || h.p.lab.static != nil {
		t.Fatal("a bad session file changed the state")
	}
}

// TestPlayContinuesASession loads a session and presses Play: training must go on from
// the session's weights, not from a fresh flow.
func TestPlayContinuesASession(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.mflsession")
	a := newHarness(t)
	a.p.lab.run.Start()
	for a.p.lab.run.Latest().Step < 60 {
		time.Sleep(time.Millisecond)
	}
	a.p.lab.run.Pause()
	for a.p.lab.run.Latest().State != run.Paused {
		time.Sleep(time.Millisecond)
	}
	a.Frame()
	a.U.SaveSession(path)
	waitStatus(t, a, "saved the session")

	b := newHarness(t)
	b.U.LoadSession(path)
	waitStatus(t, b, "loaded session")
	loaded, _ := b.p.lab.Flow()
	b.p.lab.run.SetSpeed(200)
	b.press(key.NameSpace)
	if st, isErr := b.status(); isErr {
		t.Fatal(st)
	}
	deadline := time.Now().Add(time.Minute)
	for b.p.lab.static != nil || b.p.lab.run.Latest().Step < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("still showing the loaded flow: step %d, status %q", b.p.lab.run.Latest().Step, b.statusText())
		}
		time.Sleep(2 * time.Millisecond)
		b.Frame()
	}
	b.p.lab.run.Pause()
	s := b.p.lab.run.Latest()
	if s.Flow.Cfg != loaded.Cfg {
		t.Fatalf("training a %v, the session has a %v", s.Flow.Cfg, loaded.Cfg)
	}
	fresh, err := flow.New(loaded.Cfg, s.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if dl, df := dist(s.Flow.P, loaded.P), dist(loaded.P, fresh.P); !(dl < df/4) {
		t.Fatalf("after %d steps the weights are %.3g from the session's and %.3g from a fresh flow's", s.Step, dl, df)
	}
	if errors.Is(s.Err, flow.ErrDiverged) {
		t.Fatal(s.Err)
	}
}

func dist(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		d := float64(a[i] - b[i])
		s += d * d
	}
	return math.Sqrt(s)
}
