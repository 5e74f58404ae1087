package app

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gioui.org/io/key"
)

// waitStatus lays out frames until the status line contains want (background jobs apply
// their results at the start of a frame) and fails on an error message or after a minute.
func waitStatus(t *testing.T, h *harness, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(h.u.lab.status.text, want) {
		if h.u.lab.status.err || time.Now().After(deadline) {
			t.Fatalf("status line says %q, want %q", h.u.lab.status.text, want)
		}
		time.Sleep(5 * time.Millisecond)
		h.frame()
	}
}

func TestSessionSaveLoadRestoresEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scene.mflsession")
	a := newHarness(t)
	a.u.lab.Regenerate(dataSettings{N: 600, Noise: 2, Rotations: 1.1, Seed: 9})
	a.frame()
	a.queue(key.Event{Name: "6", State: key.Press})
	a.frame()
	a.u.pv.probes.Move(a.u.pv.probes.list[0].ID, 0.123, -0.456)
	a.u.pv.view = a.u.pv.view.Pan(13, -7).Zoom(1.3, 100, 80)
	at := &a.u.panel.attack
	at.eps.SetFloat(0.21)
	at.adapt.Value = true
	at.read()
	a.frame()
	a.u.SaveSession(path)
	waitStatus(t, a, "saved the session")

	b := newHarness(t)
	b.u.LoadSession(path)
	waitStatus(t, b, "loaded session")
	b.frame()
	fa, _ := a.u.lab.Flow()
	fb, _ := b.u.lab.Flow()
	if !reflect.DeepEqual(fa.P, fb.P) || fa.Cfg != fb.Cfg {
		t.Fatal("the loaded session shows another flow")
	}
	if !reflect.DeepEqual(a.u.lab.clf.P, b.u.lab.clf.P) {
		t.Fatal("the loaded session has another classifier")
	}
	if !reflect.DeepEqual(a.u.lab.data.X, b.u.lab.data.X) || b.u.lab.dataGen != a.u.lab.dataGen {
		t.Fatalf("data: %d points from %+v, want %d from %+v", b.u.lab.data.N(), b.u.lab.dataGen, a.u.lab.data.N(), a.u.lab.dataGen)
	}
	if b.u.pv.layers != a.u.pv.layers {
		t.Fatalf("layers %b, want %b", b.u.pv.layers, a.u.pv.layers)
	}
	var pa, pb [][2]float64
	for _, p := range a.u.pv.probes.list {
		pa = append(pa, p.X)
	}
	for _, p := range b.u.pv.probes.list {
		pb = append(pb, p.X)
	}
	if !reflect.DeepEqual(pa, pb) {
		t.Fatalf("probes %v, want %v", pb, pa)
	}
	apA, adA := a.u.panel.attack.params()
	apB, adB := b.u.panel.attack.params()
	if !reflect.DeepEqual(apA, apB) || adA != adB || apB.Eps != 0.21 || !adB {
		t.Fatalf("attack %+v adaptive %v, want %+v adaptive %v", apB, adB, apA, adA)
	}
	if b.u.pv.view != a.u.pv.view {
		t.Fatalf("view %+v, want %+v", b.u.pv.view, a.u.pv.view)
	}
	sa, sb := a.u.lab.run.Latest().Settings, b.u.lab.run.Settings()
	if sa.Flow != sb.Flow || sa.Train != sb.Train || a.u.lab.run.Latest().Seed != sb.Seed {
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
	clf, data, layers, pver, view := h.u.lab.clf, h.u.lab.data, h.u.pv.layers, h.u.pv.probes.version, h.u.pv.view
	h.u.LoadSession(bad)
	deadline := time.Now().Add(time.Minute)
	for !h.u.lab.status.err && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		h.frame()
	}
	if st := h.u.lab.status; !st.err || !strings.Contains(st.text, bad) {
		t.Fatalf("status %q (error %v), want an error naming %s", st.text, st.err, bad)
	}
	if h.u.lab.clf != clf || h.u.lab.data != data || h.u.pv.layers != layers || h.u.pv.probes.version != pver ||
		h.u.pv.view != view || h.u.lab.static != nil {
		t.Fatal("a bad session file changed the state")
	}
}
