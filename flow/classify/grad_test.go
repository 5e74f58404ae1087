package classify

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// ref64Scores is an independent float64 implementation of the forward pass (the model's
// scores: logits, or softmax probabilities for SoftmaxQuirk) for one input row.
func ref64Scores(m *MLP, p []float64, x []float64) []float64 {
	h := x
	for l, ln := range m.Layers {
		z := make([]float64, ln.Out)
		for o := range z {
			s := p[ln.B.Off+o]
			for i, v := range h {
				s += p[ln.W.Off+o*ln.In+i] * v
			}
			z[o] = s
		}
		if l < len(m.Layers)-1 {
			for o, v := range z {
				z[o] = v / (1 + math.Exp(-v))
			}
		}
		h = z
	}
	if m.Output == SoftmaxQuirk {
		h = softmax64(h)
	}
	return h
}

func softmax64(v []float64) []float64 {
	mx := math.Inf(-1)
	for _, x := range v {
		mx = math.Max(mx, x)
	}
	out := make([]float64, len(v))
	var s float64
	for i, x := range v {
		out[i] = math.Exp(x - mx)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

// ce64 is the textbook cross-entropy of scores read as logits.
func ce64(s []float64, y int) float64 {
	mx := math.Inf(-1)
	for _, x := range s {
		mx = math.Max(mx, x)
	}
	var sum float64
	for _, x := range s {
		sum += math.Exp(x - mx)
	}
	return mx + math.Log(sum) - s[y]
}

func params64(m *MLP) []float64 {
	p := make([]float64, len(m.P))
	for i, v := range m.P {
		p[i] = float64(v)
	}
	return p
}

// testMLP returns a randomly initialised model with the given output kind, weights scaled so
// that activations leave SiLU's near-linear range.
func testMLP(t *testing.T, in, width, depth, classes int, out OutputKind, seed uint64) *MLP {
	t.Helper()
	m, err := New(in, width, depth, classes, seed)
	if err != nil {
		t.Fatal(err)
	}
	m.Output = out
	for i := range m.P {
		m.P[i] *= 2
	}
	return m
}

func randomInputs(rows, cols int, seed uint64) (nn.Mat, []int32, *rand.Rand) {
	rng := rand.New(rand.NewPCG(seed, 3))
	x := nn.NewMat(rows, cols)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64() * 1.5)
	}
	return x, nil, rng
}

func kinds() []OutputKind { return []OutputKind{Logits, SoftmaxQuirk} }

// TestInputGradFiniteDifferences checks LossGrad's per-sample losses against the float64
// reference and its input gradients against central differences of that reference.
func TestInputGradFiniteDifferences(t *testing.T) {
	for _, kind := range kinds() {
		m := testMLP(t, 2, 24, 2, 3, kind, 11)
		p := params64(m)
		x, _, rng := randomInputs(600, 2, 5) // several chunks
		y := make([]int32, x.Rows)
		for i := range y {
			y[i] = int32(rng.IntN(m.Classes))
		}
		loss, gx := m.LossGrad(x, y)
		var maxLossErr, maxGradErr, gradScale float64
		for i := 0; i < x.Rows; i++ {
			xi := []float64{float64(x.At(i, 0)), float64(x.At(i, 1))}
			want := ce64(ref64Scores(m, p, xi), int(y[i]))
			maxLossErr = math.Max(maxLossErr, math.Abs(float64(loss[i])-want)/math.Max(1, math.Abs(want)))
			for j := range xi {
				const h = 1e-5
				xp := append([]float64(nil), xi...)
				xm := append([]float64(nil), xi...)
				xp[j] += h
				xm[j] -= h
				fd := (ce64(ref64Scores(m, p, xp), int(y[i])) - ce64(ref64Scores(m, p, xm), int(y[i]))) / (2 * h)
				maxGradErr = math.Max(maxGradErr, math.Abs(float64(gx.At(i, j))-fd))
				gradScale = math.Max(gradScale, math.Abs(fd))
			}
		}
		t.Logf("%v: max loss error %.2e, input-gradient normwise error %.2e (scale %.3g)", kind, maxLossErr, maxGradErr/gradScale, gradScale)
		if maxLossErr > 1e-5 {
			t.Errorf("%v: per-sample loss differs from the float64 reference by %.2e", kind, maxLossErr)
		}
		if maxGradErr > 1e-4*gradScale {
			t.Errorf("%v: input gradient normwise error %.2e vs finite differences", kind, maxGradErr/gradScale)
		}
	}
}

// TestInputGradUpstream checks InputGrad for an arbitrary upstream gradient: the loss
// Σ_j w_j·score_j with per-row weights.
func TestInputGradUpstream(t *testing.T) {
	for _, kind := range kinds() {
		m := testMLP(t, 3, 16, 1, 4, kind, 12)
		p := params64(m)
		x, _, rng := randomInputs(40, 3, 6)
		w := make([]float64, x.Rows*m.Classes)
		for i := range w {
			w[i] = rng.NormFloat64()
		}
		gx := m.InputGrad(x, func(row int, scores, g []float32) {
			for j := range g {
				g[j] = float32(w[row*m.Classes+j])
			}
		})
		scores := m.Scores(x)
		var maxErr, scale float64
		for i := 0; i < x.Rows; i++ {
			xi := []float64{float64(x.At(i, 0)), float64(x.At(i, 1)), float64(x.At(i, 2))}
			s := ref64Scores(m, p, xi)
			for j, v := range s {
				if d := math.Abs(float64(scores.At(i, j)) - v); d > 1e-5*math.Max(1, math.Abs(v)) {
					t.Errorf("%v: score (%d,%d) = %v, reference %v", kind, i, j, scores.At(i, j), v)
				}
			}
			f := func(x []float64) float64 {
				var l float64
				for j, v := range ref64Scores(m, p, x) {
					l += w[i*m.Classes+j] * v
				}
				return l
			}
			for j := range xi {
				const h = 1e-5
				xp := append([]float64(nil), xi...)
				xm := append([]float64(nil), xi...)
				xp[j] += h
				xm[j] -= h
				fd := (f(xp) - f(xm)) / (2 * h)
				maxErr = math.Max(maxErr, math.Abs(float64(gx.At(i, j))-fd))
				scale = math.Max(scale, math.Abs(fd))
			}
		}
		if maxErr > 1e-4*scale {
			t.Errorf("%v: upstream input gradient normwise error %.2e", kind, maxErr/scale)
		}
	}
}

// TestParamGradFiniteDifferences checks the mean-loss parameter gradient coordinate-wise on
// a sample of parameters (every layer's weights and biases) against central differences of
// the float64 reference.
func TestParamGradFiniteDifferences(t *testing.T) {
	for _, kind := range kinds() {
		m := testMLP(t, 2, 20, 2, 2, kind, 13)
		x, _, rng := randomInputs(300, 2, 7) // three gradient chunks, the last one partial
		y := make([]int32, x.Rows)
		for i := range y {
			y[i] = int32(rng.IntN(m.Classes))
		}
		grad := make([]float32, len(m.P))
		loss := m.ParamGrad(nil, x, y, grad)
		p := params64(m)
		meanLoss := func(p []float64) float64 {
			var s float64
			for i := 0; i < x.Rows; i++ {
				s += ce64(ref64Scores(m, p, []float64{float64(x.At(i, 0)), float64(x.At(i, 1))}), int(y[i]))
			}
			return s / float64(x.Rows)
		}
		if want := meanLoss(p); math.Abs(loss-want) > 1e-5*math.Max(1, want) {
			t.Errorf("%v: mean loss %v, reference %v", kind, loss, want)
		}
		var idx []int
		for _, s := range m.Layout.Specs {
			for k := 0; k < 6; k++ {
				idx = append(idx, s.Off+rng.IntN(s.Size()))
			}
		}
		scale := nn.Norm(grad) / math.Sqrt(float64(len(grad)))
		for _, i := range idx {
			const h = 1e-6
			pp, pm := append([]float64(nil), p...), append([]float64(nil), p...)
			pp[i] += h
			pm[i] -= h
			fd := (meanLoss(pp) - meanLoss(pm)) / (2 * h)
			if d := math.Abs(fd - float64(grad[i])); d > 1e-4*math.Max(math.Abs(fd), scale) {
				t.Errorf("%v: gradient of %s: finite difference %.6g, analytic %.6g", kind, specOf(m, i), fd, grad[i])
			}
		}
		// ParamGrad adds into grad.
		grad2 := append([]float32(nil), grad...)
		m.ParamGrad(nil, x, y, grad2)
		for i := range grad {
			if math.Abs(float64(grad2[i]-2*grad[i])) > 1e-5*math.Max(scale, math.Abs(float64(grad[i]))) {
				t.Fatalf("%v: ParamGrad does not add into grad (%v then %v)", kind, grad[i], grad2[i])
			}
		}
	}
}

func specOf(m *MLP, i int) string {
	for _, s := range m.Layout.Specs {
		if i >= s.Off && i < s.Off+s.Size() {
			return s.Name
		}
	}
	return "?"
}

// TestIndependentOfCores checks that scores, input gradients and parameter gradients are
// bit-identical with one and with several goroutines.
func TestIndependentOfCores(t *testing.T) {
	m := testMLP(t, 2, 32, 2, 2, SoftmaxQuirk, 14)
	x, _, rng := randomInputs(1000, 2, 8)
	y := make([]int32, x.Rows)
	for i := range y {
		y[i] = int32(rng.IntN(2))
	}
	run := func() (nn.Mat, nn.Mat, []float32, float64) {
		_, gx := m.LossGrad(x, y)
		grad := make([]float32, len(m.P))
		loss := m.ParamGrad(nil, x, y, grad)
		return m.Scores(x), gx, grad, loss
	}
	old := runtime.GOMAXPROCS(1)
	s1, g1, p1, l1 := run()
	runtime.GOMAXPROCS(4)
	s4, g4, p4, l4 := run()
	runtime.GOMAXPROCS(old)
	same := func(name string, a, b []float32) {
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s differs at %d with 1 and 4 procs: %v vs %v", name, i, a[i], b[i])
			}
		}
	}
	same("scores", s1.Data, s4.Data)
	same("input gradient", g1.Data, g4.Data)
	same("parameter gradient", p1, p4)
	if l1 != l4 {
		t.Fatalf("loss differs: %v vs %v", l1, l4)
	}
	// A batch's rows give the same per-sample results alone as in the batch.
	_, gOne := m.LossGrad(x.Slice(700, 701), y[700:701])
	same("single-row gradient", gOne.Data, g1.Slice(700, 701).Data)
}

func TestPredictAndProbs(t *testing.T) {
	m := testMLP(t, 2, 8, 1, 3, Logits, 15)
	x, _, _ := randomInputs(50, 2, 9)
	logits, probs, pred := m.Scores(x), m.Probs(x), m.Predict(x)
	p := params64(m)
	for i := 0; i < x.Rows; i++ {
		want := softmax64(ref64Scores(m, p, []float64{float64(x.At(i, 0)), float64(x.At(i, 1))}))
		var sum float64
		for j, v := range want {
			sum += float64(probs.At(i, j))
			if math.Abs(float64(probs.At(i, j))-v) > 1e-6 {
				t.Errorf("probs (%d,%d) = %v, want %v", i, j, probs.At(i, j), v)
			}
		}
		if math.Abs(sum-1) > 1e-6 {
			t.Errorf("row %d: probabilities sum to %v", i, sum)
		}
		if int(pred[i]) != argmax(logits.Row(i)) {
			t.Errorf("row %d: predicted %d, largest logit at %d", i, pred[i], argmax(logits.Row(i)))
		}
	}
	if got := m.Scores(nn.NewMat(0, 2)); got.Rows != 0 {
		t.Errorf("empty batch gave %d rows", got.Rows)
	}
}

func TestExp32(t *testing.T) {
	for x := float32(-110); x < 90; x += 0.0137 {
		got, want := exp32(x), float32(math.Exp(float64(x)))
		if got != want {
			// faithfully rounded: at most one float32 step from the correctly rounded value
			if d := math.Abs(float64(got) - math.Exp(float64(x))); d > math.Abs(float64(math.Nextafter32(want, float32(math.Inf(1)))-want)) {
				t.Fatalf("exp32(%v) = %v, want %v", x, got, want)
			}
		}
	}
	if exp32(float32(math.NaN())) == exp32(float32(math.NaN())) {
		t.Error("exp32(NaN) is not NaN")
	}
	if !math.IsInf(float64(exp32(100)), 1) || exp32(-200) != 0 || exp32(0) != 1 {
		t.Error("exp32 limits wrong")
	}
}

// TestActivationBackends checks that every compiled SiLU kernel variant the CPU supports
// agrees bit for bit with the Go reference versions, including the overflow, underflow and
// denormal ranges, and that the Go reference matches float64 SiLU.
func TestActivationBackends(t *testing.T) {
	var z []float32
	for v := float32(-120); v < 120; v += 0.00731 {
		z = append(z, v)
	}
	z = append(z, 0, float32(math.Copysign(0, -1)), 88.72, 88.73, -88.72, -88.73, 103.9, -103.9, 1e-40, -1e-40, 3e38, -3e38,
		float32(math.Inf(1)), float32(math.Inf(-1)))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1001; i++ { // odd count: vector loops get a remainder
		z = append(z, float32(rng.NormFloat64()*4))
	}
	n := len(z)
	gIn := make([]float32, n)
	for i := range gIn {
		gIn[i] = float32(rng.NormFloat64())
	}
	hRef, sRef, gRef := make([]float32, n), make([]float32, n), append([]float32(nil), gIn...)
	siluGo(hRef, sRef, z)
	siluBackwardGo(gRef, z, sRef)
	ipRef := append([]float32(nil), z...)
	siluInPlaceGo(ipRef)
	for i, v := range z {
		want := float32(float64(v) / (1 + math.Exp(-float64(v))))
		if !math.IsInf(float64(v), 0) && math.Abs(float64(hRef[i]-want)) > 2e-7*math.Max(1, math.Abs(float64(want))) {
			t.Fatalf("siluGo(%v) = %v, want %v", v, hRef[i], want)
		}
	}
	same := func(what string, a, b []float32) {
		t.Helper()
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
				t.Fatalf("%s: at z=%v got %v, Go reference %v", what, z[i], a[i], b[i])
			}
		}
	}
	var ran []int
	for v := 0; v < 4; v++ {
		h, s, g := make([]float32, n), make([]float32, n), append([]float32(nil), gIn...)
		if !siluVariant(v, h, s, z, g) {
			continue
		}
		ran = append(ran, v)
		name := fmt.Sprintf("%s variant %d", activationBackend, v)
		same(name+" silu", h, hRef)
		same(name+" sigmoid", s, sRef)
		same(name+" backward", g, gRef)
	}
	if len(ran) == 0 {
		t.Fatal("no SiLU variant ran")
	}
	h2, s2, g2 := make([]float32, n), make([]float32, n), append([]float32(nil), gIn...)
	silu(h2, s2, z)
	siluBackward(g2, z, s2)
	ip := append([]float32(nil), z...)
	siluInPlace(ip)
	same("dispatched silu", h2, hRef)
	same("dispatched sigmoid", s2, sRef)
	same("dispatched backward", g2, gRef)
	same("dispatched in place", ip, ipRef)
	t.Logf("activation backend %s: variants %v agree with Go on %d values", activationBackend, ran, n)
}
