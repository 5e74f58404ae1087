package nn

import (
	"fmt"
	"testing"
)

// BenchmarkConv3 times the yardstick CNN's three layers (fused conv+ReLU+pool) forward and
// backward (weight and input gradients) on 16 images, reporting images/s and the direct
// convolution's GFLOP/s equivalent (2·9·in·out per output pixel and pass).
func BenchmarkConv3(b *testing.B) {
	const n = 16
	for _, c := range []convCase{{n, 32, 32, 3, 32}, {n, 16, 16, 32, 64}, {n, 8, 8, 64, 128}} {
		cv, p, x := convFixture(c, 1)
		w := cv.Prepare(nil, p)
		y := NewImages(c.n, c.h/2, c.w/2, c.co)
		code := make([]int8, len(y.Data))
		gx := NewImages(c.n, c.h, c.w, c.ci)
		grad := make([]float32, len(p))
		var ws Arena
		flop := 2 * 9 * float64(c.ci*c.co*c.h*c.w*c.n)
		report := func(b *testing.B, passes float64) {
			s := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N*n)/s, "images/s")
			b.ReportMetric(passes*flop*float64(b.N)/s/1e9, "GFLOP/s")
		}
		b.Run(fmt.Sprintf("forward/%d→%d", c.ci, c.co), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ws.Reset()
				w.ForwardPool(y, code, x, &ws)
			}
			report(b, 1)
		})
		b.Run(fmt.Sprintf("backward/%d→%d", c.ci, c.co), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ws.Reset()
				w.BackwardPool(gx, y, code, x, grad, &ws)
			}
			report(b, 2)
		})
	}
}
