package classify

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/testref"
)

// golden is the classifier part of ../shared/reference/golden/mflow_golden.json.
type golden struct {
	Points         [][2]float64            `json:"points"`
	DatasetIndices []int                   `json:"dataset_indices"`
	Probs          [][2]float64            `json:"classifier_probs"`
	FGSM           map[string][][2]float64 `json:"fgsm"`
}

func loadGolden(t *testing.T) *golden {
	t.Helper()
	path := testref.Path(t, "reference", "golden", "mflow_golden.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &g
}

// readLabels returns the labels of the given rows of the reference CSV (header x,y,label;
// data row i is line i+2).
func readLabels(t *testing.T, path string, rows []int) []int32 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var labels []int32
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			if sc.Text() != "x,y,label" {
				t.Fatalf("%s: unexpected header %q", path, sc.Text())
			}
			continue
		}
		fields := strings.Split(sc.Text(), ",")
		if len(fields) != 3 {
			t.Fatalf("%s:%d: %d fields", path, line, len(fields))
		}
		v, err := strconv.Atoi(fields[2])
		if err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		labels = append(labels, int32(v))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	out := make([]int32, len(rows))
	for i, r := range rows {
		if r < 0 || r >= len(labels) {
			t.Fatalf("%s: row %d out of range (%d rows)", path, r, len(labels))
		}
		out[i] = labels[r]
	}
	return out
}

func pairs(p [][2]float64) nn.Mat {
	m := nn.NewMat(len(p), 2)
	for i, v := range p {
		m.Data[2*i], m.Data[2*i+1] = float32(v[0]), float32(v[1])
	}
	return m
}

// normwise returns max|ours − ref| / max|ref| (the reference README's measure).
func normwise(ours []float32, ref [][2]float64) (float64, error) {
	if len(ours) != 2*len(ref) {
		return 0, fmt.Errorf("length %d, golden %d", len(ours), 2*len(ref))
	}
	var err, scale float64
	for i, r := range ref {
		for j := 0; j < 2; j++ {
			err = math.Max(err, math.Abs(float64(ours[2*i+j])-r[j]))
			scale = math.Max(scale, math.Abs(r[j]))
		}
	}
	return err / scale, nil
}

func importOriginal(t *testing.T) *MLP {
	t.Helper()
	path := testref.Path(t, "reference", "checkpoints", "classifier_two_spirals.pt")
	m, err := ImportPyTorch(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.In != 2 || m.Width != 128 || m.Depth != 4 || m.Classes != 2 || m.Output != SoftmaxQuirk {
		t.Fatalf("imported %v, want the original 2→128×5→2 softmax-quirk classifier", m)
	}
	return m
}

func TestGoldenClassifier(t *testing.T) {
	g := loadGolden(t)
	m := importOriginal(t)
	pts := pairs(g.Points)

	probs := m.Probs(pts)
	scores := m.Scores(pts)
	for i := range probs.Data {
		if probs.Data[i] != scores.Data[i] {
			t.Fatalf("quirk model: Scores and Probs differ at %d: %v vs %v", i, scores.Data[i], probs.Data[i])
		}
	}
	rel, err := normwise(probs.Data, g.Probs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("classifier_probs: normwise error %.2e", rel)
	if rel > 1e-4 {
		t.Errorf("classifier_probs: normwise error %.2e > 1e-4", rel)
	}

	const n = 100
	csv := testref.Path(t, "reference", "data", "spiral_dataset_20k.csv")
	y := readLabels(t, csv, g.DatasetIndices[:n])
	x := pts.Slice(0, n)
	for i, p := range m.Predict(x) {
		if p != y[i] {
			t.Errorf("data-set row %d: predicted %d, label %d (the original is 100%% accurate)", g.DatasetIndices[i], p, y[i])
		}
	}
	_, gx := m.LossGrad(x, y)
	epsKeys := make([]string, 0, len(g.FGSM))
	for k := range g.FGSM {
		epsKeys = append(epsKeys, k)
	}
	sort.Strings(epsKeys)
	if len(epsKeys) == 0 {
		t.Fatal("golden file has no fgsm entries")
	}
	for _, k := range epsKeys {
		eps, err := strconv.ParseFloat(k, 64)
		if err != nil {
			t.Fatalf("fgsm key %q: %v", k, err)
		}
		adv := make([]float32, 2*n)
		for i := range adv {
			adv[i] = x.Data[i] + float32(eps)*sign(gx.Data[i])
		}
		rel, err := normwise(adv, g.FGSM[k])
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("fgsm eps=%s: normwise error %.2e", k, rel)
		if rel > 1e-4 {
			for i := 0; i < n; i++ {
				for j := 0; j < 2; j++ {
					if d := math.Abs(float64(adv[2*i+j]) - g.FGSM[k][i][j]); d > 1e-4 {
						t.Logf("  point %d (row %d) coordinate %d: ours %v golden %v (gradient %g)", i, g.DatasetIndices[i], j, adv[2*i+j], g.FGSM[k][i][j], gx.Data[2*i+j])
					}
				}
			}
			t.Errorf("fgsm eps=%s: normwise error %.2e > 1e-4", k, rel)
		}
	}
}

func sign(v float32) float32 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
