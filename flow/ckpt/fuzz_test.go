package ckpt

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// encoded returns f as the bytes Write stores.
func encoded(t testing.TB, f *File) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "seed.mfl")
	if err := Write(p, f); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameFile reports whether a and b hold the same kind, metadata and arrays (bit for bit).
func sameFile(a, b *File) bool {
	if a.Kind != b.Kind || !bytes.Equal(a.Meta, b.Meta) || len(a.Arrays) != len(b.Arrays) {
		return false
	}
	for i := range a.Arrays {
		x, y := a.Arrays[i], b.Arrays[i]
		if x.Name != y.Name || len(x.Data) != len(y.Data) {
			return false
		}
		for j := range x.Data {
			if math.Float32bits(x.Data[j]) != math.Float32bits(y.Data[j]) {
				return false
			}
		}
	}
	return true
}

// FuzzParse feeds arbitrary bytes to Parse: it must return an error naming the file or a
// File that survives a Write/Read round trip unchanged.
func FuzzParse(f *testing.F) {
	f.Add(encoded(f, &File{Kind: "mflow", Meta: json.RawMessage(`{"a":1}`), Arrays: []Array{
		{"params", []float32{1, -2.5, 3e-38}}, {"empty", nil}}}))
	f.Add(encoded(f, &File{Kind: "classifier"}))
	big := encoded(f, &File{Kind: "x", Arrays: []Array{{"a", []float32{1}}}})
	// The same file with its array claiming 2^30 elements (checksum left stale).
	huge := bytes.Replace(big, []byte(`"len":1`), []byte(`"len":1073741824`), 1)
	f.Add(huge)
	f.Add([]byte(Magic))
	f.Add(append([]byte(Magic), 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0))
	f.Add([]byte("PK\x03\x04"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Parse("fuzz.mfl", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.mfl: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		total := 0
		for _, a := range got.Arrays {
			total += 4 * len(a.Data)
		}
		if total > len(data) {
			t.Fatalf("%d bytes of arrays from a %d-byte file", total, len(data))
		}
		p := filepath.Join(dir, "round.mfl")
		if err := Write(p, got); err != nil {
			t.Fatalf("re-saving a parsed file: %v", err)
		}
		back, err := Read(p)
		if err != nil {
			t.Fatalf("re-reading a re-saved file: %v", err)
		}
		if back.Kind != got.Kind || len(back.Arrays) != len(got.Arrays) {
			t.Fatalf("round trip changed the file: %+v → %+v", got, back)
		}
		// Meta may be re-compacted once by the JSON encoder; after that it is stable.
		again := filepath.Join(dir, "again.mfl")
		if err := Write(again, back); err != nil {
			t.Fatal(err)
		}
		back2, err := Read(again)
		if err != nil || !sameFile(back, back2) {
			t.Fatalf("second round trip differs: %v", err)
		}
		for i := range got.Arrays {
			g, b := got.Arrays[i], back.Arrays[i]
			if g.Name != b.Name || len(g.Data) != len(b.Data) {
				t.Fatalf("array %d changed", i)
			}
			for j := range g.Data {
				if math.Float32bits(g.Data[j]) != math.Float32bits(b.Data[j]) {
					t.Fatalf("array %s[%d] changed", g.Name, j)
				}
			}
		}
	})
}
