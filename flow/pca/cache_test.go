package pca

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/ckpt"
	"github.com/mflowlab/mflowlab/flow/nn"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	x := lowRank(200, 40, 11)
	b, err := Fit(x, Options{Components: 5})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "b.mfl")
	if err := b.Save(path); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Key != b.Key || c.Rows != b.Rows || c.Components.Rows != 5 || c.Components.Cols != 40 || c.Iterations != b.Iterations {
		t.Fatalf("loaded %+v", c)
	}
	for i, v := range b.Components.Data {
		if c.Components.Data[i] != v {
			t.Fatalf("component value %d: %v, saved %v", i, c.Components.Data[i], v)
		}
	}
	for i, v := range b.Mean {
		if c.Mean[i] != v {
			t.Fatalf("mean %d differs", i)
		}
	}
}

func TestCached(t *testing.T) {
	dir := t.TempDir()
	x := lowRank(200, 40, 12)
	b, hit, err := Cached(dir, x, 3, nil)
	if err != nil || hit {
		t.Fatalf("first call: hit %v, err %v", hit, err)
	}
	if b.Components.Rows != 40 { // max(d, DefaultComponents) capped at the width
		t.Errorf("fitted %d components", b.Components.Rows)
	}
	b2, hit, err := Cached(dir, x, 30, nil)
	if err != nil || !hit || b2.Key != b.Key {
		t.Fatalf("second call: hit %v, err %v", hit, err)
	}
	path := CachePath(dir, b.Key)
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	// Other data is not served from this file; a file of other data under its name is an error.
	y := lowRank(200, 40, 13)
	if err := os.Rename(path, CachePath(dir, DataKey(y))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Cached(dir, y, 3, nil); err == nil || !strings.Contains(err.Error(), "other data") {
		t.Errorf("cache of other data: %v", err)
	}
	// A corrupt cache names the file and says how to recover.
	raw, err := os.ReadFile(CachePath(dir, DataKey(y)))
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0x40
	if err := os.WriteFile(CachePath(dir, DataKey(y)), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = Cached(dir, y, 3, nil)
	if err == nil || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), "delete the file") || !strings.Contains(err.Error(), "pca-") {
		t.Errorf("corrupt cache: %v", err)
	}
	if _, _, err := Cached(dir, y, 41, nil); err == nil {
		t.Error("41 components of 40-value rows: no error")
	}
}

func TestLoadBadFiles(t *testing.T) {
	dir := t.TempDir()
	x := lowRank(100, 12, 14)
	b, err := Fit(x, Options{Components: 3})
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.mfl")
	if err := b.Save(good); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(good)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	other := filepath.Join(dir, "other.mfl")
	if err := ckpt.Write(other, &ckpt.File{Kind: "classifier", Arrays: []ckpt.Array{{Name: "p", Data: []float32{1}}}}); err != nil {
		t.Fatal(err)
	}
	wrongLen := b.Components.Clone()
	for i := range wrongLen.Row(1) {
		wrongLen.Row(1)[i] *= 2
	}
	bad := *b
	bad.Components = wrongLen
	scaled := filepath.Join(dir, "scaled.mfl")
	if err := bad.Save(scaled); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		path, want string
	}{
		"missing":   {filepath.Join(dir, "none.mfl"), "no such file"},
		"truncated": {write("trunc.mfl", raw[:len(raw)-9]), "truncated"},
		"text":      {write("text.mfl", []byte("hello")), "not an mflowlab checkpoint"},
		"kind":      {other, "not a PCA basis"},
		"length":    {scaled, "component 1 has length 2"},
	} {
		_, err := Load(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
		if name == "kind" && !errors.Is(err, ckpt.ErrKind) {
			t.Errorf("kind: %v does not wrap ckpt.ErrKind", err)
		}
	}
	_ = nn.Mat{}
}
