//go:build cgo && !purego

package nn

/*
#cgo CFLAGS: -O3
#cgo LDFLAGS: -lm
#pragma GCC optimize("O3", "fp-contract=off")
#pragma STDC FP_CONTRACT OFF
#include "mfgemm.h"

// mf_gemm_go computes C (+)= op(A)·op(B) for row-major matrices at the given level (−1: the
// process's level). It returns −1 when a packing buffer cannot be allocated.
static int mf_gemm_go(int ta, int tb, long m, long n, long k, const float *a, long lda, const float *b, long ldb,
		float *c, long ldc, int acc, int level) {
	if (level < 0) level = mf_simd_level();
	if (tb) {
		if (!ta) return mf_gemm_nt_level(m, n, k, a, lda, b, ldb, c, ldc, acc, level);
		// Aᵀ·Bᵀ = (B·A)ᵀ is rare: pack Bᵀ and run the general kernel.
		float *bt = (float *)malloc(sizeof(float) * (size_t)(n * k > 0 ? n * k : 1));
		if (bt == NULL) return -1;
		for (long j = 0; j < n; j++)
			for (long kk = 0; kk < k; kk++) bt[kk * n + j] = b[j * ldb + kk];
		mf_gemm_args g = {m, n, k, a, 1, lda, bt, n, c, ldc, acc};
		mf_gemm_level(&g, level);
		free(bt);
		return 0;
	}
	mf_gemm_args g = {m, n, k, a, ta ? 1 : lda, ta ? lda : 1, b, ldb, c, ldc, acc};
	mf_gemm_level(&g, level);
	return 0;
}

static int mf_level(void) { return mf_simd_level(); }
static int mf_hw(void) { return mf_hw_level(); }
*/
import "C"

import "unsafe"

// Backend names the matrix-product implementation compiled into this binary.
const Backend = "mfgemm"

// gemmLevel runs C = op(A)·op(B) (acc false) or C += op(A)·op(B) (acc true) at a SIMD level
// (−1 for the process's level).
func gemmLevel(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool, level int) {
	ci := func(v bool) C.int {
		if v {
			return 1
		}
		return 0
	}
	if C.mf_gemm_go(ci(transA), ci(transB), C.long(m), C.long(n), C.long(k), (*C.float)(unsafe.Pointer(&a[0])), C.long(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.long(ldb), (*C.float)(unsafe.Pointer(&c[0])), C.long(ldc), ci(acc), C.int(level)) != 0 {
		panic("nn: gemm: out of memory for a packing buffer")
	}
}

func gemmAcc(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	gemmLevel(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, acc, -1)
}

func simdLevel() int { return int(C.mf_level()) }

func hwLevel() int { return int(C.mf_hw()) }
