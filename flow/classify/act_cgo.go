//go:build cgo && !purego

package classify

/*
#cgo CFLAGS: -I${SRCDIR}/../nn
// The SiLU kernels in C so that the compiler vectorises them (AVX-512 or AVX2, chosen at run
// time); Go does not vectorise, and these element-wise passes otherwise cost more than the
// matrix products. Every operation mirrors the Go versions in mathops.go one for one, and
// contraction into fused multiply-adds is switched off, so both give bit-identical results.
#pragma GCC optimize("O3", "fp-contract=off", "no-trapping-math")
#pragma STDC FP_CONTRACT OFF

#include <math.h>
#include <stdint.h>
#include <string.h>

#define MF_LOG2E 1.4426950408889634
#define MF_LN2 0.6931471805599453
#define MF_MAGIC 6755399441055744.0

static inline __attribute__((always_inline)) float mf_exp(float x) {
	float xc = x > 89.0f ? 89.0f : x;
	xc = xc < -104.0f ? -104.0f : xc;
	double xd = (double)xc;
	double t = xd * MF_LOG2E + MF_MAGIC;
	double n = t - MF_MAGIC;
	double r = xd - n * MF_LN2;
	double p = r * (1.0 / 5040) + 1.0 / 720;
	p = r * p + 1.0 / 120;
	p = r * p + 1.0 / 24;
	p = r * p + 1.0 / 6;
	p = r * p + 1.0 / 2;
	p = r * p + 1.0;
	p = r * p + 1.0;
	double m = MF_MAGIC, scale;
	int64_t tb, mb, sb;
	memcpy(&tb, &t, 8);
	memcpy(&mb, &m, 8);
	sb = ((tb - mb) + 1023) << 52;
	memcpy(&scale, &sb, 8);
	float res = (float)(p * scale);
	res = x > 89.0f ? INFINITY : res;
	res = x < -104.0f ? 0.0f : res;
	return res;
}

static inline __attribute__((always_inline)) void silu_body(float *restrict h, float *restrict sig, const float *restrict z, long n) {
	for (long i = 0; i < n; i++) {
		float v = z[i];
		float d = 1.0f + mf_exp(-v);
		sig[i] = 1.0f / d;
		h[i] = v / d;
	}
}

static inline __attribute__((always_inline)) void silu_inplace_body(float *z, long n) {
	for (long i = 0; i < n; i++) {
		float v = z[i];
		z[i] = v / (1.0f + mf_exp(-v));
	}
}

static inline __attribute__((always_inline)) void silu_backward_body(float *restrict g, const float *restrict z, const float *restrict sig, long n) {
	for (long i = 0; i < n; i++) {
		float s = sig[i];
		g[i] = (g[i] * s) * (1.0f + z[i] * (1.0f - s));
	}
}

#include "mfvariants.h"

MF_VARIANTS(silu, (float *h, float *sig, const float *z, long n), (h, sig, z, n))
MF_VARIANTS(silu_inplace, (float *z, long n), (z, n))
MF_VARIANTS(silu_backward, (float *g, const float *z, const float *sig, long n), (g, z, sig, n))

#if defined(__x86_64__) && defined(__GNUC__)
static int mf_variants(void) { return 3; }
// mf_silu_variant runs variant v (0 AVX-512, 1 AVX2, 2 generic) when the CPU supports it and
// reports whether it ran; tests use it to check every variant against the Go reference.
static int mf_silu_variant(int v, float *h, float *sig, const float *z, float *g, long n) {
	if (v == 0 && mf_hw_level() < MF_LEVEL_AVX512) return 0;
	if (v == 1 && mf_hw_level() < MF_LEVEL_AVX2) return 0;
	switch (v) {
	case 0: silu_avx512(h, sig, z, n); silu_backward_avx512(g, z, sig, n); break;
	case 1: silu_avx2(h, sig, z, n); silu_backward_avx2(g, z, sig, n); break;
	default: silu_generic(h, sig, z, n); silu_backward_generic(g, z, sig, n);
	}
	return 1;
}
#else
static int mf_variants(void) { return 1; }
static int mf_silu_variant(int v, float *h, float *sig, const float *z, float *g, long n) {
	mf_silu(h, sig, z, n);
	mf_silu_backward(g, z, sig, n);
	return 1;
}
#endif
*/
import "C"

import "fmt"

// activationBackend names the SiLU implementation compiled into this binary.
const activationBackend = "c"

func checkLen(name string, n int, s ...[]float32) {
	for _, v := range s {
		if len(v) < n {
			panic(fmt.Sprintf("classify: %s: slice of %d values for %d", name, len(v), n))
		}
	}
}

// silu writes h = SiLU(z) and σ(z) (see siluGo).
func silu(h, sig, z []float32) {
	if len(z) == 0 {
		return
	}
	checkLen("silu", len(z), h, sig)
	C.mf_silu((*C.float)(&h[0]), (*C.float)(&sig[0]), (*C.float)(&z[0]), C.long(len(z)))
}

// siluInPlace replaces z by SiLU(z) (see siluInPlaceGo).
func siluInPlace(z []float32) {
	if len(z) == 0 {
		return
	}
	C.mf_silu_inplace((*C.float)(&z[0]), C.long(len(z)))
}

// siluBackward turns dL/dSiLU(z) into dL/dz in place (see siluBackwardGo).
func siluBackward(g, z, sig []float32) {
	if len(g) == 0 {
		return
	}
	checkLen("siluBackward", len(g), z, sig)
	C.mf_silu_backward((*C.float)(&g[0]), (*C.float)(&z[0]), (*C.float)(&sig[0]), C.long(len(g)))
}

// siluVariant runs compiled SiLU variant v (0 AVX-512, 1 AVX2, 2 portable; fewer off x86):
// forward into h and sig, then backward on g in place. It reports false when v does not exist
// or the CPU lacks it. For tests.
func siluVariant(v int, h, sig, z, g []float32) bool {
	n := len(z)
	if n == 0 || v < 0 || v >= int(C.mf_variants()) {
		return false
	}
	checkLen("siluVariant", n, h, sig, g)
	return C.mf_silu_variant(C.int(v), (*C.float)(&h[0]), (*C.float)(&sig[0]), (*C.float)(&z[0]), (*C.float)(&g[0]), C.long(n)) != 0
}
