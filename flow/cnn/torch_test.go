package cnn

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/flow/torchpt/pytorchtest"
)

// twinScript is the CNN of ../bench/torch_cifar.py. Modes: "make OUT SEED IMAGES LABELS"
// initialises it from SEED and saves its state_dict to OUT; "eval MODEL IMAGES LABELS" loads
// a state_dict; both print the logits and each image's input gradient of its own loss.
const twinScript = `
import json, numpy as np, torch.nn as nn, torch.nn.functional as F
MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
STD = torch.tensor([0.2023, 0.1994, 0.2010]).view(1, 3, 1, 1)
class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 64, 3, padding=1)
        self.c3 = nn.Conv2d(64, 128, 3, padding=1)
        self.f1 = nn.Linear(2048, 128)
        self.f2 = nn.Linear(128, 10)
    def forward(self, x):
        x = (x - MEAN) / STD
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.max_pool2d(F.relu(self.c3(x)), 2)
        return self.f2(F.relu(self.f1(x.flatten(1))))
torch.set_num_threads(1)
mode = sys.argv[1]
m = CNN()
if mode == "make":
    torch.manual_seed(int(sys.argv[3]))
    m = CNN()
    torch.save(m.state_dict(), sys.argv[2])
    imgs, labels = sys.argv[4], sys.argv[5]
else:
    m.load_state_dict(torch.load(sys.argv[2]))
    imgs, labels = sys.argv[3], sys.argv[4]
x = torch.from_numpy(np.fromfile(imgs, dtype="<f4").reshape(-1, 3, 32, 32)).requires_grad_(True)
y = torch.from_numpy(np.fromfile(labels, dtype="<i4").astype(np.int64))
z = m(x)
F.cross_entropy(z, y, reduction="sum").backward()
print(json.dumps({"logits": z.detach().flatten().tolist(), "grad": x.grad.flatten().tolist()}))
`

type twinOut struct {
	Logits []float64 `json:"logits"`
	Grad   []float64 `json:"grad"`
}

func writeRaw(t *testing.T, path string, v any) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := binary.Write(f, binary.LittleEndian, v); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// compareTwin checks our logits, predictions and input gradients against PyTorch's.
func compareTwin(t *testing.T, m *Model, x nn.Mat, y []int32, out string) {
	t.Helper()
	var tw twinOut
	if err := json.Unmarshal([]byte(out), &tw); err != nil {
		t.Fatalf("PyTorch printed %q: %v", out, err)
	}
	z := m.Logits(x)
	if len(tw.Logits) != len(z.Data) || len(tw.Grad) != len(x.Data) {
		t.Fatalf("PyTorch gave %d logits and %d gradients", len(tw.Logits), len(tw.Grad))
	}
	for i, w := range tw.Logits {
		if d := math.Abs(float64(z.Data[i]) - w); d > 1e-5*(1+math.Abs(w)) {
			t.Fatalf("logit %d: %v, PyTorch %v", i, z.Data[i], w)
		}
	}
	_, gx := m.LossGrad(x, y)
	scale := 0.0
	for _, g := range tw.Grad {
		scale = max(scale, math.Abs(g))
	}
	for i, w := range tw.Grad {
		if d := math.Abs(float64(gx.Data[i]) - w); d > 1e-4*scale {
			t.Fatalf("input gradient %d: %v, PyTorch %v (largest %v)", i, gx.Data[i], w, scale)
		}
	}
}

// TestPyTorchTwin imports a state_dict that PyTorch saved and reproduces PyTorch's logits
// and input gradients; then exports a changed model that PyTorch loads and runs the same.
func TestPyTorchTwin(t *testing.T) {
	dir := t.TempDir()
	x, y := randomImages(4, 8)
	imgs, labels := filepath.Join(dir, "x.f32"), filepath.Join(dir, "y.i32")
	writeRaw(t, imgs, x.Data)
	writeRaw(t, labels, y)
	made := filepath.Join(dir, "torch.pt")
	out := pytorchtest.Run(t, twinScript, "make", made, "3", imgs, labels)
	m, err := Load(made)
	if err != nil {
		t.Fatal(err)
	}
	compareTwin(t, m, x, y, out)

	// one training step changes every tensor; PyTorch must read our export
	cfg := DefaultTrainConfig()
	cfg.Epochs = 1
	if err := m.Train(t.Context(), x, y, nn.Mat{}, nil, cfg, nil); err != nil {
		t.Fatal(err)
	}
	ours := filepath.Join(dir, "ours.pt")
	if err := ExportPyTorch(ours, m); err != nil {
		t.Fatal(err)
	}
	compareTwin(t, m, x, y, pytorchtest.Run(t, twinScript, "eval", ours, imgs, labels))
}
