#ifndef MF_GEMM_H
#define MF_GEMM_H
// mfgemm.h: the project's matrix products, C (+)= A·B, shared by packages nn and flow (each
// compiles its own static copy of the same code).
//
// One summation order everywhere. Every element is
//
//	s = 0; for kk = 0 … k−1: s = fma(A[i][kk], B[kk][j], s);  C[i][j] = s  (or C[i][j] + s)
//
// with a correctly rounded single-precision fused multiply-add. The AVX-512 and AVX2 kernels
// vectorise across output columns j (16 or 8 lanes) and tile several rows, and the generic
// kernel is scalar fmaf; none of them splits or reorders the sum over kk, so all levels, any
// tile shape, any number of rows (a single probe or a batch) and the pure-Go fallback
// (gemm_purego.go) give bit-identical results.
//
// A(i, kk) = a[i·rsa + kk·csa] (so Aᵀ is a stride swap) and B(kk, j) = b[kk·ldb + j]; a
// transposed B (the x·Wᵀ of every linear layer's forward pass) is first packed k×n.
#include <math.h>
#include <stdlib.h>
#include "mfvariants.h"

typedef struct {
	long m, n, k;
	const float *a;
	long rsa, csa;
	const float *b;
	long ldb;
	float *c;
	long ldc;
	int acc;
} mf_gemm_args;

// mf_gemm_generic is the scalar kernel, 16 output columns at a time.
static void mf_gemm_generic(const mf_gemm_args *g) {
	for (long i = 0; i < g->m; i++) {
		const float *ai = g->a + i * g->rsa;
		float *ci = g->c + i * g->ldc;
		for (long j0 = 0; j0 < g->n; j0 += 16) {
			long nc = g->n - j0 < 16 ? g->n - j0 : 16;
			float s[16] = {0};
			for (long kk = 0; kk < g->k; kk++) {
				float av = ai[kk * g->csa];
				const float *bk = g->b + kk * g->ldb + j0;
				for (long j = 0; j < nc; j++) s[j] = fmaf(av, bk[j], s[j]);
			}
			for (long j = 0; j < nc; j++) ci[j0 + j] = g->acc ? ci[j0 + j] + s[j] : s[j];
		}
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

// AVX-512: a tile of R rows × P vectors of 16 columns; nvalid columns are real (masked tail).
#define MF_TILE512(R, P) \
__attribute__((target("avx512f,fma"))) static void mf_t512_##R##_##P(const mf_gemm_args *g, long i0, long j0) { \
	__m512 s[R][P]; \
	__mmask16 mk[P]; \
	long nv = g->n - j0; \
	_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) { \
		long v = nv - p * 16; \
		mk[p] = v >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (v > 0 ? v : 0)) - 1); \
	} \
	_Pragma("GCC unroll 8") for (int r = 0; r < R; r++) \
		_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) s[r][p] = _mm512_setzero_ps(); \
	const float *a = g->a + i0 * g->rsa; \
	for (long kk = 0; kk < g->k; kk++) { \
		__m512 b[P]; \
		const float *bk = g->b + kk * g->ldb + j0; \
		_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) b[p] = _mm512_maskz_loadu_ps(mk[p], bk + p * 16); \
		_Pragma("GCC unroll 8") for (int r = 0; r < R; r++) { \
			__m512 av = _mm512_set1_ps(a[r * g->rsa + kk * g->csa]); \
			_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) s[r][p] = _mm512_fmadd_ps(av, b[p], s[r][p]); \
		} \
	} \
	_Pragma("GCC unroll 8") for (int r = 0; r < R; r++) \
		_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) { \
			float *dst = g->c + (i0 + r) * g->ldc + j0 + p * 16; \
			__m512 o = s[r][p]; \
			if (g->acc) o = _mm512_add_ps(_mm512_maskz_loadu_ps(mk[p], dst), o); \
			_mm512_mask_storeu_ps(dst, mk[p], o); \
		} \
}

// AVX2: a tile of R rows × P vectors of 8 columns, the tail through maskload/maskstore.
#define MF_TILE256(R, P) \
__attribute__((target("avx2,fma"))) static void mf_t256_##R##_##P(const mf_gemm_args *g, long i0, long j0) { \
	__m256 s[R][P]; \
	__m256i mk[P]; \
	long nv = g->n - j0; \
	const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); \
	_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) { \
		long v = nv - p * 8; \
		mk[p] = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(v > 8 ? 8 : (v > 0 ? v : 0))), lanes); \
	} \
	_Pragma("GCC unroll 8") for (int r = 0; r < R; r++) \
		_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) s[r][p] = _mm256_setzero_ps(); \
	const float *a = g->a + i0 * g->rsa; \
	for (long kk = 0; kk < g->k; kk++) { \
		__m256 b[P]; \
		const float *bk = g->b + kk * g->ldb + j0; \
		_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) b[p] = _mm256_maskload_ps(bk + p * 8, mk[p]); \
		_Pragma("GCC unroll 8") for (int r = 0; r < R; r++) { \
			__m256 av = _mm256_set1_ps(a[r * g->rsa + kk * g->csa]); \
			_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) s[r][p] = _mm256_fmadd_ps(av, b[p], s[r][p]); \
		} \
	} \
	_Pragma("GCC unroll 8") for (int r = 0; r < R; r++) \
		_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) { \
			float *dst = g->c + (i0 + r) * g->ldc + j0 + p * 8; \
			__m256 o = s[r][p]; \
			if (g->acc) o = _mm256_add_ps(_mm256_maskload_ps(dst, mk[p]), o); \
			_mm256_maskstore_ps(dst, mk[p], o); \
		} \
}

#define MF_T512_P(R) MF_TILE512(R, 1) MF_TILE512(R, 2) MF_TILE512(R, 3) MF_TILE512(R, 4)
MF_T512_P(1) MF_T512_P(2) MF_T512_P(3) MF_T512_P(4) MF_T512_P(5) MF_T512_P(6)
#define MF_T256_P(R) MF_TILE256(R, 1) MF_TILE256(R, 2)
MF_T256_P(1) MF_T256_P(2) MF_T256_P(3) MF_T256_P(4) MF_T256_P(5) MF_T256_P(6)

typedef void (*mf_tile_fn)(const mf_gemm_args *, long, long);
static const mf_tile_fn mf_t512[6][4] = {
	{mf_t512_1_1, mf_t512_1_2, mf_t512_1_3, mf_t512_1_4},
	{mf_t512_2_1, mf_t512_2_2, mf_t512_2_3, mf_t512_2_4},
	{mf_t512_3_1, mf_t512_3_2, mf_t512_3_3, mf_t512_3_4},
	{mf_t512_4_1, mf_t512_4_2, mf_t512_4_3, mf_t512_4_4},
	{mf_t512_5_1, mf_t512_5_2, mf_t512_5_3, mf_t512_5_4},
	{mf_t512_6_1, mf_t512_6_2, mf_t512_6_3, mf_t512_6_4},
};
static const mf_tile_fn mf_t256[6][2] = {
	{mf_t256_1_1, mf_t256_1_2}, {mf_t256_2_1, mf_t256_2_2}, {mf_t256_3_1, mf_t256_3_2},
	{mf_t256_4_1, mf_t256_4_2}, {mf_t256_5_1, mf_t256_5_2}, {mf_t256_6_1, mf_t256_6_2},
};

// mf_gemm_tiled covers C with tiles of up to 6 rows × maxp vectors of width lanes.
static void mf_gemm_tiled(const mf_gemm_args *g, const mf_tile_fn *tab, int maxp, int lanes) {
	long nvec = (g->n + lanes - 1) / lanes;
	for (long v0 = 0; v0 < nvec; v0 += maxp) {
		long pc = nvec - v0 < maxp ? nvec - v0 : maxp;
		for (long i0 = 0; i0 < g->m; i0 += 6) {
			long rc = g->m - i0 < 6 ? g->m - i0 : 6;
			tab[(rc - 1) * maxp + (pc - 1)](g, i0, v0 * lanes);
		}
	}
}
#endif

// mf_gemm_level runs the product at a given level (tests call every level directly).
static void mf_gemm_level(const mf_gemm_args *g, int level) {
	if (g->m <= 0 || g->n <= 0) return;
#if defined(__x86_64__) && defined(__GNUC__)
	if (level >= MF_LEVEL_AVX512 && mf_hw_level() >= MF_LEVEL_AVX512) {
		mf_gemm_tiled(g, &mf_t512[0][0], 4, 16);
		return;
	}
	if (level >= MF_LEVEL_AVX2 && mf_hw_level() >= MF_LEVEL_AVX2) {
		mf_gemm_tiled(g, &mf_t256[0][0], 2, 8);
		return;
	}
#endif
	mf_gemm_generic(g);
}

// MF_GEMM_STACK is the largest packed Wᵀ (floats) kept on the C stack; larger ones use malloc.
#define MF_GEMM_STACK 16384

// mf_gemm_nt_level computes C = A·Wᵀ (acc = 0) or C += A·Wᵀ (acc = 1) for A m×k (row stride
// lda), W n×k (row stride ldw), C m×n (row stride ldc), at the given level. It returns 0, or
// −1 when the packing buffer cannot be allocated.
static int mf_gemm_nt_level(long m, long n, long k, const float *a, long lda, const float *w, long ldw, float *c, long ldc, int acc, int level) {
	if (m <= 0 || n <= 0) return 0;
	float stackbuf[MF_GEMM_STACK] __attribute__((aligned(64)));
	float *wt = stackbuf;
	if (n * k > MF_GEMM_STACK) {
		wt = (float *)malloc(sizeof(float) * (size_t)(n * k));
		if (wt == NULL) return -1;
	}
	for (long j = 0; j < n; j++)
		for (long kk = 0; kk < k; kk++) wt[kk * n + j] = w[j * ldw + kk];
	mf_gemm_args g = {m, n, k, a, lda, 1, wt, n, c, ldc, acc};
	mf_gemm_level(&g, level);
	if (wt != stackbuf) free(wt);
	return 0;
}

// mf_gemm_nt is mf_gemm_nt_level at the process's level (mf_simd_level).
static int mf_gemm_nt(long m, long n, long k, const float *a, long lda, const float *w, long ldw, float *c, long ldc, int acc) {
	return mf_gemm_nt_level(m, n, k, a, lda, w, ldw, c, ldc, acc, mf_simd_level());
}
#endif
