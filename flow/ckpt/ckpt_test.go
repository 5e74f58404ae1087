package ckpt

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundTripAndCorruption(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.mfl")
	f := &File{Kind: "mflow", Meta: json.RawMessage(`{"a":1}`), Arrays: []Array{
		{"params", []float32{1, -2.5, float32(math.Inf(1)), 3e-38}}, {"empty", nil}, {"m", []float32{7}},
	}}
	if err := Write(p, f); err != nil {
		t.Fatal(err)
	}
	g, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if g.Kind != "mflow" || string(g.Meta) != `{"a":1}` || len(g.Arrays) != 3 {
		t.Fatalf("round trip changed the file: %+v", g)
	}
	for i, a := range f.Arrays {
		for j, v := range a.Data {
			if math.Float32bits(g.Arrays[i].Data[j]) != math.Float32bits(v) {
				t.Fatalf("array %s[%d]: %v != %v", a.Name, j, g.Arrays[i].Data[j], v)
			}
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	data, _ := os.ReadFile(p)
	for _, n := range []int{0, 5, 12, 20, len(data) / 2, len(data) - 1} {
		if _, err := Parse("cut.mfl", data[:n]); err == nil || !strings.Contains(err.Error(), "cut.mfl") {
			t.Errorf("truncated at %d: error %v", n, err)
		}
	}
	for i := len(Magic); i < len(data); i += 7 {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0x10
		if _, err := Parse("flip.mfl", bad); err == nil {
			t.Errorf("flipped byte %d not detected", i)
		}
	}
	future := append([]byte(nil), data...)
	future[len(Magic)] = 9
	if _, err := Parse("new.mfl", future); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("future version: %v", err)
	}
	if _, err := Parse("x.pt", []byte("PK\x03\x04....")); err == nil || !strings.Contains(err.Error(), "PyTorch") {
		t.Errorf("zip file: %v", err)
	}
}
