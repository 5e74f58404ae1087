package nn

import (
	"math/rand/v2"
	"testing"
)

func naive(transA, transB bool, m, n, k int, a, b []float32) []float32 {
	c := make([]float32, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for l := 0; l < k; l++ {
				av := a[i*k+l]
				if transA {
					av = a[l*m+i]
				}
				bv := b[l*n+j]
				if transB {
					bv = b[j*k+l]
				}
				s += float64(av) * float64(bv)
			}
			c[i*n+j] = float32(s)
		}
	}
	return c
}

func TestGemmAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			m, n, k := 7, 5, 9
			a, b := make([]float32, m*k), make([]float32, k*n)
			for i := range a {
				a[i] = float32(rng.NormFloat64())
			}
			for i := range b {
				b[i] = float32(rng.NormFloat64())
			}
			lda, ldb := k, n
			if ta {
				lda = m
			}
			if tb {
				ldb = k
			}
			c := make([]float32, m*n)
			Gemm(ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, n)
			want := naive(ta, tb, m, n, k, a, b)
			for i := range c {
				if d := c[i] - want[i]; d > 1e-4 || d < -1e-4 {
					t.Fatalf("%s gemm transA=%v transB=%v: c[%d]=%v want %v", Backend, ta, tb, i, c[i], want[i])
				}
			}
		}
	}
}

func BenchmarkGemm512x100x100(b *testing.B) {
	a, w, c := make([]float32, 512*100), make([]float32, 100*100), make([]float32, 512*100)
	for i := range a {
		a[i] = 0.01 * float32(i%17)
	}
	b.SetBytes(0)
	for i := 0; i < b.N; i++ {
		Gemm(false, true, 512, 100, 100, 1, a, 100, w, 100, 0, c, 100)
	}
	b.ReportMetric(2*512*100*100*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
