package torchpt

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/internal/fuzzseed"
)

// writtenBytes returns tensors as the bytes Write stores.
func writtenBytes(t testing.TB, tensors []Tensor, modules []Module) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "seed.pt")
	if err := Write(p, tensors, modules); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// deflated repacks a checkpoint's records compressed.
func deflated(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		var data bytes.Buffer
		data.ReadFrom(rc)
		rc.Close()
		w.Write(data.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzDecode feeds arbitrary bytes to the whole decoder (zip layer, then pickle and
// tensors). A success must give a consistent StateDict that survives a Write and a
// second decode unchanged.
func FuzzDecode(f *testing.F) {
	small := writtenBytes(f, []Tensor{
		{Name: "w", DType: "float32", Shape: []int{2, 2}, F32: []float32{1, 2, 3, 4}},
		{Name: "p", DType: "int64", Shape: []int{2}, I64: []int64{1, 0}},
	}, []Module{{"", 1}})
	f.Add(small)
	f.Add(deflated(f, small))
	u, err := fuzzseed.Unchecked(small) // lets mutations reach the pickle and the tensors
	if err != nil {
		f.Fatal(err)
	}
	f.Add(u)
	if b, err := os.ReadFile(filepath.Join("testdata", "fixture.pt")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add(legacyMagic)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		sd, err := decodeBytes(data)
		if err != nil {
			return
		}
		checkConsistent(t, sd)
		var tensors []Tensor
		elements := 0
		for _, k := range sd.Keys {
			tn := *sd.Tensors[k]
			if k == "" {
				return // Write refuses empty names
			}
			if tn.F32 != nil {
				tn.DType = "float32"
			} else {
				tn.DType = "int64"
			}
			elements += len(tn.F32) + len(tn.I64)
			tensors = append(tensors, tn)
		}
		if elements > 1<<16 {
			return // keep the round trip cheap
		}
		p := filepath.Join(dir, "round.pt")
		if err := Write(p, tensors, nil); err != nil {
			t.Fatalf("re-saving a decoded checkpoint: %v", err)
		}
		back, err := Load(p)
		if err != nil {
			t.Fatalf("re-loading a re-saved checkpoint: %v", err)
		}
		if strings.Join(back.Keys, "\x00") != strings.Join(sd.Keys, "\x00") {
			t.Fatalf("keys %q became %q", sd.Keys, back.Keys)
		}
		for _, want := range tensors {
			sameTensor(t, want.Name, back.Tensors[want.Name], want)
		}
	})
}
