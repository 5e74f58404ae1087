// Package nn is mflowlab's numeric core: row-major float32 matrices, a reusable arena,
// flat parameter sets, linear layers, activations and the Adam optimiser. The M-Flow, the
// classifiers and later image networks are built from these pieces.
package nn

import "fmt"

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where op(A) is m×k
// and op(B) is k×n. transA/transB select the transposes. It panics on inconsistent sizes.
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
	if lda < ac || ldb < bc || ldc < n || len(a) < (ar-1)*lda+ac || len(b) < (br-1)*ldb+bc || len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("nn: gemm shape mismatch m=%d n=%d k=%d lda=%d ldb=%d ldc=%d len=%d,%d,%d", m, n, k, lda, ldb, ldc, len(a), len(b), len(c)))
	}
	if k == 0 {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] *= beta
			}
		}
		return
	}
	gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
