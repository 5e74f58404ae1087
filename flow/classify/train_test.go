package classify

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// twoSpirals generates the Two Spirals data of spec section 1 (n points, noise s, R
// rotations), class 0 first, then the negated class 1.
func twoSpirals(n int, noise, rotations float64, seed uint64) (nn.Mat, []int32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := n / 2
	x := nn.NewMat(2*m, 2)
	y := make([]int32, 2*m)
	for i := 0; i < m; i++ {
		t := math.Sqrt(float64(i) / float64(m-1))
		theta := 2 * math.Pi * rotations * t
		r := theta / (2 * math.Pi)
		a := rng.Float64() * noise / 100
		b := rng.Float64() * noise / 100
		px, py := float32(r*math.Cos(theta)+a), float32(r*math.Sin(theta)+b)
		x.Set(i, 0, px)
		x.Set(i, 1, py)
		x.Set(m+i, 0, -px)
		x.Set(m+i, 1, -py)
		y[m+i] = 1
	}
	return x, y
}

// split shuffles the data with seed and cuts it into train (the first frac) and eval parts.
func split(x nn.Mat, y []int32, frac float64, seed uint64) (nn.Mat, []int32, nn.Mat, []int32) {
	rng := rand.New(rand.NewPCG(seed, 2))
	perm := rng.Perm(x.Rows)
	xs, ys := nn.NewMat(x.Rows, x.Cols), make([]int32, len(y))
	for i, r := range perm {
		copy(xs.Row(i), x.Row(r))
		ys[i] = y[r]
	}
	n := int(frac * float64(x.Rows))
	return xs.Slice(0, n), ys[:n], xs.Slice(n, x.Rows), ys[n:]
}

func trainSpirals(t *testing.T, n, epochs int, seed uint64) (*MLP, []EpochReport) {
	t.Helper()
	x, y := twoSpirals(n, 3, 1.2, 1)
	tx, ty, ex, ey := split(x, y, 0.8, 2)
	m, err := New(2, 64, 2, 2, seed)
	if err != nil {
		t.Fatal(err)
	}
	var reports []EpochReport
	cfg := TrainConfig{Epochs: epochs, Batch: 128, LR: 3e-3, Seed: seed}
	if err := m.Train(context.Background(), tx, ty, ex, ey, cfg, func(r EpochReport) { reports = append(reports, r) }); err != nil {
		t.Fatal(err)
	}
	return m, reports
}

// TestTrainSpirals trains the project's own (Logits) classifier on generated Two Spirals
// data and checks that it separates the arms.
func TestTrainSpirals(t *testing.T) {
	m, reports := trainSpirals(t, 8000, 12, 42)
	if len(reports) != 12 {
		t.Fatalf("%d epoch reports, want 12", len(reports))
	}
	for _, r := range reports {
		t.Logf("epoch %d/%d steps %d: train loss %.4f, eval accuracy %.4f", r.Epoch, r.Epochs, r.Steps, r.TrainLoss, r.EvalAccuracy)
	}
	last := reports[len(reports)-1]
	if last.EvalAccuracy <= 0.95 {
		t.Errorf("eval accuracy %.4f after %d epochs, want > 0.95", last.EvalAccuracy, last.Epoch)
	}
	if last.TrainLoss >= reports[0].TrainLoss {
		t.Errorf("training loss did not fall: %.4f → %.4f", reports[0].TrainLoss, last.TrainLoss)
	}
	if last.Steps != 12*50 {
		t.Errorf("%d steps, want %d (6400 rows in batches of 128, 12 epochs)", last.Steps, 12*50)
	}
	_ = m
}

// TestTrainOriginalRecipeLong runs the original recipe (W=128, K=4, lr 1e-4, batch 512) on
// the full-size generated data for 60 epochs.
func TestTrainOriginalRecipeLong(t *testing.T) {
	if testing.Short() {
		t.Skip("long training run skipped in -short mode")
	}
	x, y := twoSpirals(20000, 3, 1.2, 1)
	tx, ty, ex, ey := split(x, y, 0.8, 2)
	m, err := New(2, 128, 4, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := OriginalTrainConfig()
	var last EpochReport
	if err := m.Train(context.Background(), tx, ty, ex, ey, cfg, func(r EpochReport) { last = r }); err != nil {
		t.Fatal(err)
	}
	t.Logf("original recipe: train loss %.4f, eval accuracy %.4f", last.TrainLoss, last.EvalAccuracy)
	if last.EvalAccuracy < 0.99 {
		t.Errorf("eval accuracy %.4f, want ≥ 0.99", last.EvalAccuracy)
	}
}

func TestTrainDeterministic(t *testing.T) {
	a, ra := trainSpirals(t, 2000, 2, 7)
	b, rb := trainSpirals(t, 2000, 2, 7)
	for i := range a.P {
		if math.Float32bits(a.P[i]) != math.Float32bits(b.P[i]) {
			t.Fatalf("same seed, different weights at %d: %v vs %v", i, a.P[i], b.P[i])
		}
	}
	if ra[1] != rb[1] {
		t.Errorf("same seed, different reports: %+v vs %+v", ra[1], rb[1])
	}
	c, _ := trainSpirals(t, 2000, 2, 8)
	same := true
	for i := range a.P {
		same = same && a.P[i] == c.P[i]
	}
	if same {
		t.Error("different seeds gave identical weights")
	}
}

func TestTrainErrors(t *testing.T) {
	m, err := New(2, 8, 1, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, y := twoSpirals(200, 3, 1.2, 1)
	ctx := context.Background()
	good := TrainConfig{Epochs: 1, Batch: 32, LR: 1e-3}
	for _, tc := range []struct {
		name string
		cfg  TrainConfig
		x    nn.Mat
		y    []int32
		want string
	}{
		{"zero epochs", TrainConfig{Epochs: 0, Batch: 32, LR: 1e-3}, x, y, "epochs"},
		{"huge batch", TrainConfig{Epochs: 1, Batch: 1 << 30, LR: 1e-3}, x, y, "batch"},
		{"NaN lr", TrainConfig{Epochs: 1, Batch: 32, LR: math.NaN()}, x, y, "learning rate"},
		{"negative lr", TrainConfig{Epochs: 1, Batch: 32, LR: -1}, x, y, "learning rate"},
		{"no data", good, nn.NewMat(0, 2), nil, "no training data"},
		{"wrong columns", good, nn.NewMat(4, 3), make([]int32, 4), "columns"},
		{"label count", good, x, y[:10], "labels"},
		{"NaN value", good, withNaN(x, 17), y, "row 17"},
		{"bad label", good, x, withLabel(y, 5, 7), "row 5 has label 7"},
	} {
		err := m.Clone().Train(ctx, tc.x, tc.y, nn.Mat{}, nil, tc.cfg, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	if err := m.Clone().Train(ctx, x, y, withNaN(x, 3), y, good, nil); err == nil || !strings.Contains(err.Error(), "evaluation data row 3") {
		t.Errorf("NaN in eval data: %v", err)
	}

	// cancellation
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	before := append([]float32(nil), m.P...)
	if err := m.Train(cctx, x, y, nn.Mat{}, nil, good, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	for i := range before {
		if before[i] != m.P[i] {
			t.Fatal("a cancelled run changed the parameters")
		}
	}
	// stop after the second epoch from the progress callback
	cctx, cancel = context.WithCancel(ctx)
	var epochs int
	err = m.Clone().Train(cctx, x, y, x, y, TrainConfig{Epochs: 10, Batch: 32, LR: 1e-3}, func(r EpochReport) {
		epochs = r.Epoch
		if r.Epoch == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || epochs != 2 {
		t.Errorf("cancel after epoch 2: err %v after %d epochs", err, epochs)
	}

	// divergence: weights so large that the logits overflow
	bad := m.Clone()
	for i := range bad.P {
		bad.P[i] = 3e38
	}
	err = bad.Train(ctx, x, y, nn.Mat{}, nil, good, nil)
	if err == nil || !strings.Contains(err.Error(), "epoch 1, step 1") {
		t.Errorf("diverging run: %v", err)
	}
}

func withNaN(x nn.Mat, row int) nn.Mat {
	c := x.Clone()
	c.Set(row, 1, float32(math.NaN()))
	return c
}

func withLabel(y []int32, row int, label int32) []int32 {
	c := append([]int32(nil), y...)
	c[row] = label
	return c
}

func TestNewValidates(t *testing.T) {
	for _, c := range [][4]int{{0, 8, 1, 2}, {2, 0, 1, 2}, {2, 8, -1, 2}, {2, 8, 1, 1}, {2, 1 << 20, 1, 2}, {2, 16384, 200, 2}} {
		if _, err := New(c[0], c[1], c[2], c[3], 1); err == nil {
			t.Errorf("New%v accepted", c)
		}
	}
	m, err := New(2, 128, 4, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 6 || m.Layers[5].Out != 2 || m.Layers[0].In != 2 {
		t.Fatalf("layers %+v", m.Layers)
	}
	for i, ln := range m.Layers {
		if want := "layers." + string(rune('0'+2*i)); i < 5 && !strings.HasPrefix(ln.W.Name, want) {
			t.Errorf("layer %d named %s", i, ln.W.Name)
		}
		bound := float32(1 / math.Sqrt(float64(ln.In)))
		for _, v := range ln.W.View(m.P) {
			if v < -bound || v > bound {
				t.Fatalf("layer %d weight %v outside ±%v", i, v, bound)
			}
		}
	}
	if m.Layers[5].W.Name != "layers.10.weight" {
		t.Errorf("head named %s", m.Layers[5].W.Name)
	}
	c := m.Clone()
	c.P[0] = 99
	if m.P[0] == 99 {
		t.Error("Clone shares parameters")
	}
}
