package pca

import (
	"encoding/binary"
	"math"
	"path/filepath"
	"testing"

	"github.com/mflowlab/mflowlab/flow/ckpt"
	"github.com/mflowlab/mflowlab/flow/nn"
)

// floats reads b as little-endian float32 values (a trailing partial value is dropped).
func floats(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

func raw(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// FuzzLoad writes valid checkpoint containers of kind "pca" with fuzzed metadata and arrays
// (the container's checksum would stop raw byte mutations before the PCA checks): Load must
// return an error or a basis whose projections have the right shape and stay in [0, 1].
func FuzzLoad(f *testing.F) {
	x := lowRank(30, 6, 1)
	b, err := Fit(x, Options{Components: 2})
	if err != nil {
		f.Fatal(err)
	}
	good := `{"version":1,"cols":6,"rows":30,"components":2,"key":"k"}`
	f.Add(good, raw(b.Mean), raw([]float32{float32(b.Variance[0]), float32(b.Variance[1])}), raw(b.Components.Data))
	f.Add(`{"version":1,"cols":6,"rows":30,"components":3,"key":"k"}`, raw(b.Mean), raw([]float32{1, 1}), raw(b.Components.Data))
	f.Add(`{"version":2}`, []byte{}, []byte{}, []byte{})
	f.Add(`{"cols":-1,"components":1e9}`, raw([]float32{float32(math.NaN())}), []byte{1}, []byte{})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, meta string, mean, vars, comp []byte) {
		p := filepath.Join(dir, "fuzz.mfl")
		file := &ckpt.File{Kind: Kind, Meta: []byte(meta), Arrays: []ckpt.Array{
			{Name: "mean", Data: floats(mean)}, {Name: "variance", Data: floats(vars)}, {Name: "components", Data: floats(comp)}}}
		if err := ckpt.Write(p, file); err != nil {
			return // metadata that is not JSON cannot be written
		}
		basis, err := Load(p)
		if err != nil {
			return
		}
		proj, err := basis.Projection(basis.Components.Rows)
		if err != nil {
			t.Fatalf("a loaded basis refuses its own %d components: %v", basis.Components.Rows, err)
		}
		in := nn.NewMat(2, basis.Components.Cols)
		for i := range in.Data {
			in.Data[i] = float32(i%3) / 2
		}
		out := proj.Project(nn.Mat{}, in)
		for _, v := range out.Data {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("projection value %v outside [0, 1]", v)
			}
		}
	})
}
