//go:build !race

// The PyTorch twin check trains, fits and attacks real images: seconds of arithmetic that the
// race detector would stretch to minutes, with nothing concurrent to check that other tests
// do not cover.

package pca_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/flow/pca"
	"github.com/mflowlab/mflowlab/flow/torchpt/pytorchtest"
	"github.com/mflowlab/mflowlab/internal/testref"
	"github.com/mflowlab/mflowlab/sim/cifar"
)

// twinScript runs the yardstick's own code (../shared/bench/torch_cifar.py: CNN, fgsm,
// PCAProject, accuracy) on the same model, images and PGD start points as the Go side and
// prints the accuracies as JSON. PGD continues torch_cifar.pgd's loop from the given start
// (Go's seeded random start), so the two sides differ only by float rounding.
// The file is grouped by class, so the subsets take every 4th training image and every 10th
// evaluation image. Arguments: bench folder, model .pt, dims, start file.
const twinScript = `
import json, numpy as np, torch.nn as nn, torch.nn.functional as F
sys.path.insert(0, sys.argv[1])
import torch_cifar as tc
torch.set_num_threads(2)
model = tc.load_model(sys.argv[2])
dims = [int(d) for d in sys.argv[3].split(",")]
(xt, _), (xe, ye) = tc.load()
xt, xe, ye = xt[::4], xe[::10], ye[::10]
x0 = torch.from_numpy(np.fromfile(sys.argv[4], dtype="<f4").reshape(xe.shape))
eps = 8 / 255

def pgd_from(m, x, y, xa, eps, steps, alpha):
    for _ in range(steps):
        xa = xa.clone().requires_grad_(True)
        F.cross_entropy(m(xa), y, reduction="sum").backward()
        xa = xa + alpha * xa.grad.sign()
        xa = torch.min(torch.max(xa, x - eps), x + eps).clamp(0, 1).detach()
    return xa

out = {"clean": tc.accuracy(model, xe, ye), "fgsm": {}, "pca": {}}
for e in (1, 2, 4, 8):
    out["fgsm"][str(e)] = tc.accuracy(model, tc.fgsm(model, xe, ye, e / 255), ye)
xn = pgd_from(model, xe, ye, x0, eps, 10, eps / 4)
out["pgd"] = tc.accuracy(model, xn, ye)
full = tc.PCAProject(xt, max(dims))  # one SVD; each d keeps the leading columns
for d in dims:
    proj = tc.PCAProject.__new__(tc.PCAProject)
    nn.Module.__init__(proj)
    proj.mean, proj.v = full.mean, full.v[:, :d].contiguous()
    defended = nn.Sequential(proj, model).eval()
    with torch.no_grad():
        pred = defended(xe).argmax(1).tolist()
    xa = pgd_from(defended, xe, ye, x0, eps, 10, eps / 4)
    out["pca"][str(d)] = {"clean": tc.accuracy(defended, xe, ye), "pred": pred,
        "nonadaptive": tc.accuracy(defended, xn, ye), "adaptive": tc.accuracy(defended, xa, ye)}
print(json.dumps(out))
`

type twinPCA struct {
	Clean       float64 `json:"clean"`
	Pred        []int32 `json:"pred"`
	NonAdaptive float64 `json:"nonadaptive"`
	Adaptive    float64 `json:"adaptive"`
}

type twinResult struct {
	Clean float64            `json:"clean"`
	FGSM  map[string]float64 `json:"fgsm"`
	PGD   float64            `json:"pgd"`
	PCA   map[string]twinPCA `json:"pca"`
}

// TestPyTorchTwin checks the PCA defence and the attacks on images against the PyTorch
// yardstick, same model and images: clean accuracy of CNN∘project (d = 16, 64, 256) within 2
// points, PGD-10 at ε = 8/255 non-adaptive and adaptive within 2 points, FGSM within 0.5
// points. The model is MFLOWLAB_CIFAR_MODEL (a .pt state_dict, e.g. from torch_cifar.py
// train --out) or, by default, a CNN trained here for one epoch on 2 000 images and exported.
func TestPyTorchTwin(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the PyTorch twin (about a minute of CPU: training, fitting, attacking)")
	}
	data := testref.Path(t, "cifar10", "test_batch.bin")
	bench := testref.Path(t, "bench", "torch_cifar.py")
	dims := []int{16, 64, 256}
	train, err := cifar.Load(data, cifar.Train)
	if err != nil {
		t.Fatal(err)
	}
	eval, err := cifar.Load(data, cifar.Eval)
	if err != nil {
		t.Fatal(err)
	}
	xt, yt := every(train, 4)
	xe, ye := every(eval, 10)
	n := xe.Rows
	dir := t.TempDir()

	modelPath := os.Getenv("MFLOWLAB_CIFAR_MODEL")
	var m *cnn.Model
	if modelPath == "" {
		m = cnn.New(1)
		cfg := cnn.DefaultTrainConfig()
		cfg.Epochs = 3
		if err := m.Train(context.Background(), xt, yt, nn.Mat{}, nil, cfg, nil); err != nil {
			t.Fatal(err)
		}
		modelPath = filepath.Join(dir, "cnn.pt")
		if err := cnn.ExportPyTorch(modelPath, m); err != nil {
			t.Fatal(err)
		}
	} else if m, err = cnn.Load(modelPath); err != nil {
		t.Fatal(err)
	}

	box := &attack.Box{Min: []float64{0}, Max: []float64{1}}
	accuracy := func(x nn.Mat) float64 {
		ok := 0
		for i, c := range m.Predict(x) {
			if c == ye[i] {
				ok++
			}
		}
		return float64(ok) / float64(n)
	}
	const eps = 8.0 / 255
	pgd := attack.Params{Kind: attack.PGD, Eps: eps, Alpha: eps / 4, Steps: 10, RandomStart: true, Seed: 1, Box: box}
	bare, err := attack.Run(m, xe, ye, pgd)
	if err != nil {
		t.Fatal(err)
	}
	start := filepath.Join(dir, "start.f32")
	writeFloats(t, start, bare.Path[0].Data)
	torchOut := pytorchtest.Run(t, twinScript, filepath.Dir(bench), modelPath,
		strings.Trim(strings.Join(strings.Fields(fmt.Sprint(dims)), ","), "[]"), start)
	var tw twinResult
	if err := json.Unmarshal([]byte(torchOut), &tw); err != nil {
		t.Fatalf("PyTorch printed %q: %v", torchOut, err)
	}

	check := func(what string, ours, theirs, tol float64) {
		t.Helper()
		t.Logf("%-34s ours %.3f  PyTorch %.3f", what, ours, theirs)
		if math.Abs(ours-theirs) > tol+1e-9 {
			t.Errorf("%s: ours %.3f, PyTorch %.3f (allowed ±%.3f)", what, ours, theirs, tol)
		}
	}
	check("clean accuracy", accuracy(xe), tw.Clean, 0.005)
	for _, e := range []int{1, 2, 4, 8} {
		adv, err := attack.Run(m, xe, ye, attack.Params{Kind: attack.FGSM, Eps: float64(e) / 255, Box: box})
		if err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("FGSM ε = %d/255", e), accuracy(adv.Adv), tw.FGSM[fmt.Sprint(e)], 0.005)
	}
	check("PGD-10 ε = 8/255", accuracy(bare.Adv), tw.PGD, 0.02)

	basis, err := pca.Fit(xt, pca.Options{Components: 256})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dims {
		proj, err := basis.Projection(d)
		if err != nil {
			t.Fatal(err)
		}
		want := tw.PCA[fmt.Sprint(d)]
		pred := m.Predict(proj.Project(nn.Mat{}, xe))
		flips := 0
		for i, c := range pred {
			if c != want.Pred[i] {
				flips++
			}
		}
		t.Logf("d = %d: %d of %d clean predictions of CNN∘project differ from PyTorch's", d, flips, n)
		if flips > 3 {
			t.Errorf("d = %d: %d predictions of CNN∘project differ from PyTorch's", d, flips)
		}
		check(fmt.Sprintf("PCA d = %d clean", d), accuracy(proj.Project(nn.Mat{}, xe)), want.Clean, 0.02)
		check(fmt.Sprintf("PCA d = %d PGD non-adaptive", d), accuracy(proj.Project(nn.Mat{}, bare.Adv)), want.NonAdaptive, 0.02)
		ad, err := attack.Run(attack.Defended{Clf: m, Proj: proj}, xe, ye, pgd)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range ad.Path[0].Data {
			if v != bare.Path[0].Data[i] {
				t.Fatalf("the adaptive attack started elsewhere (value %d)", i)
			}
		}
		check(fmt.Sprintf("PCA d = %d PGD adaptive", d), accuracy(proj.Project(nn.Mat{}, ad.Adv)), want.Adaptive, 0.02)
	}
}

// every returns every k-th image of s and its label.
func every(s *cifar.Set, k int) (nn.Mat, []int32) {
	x := nn.NewMat((s.Len()+k-1)/k, s.Images.Cols)
	y := make([]int32, x.Rows)
	for i := range y {
		copy(x.Row(i), s.Images.Row(i*k))
		y[i] = s.Labels[i*k]
	}
	return x, y
}

func writeFloats(t *testing.T, path string, v []float32) {
	t.Helper()
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
