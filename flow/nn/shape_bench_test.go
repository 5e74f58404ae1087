package nn

import (
	"fmt"
	"testing"
)

func BenchmarkGemmShapes(b *testing.B) {
	for _, s := range []struct {
		ta, tb  bool
		m, n, k int
	}{
		{false, true, 256, 100, 100},  // forward x·Wᵀ
		{true, false, 100, 100, 256},  // dW = gyᵀ·x
		{false, false, 256, 100, 100}, // dx = gy·W
		{false, true, 256, 23, 100},
		{true, false, 23, 100, 256},
		{false, false, 256, 100, 23},
	} {
		b.Run(fmt.Sprintf("%v%v_%dx%dx%d", s.ta, s.tb, s.m, s.n, s.k), func(b *testing.B) {
			a := make([]float32, s.m*s.k)
			w := make([]float32, s.k*s.n)
			c := make([]float32, s.m*s.n)
			for i := range a {
				a[i] = 0.01
			}
			lda, ldb := s.k, s.n
			if s.ta {
				lda = s.m
			}
			if s.tb {
				ldb = s.k
			}
			for i := 0; i < b.N; i++ {
				Gemm(s.ta, s.tb, s.m, s.n, s.k, 1, a, lda, w, ldb, 1, c, s.n)
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
