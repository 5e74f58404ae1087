package cnn

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow/nn"
)

var _ attack.Classifier = (*Model)(nil)

// randomImages returns n images with pixels uniform in [0, 1] and random labels.
func randomImages(n int, seed uint64) (nn.Mat, []int32) {
	rng := rand.New(rand.NewPCG(seed, 5))
	x := nn.NewMat(n, Pixels)
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64())
	}
	y := make([]int32, n)
	for i := range y {
		y[i] = int32(rng.IntN(Classes))
	}
	return x, y
}

func TestLogitsMatchReference(t *testing.T) {
	m := New(1)
	x, _ := randomImages(3, 1)
	z := m.Logits(x)
	for i := 0; i < x.Rows; i++ {
		want := refLogits(m, x.Row(i))
		for j, w := range want {
			if d := math.Abs(float64(z.At(i, j)) - w); d > 1e-5*(1+math.Abs(w)) {
				t.Fatalf("image %d logit %d: %v, float64 reference %v", i, j, z.At(i, j), w)
			}
		}
	}
}

// fdStep perturbs *v by ±h (the steps float32 actually takes) and returns the central
// difference of f.
func fdStep(v *float32, h float32, f func() float64) float64 {
	old := *v
	*v = old + h
	up, fp := *v, f()
	*v = old - h
	down, fm := *v, f()
	*v = old
	return (fp - fm) / (float64(up) - float64(down))
}

func TestLossGradMatchesFiniteDifferences(t *testing.T) {
	m := New(2)
	x, y := randomImages(2, 2)
	loss, gx := m.LossGrad(x, y)
	rng := rand.New(rand.NewPCG(2, 2))
	for i := 0; i < x.Rows; i++ {
		if want := refLoss(m, x.Row(i), y[i]); math.Abs(float64(loss[i])-want) > 1e-5 {
			t.Fatalf("image %d loss %v, float64 reference %v", i, loss[i], want)
		}
		scale := 0.0
		for _, g := range gx.Row(i) {
			scale = max(scale, math.Abs(float64(g)))
		}
		for k := 0; k < 3; k++ {
			p := rng.IntN(Pixels)
			fd := fdStep(&x.Row(i)[p], 1e-6, func() float64 { return refLoss(m, x.Row(i), y[i]) })
			if g := float64(gx.At(i, p)); math.Abs(g-fd) > 2e-3*scale {
				t.Errorf("image %d pixel %d: gradient %v, finite difference %v (largest |gradient| %v)", i, p, g, fd, scale)
			}
		}
	}
}

func TestParamGradMatchesFiniteDifferences(t *testing.T) {
	m := New(3)
	x, y := randomImages(2, 3)
	tr := newTrainer(m, x, y, 2, nn.NewAdam(len(m.P)))
	rows := []int{0, 1}
	loss := tr.gradient(rows, nil, nil)
	mean := func() float64 { return (refLoss(m, x.Row(0), y[0]) + refLoss(m, x.Row(1), y[1])) / 2 }
	if want := mean(); math.Abs(loss-want) > 1e-5 {
		t.Fatalf("mean loss %v, float64 reference %v", loss, want)
	}
	for _, s := range m.Layout.Specs {
		if testing.Short() && !strings.HasSuffix(s.Name, ".weight") {
			continue
		}
		// the largest gradient entry: the reference costs a full float64 forward pass
		g := s.View(tr.grad)
		j := 0
		for i, v := range g {
			if math.Abs(float64(v)) > math.Abs(float64(g[j])) {
				j = i
			}
		}
		fd := fdStep(&m.P[s.Off+j], 1e-6, mean)
		if d := math.Abs(float64(g[j]) - fd); d > 2e-3*math.Abs(float64(g[j]))+1e-7 {
			t.Errorf("%s[%d]: gradient %v, finite difference %v", s.Name, j, g[j], fd)
		}
	}
}

// TestDeterministicAcrossWorkers trains a few augmented steps (batches that do not fill
// their groups) with 1, 2 and 3 goroutines: the same bits.
func TestDeterministicAcrossWorkers(t *testing.T) {
	x, y := randomImages(45, 4)
	var want []float32
	for _, workers := range []int{1, 2, 3} {
		m := New(4)
		m.Workers = workers
		cfg := DefaultTrainConfig()
		cfg.Epochs, cfg.Batch, cfg.Seed = 1, 37, 9
		if err := m.Train(context.Background(), x, y, nn.Mat{}, nil, cfg, nil); err != nil {
			t.Fatal(err)
		}
		_, gx := m.LossGrad(x, y)
		got := append(append([]float32(nil), m.P...), gx.Data...)
		if want == nil {
			want = got
			continue
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%d workers: value %d is %v, with 1 worker %v", workers, i, got[i], want[i])
			}
		}
	}
}

func TestAugmentation(t *testing.T) {
	for _, c := range [][2]int{{-4, 4}, {-1, 1}, {0, 0}, {31, 31}, {32, 30}, {35, 27}} {
		if got := reflect(c[0]); got != c[1] {
			t.Errorf("reflect(%d) = %d, want %d", c[0], got, c[1])
		}
	}
	x, _ := randomImages(1, 5)
	w := newWorker().view(1)
	mean, std := Normalisation()
	at := func(c, y, xx int) float32 { return (x.Data[(c*Side+y)*Side+xx] - mean[c]) / std[c] }
	check := func(cr crop, src func(y, xx int) (int, int)) {
		t.Helper()
		w.load(x.Data, []crop{cr})
		for c := 0; c < Channels; c++ {
			for y := 0; y < Side; y++ {
				for xx := 0; xx < Side; xx++ {
					sy, sx := src(y, xx)
					if got, want := w.a0.Data[(y*Side+xx)*Channels+c], at(c, sy, sx); got != want {
						t.Fatalf("crop %+v: channel %d pixel (%d,%d) is %v, want source (%d,%d) = %v", cr, c, y, xx, got, sy, sx, want)
					}
				}
			}
		}
	}
	check(crop{Dy: 4, Dx: 4}, func(y, xx int) (int, int) { return y, xx })
	check(crop{Dy: 4, Dx: 4, Flip: true}, func(y, xx int) (int, int) { return y, Side - 1 - xx })
	check(crop{Dy: 0, Dx: 8}, func(y, xx int) (int, int) { return reflect(y - 4), reflect(xx + 4) })
	check(crop{Dy: 8, Dx: 1, Flip: true}, func(y, xx int) (int, int) { return reflect(y + 4), reflect(Side - 1 - xx - 3) })
}

func TestPredictAndProbs(t *testing.T) {
	m := New(6)
	x, _ := randomImages(20, 6)
	p := m.Probs(nn.Mat{}, x)
	pred := m.Predict(x)
	for i := 0; i < x.Rows; i++ {
		var s float64
		for _, v := range p.Row(i) {
			s += float64(v)
		}
		if math.Abs(s-1) > 1e-5 || argmax(p.Row(i)) != pred[i] {
			t.Fatalf("image %d: probabilities %v (sum %v), prediction %d", i, p.Row(i), s, pred[i])
		}
	}
	if got := attack.NumClasses(m); got != Classes {
		t.Fatalf("attack.NumClasses = %d", got)
	}
}

func TestBadInputs(t *testing.T) {
	m := New(7)
	for name, f := range map[string]func(){
		"columns": func() { m.Predict(nn.NewMat(2, 100)) },
		"labels":  func() { m.LossGrad(nn.NewMat(2, Pixels), []int32{1}) },
		"label":   func() { m.LossGrad(nn.NewMat(1, Pixels), []int32{10}) },
		"probs":   func() { m.Probs(nn.NewMat(3, Classes), nn.NewMat(2, Pixels)) },
	} {
		func() {
			defer func() {
				if s, ok := recover().(string); !ok || !strings.HasPrefix(s, "cnn: ") {
					t.Errorf("%s: want a cnn: panic, got %v", name, s)
				}
			}()
			f()
		}()
	}
	x, y := randomImages(3, 7)
	x.Data[5] = float32(math.NaN())
	cfg := DefaultTrainConfig()
	if err := m.Train(context.Background(), x, y, nn.Mat{}, nil, cfg, nil); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("NaN pixel: %v", err)
	}
	cfg.LR = -1
	if err := m.Train(context.Background(), x, y, nn.Mat{}, nil, cfg, nil); err == nil {
		t.Error("negative learning rate accepted")
	}
}

// TestStepMatchesGradientThenAdam checks the fused training step (Adam applied range by
// range as the gradient completes, weights re-prepared) against the gradient, one plain
// Adam update and a fresh preparation: the same bits.
func TestStepMatchesGradientThenAdam(t *testing.T) {
	x, y := randomImages(40, 9)
	rows := make([]int, 40)
	for i := range rows {
		rows[i] = (i * 7) % 40
	}
	a, b := New(9), New(9)
	ta := newTrainer(a, x, y, 40, nn.NewAdam(len(a.P)))
	tb := newTrainer(b, x, y, 40, nn.NewAdam(len(b.P)))
	for k := 0; k < 2; k++ {
		ta.step(rows, nil, 1e-3)
		tb.gradient(rows, nil, nil)
		tb.adam.Update(b.P, tb.grad, 1e-3)
		tb.pw = b.prepare(tb.pw)
	}
	for i := range a.P {
		if math.Float32bits(a.P[i]) != math.Float32bits(b.P[i]) {
			t.Fatalf("parameter %d: fused step %v, gradient then Adam %v", i, a.P[i], b.P[i])
		}
	}
	// the trainer's prepared weights are those of the updated parameters
	w := newWorker().view(Group)
	w.load(x.Data[:Group*Pixels], nil)
	a.forward(ta.pw, w, false)
	got := append([]float32(nil), w.logits...)
	a.forward(a.prepare(nil), w, false)
	for i, v := range w.logits {
		if math.Float32bits(got[i]) != math.Float32bits(v) {
			t.Fatalf("logit %d with the trainer's prepared weights %v, freshly prepared %v", i, got[i], v)
		}
	}
}

// TestPreparedFollowsParameters checks that the cached kernel form of the weights follows
// changes of P made in place: after a change the logits are those of a model built afresh
// with the new parameters, and an unchanged P gives the same logits again.
func TestPreparedFollowsParameters(t *testing.T) {
	m := New(3)
	x, _ := randomImages(3, 9)
	before := m.Logits(x)
	if again := m.Logits(x); !equalMat(before, again) {
		t.Fatal("logits changed without a parameter change")
	}
	for i := range m.P {
		m.P[i] *= 0.9
	}
	after := m.Logits(x)
	fresh := NewArch()
	copy(fresh.P, m.P)
	if want := fresh.Logits(x); !equalMat(after, want) {
		t.Fatal("after P changed in place, the logits are not those of a fresh model with the new P")
	}
	if equalMat(before, after) {
		t.Fatal("scaling every parameter left the logits unchanged: the cached weights were used")
	}
}

func equalMat(a, b nn.Mat) bool {
	if a.Rows != b.Rows || a.Cols != b.Cols {
		return false
	}
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			return false
		}
	}
	return true
}
