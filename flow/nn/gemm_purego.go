//go:build !cgo || purego

package nn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Backend names the matrix-product implementation compiled into this binary.
const Backend = "purego"

// gemmAcc is the pure-Go product on gonum's Sgemm: every element accumulates over k in
// order with a separate multiply and add (gonum's vectorised saxpy), so results are
// deterministic and the same for a row alone as in a batch, but they differ from the C
// kernels' fused multiply-adds by rounding (the cgo build is the bit-exact reference).
func gemmAcc(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if transA {
		ta = blas.Trans
	}
	if transB {
		tb = blas.Trans
	}
	var beta float32
	if acc {
		beta = 1
	}
	gonum.Implementation{}.Sgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
}

func gemmLevel(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool, level int) {
	gemmAcc(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, acc)
}

func simdLevel() int { return LevelGeneric }

func hwLevel() int { return LevelGeneric }
