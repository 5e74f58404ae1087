// Package nn is mflowlab's numeric core: row-major float32 matrices, a reusable arena,
// flat parameter sets, linear layers, activations and the Adam optimiser. The M-Flow, the
// classifiers and later image networks are built from these pieces.
package nn

import "fmt"

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where op(A) is m×k
// and op(B) is k×n. transA/transB select the transposes. It panics on inconsistent sizes.
//
// Every element of op(A)·op(B) is summed in one fixed order (a chain of fused multiply-adds
// over k, see mfgemm.h), so results are bit-identical whatever the number of rows, the SIMD
// level or the build (cgo or purego).
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if m < 0 || n < 0 || k < 0 || lda < ac || ldb < bc || ldc < n || (k > 0 && (len(a) < (ar-1)*lda+ac || len(b) < (br-1)*ldb+bc)) || len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("nn: gemm shape mismatch m=%d n=%d k=%d lda=%d ldb=%d ldc=%d len=%d,%d,%d", m, n, k, lda, ldb, ldc, len(a), len(b), len(c)))
	}
	if k == 0 || alpha == 0 {
		scaleRows(c, m, n, ldc, beta)
		return
	}
	if alpha == 1 && (beta == 0 || beta == 1) {
		gemmAcc(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, beta == 1)
		return
	}
	// General alpha and beta: the product alone, then combined element by element.
	t := make([]float32, m*n)
	gemmAcc(transA, transB, m, n, k, a, lda, b, ldb, t, n, false)
	for i := 0; i < m; i++ {
		row, tr := c[i*ldc:i*ldc+n], t[i*n:(i+1)*n]
		for j := range row {
			if beta == 0 {
				row[j] = alpha * tr[j]
			} else {
				row[j] = beta*row[j] + alpha*tr[j]
			}
		}
	}
}

func scaleRows(c []float32, m, n, ldc int, beta float32) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		for j := range row {
			if beta == 0 {
				row[j] = 0
			} else {
				row[j] *= beta
			}
		}
	}
}
