package session

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/plane"
)

func sample(t *testing.T, points bool) *Session {
	t.Helper()
	f, err := flow.New(flow.LiveConfig(), 7)
	if err != nil {
		t.Fatal(err)
	}
	for i := range f.P { // weights that are not the seed's, with awkward float32 values
		f.P[i] += float32(math.Sin(float64(i))) * 1e-3
	}
	c, err := classify.New(2, 8, 2, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	st := run.DefaultSettings()
	st.Seed = 12345
	st.Train.LR = 1.5e-3
	s := &Session{
		Settings: st,
		Probes:   [][2]float64{{0.1, -0.2}, {1.0 / 3, math.Pi}},
		Attack:   attack.Params{Kind: attack.PGD, Eps: 0.2, Alpha: 0.01, Steps: 17, Targeted: true, Target: 1, Seed: 9},
		Adaptive: true,
		Layers:   plane.LayerBoundary | plane.LayerProbes,
		View:     plane.Viewport{Center: [2]float64{0.25, -1.0 / 7}, Scale: 123.456, W: 640, H: 480},
		Flow:     f,
		FlowInfo: map[string]string{"step": "42"},
		Clf:      c,
		ClfName:  "test classifier",
	}
	if !points {
		s.Workspace = "runs"
		s.Parts = map[string]json.RawMessage{"runs": json.RawMessage(`{"rows":3,"seeds":[1,2,3]}`)}
	}
	if points {
		d, err := spirals.Generate(300, 3, 1.2, 5)
		if err != nil {
			t.Fatal(err)
		}
		d.X[0] = 1.0 / 3 // not exactly representable in decimal
		d.Source = "somewhere/data.csv"
		s.Points = d
	} else {
		s.Gen = &DataGen{N: 4000, Noise: 3, Rotations: 1.2, Seed: 1}
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	for _, points := range []bool{false, true} {
		s := sample(t, points)
		path := filepath.Join(t.TempDir(), "scene.mflsession")
		if err := Save(path, s); err != nil {
			t.Fatal(err)
		}
		got, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Flow.P, s.Flow.P) {
			t.Fatal("flow weights differ after the round trip")
		}
		for i := range s.Flow.P {
			if math.Float32bits(got.Flow.P[i]) != math.Float32bits(s.Flow.P[i]) {
				t.Fatalf("flow weight %d: %x, want %x", i, math.Float32bits(got.Flow.P[i]), math.Float32bits(s.Flow.P[i]))
			}
		}
		if got.Flow.Cfg != s.Flow.Cfg || !reflect.DeepEqual(got.Flow.Perms, s.Flow.Perms) {
			t.Fatalf("flow architecture %v, want %v", got.Flow.Cfg, s.Flow.Cfg)
		}
		if !reflect.DeepEqual(got.Clf.P, s.Clf.P) || got.Clf.Width != s.Clf.Width || got.Clf.Depth != s.Clf.Depth {
			t.Fatal("classifier differs after the round trip")
		}
		if got.FlowInfo["step"] != "42" {
			t.Fatalf("flow info %v", got.FlowInfo)
		}
		if points {
			if !reflect.DeepEqual(got.Points, s.Points) {
				t.Fatal("points differ after the round trip")
			}
		} else if got.Points != nil || *got.Gen != *s.Gen {
			t.Fatalf("generator %+v, points %v", got.Gen, got.Points != nil)
		}
		got.Flow, got.Clf, s.Flow, s.Clf, got.Points, s.Points = nil, nil, nil, nil, nil, nil
		if !reflect.DeepEqual(got, s) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, s)
		}
	}
}

// rewrite copies the session at src to dst, changing session.json with edit.
func rewrite(t *testing.T, src, dst string, edit func(map[string]any)) {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == jsonName {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			edit(m)
			b, _ = json.Marshal(m)
		}
		w, _ := zw.Create(f.Name)
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestFutureVersionRejected(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a.mflsession"), filepath.Join(dir, "future.mflsession")
	if err := Save(src, sample(t, false)); err != nil {
		t.Fatal(err)
	}
	rewrite(t, src, dst, func(m map[string]any) { m["version"] = 3; m["new_thing"] = true })
	_, err := Load(dst)
	if err == nil {
		t.Fatal("a version 3 session loaded")
	}
	want := "session format version 3 is newer than this mflowlab (2)"
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), dst) {
		t.Fatalf("error %q, want the file name and %q", err, want)
	}
}

// TestVersion1Loads checks that a file of the first format (no workspace, no parts) still
// loads, with the plane as its workspace.
func TestVersion1Loads(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a.mflsession"), filepath.Join(dir, "v1.mflsession")
	s := sample(t, false)
	if err := Save(src, s); err != nil {
		t.Fatal(err)
	}
	rewrite(t, src, dst, func(m map[string]any) {
		m["version"] = 1
		delete(m, "workspace")
		delete(m, "workspaces")
	})
	got, err := Load(dst)
	if err != nil {
		t.Fatal(err)
	}
	if got.Workspace != "" || got.Parts != nil || !reflect.DeepEqual(got.Flow.P, s.Flow.P) || *got.Gen != *s.Gen {
		t.Fatalf("version 1 file: workspace %q, parts %v", got.Workspace, got.Parts)
	}
}

func TestBadParts(t *testing.T) {
	dir := t.TempDir()
	s := sample(t, false)
	s.Parts["x"] = json.RawMessage(`{not json`)
	if err := Save(filepath.Join(dir, "bad.mflsession"), s); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("saving a part that is not JSON: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.mflsession")); err == nil {
		t.Fatal("a refused session left a file")
	}
	src, dst := filepath.Join(dir, "a.mflsession"), filepath.Join(dir, "many.mflsession")
	if err := Save(src, sample(t, false)); err != nil {
		t.Fatal(err)
	}
	rewrite(t, src, dst, func(m map[string]any) {
		parts := map[string]any{}
		for i := range 20 {
			parts[fmt.Sprint("w", i)] = i
		}
		m["workspaces"] = parts
	})
	if _, err := Load(dst); err == nil || !strings.Contains(err.Error(), "20 workspace parts") {
		t.Fatalf("loading 20 parts: %v", err)
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.mflsession")
	if err := Save(good, sample(t, true)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	corrupt := append([]byte(nil), b...)
	for i := 200; i < len(corrupt)-200; i += 97 {
		corrupt[i] ^= 0x5a
	}
	cases := []struct {
		path, want string
	}{
		{write("truncated.mflsession", b[:len(b)/2]), "truncated"},
		{write("empty.mflsession", nil), "not a session file"},
		{write("text.mflsession", []byte("hello")), "not a session file"},
		{write("corrupt.mflsession", corrupt), "corrupt"},
		{filepath.Join(dir, "missing.mflsession"), "no such file"},
	}
	for _, c := range cases {
		_, err := Load(c.path)
		if err == nil {
			t.Fatalf("%s loaded", c.path)
		}
		t.Logf("%s: %v", filepath.Base(c.path), err)
		if !strings.Contains(err.Error(), c.path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want the file name and %q", filepath.Base(c.path), err, c.want)
		}
	}
	// A readable archive whose flow checkpoint is damaged: the error names the member.
	zr, err := zip.OpenReader(good)
	if err != nil {
		t.Fatal(err)
	}
	var flowBytes []byte
	for _, f := range zr.File {
		if f.Name == flowName {
			rc, _ := f.Open()
			flowBytes, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	zr.Close()
	for i, b := range [][]byte{[]byte("garbage"), flowBytes[:len(flowBytes)/2]} {
		bad := filepath.Join(dir, fmt.Sprintf("badflow%d.mflsession", i))
		replaceMember(t, good, bad, flowName, b)
		_, err := Load(bad)
		if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), flowName) || strings.Contains(err.Error(), os.TempDir()+"/mflowlab-session") {
			t.Errorf("damaged flow: error %v", err)
		}
		t.Logf("%s: %v", filepath.Base(bad), err)
	}
	noVersion := filepath.Join(dir, "noversion.mflsession")
	rewrite(t, good, noVersion, func(m map[string]any) { delete(m, "version") })
	if _, err := Load(noVersion); err == nil || !strings.Contains(err.Error(), "no format version") {
		t.Errorf("no version: error %v", err)
	}
}

func TestSaveNeedsModels(t *testing.T) {
	s := sample(t, false)
	s.Flow = nil
	path := filepath.Join(t.TempDir(), "x.mflsession")
	if err := Save(path, s); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("a failed save left a file")
	}
}

// replaceMember copies the session at src to dst with member name holding b.
func replaceMember(t *testing.T, src, dst, name string, b []byte) {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == name {
			data = b
		}
		w, _ := zw.Create(f.Name)
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}
