package spirals

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/internal/testref"
)

func TestReferenceFilesAgree(t *testing.T) {
	ptPath := testref.Path(t, "reference", "data", "spiral_dataset_20k.pt")
	csvPath := testref.Path(t, "reference", "data", "spiral_dataset_20k.csv")
	pt, err := LoadPT(ptPath)
	if err != nil {
		t.Fatal(err)
	}
	csv, err := LoadCSV(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if pt.N() != 20000 || csv.N() != 20000 {
		t.Fatalf("N = %d (pt) and %d (csv), want 20000", pt.N(), csv.N())
	}
	for i := range pt.N() {
		// Bitwise: the CSV prints the float32 values exactly.
		if math.Float32bits(pt.X[2*i]) != math.Float32bits(csv.X[2*i]) ||
			math.Float32bits(pt.X[2*i+1]) != math.Float32bits(csv.X[2*i+1]) || pt.Y[i] != csv.Y[i] {
			t.Fatalf("row %d: pt (%v, %v, %d), csv (%v, %v, %d)", i,
				pt.X[2*i], pt.X[2*i+1], pt.Y[i], csv.X[2*i], csv.X[2*i+1], csv.Y[i])
		}
	}
	if ones := sum(pt.Y); ones != 10000 {
		t.Errorf("%d points in class 1, want 10000", ones)
	}
	// The original was drawn by the same recipe: class 1 is the negation of class 0.
	for i := range 10000 {
		if pt.X[2*(10000+i)] != -pt.X[2*i] || pt.Y[i] != 0 {
			t.Fatalf("row %d: not the spec's layout", i)
		}
	}
	if pt.Source != ptPath || csv.Source != csvPath {
		t.Errorf("Source %q, %q", pt.Source, csv.Source)
	}
	// Load dispatches on the extension.
	for _, p := range []string{ptPath, csvPath} {
		d, err := Load(p)
		if err != nil || d.N() != 20000 {
			t.Errorf("Load(%s): %v", p, err)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	d, err := Generate(2000, 3, 1.2, 5)
	if err != nil {
		t.Fatal(err)
	}
	// Values whose shortest float32 text is long or unusual.
	d.X[0], d.X[1] = math.SmallestNonzeroFloat32, -math.MaxFloat32
	d.X[2], d.X[3] = float32(math.Copysign(0, -1)), 1e-30
	d.X[4], d.X[5] = 0.1, 16777217 // 2^24 + 1 rounds to 2^24 in float32
	path := filepath.Join(dir, "data.csv")
	if err := SaveCSV(path, d); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.N() != d.N() || !slices.Equal(back.Y, d.Y) {
		t.Fatalf("labels differ after the round trip")
	}
	for i := range d.X {
		if math.Float32bits(back.X[i]) != math.Float32bits(d.X[i]) {
			t.Fatalf("X[%d]: wrote %v, read %v", i, d.X[i], back.X[i])
		}
	}
	// Overwriting works and leaves no temporary files behind.
	small, _ := Generate(4, 0, 1, 1)
	if err := SaveCSV(path, small); err != nil {
		t.Fatal(err)
	}
	if back, err := LoadCSV(path); err != nil || back.N() != 4 {
		t.Fatalf("after overwrite: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after saving, want 1", len(entries))
	}
	text, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(text), "x,y,label\n0,0,0\n") {
		t.Errorf("file starts %q", string(text[:min(len(text), 40)]))
	}
}

func TestSaveCSVErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		d    *Dataset
		want string
	}{
		{&Dataset{X: []float32{1, 2, 3}, Y: []int32{0, 1}}, "3 coordinates for 2 labels"},
		{&Dataset{X: []float32{1, 2}, Y: []int32{2}}, "label 2"},
		{&Dataset{X: []float32{1, float32(math.NaN())}, Y: []int32{0}}, "non-finite"},
		{&Dataset{X: []float32{float32(math.Inf(-1)), 0}, Y: []int32{1}}, "non-finite"},
	}
	for _, c := range cases {
		path := filepath.Join(dir, "bad.csv")
		err := SaveCSV(path, c.d)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SaveCSV: %v, want an error with the path and %q", err, c.want)
		}
	}
	if err := SaveCSV(filepath.Join(dir, "missing", "x.csv"), &Dataset{X: []float32{1, 2}, Y: []int32{0}}); err == nil {
		t.Error("saving into a missing folder succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed saves left %d files", len(entries))
	}
}

func TestLoadCSVGood(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"header":    "x,y,label\n1,2,0\n-3.5,4e-3,1\n",
		"no header": "1,2,0\n-3.5,4e-3,1",
		"crlf":      "x,y,label\r\n1,2,0\r\n-3.5,4e-3,1\r\n",
		"spaces":    "\ufeff X , Y , Label \n\n 1 , 2 , 0 \n\n-3.5,4e-3,1.0\n\n",
	}
	for name, text := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".csv")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := LoadCSV(path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !slices.Equal(d.X, []float32{1, 2, -3.5, 4e-3}) || !slices.Equal(d.Y, []int32{0, 1}) {
			t.Errorf("%s: X %v Y %v", name, d.X, d.Y)
		}
	}
}

func TestLoadCSVErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, text, want string
	}{
		{"empty", "", "no data rows"},
		{"header only", "x,y,label\n", "no data rows"},
		{"blank", "\n\n  \n", "no data rows"},
		{"two columns", "x,y,label\n1,2,0\n3,4\n", ":3: 2 columns, want 3"},
		{"four columns", "1,2,0\n1,2,0,5\n", ":2: 4 columns"},
		{"bad x", "x,y,label\n1,2,0\n0.5,2,1\nabc,2,1\n", `:4: x = "abc" is not a number`},
		{"bad y", "1,2,0\n1,,0\n", `:2: y = "" is not a number`},
		{"nan", "x,y,label\nNaN,1,0\n", ":2: x = \"NaN\" is not finite"},
		{"inf", "1,2,0\n1,-Inf,1\n", ":2: y = \"-Inf\" is not finite"},
		{"overflow", "1,2,0\n1e39,1,1\n", ":2: x = \"1e39\" is out of float32 range"},
		{"label 2", "x,y,label\n1,2,0\n1,2,2\n", `:3: label "2", want 0 or 1`},
		{"label -1", "1,2,-1\n", `:1: label "-1"`},
		{"label 0.5", "1,2,0.5\n", `:1: label "0.5"`},
		{"label text", "1,2,yes\n", `:1: label "yes"`},
		{"second header", "x,y,label\nx,y,label\n", `:2: x = "x" is not a number`},
		{"binary", strings.Repeat("\x00\x01", 5000), ":1: line longer than"},
	}
	for _, c := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".csv")
		if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := LoadCSV(path)
		if err == nil {
			t.Errorf("%s: loaded %d rows, want an error", c.name, d.N())
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "spirals: "+path) || !strings.Contains(msg, c.want) {
			t.Errorf("%s: error %q, want the path and %q", c.name, msg, c.want)
		}
	}
	if _, err := LoadCSV(filepath.Join(dir, "missing.csv")); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("missing file: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "data.txt")); err == nil || !strings.Contains(err.Error(), `".txt"`) {
		t.Errorf("unknown extension: %v", err)
	}
	// A .pt file that is not a checkpoint.
	bad := filepath.Join(dir, "bad.pt")
	os.WriteFile(bad, []byte("x,y,label\n1,2,0\n"), 0o644)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad .pt: %v", err)
	}
}

// The small .pt files in testdata were written by PyTorch 1.13 (testdata/generate.py).
func TestLoadPTFixtures(t *testing.T) {
	for _, name := range []string{"small.pt", "small64.pt"} {
		d, err := LoadPT(filepath.Join("testdata", name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !slices.Equal(d.X, []float32{0.5, -1, 0.25, 2, -0.5, 1}) || !slices.Equal(d.Y, []int32{0, 1, 1}) {
			t.Errorf("%s: X %v Y %v", name, d.X, d.Y)
		}
	}
	cases := []struct{ name, want string }{
		{"badlabel.pt", "Y[1] = 2, want 0 or 1"},
		{"nan.pt", "X[0][1] = NaN is not finite"},
		{"short.pt", `tensor "Y" (int64) has shape [2], want [3]`},
		{"wide.pt", `tensor "X" (float32) has shape [2 3], want [-1 2]`},
		{"names.pt", `no tensor "X"`},
		{"floatlabels.pt", `tensor "Y" is float32, want an integer`},
	}
	for _, c := range cases {
		path := filepath.Join("testdata", c.name)
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with the path and %q", c.name, err, c.want)
		}
	}
}
