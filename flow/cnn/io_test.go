package cnn

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/ckpt"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/flow/torchpt"
)

func sameParams(t *testing.T, got, want *Model) {
	t.Helper()
	for i := range want.P {
		if math.Float32bits(got.P[i]) != math.Float32bits(want.P[i]) {
			t.Fatalf("parameter %d is %v, want %v", i, got.P[i], want.P[i])
		}
	}
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not mention %q", err, p)
		}
	}
}

func TestNativeRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := New(1)
	path := filepath.Join(dir, "cnn.mfl")
	if err := m.Save(path, map[string]float64{"epochs": 15, "eval_accuracy": 0.64}); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, got, m)
	info, err := LoadInfo(path)
	if err != nil || info["epochs"] != 15 || info["eval_accuracy"] != 0.64 {
		t.Fatalf("info %v, %v", info, err)
	}
}

func TestPyTorchRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := New(2)
	path := filepath.Join(dir, "cnn.pt")
	if err := ExportPyTorch(path, m); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, got, m)
}

func TestBadCheckpoints(t *testing.T) {
	dir := t.TempDir()
	m := New(3)
	good := filepath.Join(dir, "good.mfl")
	if err := m.Save(good, nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
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
	p := write("trunc.mfl", data[:len(data)/2])
	_, err = Load(p)
	wantErr(t, err, p, "truncated")
	flip := append([]byte(nil), data...)
	flip[len(flip)-100] ^= 1
	p = write("flip.mfl", flip)
	_, err = Load(p)
	wantErr(t, err, p, "checksum")
	p = write("junk.mfl", []byte("hello, not a model"))
	_, err = Load(p)
	wantErr(t, err, p)
	_, err = Load(filepath.Join(dir, "missing.mfl"))
	wantErr(t, err, "missing.mfl")

	// another model kind
	mlp, err := classify.New(2, 8, 1, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	p = filepath.Join(dir, "mlp.mfl")
	if err := mlp.Save(p); err != nil {
		t.Fatal(err)
	}
	_, err = Load(p)
	wantErr(t, err, p, `"classifier"`, "not a CNN")

	// crafted native files: wrong length, NaN, wrong architecture
	craft := func(name string, edit func(f *ckpt.File, mt map[string]any)) string {
		f, err := ckpt.Read(good)
		if err != nil {
			t.Fatal(err)
		}
		var mt map[string]any
		if err := json.Unmarshal(f.Meta, &mt); err != nil {
			t.Fatal(err)
		}
		edit(f, mt)
		f.Meta, _ = json.Marshal(mt)
		p := filepath.Join(dir, name)
		if err := ckpt.Write(p, f); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p = craft("short.mfl", func(f *ckpt.File, _ map[string]any) { f.Arrays[2].Data = f.Arrays[2].Data[:100] })
	_, err = Load(p)
	wantErr(t, err, p, "c2.weight has 100 values, want 18432")
	p = craft("nan.mfl", func(f *ckpt.File, _ map[string]any) { f.Arrays[7].Data[3] = float32(math.NaN()) })
	_, err = Load(p)
	wantErr(t, err, p, "f1.bias[3] is NaN")
	p = craft("arch.mfl", func(_ *ckpt.File, mt map[string]any) { mt["classes"] = 100 })
	_, err = Load(p)
	wantErr(t, err, p, "100 classes")
	p = craft("extra.mfl", func(f *ckpt.File, _ map[string]any) { f.Arrays = append(f.Arrays, ckpt.Array{Name: "f3.weight"}) })
	_, err = Load(p)
	wantErr(t, err, p, "unexpected tensors f3.weight")

	// a NaN model is not saved, and nothing is written
	m.P[5] = float32(math.Inf(1))
	p = filepath.Join(dir, "inf.mfl")
	wantErr(t, m.Save(p, nil), p, "c1.weight[5] is +Inf")
	wantErr(t, ExportPyTorch(p, m), p, "+Inf")
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("%s was written", p)
	}
}

func TestBadPyTorchStateDicts(t *testing.T) {
	dir := t.TempDir()
	m := New(4)
	tensors := func() []torchpt.Tensor {
		var ts []torchpt.Tensor
		for _, s := range m.Layout.Specs {
			ts = append(ts, torchpt.Tensor{Name: s.Name, DType: "float32", Shape: s.Shape, F32: append([]float32(nil), s.View(m.P)...)})
		}
		return ts
	}
	save := func(name string, ts []torchpt.Tensor) string {
		p := filepath.Join(dir, name)
		if err := torchpt.Write(p, ts, nil); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ts := tensors()
	p := save("missing.pt", ts[:9])
	_, err := Load(p)
	wantErr(t, err, p, "missing f2.bias")
	ts = tensors()
	ts[0].Shape = []int{32, 27}
	p = save("shape.pt", ts)
	_, err = Load(p)
	wantErr(t, err, p, "c1.weight has shape [32 27], want [32 3 3 3]")
	ts = tensors()
	ts[9].F32[2] = float32(math.NaN())
	p = save("nan.pt", ts)
	_, err = Load(p)
	wantErr(t, err, p, "f2.bias[2] is NaN")
	ts = append(tensors(), torchpt.Tensor{Name: "bn.weight", DType: "float32", Shape: []int{1}, F32: []float32{1}})
	p = save("extra.pt", ts)
	_, err = Load(p)
	wantErr(t, err, p, "unexpected bn.weight")
}
