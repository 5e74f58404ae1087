#ifndef MF_GEMM_H
#define MF_GEMM_H
#include <cblas.h>
// mfgemm.h: C (+)= A·Wᵀ with an AVX-512 kernel, shared by packages nn and flow (each
// compiles its own static copy; the code is explicit intrinsics, so both give identical
// results).
// W is n×k row-major (PyTorch's Linear layout). It is packed into panels of 16 output
// columns (wp[(panel·k + kk)·16 + j] = W[panel·16 + j][kk], zero past n), and a 6-row ×
// 4-panel register tile accumulates with fused multiply-adds over kk. The summation order
// differs from OpenBLAS's, so results agree with it to rounding, not bit for bit.

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

static void mf_pack_w(float *restrict wp, const float *restrict w, long ldw, long n, long k) {
	long np = (n + 15) / 16;
	for (long p = 0; p < np; p++)
		for (long kk = 0; kk < k; kk++)
			for (long j = 0; j < 16; j++) {
				long col = p * 16 + j;
				wp[(p * k + kk) * 16 + j] = col < n ? w[col * ldw + kk] : 0.0f;
			}
}

#define MF_TILE(R, P) \
__attribute__((target("avx512f"))) static void mf_tile_##R##_##P(long k, const float *restrict a, long lda, const float *restrict wp, \
	float *restrict c, long ldc, long nvalid, int acc) { \
	__m512 s[R][P]; \
	_Pragma("GCC unroll 8") for (int r = 0; r < R; r++) \
		_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) s[r][p] = _mm512_setzero_ps(); \
	for (long kk = 0; kk < k; kk++) { \
		__m512 b[P]; \
		_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) b[p] = _mm512_loadu_ps(wp + (p * k + kk) * 16); \
		_Pragma("GCC unroll 8") for (int r = 0; r < R; r++) { \
			__m512 av = _mm512_set1_ps(a[r * lda + kk]); \
			_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) s[r][p] = _mm512_fmadd_ps(av, b[p], s[r][p]); \
		} \
	} \
	_Pragma("GCC unroll 8") for (int r = 0; r < R; r++) \
		_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) { \
			long j = p * 16; \
			long v = nvalid - j; \
			__mmask16 m = v >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (v > 0 ? v : 0)) - 1); \
			float *dst = c + r * ldc + j; \
			__m512 o = s[r][p]; \
			if (acc) o = _mm512_add_ps(_mm512_maskz_loadu_ps(m, dst), o); \
			_mm512_mask_storeu_ps(dst, m, o); \
		} \
}

#define MF_TILES_P(R) MF_TILE(R, 1) MF_TILE(R, 2) MF_TILE(R, 3) MF_TILE(R, 4)
MF_TILES_P(1) MF_TILES_P(2) MF_TILES_P(3) MF_TILES_P(4) MF_TILES_P(5) MF_TILES_P(6)

typedef void (*mf_tile_fn)(long, const float *, long, const float *, float *, long, long, int);
static const mf_tile_fn mf_tiles[6][4] = {
	{mf_tile_1_1, mf_tile_1_2, mf_tile_1_3, mf_tile_1_4},
	{mf_tile_2_1, mf_tile_2_2, mf_tile_2_3, mf_tile_2_4},
	{mf_tile_3_1, mf_tile_3_2, mf_tile_3_3, mf_tile_3_4},
	{mf_tile_4_1, mf_tile_4_2, mf_tile_4_3, mf_tile_4_4},
	{mf_tile_5_1, mf_tile_5_2, mf_tile_5_3, mf_tile_5_4},
	{mf_tile_6_1, mf_tile_6_2, mf_tile_6_3, mf_tile_6_4},
};

static int mf_have_avx512(void) { return __builtin_cpu_supports("avx512f"); }

// MF_GEMM_PACK is the largest packed W (floats) the kernel takes; it lives on the C stack.
#define MF_GEMM_PACK 32768

// mf_gemm_nt computes C = A·Wᵀ (acc = 0) or C += A·Wᵀ (acc = 1) for A m×k (row stride
// lda), W n×k (row stride ldw), C m×n (row stride ldc). Without AVX-512, or when W is too
// large to pack on the stack, it calls OpenBLAS.
static void mf_gemm_nt(long m, long n, long k, const float *a, long lda, const float *w, long ldw, float *c, long ldc, int acc) {
	long np = (n + 15) / 16;
	if (!mf_have_avx512() || k == 0 || np * 16 * k > MF_GEMM_PACK) {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, lda, w, ldw, acc ? 1 : 0, c, ldc);
		return;
	}
	float wp[MF_GEMM_PACK] __attribute__((aligned(64)));
	mf_pack_w(wp, w, ldw, n, k);
	for (long p0 = 0; p0 < np; p0 += 4) {
		long pc = np - p0 < 4 ? np - p0 : 4;
		const float *wpp = wp + p0 * k * 16;
		for (long r0 = 0; r0 < m; r0 += 6) {
			long rc = m - r0 < 6 ? m - r0 : 6;
			mf_tiles[rc - 1][pc - 1](k, a + r0 * lda, lda, wpp, c + r0 * ldc + p0 * 16, ldc, n - p0 * 16, acc);
		}
	}
}
#else
static void mf_gemm_nt(long m, long n, long k, const float *a, long lda, const float *w, long ldw, float *c, long ldc, int acc) {
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, lda, w, ldw, acc ? 1 : 0, c, ldc);
}
#endif
#endif
