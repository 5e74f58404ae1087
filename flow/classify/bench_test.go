package classify

import (
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// BenchmarkTrainStep times one training step of the original classifier (W=128, K=4, the
// original's loss on probabilities) on a batch of 512 (compare: torch_mflow.py
// classifier-bench).
func BenchmarkTrainStep(b *testing.B) {
	m, err := New(2, 128, 4, 2, 1)
	if err != nil {
		b.Fatal(err)
	}
	m.Output = SoftmaxQuirk
	x, y := twoSpirals(20000, 3, 1.2, 1)
	x, y = x.Slice(9744, 10256), y[9744:10256] // 256 rows of each class
	ws := NewWorkspace()
	adam := nn.NewAdam(len(m.P))
	m.TrainStep(ws, x, y, adam, 1e-4)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.TrainStep(ws, x, y, adam, 1e-4)
	}
}

func gridPoints(n int) nn.Mat {
	g := nn.NewMat(n*n, 2)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			g.Set(i*n+j, 0, float32(-2.3+4.6*float64(j)/float64(n-1)))
			g.Set(i*n+j, 1, float32(-2.3+4.6*float64(i)/float64(n-1)))
		}
	}
	return g
}

// BenchmarkGridForward times the forward pass of the original architecture on a 256×256
// decision-boundary grid (65 536 points).
func BenchmarkGridForward(b *testing.B) {
	m, err := New(2, 128, 4, 2, 1)
	if err != nil {
		b.Fatal(err)
	}
	m.Output = SoftmaxQuirk
	g := gridPoints(256)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Scores(g)
	}
}

// BenchmarkLossGrad times per-sample input gradients (the FGSM sweep's work) for 20 000
// points with the original architecture.
func BenchmarkLossGrad(b *testing.B) {
	m, err := New(2, 128, 4, 2, 1)
	if err != nil {
		b.Fatal(err)
	}
	m.Output = SoftmaxQuirk
	x, y := twoSpirals(20000, 3, 1.2, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.LossGrad(x, y)
	}
}
