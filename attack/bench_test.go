package attack

import (
	"context"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// BenchmarkSweepFGSM measures the FGSM sweep with the original checkpoints on 2000 data-set
// points × 10 ε (20 000 projections per iteration; the full published sweep is 100× that).
func BenchmarkSweepFGSM(b *testing.B) {
	fl, clf := refModels(b)
	x, y := refData(b)
	xs, ys := nn.NewMat(2000, 2), make([]int32, 2000)
	for i := range ys {
		copy(xs.Row(i), x.Row(10*i))
		ys[i] = y[10*i]
	}
	eps := Linspace(0, 0.3, 10)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Sweep(context.Background(), clf, fl, xs, ys, eps, Params{Kind: FGSM}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(ys)*len(eps)), "µs/point")
}
