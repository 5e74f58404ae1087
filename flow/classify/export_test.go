package classify

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/flow/torchpt/pytorchtest"
	"github.com/mflowlab/mflowlab/internal/testref"
)

var exportProbe = nn.MatFrom(4, 2, []float32{0, 0, 1.2, -0.7, -2.1, 1.9, 4, -5})

// sameOutputs fails t unless a and b give bitwise equal scores on x.
func sameOutputs(t *testing.T, what string, a, b *MLP, x nn.Mat) {
	t.Helper()
	if sa, sb := a.Scores(x), b.Scores(x); !slices.Equal(sa.Data, sb.Data) {
		t.Errorf("%s: scores %v after the round trip, want %v", what, sb.Data, sa.Data)
	}
}

// TestExportPyTorchReference re-exports the original classifier: reading it back gives the
// same model, and the file equals the original byte for byte (apart from the part of the
// serialization id that depends on torch's C++ library).
func TestExportPyTorchReference(t *testing.T) {
	ref := testref.Path(t, "reference", "checkpoints", "classifier_two_spirals.pt")
	orig, err := ImportPyTorch(ref)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "classifier_two_spirals.pt")
	if err := ExportPyTorch(out, orig); err != nil {
		t.Fatal(err)
	}
	for _, load := range []func(string) (*MLP, error){ImportPyTorch, LoadAny} {
		back, err := load(out)
		if err != nil {
			t.Fatal(err)
		}
		sameParams(t, orig, back)
		sameOutputs(t, "reference", orig, back, exportProbe)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	pytorchtest.CompareArchives(t, got, want)
}

// TestExportPyTorchSizes round-trips other shapes, down to no hidden-to-hidden layer.
func TestExportPyTorchSizes(t *testing.T) {
	for _, c := range []struct{ in, width, depth, classes int }{{3, 5, 0, 4}, {2, 7, 2, 2}, {1, 3, 1, 3}} {
		m := testMLP(t, c.in, c.width, c.depth, c.classes, SoftmaxQuirk, 31)
		path := filepath.Join(t.TempDir(), "clf.pt")
		if err := ExportPyTorch(path, m); err != nil {
			t.Fatal(err)
		}
		back, err := ImportPyTorch(path)
		if err != nil {
			t.Fatal(err)
		}
		sameParams(t, m, back)
		x, _, _ := randomInputs(7, c.in, 2)
		sameOutputs(t, m.String(), m, back, x)
	}
}

func TestExportPyTorchErrors(t *testing.T) {
	dir := t.TempDir()
	good := testMLP(t, 2, 4, 1, 2, SoftmaxQuirk, 32)
	nan := good.Clone()
	nan.P[3] = float32(math.Inf(1))
	logits := testMLP(t, 2, 4, 1, 2, Logits, 32)
	for _, c := range []struct {
		name, file string
		m          *MLP
		want       string
	}{
		{"nil", "nil.pt", nil, "no classifier"},
		{"logits", "logits.pt", logits, "native format (.mfl)"},
		{"inf", "inf.pt", nan, "is +Inf"},
		{"no folder", filepath.Join("missing", "x.pt"), good, "no such file or directory"},
	} {
		path := filepath.Join(dir, c.file)
		err := ExportPyTorch(path, c.m)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %s and saying %q", c.name, err, path, c.want)
		}
		if errors.Is(err, ErrNoPyTorchForm) != (c.name == "logits") {
			t.Errorf("%s: errors.Is(err, ErrNoPyTorchForm) = %v", c.name, errors.Is(err, ErrNoPyTorchForm))
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed exports left %d files behind", len(entries))
	}
}

// torchClassifier rebuilds the original classifier in PyTorch (nn.Sequential of Linear and
// SiLU, softmax output) from each exported file with a strict load_state_dict, checks the
// file against the original when given, and prints the forward of the points.
const torchClassifier = `
import torch.nn as nn
class Classifier(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        mods = []
        for i in range(len(sizes) - 1):
            mods.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                mods.append(nn.SiLU())
        self.layers = nn.Sequential(*mods)
    def forward(self, x):
        return torch.softmax(self.layers(x), dim=1)
args = sys.argv[1:]
for path, orig, points in zip(args[0::3], args[1::3], args[2::3]):
    sd = torch.load(path)
    ws = [v for k, v in sd.items() if k.endswith(".weight")]
    model = Classifier([ws[0].shape[1]] + [w.shape[0] for w in ws])
    model.load_state_dict(sd, strict=True)
    assert sd._metadata == model.state_dict()._metadata, "metadata differs from nn.Sequential's"
    if orig != "-":
        o = torch.load(orig)
        assert list(o.keys()) == list(sd.keys()) and all(torch.equal(o[k], sd[k]) and o[k].stride() == sd[k].stride() for k in o)
        assert o._metadata == sd._metadata
    x = torch.tensor([float(v) for v in points.split(",")]).reshape(-1, ws[0].shape[1])
    with torch.no_grad():
        print(" ".join(repr(float(v)) for v in model(x).flatten()))
`

// TestExportPyTorchTorchLoad loads exported classifiers into the original architecture in
// PyTorch and compares its forward with ours.
func TestExportPyTorchTorchLoad(t *testing.T) {
	dir := t.TempDir()
	var models []*MLP
	var args []string
	points := func(m *MLP) nn.Mat {
		x, _, _ := randomInputs(5, m.In, 3)
		return x
	}
	add := func(m *MLP, orig string) {
		path := filepath.Join(dir, fmt.Sprintf("clf%d.pt", len(models)))
		if err := ExportPyTorch(path, m); err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, v := range points(m).Data {
			s = append(s, strconv.FormatFloat(float64(v), 'g', -1, 32))
		}
		models = append(models, m)
		args = append(args, path, orig, strings.Join(s, ","))
	}
	add(testMLP(t, 3, 5, 0, 4, SoftmaxQuirk, 33), "-")
	add(testMLP(t, 2, 9, 2, 2, SoftmaxQuirk, 34), "-")
	if ref, ok := referenceClassifier(); ok {
		orig, err := ImportPyTorch(ref)
		if err != nil {
			t.Fatal(err)
		}
		add(orig, ref)
	} else {
		t.Log("reference checkpoints absent: comparing the two small classifiers only")
	}
	lines := strings.Split(strings.TrimSpace(pytorchtest.Run(t, torchClassifier, args...)), "\n")
	if len(lines) != len(models) {
		t.Fatalf("torch printed %d lines for %d models:\n%s", len(lines), len(models), strings.Join(lines, "\n"))
	}
	for i, m := range models {
		want := m.Scores(points(m)).Data
		fields := strings.Fields(lines[i])
		if len(fields) != len(want) {
			t.Fatalf("model %d: torch gave %d outputs, want %d", i, len(fields), len(want))
		}
		for j, f := range fields {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(v-float64(want[j])) > 1e-5 {
				t.Errorf("model %d output %d: torch %v, ours %v", i, j, v, want[j])
			}
		}
	}
}

// referenceClassifier returns the original classifier's path when the shared reference
// material is present.
func referenceClassifier() (string, bool) {
	dir, err := testref.Find()
	if err != nil {
		return "", false
	}
	p := filepath.Join(dir, "reference", "checkpoints", "classifier_two_spirals.pt")
	_, err = os.Stat(p)
	return p, err == nil
}
