//go:build cgo && !purego

package nn

/*
#cgo CFLAGS: -O3
#cgo LDFLAGS: -lm
#pragma GCC optimize("O3", "fp-contract=off")
#pragma STDC FP_CONTRACT OFF
#include "mfconv.h"

static void mfc_fwd_go(const float *x, long n, long h, long w, long ci, long co, const float *u, const float *bias,
		float *y, signed char *code, int pool, long bt, float *v, float *m, const float *zero, int level) {
	if (level < 0) level = mf_simd_level();
	mfc_conv_fwd(x, n, h, w, ci, co, u, bias, y, code, pool, bt, v, m, zero, level);
}

static void mfc_bwd_go(const float *x, const float *gy, const signed char *code, long n, long h, long w, long ci, long co,
		const float *ut, float *du, float *db, float *dx, int pool, long bt, float *v, float *dm, float *dv,
		const float *zero, int level) {
	if (level < 0) level = mf_simd_level();
	mfc_conv_bwd(x, gy, code, n, h, w, ci, co, ut, du, 0, db, dx, pool, bt, v, dm, dv, zero, level);
}
*/
import "C"

import "unsafe"

func fptr(s []float32) *C.float {
	if s == nil {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

func cbool(v bool) C.int {
	if v {
		return 1
	}
	return 0
}

// convForward runs the C forward kernel at a SIMD level (−1: the process's level).
func convForward(level int, x Images, w *Conv3Weights, y []float32, code []int8, pool bool, s convScratch) {
	var cp *C.schar
	if code != nil {
		cp = (*C.schar)(unsafe.Pointer(&code[0]))
	}
	C.mfc_fwd_go(fptr(x.Data), C.long(x.N), C.long(x.H), C.long(x.W), C.long(w.In), C.long(w.Out), fptr(w.u), fptr(w.bias),
		fptr(y), cp, cbool(pool), C.long(s.bt), fptr(s.v), fptr(s.m), fptr(s.zero), C.int(level))
}

// convBackward runs the C backward kernel at a SIMD level (−1: the process's level); s.du
// nil skips the weight gradient, dx nil the input gradient.
func convBackward(level int, x Images, w *Conv3Weights, gy []float32, code []int8, pool bool, dx []float32, s convScratch) {
	var cp *C.schar
	if code != nil {
		cp = (*C.schar)(unsafe.Pointer(&code[0]))
	}
	C.mfc_bwd_go(fptr(x.Data), fptr(gy), cp, C.long(x.N), C.long(x.H), C.long(x.W), C.long(w.In), C.long(w.Out),
		fptr(w.ut), fptr(s.du), fptr(s.db), fptr(dx), cbool(pool), C.long(s.bt), fptr(s.v), fptr(s.m), fptr(s.dv),
		fptr(s.zero), C.int(level))
}
