package spirals

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/torchpt"
	"github.com/mflowlab/mflowlab/internal/fuzzseed"
)

// sameData reports whether two data sets hold the same points and labels, bit for bit.
func sameData(a, b *Dataset) bool {
	if len(a.X) != len(b.X) || len(a.Y) != len(b.Y) {
		return false
	}
	for i := range a.X {
		if math.Float32bits(a.X[i]) != math.Float32bits(b.X[i]) {
			return false
		}
	}
	for i := range a.Y {
		if a.Y[i] != b.Y[i] {
			return false
		}
	}
	return true
}

// checkLoaded checks what every successful load guarantees, then that SaveCSV and LoadCSV
// give the same data back.
func checkLoaded(t *testing.T, dir string, d *Dataset) {
	t.Helper()
	if msg := d.check(); msg != "" || d.N() == 0 || d.N() > MaxN {
		t.Fatalf("loaded an invalid data set (%d points): %s", d.N(), msg)
	}
	p := filepath.Join(dir, "round.csv")
	if err := SaveCSV(p, d); err != nil {
		t.Fatalf("re-saving: %v", err)
	}
	back, err := LoadCSV(p)
	if err != nil {
		t.Fatalf("re-loading: %v", err)
	}
	if !sameData(d, back) {
		t.Fatalf("CSV round trip changed the data")
	}
}

// FuzzLoadCSV feeds arbitrary bytes to Load as a .csv file (so LoadCSV): an error must name
// the file, a success must be a valid data set that survives a save and load unchanged.
func FuzzLoadCSV(f *testing.F) {
	f.Add([]byte("x,y,label\n0.5,-1,0\n0.25,2,1\n"))
	f.Add([]byte("\ufeff1,2,1.0\n\n  3e-38 , -0 ,0\r\n"))
	f.Add([]byte("1,2\n"))
	f.Add([]byte("1e39,0,0\n"))
	f.Add([]byte("NaN,0,1\n"))
	f.Add([]byte(strings.Repeat("9", maxLine+1)))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzseed.Input(t, dir, "in.csv", data)
		d, err := Load(p)
		if fuzzseed.Rejected(t, err, p) {
			return
		}
		checkLoaded(t, dir, d)
	})
}

// FuzzLoadPT feeds arbitrary bytes to Load as a .pt file (so LoadPT): an error must name the
// file, a success must be a valid data set that survives both a .pt and a .csv round trip.
func FuzzLoadPT(f *testing.F) {
	dir := f.TempDir()
	seed := func(x []float32, y []int64, rows int) {
		p := filepath.Join(dir, "seed.pt")
		err := torchpt.Write(p, []torchpt.Tensor{
			{Name: "X", DType: "float32", Shape: []int{rows, 2}, F32: x},
			{Name: "Y", DType: "int64", Shape: []int{len(y)}, I64: y},
		}, nil)
		if err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		u, err := fuzzseed.Unchecked(b) // lets mutations reach the pickle and the tensors
		if err != nil {
			f.Fatal(err)
		}
		f.Add(u)
	}
	seed([]float32{0.5, -1, 0.25, 2, -0.5, 1}, []int64{0, 1, 1}, 3)
	seed([]float32{0.5, -1}, []int64{2}, 1)
	seed([]float32{}, []int64{}, 0)
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzseed.Input(t, dir, "in.pt", data)
		d, err := Load(p)
		if fuzzseed.Rejected(t, err, p) {
			return
		}
		checkLoaded(t, dir, d)
		y := make([]int64, d.N())
		for i, v := range d.Y {
			y[i] = int64(v)
		}
		rp := filepath.Join(dir, "round.pt")
		err = torchpt.Write(rp, []torchpt.Tensor{
			{Name: "X", DType: "float32", Shape: []int{d.N(), 2}, F32: d.X},
			{Name: "Y", DType: "int64", Shape: []int{d.N()}, I64: y},
		}, nil)
		if err != nil {
			t.Fatalf("re-saving as .pt: %v", err)
		}
		back, err := LoadPT(rp)
		if err != nil || !sameData(d, back) {
			t.Fatalf(".pt round trip changed the data: %v", err)
		}
	})
}
