package torchpt

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/internal/testref"
)

// The fixtures in testdata were written by PyTorch 1.13 (testdata/generate.py).

func TestFixtureValues(t *testing.T) {
	sd, err := Load(filepath.Join("testdata", "fixture.pt"))
	if err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"base", "transposed", "slice", "step", "expand", "f64", "f16", "bf16",
		"i64", "i32", "i16", "i8", "u8", "b", "scalar", "empty", "param", "nested.inner.w"}
	if !slices.Equal(sd.Keys, wantKeys) {
		t.Fatalf("keys %v, want %v", sd.Keys, wantKeys)
	}
	if len(sd.Tensors) != len(wantKeys) {
		t.Fatalf("%d tensors, want %d", len(sd.Tensors), len(wantKeys))
	}
	base := make([]float32, 24)
	for i := range base {
		base[i] = float32(i)
	}
	floats := []struct {
		name  string
		dtype string
		shape []int
		want  []float32
	}{
		{"base", "float32", []int{4, 6}, base},
		// base.t(): stride (1, 6).
		{"transposed", "float32", []int{6, 4}, []float32{
			0, 6, 12, 18, 1, 7, 13, 19, 2, 8, 14, 20, 3, 9, 15, 21, 4, 10, 16, 22, 5, 11, 17, 23}},
		// base[1:3, 2:5]: storage offset 8.
		{"slice", "float32", []int{2, 3}, []float32{8, 9, 10, 14, 15, 16}},
		// base[:, ::2]: stride (6, 2).
		{"step", "float32", []int{4, 3}, []float32{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22}},
		// arange(3).expand(2, 3): stride (0, 1).
		{"expand", "float32", []int{2, 3}, []float32{0, 1, 2, 0, 1, 2}},
		{"f64", "float64", []int{5}, []float32{0, 0.5, 1, 1.5, 2}},
		{"f16", "float16", []int{2}, []float32{1.5, -2}},
		{"bf16", "bfloat16", []int{2}, []float32{1.5, -2}},
		{"scalar", "float32", []int{}, []float32{3.25}},
		{"empty", "float32", []int{0, 3}, []float32{}},
		{"param", "float32", []int{1, 2}, []float32{1, 2}},
	}
	for _, c := range floats {
		tn := sd.Tensors[c.name]
		if tn.Name != c.name || tn.DType != c.dtype || !slices.Equal(tn.Shape, c.shape) || tn.I64 != nil {
			t.Errorf("%s: name %q dtype %s shape %v (I64 set: %v), want %s %v",
				c.name, tn.Name, tn.DType, tn.Shape, tn.I64 != nil, c.dtype, c.shape)
		}
		if !slices.Equal(tn.F32, c.want) {
			t.Errorf("%s: values %v, want %v", c.name, tn.F32, c.want)
		}
		got, err := sd.Float(c.name, c.shape...)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Float(%q, %v) = %v, %v", c.name, c.shape, got, err)
		}
	}
	ints := []struct {
		name  string
		dtype string
		shape []int
		want  []int64
	}{
		{"i64", "int64", []int{2}, []int64{-1 << 40, 7}},
		{"i32", "int32", []int{3}, []int64{-1, 2, -3}},
		{"i16", "int16", []int{2}, []int64{-300, 300}},
		{"i8", "int8", []int{2}, []int64{-128, 127}},
		{"u8", "uint8", []int{3}, []int64{0, 255, 7}},
		{"b", "bool", []int{3}, []int64{1, 0, 1}},
		// arange(6).reshape(2, 3).t() inside {"nested": {"inner": {"w": ...}}}.
		{"nested.inner.w", "int64", []int{3, 2}, []int64{0, 3, 1, 4, 2, 5}},
	}
	for _, c := range ints {
		tn := sd.Tensors[c.name]
		if tn.DType != c.dtype || !slices.Equal(tn.Shape, c.shape) || tn.F32 != nil {
			t.Errorf("%s: dtype %s shape %v, want %s %v", c.name, tn.DType, tn.Shape, c.dtype, c.shape)
		}
		got, err := sd.Int(c.name, c.shape...)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Int(%q, %v) = %v, %v; want %v", c.name, c.shape, got, err, c.want)
		}
	}
}

func TestAccessors(t *testing.T) {
	path := filepath.Join("testdata", "fixture.pt")
	sd, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if sd.Path != path {
		t.Errorf("Path = %q, want %q", sd.Path, path)
	}
	// No shape: any shape; -1: any size in that dimension.
	if v, err := sd.Float("transposed"); err != nil || len(v) != 24 {
		t.Errorf("Float without shape: %d values, %v", len(v), err)
	}
	if _, err := sd.Float("transposed", -1, 4); err != nil {
		t.Errorf("Float with -1: %v", err)
	}
	// The returned slice is a copy.
	v, _ := sd.Float("base")
	v[0] = 99
	if sd.Tensors["base"].F32[0] != 0 {
		t.Error("Float returned the tensor's own slice, not a copy")
	}
	iv, _ := sd.Int("i32")
	iv[0] = 99
	if sd.Tensors["i32"].I64[0] != -1 {
		t.Error("Int returned the tensor's own slice, not a copy")
	}

	errCases := []struct {
		call func() error
		want []string
	}{
		{func() error { _, err := sd.Float("nope", 2); return err }, []string{path, `"nope"`, "no tensor"}},
		{func() error { _, err := sd.Int("nope"); return err }, []string{path, `"nope"`, "no tensor"}},
		{func() error { _, err := sd.Float("transposed", 4, 6); return err },
			[]string{path, `"transposed"`, "[6 4]", "want [4 6]"}},
		{func() error { _, err := sd.Float("transposed", 6); return err }, []string{"[6 4]", "want [6]"}},
		{func() error { _, err := sd.Float("scalar", 1); return err }, []string{"shape []", "want [1]"}},
		{func() error { _, err := sd.Int("i32", 2); return err }, []string{`"i32"`, "[3]", "want [2]"}},
		{func() error { _, err := sd.Float("i64", 2); return err }, []string{path, `"i64"`, "int64", "floating"}},
		{func() error { _, err := sd.Int("base"); return err }, []string{path, `"base"`, "float32", "integer"}},
	}
	for i, c := range errCases {
		err := c.call()
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("case %d: error %q does not mention %q", i, err, w)
			}
		}
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.pt")
	if err := os.WriteFile(text, []byte("x,y,label\n1,2,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.pt")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path string
		want string
	}{
		{filepath.Join(dir, "missing.pt"), "no such file"},
		{dir, "directory"},
		{text, "not a PyTorch zip checkpoint"},
		{empty, "not a PyTorch zip checkpoint"},
		{filepath.Join("testdata", "legacy.pt"), "legacy"},
		{filepath.Join("testdata", "list.pt"), "pickle holds a list, not a dict of tensors"},
		{filepath.Join("testdata", "tensor.pt"), "pickle holds a tensor, not a dict of tensors"},
		{filepath.Join("testdata", "notensors.pt"), "without tensors"},
		{filepath.Join("testdata", "complex.pt"), `tensor "c": unsupported dtype (torch.ComplexFloatStorage)`},
	}
	for _, c := range cases {
		sd, err := Load(c.path)
		if err == nil {
			t.Errorf("%s: loaded %d tensors, want an error", c.path, len(sd.Keys))
			continue
		}
		if sd != nil {
			t.Errorf("%s: non-nil StateDict with error", c.path)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "torchpt: "+c.path+": ") || !strings.Contains(msg, c.want) {
			t.Errorf("%s: error %q, want the path and %q", c.path, msg, c.want)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.pt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v does not wrap fs.ErrNotExist", err)
	}
}

// mflowShapes lists spec section 5.6's layout of an M-Flow state dict.
func mflowShapes() map[string][]int {
	m := map[string][]int{
		"inner_transform.scale":                       {1},
		"inner_transform.shift":                       {1},
		"outer_transform._transforms.16._permutation": {2},
	}
	for s := range 16 {
		p := fmt.Sprintf("outer_transform._transforms.%d._transforms.", s)
		m[p+"0._permutation"] = []int{2}
		m[p+"1.identity_features"] = []int{1}
		m[p+"1.transform_features"] = []int{1}
		n := p + "1.transform_net."
		m[n+"initial_layer.weight"] = []int{100, 1}
		m[n+"initial_layer.bias"] = []int{100}
		for b := range 2 {
			for l := range 2 {
				q := fmt.Sprintf("%sblocks.%d.linear_layers.%d.", n, b, l)
				m[q+"weight"] = []int{100, 100}
				m[q+"bias"] = []int{100}
			}
		}
		m[n+"final_layer.weight"] = []int{23, 100}
		m[n+"final_layer.bias"] = []int{23}
	}
	return m
}

func TestReferenceCheckpoints(t *testing.T) {
	dir := testref.Path(t, "reference", "checkpoints")
	files, err := filepath.Glob(filepath.Join(dir, "*.pt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no checkpoints in %s (%v)", dir, err)
	}
	classifier := map[string][]int{}
	for i, in := range []int{2, 128, 128, 128, 128, 128} {
		out := 128
		if i == 5 {
			out = 2
		}
		classifier[fmt.Sprintf("layers.%d.weight", 2*i)] = []int{out, in}
		classifier[fmt.Sprintf("layers.%d.bias", 2*i)] = []int{out}
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sd, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			isFlow := !strings.HasPrefix(filepath.Base(f), "classifier")
			want := classifier
			if isFlow {
				want = mflowShapes()
			}
			if len(sd.Keys) != len(want) || len(sd.Tensors) != len(want) {
				t.Errorf("%d keys, want %d", len(sd.Keys), len(want))
			}
			for name, shape := range want {
				tn, ok := sd.Tensors[name]
				if !ok {
					t.Errorf("missing %s", name)
					continue
				}
				if !slices.Equal(tn.Shape, shape) {
					t.Errorf("%s: shape %v, want %v", name, tn.Shape, shape)
				}
				isInt := strings.HasSuffix(name, "_permutation") || strings.HasSuffix(name, "_features")
				if isInt {
					if tn.DType != "int64" {
						t.Errorf("%s: dtype %s, want int64", name, tn.DType)
					}
					continue
				}
				if tn.DType != "float32" {
					t.Errorf("%s: dtype %s, want float32", name, tn.DType)
				}
				for i, v := range tn.F32 {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Errorf("%s[%d] = %v", name, i, v)
						break
					}
				}
			}
			if !isFlow {
				if len(sd.Keys) != 12 || sd.Keys[0] != "layers.0.weight" || sd.Keys[11] != "layers.10.bias" {
					t.Errorf("keys %v not in file order", sd.Keys)
				}
			}
			if isFlow {
				if first := "outer_transform._transforms.0._transforms.0._permutation"; sd.Keys[0] != first {
					t.Errorf("first key %s, want %s (file order)", sd.Keys[0], first)
				}
				for s := 0; s <= 16; s++ {
					name := fmt.Sprintf("outer_transform._transforms.%d._transforms.0._permutation", s)
					if s == 16 {
						name = "outer_transform._transforms.16._permutation"
					}
					p, err := sd.Int(name, 2)
					if err != nil {
						t.Fatal(err)
					}
					if !(p[0] == 0 && p[1] == 1 || p[0] == 1 && p[1] == 0) {
						t.Errorf("%s = %v, not a permutation of {0, 1}", name, p)
					}
				}
				for s := range 16 {
					id, _ := sd.Int(fmt.Sprintf("outer_transform._transforms.%d._transforms.1.identity_features", s), 1)
					tr, _ := sd.Int(fmt.Sprintf("outer_transform._transforms.%d._transforms.1.transform_features", s), 1)
					// Spec 5.1: even steps transform feature 0, odd steps feature 1.
					if tr[0] != int64(s%2) || id[0] != int64(1-s%2) {
						t.Errorf("step %d: identity %v transform %v", s, id, tr)
					}
				}
			}
		})
	}
}

func TestReferenceDataset(t *testing.T) {
	pt := testref.Path(t, "reference", "data", "spiral_dataset_20k.pt")
	csvPath := testref.Path(t, "reference", "data", "spiral_dataset_20k.csv")
	sd, err := Load(pt)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sd.Keys, []string{"X", "Y"}) {
		t.Fatalf("keys %v, want [X Y]", sd.Keys)
	}
	x, err := sd.Float("X", 20000, 2)
	if err != nil {
		t.Fatal(err)
	}
	y, err := sd.Int("Y", 20000)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	sc.Scan()
	fields := strings.Split(sc.Text(), ",")
	if len(fields) != 3 {
		t.Fatalf("first CSV row %q", sc.Text())
	}
	for i := range 2 {
		v, err := strconv.ParseFloat(fields[i], 32)
		if err != nil {
			t.Fatal(err)
		}
		if x[i] != float32(v) {
			t.Errorf("X[0][%d] = %v, CSV has %v", i, x[i], float32(v))
		}
	}
	if strconv.FormatInt(y[0], 10) != fields[2] {
		t.Errorf("Y[0] = %d, CSV has %s", y[0], fields[2])
	}
	var ones int64
	for _, v := range y {
		ones += v
	}
	if ones != 10000 {
		t.Errorf("%d labels are 1, want 10000", ones)
	}
}
