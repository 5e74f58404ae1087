package torchpt

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/torchpt/pytorchtest"
	"github.com/mflowlab/mflowlab/internal/testref"
)

// sampleTensors covers the shapes and values Write must preserve: matrices, vectors, a 0-dim
// scalar, empty and 4-dim tensors, special floats and extreme integers.
func sampleTensors() []Tensor {
	w := make([]float32, 3*4)
	for i := range w {
		w[i] = float32(i)/8 - 0.75
	}
	four := make([]float32, 2*1*3*2)
	for i := range four {
		four[i] = float32(i * i)
	}
	return []Tensor{
		{Name: "layer.weight", DType: "float32", Shape: []int{3, 4}, F32: w},
		{Name: "layer.bias", DType: "float32", Shape: []int{3}, F32: []float32{1e-30, -0.0, 3.5}},
		{Name: "special", DType: "float32", Shape: []int{4}, F32: []float32{
			float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.SmallestNonzeroFloat32}},
		{Name: "perm", DType: "int64", Shape: []int{2}, I64: []int64{1, 0}},
		{Name: "big", DType: "int64", Shape: []int{3}, I64: []int64{math.MinInt64, math.MaxInt64, -7}},
		{Name: "scalar", DType: "float32", Shape: []int{}, F32: []float32{2.25}},
		{Name: "empty", DType: "float32", Shape: []int{0, 3}, F32: []float32{}},
		{Name: "four", DType: "float32", Shape: []int{2, 1, 3, 2}, F32: four},
	}
}

var sampleModules = []Module{{"", 1}, {"layer", 1}, {"norm", 2}}

func sameTensor(t *testing.T, what string, got *Tensor, want Tensor) {
	t.Helper()
	if got.DType != want.DType || !slices.Equal(got.Shape, want.Shape) {
		t.Errorf("%s: %s %v, want %s %v", what, got.DType, got.Shape, want.DType, want.Shape)
		return
	}
	if want.DType == "float32" {
		if len(got.F32) != len(want.F32) {
			t.Errorf("%s: %d values, want %d", what, len(got.F32), len(want.F32))
			return
		}
		for i := range want.F32 {
			if math.Float32bits(got.F32[i]) != math.Float32bits(want.F32[i]) {
				t.Errorf("%s[%d] = %v, want %v (bitwise)", what, i, got.F32[i], want.F32[i])
				return
			}
		}
	} else if !slices.Equal(got.I64, want.I64) {
		t.Errorf("%s = %v, want %v", what, got.I64, want.I64)
	}
}

func TestWriteRoundTrip(t *testing.T) {
	dir := t.TempDir()
	want := sampleTensors()
	for _, modules := range [][]Module{nil, sampleModules} {
		path := filepath.Join(dir, "model.pt")
		if err := Write(path, want, modules); err != nil {
			t.Fatal(err)
		}
		sd, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, w := range want {
			names = append(names, w.Name)
		}
		if !slices.Equal(sd.Keys, names) {
			t.Fatalf("keys %v, want %v", sd.Keys, names)
		}
		for _, w := range want {
			sameTensor(t, w.Name, sd.Tensors[w.Name], w)
		}
	}
}

// TestWriteManyTensors reads back a file past the pickler's limits (see manyTensors).
func TestWriteManyTensors(t *testing.T) {
	want, modules := manyTensors()
	path := filepath.Join(t.TempDir(), "many.pt")
	if err := Write(path, want, modules); err != nil {
		t.Fatal(err)
	}
	sd, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.Keys) != len(want) {
		t.Fatalf("%d tensors read back, want %d", len(sd.Keys), len(want))
	}
	for i, w := range want {
		if sd.Keys[i] != w.Name {
			t.Fatalf("key %d is %q, want %q", i, sd.Keys[i], w.Name)
		}
		sameTensor(t, w.Name, sd.Tensors[w.Name], w)
	}
}

func TestWriteZipLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "my.model.pt")
	tensors := sampleTensors()
	if err := Write(path, tensors, nil); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	// Storage records come sorted by key as strings, as torch.save writes them.
	want := []string{"data.pkl", "byteorder", "data/0", "data/1", "data/2", "data/3", "data/4", "data/5", "data/6",
		"data/7", "version", ".data/serialization_id"}
	var got []string
	for _, f := range zr.File {
		name, ok := strings.CutPrefix(f.Name, "my.model/")
		if !ok {
			t.Errorf("record %s is not under my.model/ (torch names the folder after the file)", f.Name)
		}
		got = append(got, name)
		if f.Method != zip.Store {
			t.Errorf("%s: method %d, want stored", f.Name, f.Method)
		}
		off, err := f.DataOffset()
		if err != nil {
			t.Fatal(err)
		}
		if off%64 != 0 {
			t.Errorf("%s: data at offset %d, not 64-byte aligned", f.Name, off)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(rc); err != nil { // also checks the CRC
			t.Errorf("%s: %v", f.Name, err)
		}
		rc.Close()
		switch name {
		case "byteorder":
			if b.String() != "little" {
				t.Errorf("byteorder %q", b.String())
			}
		case "version":
			if b.String() != "3\n" {
				t.Errorf("version %q", b.String())
			}
		case ".data/serialization_id":
			if !regexp.MustCompile(`^[0-9]{40}$`).Match(b.Bytes()) {
				t.Errorf("serialization id %q is not 40 digits", b.String())
			}
		case "data/3":
			if b.Len() != 16 { // perm: two int64
				t.Errorf("data/3 has %d bytes, want 16", b.Len())
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("records %v, want %v", got, want)
	}
	for _, c := range []struct{ path, want string }{
		{"a/b/model.pt", "model"}, {"model", "model"}, {"x.tar.pt", "x.tar"}, {".pt", "archive"},
		{"dir/modèle.pt", "archive"}, {"/tmp/ünï/model.pt", "archive"},
	} {
		if got := archiveName(c.path); got != c.want {
			t.Errorf("archiveName(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}

// TestWriteMatchesTorchSave rewrites the original classifier and compares the file byte by
// byte with the one torch.save made. Only the first half of the serialization id (a hash
// whose value depends on the C++ library torch was built with) and its CRCs may differ.
func TestWriteMatchesTorchSave(t *testing.T) {
	ref := testref.Path(t, "reference", "checkpoints", "classifier_two_spirals.pt")
	sd, err := Load(ref)
	if err != nil {
		t.Fatal(err)
	}
	var tensors []Tensor
	for _, k := range sd.Keys {
		tensors = append(tensors, *sd.Tensors[k])
	}
	modules := []Module{{"", 1}, {"layers", 1}}
	for i := 0; i <= 10; i++ {
		modules = append(modules, Module{fmt.Sprintf("layers.%d", i), 1})
	}
	path := filepath.Join(t.TempDir(), "classifier_two_spirals.pt")
	if err := Write(path, tensors, modules); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	pytorchtest.CompareArchives(t, got, want)
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	good := sampleTensors()
	bad := func(edit func(ts []Tensor) []Tensor) []Tensor { return edit(sampleTensors()) }
	cases := []struct {
		name    string
		path    string
		tensors []Tensor
		modules []Module
		want    string
	}{
		{"none", "none.pt", nil, nil, "no tensors"},
		{"dup", "dup.pt", bad(func(ts []Tensor) []Tensor { ts[1].Name = ts[0].Name; return ts }), nil, `"layer.weight" occurs twice`},
		{"noname", "noname.pt", bad(func(ts []Tensor) []Tensor { ts[2].Name = ""; return ts }), nil, "tensor 2 has an empty name"},
		{"count", "count.pt", bad(func(ts []Tensor) []Tensor { ts[0].Shape = []int{4, 4}; return ts }), nil, `"layer.weight": 12 values for shape [4 4] (16 elements)`},
		{"negative", "negative.pt", bad(func(ts []Tensor) []Tensor { ts[1].Shape = []int{-3}; return ts }), nil, "negative size"},
		{"dtype", "dtype.pt", bad(func(ts []Tensor) []Tensor { ts[0].DType = "float64"; return ts }), nil, `dtype "float64" cannot be written`},
		{"mixed", "mixed.pt", bad(func(ts []Tensor) []Tensor { ts[3].F32 = []float32{1}; return ts }), nil, "int64 tensor with float values"},
		{"huge", "huge.pt", bad(func(ts []Tensor) []Tensor { ts[0].Shape = []int{1 << 20, 1 << 20}; return ts }), nil, "more than"},
		{"modules", "modules.pt", good, []Module{{"", 1}, {"", 1}}, `module "" listed twice`},
		{"no dir", filepath.Join("missing", "x.pt"), good, nil, "no such file or directory"},
		{"is dir", ".", good, nil, ""},
	}
	for _, c := range cases {
		path := filepath.Join(dir, c.path)
		err := Write(path, c.tensors, c.modules)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.Contains(err.Error(), path) || !strings.HasPrefix(err.Error(), "torchpt: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not name the file or lacks %q", c.name, err, c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("failed writes left files behind: %v", names)
	}
}

// TestWriteKeepsOldFileOnError checks that a failed write leaves an existing file as it was.
func TestWriteKeepsOldFileOnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.pt")
	if err := Write(path, sampleTensors(), nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	ts := sampleTensors()
	ts[0].DType = "int8"
	if err := Write(path, ts, nil); err == nil {
		t.Fatal("no error for an int8 tensor")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("a failed write changed the existing file")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the folder, want 1", len(entries))
	}
}

// TestWriteUnwritableDir checks a folder without write permission (skipped as root, which
// may write anywhere).
func TestWriteUnwritableDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions are not enforced")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "x.pt")
	err := Write(path, sampleTensors(), nil)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v, want one naming %s", err, path)
	}
}

// TestWriteTruncatedReads checks that every truncation of a written file is reported by Load
// with the file's name, never accepted or a panic.
func TestWriteTruncatedReads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.pt")
	if err := Write(path, sampleTensors(), sampleModules); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pt")
	for n := 0; n < len(full); n += 1 + n/7 {
		if err := os.WriteFile(cut, full[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(cut); err == nil || !strings.Contains(err.Error(), cut) {
			t.Fatalf("truncated to %d of %d bytes: error %v", n, len(full), err)
		}
	}
}

func TestStdHash(t *testing.T) {
	// Values printed by std::hash<std::string> compiled with g++ (libstdc++) on x86-64.
	for s, want := range map[string]uint64{
		"data.pkl": 4941642132189851806, "version": 1565691551459181974, "abcdefghijk": 3672398144843267301,
	} {
		if got := stdHash([]byte(s)); got != want {
			t.Errorf("stdHash(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestEncodeLong(t *testing.T) {
	// Values from Python's pickle.encode_long.
	for n, want := range map[int64]string{
		1 << 31: "0000008000", -1<<31 - 1: "ffffff7fff", 1 << 40: "000000000001", -1 << 40: "0000000000ff",
		math.MaxInt64: "ffffffffffffff7f", math.MinInt64: "0000000000000080", 255: "ff00", -1: "ff",
		-128: "80", -129: "7fff", 1 << 32: "0000000001",
	} {
		if got := hex.EncodeToString(encodeLong(n)); got != want {
			t.Errorf("encodeLong(%d) = %s, want %s", n, got, want)
		}
	}
}

// torchCheck loads a written file with torch.load, prints every tensor, then saves the loaded
// dict again with torch.save and reports whether its pickle and storages equal ours.
const torchCheck = `
import zipfile, os
def records(p):
    z = zipfile.ZipFile(p)
    pre = z.namelist()[0].split("/")[0] + "/"
    return {n[len(pre):]: z.read(n) for n in z.namelist()}
for path in sys.argv[1:]:
    # weights_only: the restricted unpickler that torch.load uses by default since 2.6.
    sd = torch.load(path, weights_only=True)
    print("file", os.path.basename(path), type(sd).__name__)
    for k, v in sd.items():
        print("tensor", k, str(v.dtype), list(v.shape), list(v.stride()), v.storage_offset(), v.requires_grad,
              v.detach().contiguous().numpy().tobytes().hex())
    md = getattr(sd, "_metadata", None)
    print("metadata", None if md is None else ";".join("%s=%s" % (k, v["version"]) for k, v in md.items()))
    resaved = path + ".resaved"
    torch.save(sd, resaved)
    a, b = records(path), records(resaved)
    print("pickle-equal", a["data.pkl"] == b["data.pkl"])
    print("storages-equal", all(a[n] == b[n] for n in b if n.startswith("data/")) and
          sorted(n for n in a if n.startswith("data/")) == sorted(n for n in b if n.startswith("data/")))
`

// manyTensors crosses the pickler's limits: more than 255 memo entries (LONG_BINPUT) and
// more than 1000 dict items (several SETITEMS batches), also in the metadata.
func manyTensors() ([]Tensor, []Module) {
	var ts []Tensor
	for i := range 1201 {
		ts = append(ts, Tensor{Name: fmt.Sprintf("t.%d", i), DType: "int64", Shape: []int{1}, I64: []int64{int64(i) * 1000003}})
	}
	var ms []Module
	for i := range 1001 {
		ms = append(ms, Module{fmt.Sprintf("m%d", i), i % 3})
	}
	return ts, ms
}

// torchSees is what torchCheck prints for a file holding tensors and modules.
func torchSees(file string, tensors []Tensor, modules []Module) []string {
	want := []string{"file " + file + " OrderedDict"}
	for _, ts := range tensors {
		var raw []byte
		for _, x := range ts.F32 {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(x))
		}
		for _, x := range ts.I64 {
			raw = binary.LittleEndian.AppendUint64(raw, uint64(x))
		}
		want = append(want, fmt.Sprintf("tensor %s torch.%s %s %s 0 False %x", ts.Name, ts.DType, pyList(ts.Shape),
			pyList(contiguousStrides(ts.Shape)), raw))
	}
	md := "None"
	if modules != nil {
		var s []string
		for _, m := range modules {
			s = append(s, fmt.Sprintf("%s=%d", m.Name, m.Version))
		}
		md = strings.Join(s, ";")
	}
	return append(want, "metadata "+md, "pickle-equal True", "storages-equal True")
}

// TestWriteTorchLoad has PyTorch load written files and compares what it sees with what was
// written; torch.save of the loaded dict must reproduce our pickle and storages exactly.
func TestWriteTorchLoad(t *testing.T) {
	dir := t.TempDir()
	many, manyModules := manyTensors()
	files := []struct {
		name    string
		tensors []Tensor
		modules []Module
	}{
		{"model.pt", sampleTensors(), sampleModules},
		{"plain.pt", sampleTensors(), nil},
		{"many.pt", many, manyModules},
	}
	var paths, want []string
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := Write(p, f.tensors, f.modules); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		want = append(want, torchSees(f.name, f.tensors, f.modules)...)
	}
	out := pytorchtest.Run(t, torchCheck, paths...)
	got := strings.Split(strings.TrimSpace(out), "\n")
	if !slices.Equal(got, want) {
		for i := range max(len(got), len(want)) {
			g, w := "(none)", "(none)"
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Fatalf("line %d: torch sees\n%s\nwant\n%s", i+1, g, w)
			}
		}
	}
}

func pyList(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}
