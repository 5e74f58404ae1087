//go:build !cgo || purego

package nn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Backend names the matrix-product implementation compiled into this binary.
const Backend = "purego"

// gemmAcc is the pure-Go product on gonum's Sgemm: every element accumulates over k with a
// separate multiply and add (gonum's vectorised kernels), so results differ from the C
// kernels' fused multiply-adds by rounding (the cgo build is the bit-exact reference).
// Sgemm sums over k in one chain when the product is small and in blocks of 64 when it
// splits the work over goroutines, and which it does depends on m; the rows go to it in
// slices of rowBlock so that a row's result never depends on how many rows came
// with it.
func gemmAcc(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	for r0 := 0; r0 < m; r0 += rowBlock {
		rows := min(rowBlock, m-r0)
		ao := r0 * lda // row r0 of op(A): a row of A, or a column of Aᵀ
		if transA {
			ao = r0
		}
		sgemm(transA, transB, rows, n, k, a[ao:], lda, b, ldb, c[r0*ldc:], ldc, acc)
	}
}

// rowBlock is gonum's block size: up to this many rows Sgemm's choice between its serial
// and blocked paths depends on n and k only.
const rowBlock = 64

func sgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
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
