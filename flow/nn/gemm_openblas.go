//go:build cgo && !purego

package nn

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
#include "mfgemm.h"
extern void openblas_set_num_threads(int);
*/
import "C"

import "unsafe"

// Backend names the matrix-product implementation compiled into this binary.
const Backend = "openblas"

func init() {
	// Parallelism comes from splitting batches across goroutines; a threaded BLAS call
	// on these small shapes only adds wake-up cost (see spec/performance.md).
	C.openblas_set_num_threads(1)
}

func gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if !transA && transB && alpha == 1 && (beta == 0 || beta == 1) {
		// x·Wᵀ, the forward pass of every linear layer: the AVX-512 kernel of mfgemm.h
		// (OpenBLAS without AVX-512 or for very large W).
		acc := C.int(0)
		if beta == 1 {
			acc = 1
		}
		C.mf_gemm_nt(C.long(m), C.long(n), C.long(k), (*C.float)(unsafe.Pointer(&a[0])), C.long(lda),
			(*C.float)(unsafe.Pointer(&b[0])), C.long(ldb), (*C.float)(unsafe.Pointer(&c[0])), C.long(ldc), acc)
		return
	}
	ta, tb := C.enum_CBLAS_TRANSPOSE(C.CblasNoTrans), C.enum_CBLAS_TRANSPOSE(C.CblasNoTrans)
	if transA {
		ta = C.CblasTrans
	}
	if transB {
		tb = C.CblasTrans
	}
	C.cblas_sgemm(C.CblasRowMajor, ta, tb, C.blasint(m), C.blasint(n), C.blasint(k), C.float(alpha),
		(*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb), C.float(beta),
		(*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}
