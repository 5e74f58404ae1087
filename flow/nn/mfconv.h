#ifndef MF_CONV_H
#define MF_CONV_H
// mfconv.h: the 3×3 convolution kernels of conv.go (stride 1, zero padding 1, NHWC images),
// computed by Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray 2016): each 2×2 block
// of output pixels (a "tile") comes from a 4×4 input patch d as Y = Aᵀ[U ⊙ V]A with
// V = Bᵀ d B per input channel, U = G g Gᵀ per (input, output) channel pair, and the sum over
// input channels of U ⊙ V is 16 matrix products, one per position ξ of the 4×4 domain. The
// backward pass is the exact adjoint of these steps. conv.go documents the layout and the
// transforms; wino.go is the same algorithm in Go (the pure-Go build, and the tests'
// bit-for-bit reference).
//
// Every operation has one fixed order. The transforms are additions and subtractions
// (fp-contract off, no reassociation), vectorised across channels; the products are chains
// of single-precision FMAs over k from a starting value (0, or a value stored by an earlier
// call: storing a float and loading it back is exact, so a chain split across calls gives
// the same bits). So every SIMD level, any tile-block size and any split of a batch into
// calls give bit-identical results.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "mfvariants.h"

// mfc_args describes C = chain(A·B): C(i,j) starts at 0 (cont 0) or at its stored value
// (cont 1) and accumulates fma(A(i,kk), B(kk,j), ·) for kk = 0 … k−1 in order.
// A(i,kk) = a[i·rsa + kk·csa], B(kk,j) = b[kk·ldb + j], C(i,j) = c[i·ldc + j].
typedef struct {
	long m, n, k;
	const float *a;
	long rsa, csa;
	const float *b;
	long ldb;
	float *c;
	long ldc;
	int cont;
} mfc_args;

static void mfc_gemm_generic(const mfc_args *g) {
	for (long i = 0; i < g->m; i++) {
		const float *ai = g->a + i * g->rsa;
		float *ci = g->c + i * g->ldc;
		for (long j0 = 0; j0 < g->n; j0 += 16) {
			long nc = g->n - j0 < 16 ? g->n - j0 : 16;
			float s[16];
			for (long j = 0; j < nc; j++) s[j] = g->cont ? ci[j0 + j] : 0.0f;
			for (long kk = 0; kk < g->k; kk++) {
				float av = ai[kk * g->csa];
				const float *bk = g->b + kk * g->ldb + j0;
				for (long j = 0; j < nc; j++) s[j] = fmaf(av, bk[j], s[j]);
			}
			for (long j = 0; j < nc; j++) ci[j0 + j] = s[j];
		}
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

// AVX-512 tile: R rows × P vectors of 16 columns, masked tail.
#define MFC_TILE512(R, P) \
__attribute__((target("avx512f,fma"))) static void mfc_t512_##R##_##P(const mfc_args *g, long i0, long j0) { \
	__m512 s[R][P]; \
	__mmask16 mk[P]; \
	long nv = g->n - j0; \
	_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) { \
		long v = nv - p * 16; \
		mk[p] = v >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (v > 0 ? v : 0)) - 1); \
	} \
	_Pragma("GCC unroll 8") for (int r = 0; r < R; r++) \
		_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) \
			s[r][p] = g->cont ? _mm512_maskz_loadu_ps(mk[p], g->c + (i0 + r) * g->ldc + j0 + p * 16) : _mm512_setzero_ps(); \
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
		_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) \
			_mm512_mask_storeu_ps(g->c + (i0 + r) * g->ldc + j0 + p * 16, mk[p], s[r][p]); \
}

// AVX2 tile: R rows × P vectors of 8 columns, the tail through maskload/maskstore.
#define MFC_TILE256(R, P) \
__attribute__((target("avx2,fma"))) static void mfc_t256_##R##_##P(const mfc_args *g, long i0, long j0) { \
	__m256 s[R][P]; \
	__m256i mk[P]; \
	long nv = g->n - j0; \
	const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); \
	_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) { \
		long v = nv - p * 8; \
		mk[p] = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(v > 8 ? 8 : (v > 0 ? v : 0))), lanes); \
	} \
	_Pragma("GCC unroll 8") for (int r = 0; r < R; r++) \
		_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) \
			s[r][p] = g->cont ? _mm256_maskload_ps(g->c + (i0 + r) * g->ldc + j0 + p * 8, mk[p]) : _mm256_setzero_ps(); \
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
		_Pragma("GCC unroll 4") for (int p = 0; p < P; p++) \
			_mm256_maskstore_ps(g->c + (i0 + r) * g->ldc + j0 + p * 8, mk[p], s[r][p]); \
}

#define MFC_T512_P(R) MFC_TILE512(R, 1) MFC_TILE512(R, 2) MFC_TILE512(R, 3) MFC_TILE512(R, 4)
MFC_T512_P(1) MFC_T512_P(2) MFC_T512_P(3) MFC_T512_P(4) MFC_T512_P(5) MFC_T512_P(6)
#define MFC_T256_P(R) MFC_TILE256(R, 1) MFC_TILE256(R, 2)
MFC_T256_P(1) MFC_T256_P(2) MFC_T256_P(3) MFC_T256_P(4) MFC_T256_P(5) MFC_T256_P(6)

typedef void (*mfc_tile_fn)(const mfc_args *, long, long);
static const mfc_tile_fn mfc_t512[6][4] = {
	{mfc_t512_1_1, mfc_t512_1_2, mfc_t512_1_3, mfc_t512_1_4},
	{mfc_t512_2_1, mfc_t512_2_2, mfc_t512_2_3, mfc_t512_2_4},
	{mfc_t512_3_1, mfc_t512_3_2, mfc_t512_3_3, mfc_t512_3_4},
	{mfc_t512_4_1, mfc_t512_4_2, mfc_t512_4_3, mfc_t512_4_4},
	{mfc_t512_5_1, mfc_t512_5_2, mfc_t512_5_3, mfc_t512_5_4},
	{mfc_t512_6_1, mfc_t512_6_2, mfc_t512_6_3, mfc_t512_6_4},
};
static const mfc_tile_fn mfc_t256[6][2] = {
	{mfc_t256_1_1, mfc_t256_1_2}, {mfc_t256_2_1, mfc_t256_2_2}, {mfc_t256_3_1, mfc_t256_3_2},
	{mfc_t256_4_1, mfc_t256_4_2}, {mfc_t256_5_1, mfc_t256_5_2}, {mfc_t256_6_1, mfc_t256_6_2},
};

// mfc_tiled covers C with tiles of up to 6 rows × maxp vectors of width lanes.
static void mfc_tiled(const mfc_args *g, const mfc_tile_fn *tab, int maxp, int lanes) {
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

// mfc_gemm runs the chain product at a level (levels above the hardware's fall back).
static void mfc_gemm(const mfc_args *g, int level) {
	if (g->m <= 0 || g->n <= 0) return;
	if (g->k <= 0) {
		if (!g->cont)
			for (long i = 0; i < g->m; i++) memset(g->c + i * g->ldc, 0, sizeof(float) * (size_t)g->n);
		return;
	}
#if defined(__x86_64__) && defined(__GNUC__)
	if (level >= MF_LEVEL_AVX512 && mf_hw_level() >= MF_LEVEL_AVX512) {
		mfc_tiled(g, &mfc_t512[0][0], 4, 16);
		return;
	}
	if (level >= MF_LEVEL_AVX2 && mf_hw_level() >= MF_LEVEL_AVX2) {
		mfc_tiled(g, &mfc_t256[0][0], 2, 8);
		return;
	}
#endif
	mfc_gemm_generic(g);
}

// ---- Winograd transforms. Tiles are numbered in raster order over the images: tile t of
// a batch of H×W images covers output rows 2ty, 2ty+1 and columns 2tx, 2tx+1 of image
// t / ((H/2)(W/2)); its input patch starts at row 2ty−1, column 2tx−1 (zero outside). The
// transformed blocks are V[t][ξ][c] (input), M[t][ξ][c] (products) with ξ = 4i + j.

typedef struct {
	long h, w, ci, co; // image size and channels
	long t0, nt;       // first tile and tile count of this block
} mfc_geom;

// patch fills p with the 16 input pixel pointers of tile t (zero for padding).
static inline void mfc_patch(const float **p, const float *x, const mfc_geom *g, long t, long c, const float *zero) {
	long tw = g->w / 2, tpi = (g->h / 2) * tw;
	long b = t / tpi, r = t % tpi, ty = r / tw, tx = r % tw;
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++) {
			long y = 2 * ty - 1 + i, xx = 2 * tx - 1 + j;
			p[i * 4 + j] = (y >= 0 && y < g->h && xx >= 0 && xx < g->w) ? x + ((b * g->h + y) * g->w + xx) * c : zero;
		}
}

// The transforms, one copy per vector width (mfconv_xf.h): 16 lanes for AVX-512, 8 for
// AVX2, 4 for the generic level (SSE2 on x86-64; plain C elsewhere).
#define MFC_CAT_(a, b) a##b
#define MFC_CAT(a, b) MFC_CAT_(a, b)
#define MFC_VTYPES(W) \
	typedef float mfc_f##W __attribute__((vector_size(4 * W), aligned(4), may_alias)); \
	typedef int mfc_i##W __attribute__((vector_size(4 * W), aligned(4), may_alias)); \
	typedef signed char mfc_b##W __attribute__((vector_size(W), aligned(1), may_alias));
MFC_VTYPES(16)
MFC_VTYPES(8)
MFC_VTYPES(4)

#if defined(__x86_64__) && defined(__GNUC__)
#define MFC_W 16
#define MFC_ATTR __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma")))
#include "mfconv_xf.h"
#undef MFC_W
#undef MFC_ATTR
#define MFC_W 8
#define MFC_ATTR __attribute__((target("avx2,fma")))
#include "mfconv_xf.h"
#undef MFC_W
#undef MFC_ATTR
#endif
#define MFC_W 4
#define MFC_ATTR
#include "mfconv_xf.h"
#undef MFC_W
#undef MFC_ATTR

#if defined(__x86_64__) && defined(__GNUC__)
#define MFC_PICK(level) \
	int hw_ = mf_hw_level(); \
	int w_ = (level >= MF_LEVEL_AVX512 && hw_ >= MF_LEVEL_AVX512) ? 16 : (level >= MF_LEVEL_AVX2 && hw_ >= MF_LEVEL_AVX2) ? 8 : 4;
#define MFC_CALL(name, ...) \
	do { \
		if (w_ == 16) mfc_##name##_16(__VA_ARGS__); \
		else if (w_ == 8) mfc_##name##_8(__VA_ARGS__); \
		else mfc_##name##_4(__VA_ARGS__); \
	} while (0)
#else
#define MFC_PICK(level) (void)level;
#define MFC_CALL(name, ...) mfc_##name##_4(__VA_ARGS__)
#endif

static void mfc_in(int level, const float *x, const mfc_geom *g, float *v, const float *zero) {
	MFC_PICK(level)
	MFC_CALL(in, x, g, v, zero);
}
static void mfc_out(int level, const float *m, const mfc_geom *g, const float *bias, float *y, signed char *code, int pool) {
	MFC_PICK(level)
	MFC_CALL(out, m, g, bias, y, code, pool);
}
static void mfc_dout(int level, const float *gy, const signed char *code, const mfc_geom *g, float *dm, float *db, int pool) {
	MFC_PICK(level)
	MFC_CALL(dout, gy, code, g, dm, db, pool);
}
static void mfc_prodout(int level, const float *v, const mfc_geom *g, const float *u, const float *bias, float *y, signed char *code, int pool) {
	MFC_PICK(level)
	MFC_CALL(prodout, v, g, u, bias, y, code, pool);
}
static void mfc_dvsmall(int level, const float *gy, const signed char *code, const mfc_geom *g, const float *utx, float *dv, float *db) {
	MFC_PICK(level)
	MFC_CALL(dvsmall, gy, code, g, utx, dv, db);
}
// mfc_din_scalar is din in plain scalar code for few channels: masked vector stores into
// the overlapping patches of neighbouring tiles stall store-to-load forwarding.
static void mfc_dusmall(int level, const float *v, const float *gy, const signed char *code, const mfc_geom *g, float *dux, float *db, float *vxb) {
	MFC_PICK(level)
	MFC_CALL(dusmall, v, gy, code, g, dux, db, vxb);
}

static void mfc_din_scalar(const float *dv, const mfc_geom *g, float *dx) {
	long C = g->ci, tw = g->w / 2, tpi = (g->h / 2) * tw;
	for (long t = 0; t < g->nt; t++) {
		long tt = g->t0 + t;
		long b = tt / tpi, r = tt % tpi, ty = r / tw, tx = r % tw;
		const float *vt = dv + t * 16 * C;
		float *p[16];
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 4; j++) {
				long y = 2 * ty - 1 + i, xx = 2 * tx - 1 + j;
				p[i * 4 + j] = y >= 0 && y < g->h && xx >= 0 && xx < g->w ? dx + ((b * g->h + y) * g->w + xx) * C : NULL;
			}
		for (long c = 0; c < C; c++) {
			float w[16], q[16], d[16];
			for (int k = 0; k < 16; k++) w[k] = vt[k * C + c];
			for (int k = 0; k < 4; k++) {
				q[0 + k] = w[0 + k];
				q[4 + k] = (w[4 + k] - w[8 + k]) + w[12 + k];
				q[8 + k] = (w[4 + k] + w[8 + k]) - w[0 + k];
				q[12 + k] = -w[12 + k];
			}
			for (int i = 0; i < 4; i++) {
				d[4 * i + 0] = q[4 * i + 0];
				d[4 * i + 1] = (q[4 * i + 1] - q[4 * i + 2]) + q[4 * i + 3];
				d[4 * i + 2] = (q[4 * i + 1] + q[4 * i + 2]) - q[4 * i + 0];
				d[4 * i + 3] = -q[4 * i + 3];
			}
			for (int k = 0; k < 16; k++)
				if (p[k]) p[k][c] += d[k];
		}
	}
}

static void mfc_din(int level, const float *dv, const mfc_geom *g, float *dx) {
	if (g->ci < 4) {
		mfc_din_scalar(dv, g, dx);
		return;
	}
	MFC_PICK(level)
	MFC_CALL(din, dv, g, dx);
}

// Layers with at most MFC_SMALL input channels (an RGB input) take fused paths with the same
// arithmetic: products and output transform in one pass (mfc_prodout), and for the input
// gradient alone or the parameter gradient alone of a pooled block, products straight from
// the pooled gradient (mfc_dvsmall, mfc_dusmall; at most MFC_SMALL_CO output channels).
#define MFC_SMALL 4
#define MFC_SMALL_CO 128

// mfc_conv_fwd runs the forward pass over all tiles of n images in blocks of bt tiles:
// y = conv(x) + bias (pool 0) or the pooled ReLU of it with argmax codes (pool 1).
// u holds U[ξ][ci][co]; v and m are scratch of bt·16·ci and bt·16·co floats, zero ci zeros.
static void mfc_conv_fwd(const float *x, long n, long h, long w, long ci, long co, const float *u, const float *bias,
		float *y, signed char *code, int pool, long bt, float *v, float *m, const float *zero, int level) {
	long total = n * (h / 2) * (w / 2);
	for (long t0 = 0; t0 < total; t0 += bt) {
		mfc_geom g = {h, w, ci, co, t0, total - t0 < bt ? total - t0 : bt};
		mfc_in(level, x, &g, v, zero);
		if (ci <= MFC_SMALL) {
			mfc_prodout(level, v, &g, u, bias, y, code, pool);
			continue;
		}
		for (int xi = 0; xi < 16; xi++) {
			mfc_args a = {g.nt, co, ci, v + xi * ci, 16 * ci, 1, u + xi * ci * co, co, m + xi * co, 16 * co, 0};
			mfc_gemm(&a, level);
		}
		mfc_out(level, m, &g, bias, y, code, pool);
	}
}

// mfc_conv_bwd runs the backward pass: du (16·ci·co, the gradient of U) continues its
// chains when cont is set, db accumulates, and dx (when not NULL) is overwritten with the
// input gradient. ut holds Uᵀ[ξ][co][ci]; dm and dv are scratch like m and v.
static void mfc_conv_bwd(const float *x, const float *gy, const signed char *code, long n, long h, long w, long ci, long co,
		const float *ut, float *du, int cont, float *db, float *dx, int pool, long bt, float *v, float *dm, float *dv,
		const float *zero, int level) {
	long total = n * (h / 2) * (w / 2);
	if (dx) memset(dx, 0, sizeof(float) * (size_t)(n * h * w * ci));
	if (!du && dx && pool && ci <= MFC_SMALL && co <= MFC_SMALL_CO) {
		// the input gradient alone (attacks) through few input channels: no dM, no products
		float utx[MFC_SMALL * MFC_SMALL_CO * 16] __attribute__((aligned(64)));
		for (long c = 0; c < ci; c++)
			for (long o = 0; o < co; o++)
				for (int xi = 0; xi < 16; xi++) utx[(c * co + o) * 16 + xi] = ut[(xi * co + o) * ci + c];
		for (long t0 = 0; t0 < total; t0 += bt) {
			mfc_geom g = {h, w, ci, co, t0, total - t0 < bt ? total - t0 : bt};
			mfc_dvsmall(level, gy, code, &g, utx, dv, db);
			mfc_din(level, dv, &g, dx);
		}
		return;
	}
	if (du && !dx && pool && ci <= MFC_SMALL && co >= MFC_SMALL && co <= MFC_SMALL_CO) {
		// the parameter gradient alone (training) of few input channels: no dM, no products
		float dux[MFC_SMALL * MFC_SMALL_CO * 16] __attribute__((aligned(64)));
		for (long c = 0; c < ci; c++)
			for (long o = 0; o < co; o++)
				for (int xi = 0; xi < 16; xi++) dux[(c * co + o) * 16 + xi] = cont ? du[(xi * ci + c) * co + o] : 0.0f;
		for (long t0 = 0; t0 < total; t0 += bt) {
			mfc_geom g = {h, w, ci, co, t0, total - t0 < bt ? total - t0 : bt};
			mfc_in(level, x, &g, v, zero);
			mfc_dusmall(level, v, gy, code, &g, dux, db, dm); // dm (bt·16·co floats) holds V with ξ in the lanes
		}
		for (long c = 0; c < ci; c++)
			for (long o = 0; o < co; o++)
				for (int xi = 0; xi < 16; xi++) du[(xi * ci + c) * co + o] = dux[(c * co + o) * 16 + xi];
		return;
	}
	for (long t0 = 0; t0 < total; t0 += bt) {
		mfc_geom g = {h, w, ci, co, t0, total - t0 < bt ? total - t0 : bt};
		mfc_dout(level, gy, code, &g, dm, db, pool);
		if (du) {
			mfc_in(level, x, &g, v, zero);
			for (int xi = 0; xi < 16; xi++) {
				mfc_args a = {ci, co, g.nt, v + xi * ci, 1, 16 * ci, dm + xi * co, 16 * co, du + xi * ci * co, co, cont || t0 > 0};
				mfc_gemm(&a, level);
			}
		}
		if (dx) {
			for (int xi = 0; xi < 16; xi++) {
				mfc_args a = {g.nt, ci, co, dm + xi * co, 16 * co, 1, ut + xi * co * ci, ci, dv + xi * ci, 16 * ci, 0};
				mfc_gemm(&a, level);
			}
			mfc_din(level, dv, &g, dx);
		}
	}
}
#endif
