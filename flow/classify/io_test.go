package classify

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/ckpt"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/testref"
)

func sameParams(t *testing.T, a, b *MLP) {
	t.Helper()
	if a.In != b.In || a.Width != b.Width || a.Depth != b.Depth || a.Classes != b.Classes || a.Output != b.Output {
		t.Fatalf("architecture changed: %v vs %v", a, b)
	}
	if len(a.P) != len(b.P) {
		t.Fatalf("%d vs %d parameters", len(a.P), len(b.P))
	}
	for i := range a.P {
		if math.Float32bits(a.P[i]) != math.Float32bits(b.P[i]) {
			t.Fatalf("parameter %d (%s): %v vs %v", i, specOf(a, i), a.P[i], b.P[i])
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, kind := range kinds() {
		m := testMLP(t, 3, 17, 2, 4, kind, 21)
		path := filepath.Join(dir, kind.String()+".mfl")
		if err := m.Save(path); err != nil {
			t.Fatal(err)
		}
		got, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		sameParams(t, m, got)
		any, err := LoadAny(path)
		if err != nil {
			t.Fatal(err)
		}
		sameParams(t, m, any)
		x, _, _ := randomInputs(10, 3, 1)
		a, b := m.Scores(x), got.Scores(x)
		for i := range a.Data {
			if a.Data[i] != b.Data[i] {
				t.Fatalf("%v: scores differ after reload", kind)
			}
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestLoadCorrupt(t *testing.T) {
	dir := t.TempDir()
	m := testMLP(t, 2, 8, 1, 2, Logits, 22)
	path := filepath.Join(dir, "m.mfl")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.mfl")
	for _, n := range []int{0, 5, 20, len(data) / 2, len(data) - 1} {
		if err := os.WriteFile(bad, data[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "bad.mfl") {
			t.Errorf("truncated at %d bytes: error %v", n, err)
		}
		if _, err := LoadAny(bad); err == nil {
			t.Errorf("LoadAny accepted a file truncated at %d bytes", n)
		}
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)-20] ^= 0x40
	if err := os.WriteFile(bad, flipped, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("flipped byte: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.mfl")); err == nil {
		t.Error("missing file accepted")
	}
}

// writeNative writes a native container with the given kind, metadata and parameters.
func writeNative(t *testing.T, path, kind, meta string, p []float32) {
	t.Helper()
	if err := ckpt.Write(path, &ckpt.File{Kind: kind, Meta: json.RawMessage(meta), Arrays: []ckpt.Array{{Name: "params", Data: p}}}); err != nil {
		t.Fatal(err)
	}
}

func TestLoadBadContent(t *testing.T) {
	dir := t.TempDir()
	m := testMLP(t, 2, 4, 1, 2, Logits, 23)
	good := `{"in":2,"width":4,"depth":1,"classes":2,"output":"logits"}`
	nan := append([]float32(nil), m.P...)
	nan[5] = float32(math.NaN())
	for _, tc := range []struct {
		name, kind, meta string
		p                []float32
		want             string
	}{
		{"mflow", "mflow", `{}`, m.P, "not a classifier"},
		{"bad json", Kind, `[1,2]`, m.P, "malformed classifier metadata"},
		{"bad width", Kind, `{"in":2,"width":-4,"depth":1,"classes":2,"output":"logits"}`, m.P, "width"},
		{"huge", Kind, `{"in":2,"width":16384,"depth":256,"classes":2,"output":"logits"}`, m.P, "parameters exceed"},
		{"bad output", Kind, `{"in":2,"width":4,"depth":1,"classes":2,"output":"probabilities"}`, m.P, "output kind"},
		{"short params", Kind, good, m.P[:10], "parameter array has 10 values"},
		{"NaN", Kind, good, nan, "layers.0.weight[5] is NaN"},
	} {
		path := filepath.Join(dir, tc.name+".mfl")
		writeNative(t, path, tc.kind, tc.meta, tc.p)
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file and mentioning %q", tc.name, err, tc.want)
		}
		if tc.kind != Kind && !errors.Is(err, ckpt.ErrKind) {
			t.Errorf("%s: error %v does not wrap ckpt.ErrKind", tc.name, err)
		}
	}
}

func TestImportFixtures(t *testing.T) {
	m, err := ImportPyTorch(filepath.Join("testdata", "tiny_ok.pt"))
	if err != nil {
		t.Fatal(err)
	}
	if m.In != 2 || m.Width != 3 || m.Depth != 1 || m.Classes != 2 || m.Output != SoftmaxQuirk {
		t.Fatalf("imported %v", m)
	}
	// make_fixtures.py: layer k has W = arange/10 − k, b = arange/100 + k.
	for k, ln := range m.Layers {
		for i, v := range ln.W.View(m.P) {
			if want := float32(i)/10 - float32(k); math.Abs(float64(v-want)) > 1e-6 {
				t.Fatalf("%s[%d] = %v, want %v", ln.W.Name, i, v, want)
			}
		}
		for i, v := range ln.B.View(m.P) {
			if want := float32(i)/100 + float32(k); math.Abs(float64(v-want)) > 1e-6 {
				t.Fatalf("%s[%d] = %v, want %v", ln.B.Name, i, v, want)
			}
		}
	}
	// Values from PyTorch (make_fixtures.py's model): softmax output, the quirky per-sample
	// loss for labels (1, 0) and its input gradient.
	x := nn.MatFrom(2, 2, []float32{0.5, -1, 2, 0.25})
	y := []int32{1, 0}
	wantP := []float64{0.309833825, 0.690166235, 0.428008676, 0.571991324}
	wantL := []float64{0.520954669, 0.767727673}
	wantG := []float64{0.018475426, 0.029752482, -0.042966895, -0.063052639}
	p := m.Scores(x)
	loss, gx := m.LossGrad(x, y)
	for i := range wantP {
		if math.Abs(float64(p.Data[i])-wantP[i]) > 1e-6 {
			t.Errorf("probability %d: %v, PyTorch %v", i, p.Data[i], wantP[i])
		}
		if math.Abs(float64(gx.Data[i])-wantG[i]) > 1e-6 {
			t.Errorf("input gradient %d: %v, PyTorch %v", i, gx.Data[i], wantG[i])
		}
	}
	for i := range wantL {
		if math.Abs(float64(loss[i])-wantL[i]) > 1e-6 {
			t.Errorf("loss %d: %v, PyTorch %v", i, loss[i], wantL[i])
		}
	}
	if got := m.Losses(x, y); got[0] != loss[0] || got[1] != loss[1] {
		t.Errorf("Losses %v, LossGrad %v", got, loss)
	}

	// An imported model saves and reloads as the same quirky model.
	path := filepath.Join(t.TempDir(), "tiny.mfl")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadAny(path)
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, m, back)
	viaAny, err := LoadAny(filepath.Join("testdata", "tiny_ok.pt"))
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, m, viaAny)
}

func TestImportErrors(t *testing.T) {
	for file, want := range map[string]string{
		"missing_bias.pt":   "missing key layers.2.bias",
		"missing_weight.pt": "missing key layers.4.weight",
		"bad_chain.pt":      "layers.2.weight has shape [3 4], want [3 3]",
		"bad_bias.pt":       "layers.4.bias has shape [5], want [2]",
		"nan.pt":            "layers.4.weight[5] is NaN",
		"extra_key.pt":      "unexpected keys for a classifier state_dict: norm.weight",
		"one_layer.pt":      "only 1 linear layer",
		"weight_1d.pt":      "layers.0.weight has shape [3], want [out, in]",
		"int_weight.pt":     "want a floating-point tensor",
		"no_such_file.pt":   "no such file",
	} {
		path := filepath.Join("testdata", file)
		_, err := ImportPyTorch(path)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file and mentioning %q", file, err, want)
		}
	}
	// A native classifier checkpoint is not a state_dict.
	m := testMLP(t, 2, 4, 1, 2, Logits, 24)
	native := filepath.Join(t.TempDir(), "m.mfl")
	if err := m.Save(native); err != nil {
		t.Fatal(err)
	}
	if _, err := ImportPyTorch(native); err == nil {
		t.Error("ImportPyTorch accepted a native checkpoint")
	}
}

// TestImportFlowCheckpoint checks that an M-Flow checkpoint offered as a classifier is
// refused with a clear message.
func TestImportFlowCheckpoint(t *testing.T) {
	path := testref.Path(t, "reference", "checkpoints", "spiral_mflow_A.pt")
	for name, load := range map[string]func(string) (*MLP, error){"ImportPyTorch": ImportPyTorch, "LoadAny": LoadAny} {
		_, err := load(path)
		if err == nil || !strings.Contains(err.Error(), "an M-Flow checkpoint, not a classifier") {
			t.Errorf("%s of an M-Flow checkpoint: %v", name, err)
		}
	}
}

// TestOriginalRoundTrip saves the imported original classifier natively and checks that it
// reloads as the same quirky model.
func TestOriginalRoundTrip(t *testing.T) {
	m := importOriginal(t)
	path := filepath.Join(t.TempDir(), "original.mfl")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadAny(path)
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, m, back)
}
