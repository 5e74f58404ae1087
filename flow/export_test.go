package flow

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/flow/torchpt"
	"github.com/mflowlab/mflowlab/flow/torchpt/pytorchtest"
	"github.com/mflowlab/mflowlab/internal/testref"
)

// exportProbe is a few points on and off the spirals, including far ones.
var exportProbe = nn.MatFrom(5, 2, []float32{0, 0, 1.2, -0.7, -2.1, 1.9, 0.3, 2.5, -4, -5})

// sameFlow fails t unless a and b have the same architecture, permutations, bitwise equal
// parameters and bitwise equal Encode and Project on exportProbe.
func sameFlow(t *testing.T, what string, a, b *MFlow) {
	t.Helper()
	if a.Cfg != b.Cfg {
		t.Fatalf("%s: config %v, want %v", what, b.Cfg, a.Cfg)
	}
	for s := range a.Perms {
		if !slices.Equal(a.Perms[s].P, b.Perms[s].P) {
			t.Fatalf("%s: permutation %d is %v, want %v", what, s, b.Perms[s].P, a.Perms[s].P)
		}
	}
	if len(a.P) != len(b.P) {
		t.Fatalf("%s: %d parameters, want %d", what, len(b.P), len(a.P))
	}
	for i := range a.P {
		if math.Float32bits(a.P[i]) != math.Float32bits(b.P[i]) {
			t.Fatalf("%s: parameter %d is %v, want %v", what, i, b.P[i], a.P[i])
		}
	}
	for _, f := range []struct {
		name string
		fn   func(*MFlow, nn.Mat) nn.Mat
	}{{"Encode", (*MFlow).Encode}, {"Project", (*MFlow).Project}} {
		x := exportProbe
		if a.Cfg.N != 2 {
			x = nn.NewMat(3, a.Cfg.N)
			for i := range x.Data {
				x.Data[i] = float32(i%5) - 1.7
			}
		}
		ga, gb := f.fn(a, x), f.fn(b, x)
		if !slices.Equal(ga.Data, gb.Data) {
			t.Errorf("%s: %s differs after the round trip: %v, want %v", what, f.name, gb.Data, ga.Data)
		}
	}
}

// TestExportPyTorchReference re-exports the original checkpoints: reading the export gives
// the same model, and the file equals the original byte for byte (apart from the part of
// the serialization id that depends on torch's C++ library).
func TestExportPyTorchReference(t *testing.T) {
	dir := testref.Path(t, "reference", "checkpoints")
	for _, name := range []string{"spiral_mflow_A", "spiral_mflow_B", "spiral_mflow_C", "spiral_mflow_D", "mflow_two_spirals"} {
		ref := filepath.Join(dir, name+".pt")
		orig, err := ImportPyTorch(ref)
		if err != nil {
			t.Fatal(err)
		}
		// torch.save names the zip's folder after the file; these were all saved as mflow_two_spirals.pt.
		out := filepath.Join(t.TempDir(), "mflow_two_spirals.pt")
		if err := ExportPyTorch(out, orig); err != nil {
			t.Fatal(err)
		}
		back, err := ImportPyTorch(out)
		if err != nil {
			t.Fatal(err)
		}
		sameFlow(t, name, orig, back)
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(ref)
		if err != nil {
			t.Fatal(err)
		}
		pytorchtest.CompareArchives(t, got, want)
		// LoadCheckpoint tells the .pt apart from a native file.
		c, err := LoadCheckpoint(out)
		if err != nil {
			t.Fatal(err)
		}
		sameFlow(t, name+" via LoadCheckpoint", orig, c.Flow)
	}
}

// TestExportPyTorchSizes round-trips freshly initialised flows of other sizes: more
// dimensions, no residual blocks, one block.
func TestExportPyTorchSizes(t *testing.T) {
	for _, cfg := range []Config{
		{N: 3, D: 2, Steps: 3, Hidden: 5, Blocks: 0, Bins: 4, TailBound: 3},
		{N: 2, D: 1, Steps: 2, Hidden: 7, Blocks: 1, Bins: 3, TailBound: 3},
		{N: 5, D: 1, Steps: 4, Hidden: 6, Blocks: 2, Bins: 5, TailBound: 3},
	} {
		m, err := New(cfg, 11)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "fresh.pt")
		if err := ExportPyTorch(path, m); err != nil {
			t.Fatal(err)
		}
		back, err := ImportPyTorch(path)
		if err != nil {
			t.Fatal(err)
		}
		sameFlow(t, cfg.String(), m, back)
		// Permutations and masks are int64 buffers, as in the original.
		sd, err := torchpt.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range sd.Keys {
			buffer := strings.HasSuffix(k, "_permutation") || strings.HasSuffix(k, "_features")
			if want := map[bool]string{true: "int64", false: "float32"}[buffer]; sd.Tensors[k].DType != want {
				t.Errorf("%v: %s is %s, want %s", cfg, k, sd.Tensors[k].DType, want)
			}
		}
		if want := len(m.Layout.Specs) + 3*cfg.Steps + 1; len(sd.Keys) != want {
			t.Errorf("%v: %d tensors, want %d", cfg, len(sd.Keys), want)
		}
	}
}

func TestExportPyTorchErrors(t *testing.T) {
	dir := t.TempDir()
	good, err := New(Config{N: 2, D: 1, Steps: 2, Hidden: 4, Blocks: 1, Bins: 3, TailBound: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	bound, err := New(Config{N: 2, D: 1, Steps: 2, Hidden: 4, Blocks: 1, Bins: 3, TailBound: 4}, 1)
	if err != nil {
		t.Fatal(err)
	}
	nan := good.Clone()
	nan.P[len(nan.P)-1] = float32(math.NaN())
	short := &MFlow{Arch: good.Arch, P: good.P[:3]}
	for _, c := range []struct {
		name, file string
		m          *MFlow
		want       string
	}{
		{"nil", "nil.pt", nil, "no flow"},
		{"tail bound", "bound.pt", bound, "tail bound is 4"},
		{"nan", "nan.pt", nan, "] is NaN"},
		{"short", "short.pt", short, "has 3 parameters"},
		{"no folder", filepath.Join("missing", "x.pt"), good, "no such file or directory"},
	} {
		path := filepath.Join(dir, c.file)
		err := ExportPyTorch(path, c.m)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %s and saying %q", c.name, err, path, c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed exports left %d files behind", len(entries))
	}
}

// torchCompare has torch.load each exported file and its original, and checks that keys,
// order, dtypes, shapes, strides, values and module metadata agree.
const torchCompare = `
args = sys.argv[1:]
for ours, orig in zip(args[0::2], args[1::2]):
    a, b = torch.load(ours), torch.load(orig)
    assert list(a.keys()) == list(b.keys()), (ours, list(a.keys())[:5], list(b.keys())[:5])
    for k in b:
        x, y = a[k], b[k]
        assert x.dtype == y.dtype and x.shape == y.shape and x.stride() == y.stride(), (ours, k, x.dtype, y.dtype, x.shape, y.shape)
        assert torch.equal(x, y), (ours, k)
    assert a._metadata == b._metadata, (ours, "metadata differs")
    print("same", orig.rsplit("/", 1)[-1], len(b), len(b._metadata))
`

// TestExportPyTorchTorchLoad has PyTorch load the re-exported checkpoints and compare them
// with the originals.
func TestExportPyTorchTorchLoad(t *testing.T) {
	dir := testref.Path(t, "reference", "checkpoints")
	var args, want []string
	for _, name := range []string{"spiral_mflow_A", "spiral_mflow_B", "spiral_mflow_C", "spiral_mflow_D"} {
		ref := filepath.Join(dir, name+".pt")
		m, err := ImportPyTorch(ref)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), name+".pt")
		if err := ExportPyTorch(out, m); err != nil {
			t.Fatal(err)
		}
		args = append(args, out, ref)
		want = append(want, "same "+name+".pt 243 296")
	}
	got := strings.Split(strings.TrimSpace(pytorchtest.Run(t, torchCompare, args...)), "\n")
	if !slices.Equal(got, want) {
		t.Errorf("torch says:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
