// mfconv_xf.h: the Winograd transforms of mfconv.h, vectorised across channels with W-lane
// GCC vectors. mfconv.h includes it once per SIMD level with MFC_W (lanes) and MFC_ATTR
// (the target attribute) defined; the functions are named mfc_<name>_<W>. Every lane does
// the operations of wino.go in the same order, so the width changes speed only. A channel
// count that is not a multiple of W ends with a partial vector (masked loads and stores).

#define VF MFC_CAT(mfc_f, MFC_W)
#define VI MFC_CAT(mfc_i, MFC_W)
#define VB MFC_CAT(mfc_b, MFC_W)
#define FN(name) MFC_CAT(MFC_CAT(mfc_, name), MFC_CAT(_, MFC_W))
#define SEL(m, a, b) ((VF)(((VI)(a) & (m)) | ((VI)(b) & ~(m))))

// ld loads nv (≥ 1) floats from p; lanes past nv are 0.
MFC_ATTR static inline VF FN(ld)(const float *p, long nv) {
	if (nv >= MFC_W) return *(const VF *)p;
#if MFC_W == 16
	return (VF)_mm512_maskz_loadu_ps((__mmask16)((1u << nv) - 1), p);
#elif MFC_W == 8
	const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	return (VF)_mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)nv), lanes));
#else
	VF r = {0};
	for (long l = 0; l < nv; l++) r[l] = p[l];
	return r;
#endif
}

// st stores the first nv (≥ 1) lanes of v at p.
MFC_ATTR static inline void FN(st)(float *p, VF v, long nv) {
	if (nv >= MFC_W) {
		*(VF *)p = v;
		return;
	}
#if MFC_W == 16
	_mm512_mask_storeu_ps(p, (__mmask16)((1u << nv) - 1), (__m512)v);
#elif MFC_W == 8
	const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	_mm256_maskstore_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)nv), lanes), (__m256)v);
#else
	for (long l = 0; l < nv; l++) p[l] = v[l];
#endif
}

// in: V = Bᵀ d B for the block's tiles.
MFC_ATTR static void FN(in)(const float *x, const mfc_geom *g, float *v, const float *zero) {
	long C = g->ci;
	for (long t = 0; t < g->nt; t++) {
		const float *p[16];
		mfc_patch(p, x, g, g->t0 + t, C, zero);
		float *vt = v + t * 16 * C;
		for (long c = 0; c < C; c += MFC_W) {
			long nv = C - c;
			VF d[16], u[16];
			for (int k = 0; k < 16; k++) d[k] = FN(ld)(p[k] + c, nv);
			for (int j = 0; j < 4; j++) {
				u[0 + j] = d[0 + j] - d[8 + j];
				u[4 + j] = d[4 + j] + d[8 + j];
				u[8 + j] = d[8 + j] - d[4 + j];
				u[12 + j] = d[4 + j] - d[12 + j];
			}
			for (int i = 0; i < 4; i++) {
				FN(st)(vt + (4 * i + 0) * C + c, u[4 * i + 0] - u[4 * i + 2], nv);
				FN(st)(vt + (4 * i + 1) * C + c, u[4 * i + 1] + u[4 * i + 2], nv);
				FN(st)(vt + (4 * i + 2) * C + c, u[4 * i + 2] - u[4 * i + 1], nv);
				FN(st)(vt + (4 * i + 3) * C + c, u[4 * i + 1] - u[4 * i + 3], nv);
			}
		}
	}
}

// emit applies Aᵀ · A to the 16 product vectors of one tile's channels [c, c + nv), adds the
// bias and stores the 2×2 pixels at y + p00 (pixel stride C, row stride wc), or with pool the
// ReLU'd maximum at y + p00 and its code.
MFC_ATTR static inline void FN(emit)(const VF *mt, VF bc, float *y, signed char *code, long p00, long C, long wc, long c, long nv, int pool) {
	VF s[8];
	for (int j = 0; j < 4; j++) {
		s[j] = (mt[j] + mt[4 + j]) + mt[8 + j];
		s[4 + j] = (mt[4 + j] - mt[8 + j]) - mt[12 + j];
	}
	VF o00 = ((s[0] + s[1]) + s[2]) + bc;
	VF o01 = ((s[1] - s[2]) - s[3]) + bc;
	VF o10 = ((s[4] + s[5]) + s[6]) + bc;
	VF o11 = ((s[5] - s[6]) - s[7]) + bc;
	if (!pool) {
		FN(st)(y + p00 + c, o00, nv);
		FN(st)(y + p00 + C + c, o01, nv);
		FN(st)(y + p00 + wc + c, o10, nv);
		FN(st)(y + p00 + wc + C + c, o11, nv);
		return;
	}
	VF best = o00;
	VI k = (VI){0}, mk;
	mk = o01 > best, best = SEL(mk, o01, best), k = (mk & 1) | (~mk & k);
	mk = o10 > best, best = SEL(mk, o10, best), k = (mk & 2) | (~mk & k);
	mk = o11 > best, best = SEL(mk, o11, best), k = (mk & 3) | (~mk & k);
	VI on = best > (VF){0};
	FN(st)(y + p00 + c, (VF)((VI)best & on), nv);
	if (code) {
		VB kb = __builtin_convertvector((on & k) | ~on, VB);
		memcpy(code + p00 + c, &kb, (size_t)(nv < MFC_W ? nv : MFC_W));
	}
}

// out: y = Aᵀ M A + bias, or with pool the ReLU'd maximum of the 2×2 block and its code.
MFC_ATTR static void FN(out)(const float *m, const mfc_geom *g, const float *bias, float *y, signed char *code, int pool) {
	long C = g->co, tw = g->w / 2, tpi = (g->h / 2) * tw;
	for (long t = 0; t < g->nt; t++) {
		long tt = g->t0 + t;
		long b = tt / tpi, r = tt % tpi, ty = r / tw, tx = r % tw;
		const float *mt = m + t * 16 * C;
		long p00 = pool ? tt * C : ((b * g->h + 2 * ty) * g->w + 2 * tx) * C;
		for (long c = 0; c < C; c += MFC_W) {
			long nv = C - c;
			VF mv[16];
			for (int k = 0; k < 16; k++) mv[k] = FN(ld)(mt + k * C + c, nv);
			FN(emit)(mv, FN(ld)(bias + c, nv), y, code, p00, C, g->w * C, c, nv, pool);
		}
	}
}

// fma returns a·b + c rounded once, lane by lane.
MFC_ATTR static inline VF FN(fma)(VF a, VF b, VF c) {
#if MFC_W == 16
	return (VF)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
#elif MFC_W == 8
	return (VF)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
#else
	VF r;
	for (int l = 0; l < MFC_W; l++) r[l] = fmaf(a[l], b[l], c[l]);
	return r;
#endif
}

// splat returns v in every lane.
MFC_ATTR static inline VF FN(splat)(float v) {
#if MFC_W == 16
	return (VF)_mm512_set1_ps(v);
#elif MFC_W == 8
	return (VF)_mm256_set1_ps(v);
#elif defined(__SSE__)
	return (VF)_mm_set1_ps(v);
#else
	VF r;
	for (int l = 0; l < MFC_W; l++) r[l] = v;
	return r;
#endif
}

// prodout is the products and out in one pass for few input channels (the products would
// be matrix products with k = ci): M[ξ][o] = chain over c of V[ξ][c]·U[ξ][c][o] from 0, as
// mfc_gemm forms it, kept in registers and transformed out at once.
MFC_ATTR static void FN(prodout)(const float *v, const mfc_geom *g, const float *u, const float *bias, float *y, signed char *code, int pool) {
	long C = g->co, CI = g->ci, tw = g->w / 2, tpi = (g->h / 2) * tw;
	for (long t = 0; t < g->nt; t++) {
		long tt = g->t0 + t;
		long b = tt / tpi, r = tt % tpi, ty = r / tw, tx = r % tw;
		const float *vt = v + t * 16 * CI;
		long p00 = pool ? tt * C : ((b * g->h + 2 * ty) * g->w + 2 * tx) * C;
		for (long c = 0; c < C; c += MFC_W) {
			long nv = C - c;
			VF mv[16];
			for (int xi = 0; xi < 16; xi++) mv[xi] = (VF){0};
			if (nv >= MFC_W) {
				for (long k = 0; k < CI; k++) { // 16 independent chains advance together
					const float *uk = u + k * C + c, *vk = vt + k;
					for (int xi = 0; xi < 16; xi++)
						mv[xi] = FN(fma)(FN(splat)(vk[xi * CI]), *(const VF *)(uk + xi * CI * C), mv[xi]);
				}
			} else {
				for (long k = 0; k < CI; k++)
					for (int xi = 0; xi < 16; xi++)
						mv[xi] = FN(fma)(FN(splat)(vt[xi * CI + k]), FN(ld)(u + (xi * CI + k) * C + c, nv), mv[xi]);
			}
			FN(emit)(mv, FN(ld)(bias + c, nv), y, code, p00, C, g->w * C, c, nv, pool);
		}
	}
}

// dvsmall forms dV = dM·Uᵀ for few input channels and a pooled output without storing dM:
// a pooled gradient g with code k makes dM = g·P_k per channel (P_k = A e_k Aᵀ, entries 0
// and ±1, so the products are exact), and each dV[ξ][c] is the chain over output channels
// o of dM[ξ][o]·Uᵀ[ξ][o][c] from 0 with ξ in the lanes — mfc_gemm's chain (a channel with
// no gradient has dM = 0·P: exact zeros, whatever their sign, added to a sum that is never
// −0 leave it unchanged). utx holds
// Uᵀ as [c][o][ξ]. db accumulates as mfc_dout does it.
MFC_ATTR static void FN(dvsmall)(const float *gy, const signed char *code, const mfc_geom *g, const float *utx, float *dv, float *db) {
	static const float A2[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
	float pat[5][16] __attribute__((aligned(64)));
	for (int k = 0; k < 4; k++)
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 4; j++) pat[k][4 * i + j] = A2[k >> 1][i] * A2[k & 1][j];
	for (int j = 0; j < 16; j++) pat[4][j] = 0; // no gradient: exact zeros, no branch
	long C = g->co, CI = g->ci;
	enum { NJ = 16 / MFC_W, TB = 4 }; // TB tiles at a time: 3·TB independent chains
	for (long t1 = 0; t1 < g->nt; t1 += TB) {
		long nb = g->nt - t1 < TB ? g->nt - t1 : TB;
		VF s[TB][4][NJ];
		for (long b = 0; b < nb; b++)
			for (long c = 0; c < CI; c++)
				for (int j = 0; j < NJ; j++) s[b][c][j] = (VF){0};
		for (long o = 0; o < C; o++) {
			for (long b = 0; b < nb; b++) {
				long tt = g->t0 + t1 + b;
				int k = code[tt * C + o];
				k = k < 0 ? 4 : k;
				VF gv = FN(splat)(gy[tt * C + o]);
				for (int j = 0; j < NJ; j++) {
					VF d = gv * *(const VF *)(pat[k] + j * MFC_W);
					for (long c = 0; c < CI; c++) s[b][c][j] = FN(fma)(d, *(const VF *)(utx + (c * C + o) * 16 + j * MFC_W), s[b][c][j]);
				}
			}
		}
		for (long b = 0; b < nb; b++) {
			float *vt = dv + (t1 + b) * 16 * CI;
			for (long c = 0; c < CI; c++)
				for (int j = 0; j < NJ; j++)
					for (int l = 0; l < MFC_W; l++) vt[(j * MFC_W + l) * CI + c] = s[b][c][j][l];
		}
	}
	for (long t = 0; t < g->nt; t++) {
		long tt = g->t0 + t;
		const float *gp = gy + tt * C;
		const signed char *cp = code + tt * C;
		for (long c = 0; c < C; c += MFC_W) {
			long nv = C - c;
			VF gv = FN(ld)(gp + c, nv);
			VB kb = {0};
			memcpy(&kb, cp + c, (size_t)(nv < MFC_W ? nv : MFC_W));
			VI k = __builtin_convertvector(kb, VI);
			VF d00 = (VF)((VI)gv & (k == 0)), d01 = (VF)((VI)gv & (k == 1));
			VF d10 = (VF)((VI)gv & (k == 2)), d11 = (VF)((VI)gv & (k == 3));
			FN(st)(db + c, FN(ld)(db + c, nv) + (((d00 + d01) + d10) + d11), nv);
		}
	}
}

// dusmall accumulates dU = Vᵀ·dM for few input channels and a pooled output without
// storing dM: with ξ in the lanes, dux[c][o] (layout [c][o][ξ]) continues its chain over the
// block's tiles by fma(V[t][ξ][c], g·P_k, ·) — mfc_gemm's chain (a channel without gradient
// adds exact zeros: P_4 = 0, to a sum that is never −0). The chains of OB output channels
// at a time stay in registers over the whole block. vxb is scratch for the block's V with ξ
// in the lanes ([t][c][ξ]). db accumulates as mfc_dout does it.
MFC_ATTR static inline __attribute__((always_inline)) void FN(dusmall_ci)(const long CI, const float *vxb, const float *gy, const signed char *code,
		const mfc_geom *g, float *dux, const float (*pat)[16]) {
	enum { NJ = 16 / MFC_W, OB = 24 / NJ / 4 > 0 ? 24 / NJ / 4 : 1 };
	long C = g->co;
	for (long o0 = 0; o0 < C; o0 += OB) {
		long nob = C - o0 < OB ? C - o0 : OB;
		VF acc[4][OB][NJ];
		for (long c = 0; c < CI; c++)
			for (long ob = 0; ob < OB; ob++)
				for (int j = 0; j < NJ; j++) acc[c][ob][j] = ob < nob ? *(const VF *)(dux + (c * C + o0 + ob) * 16 + j * MFC_W) : (VF){0};
		for (long t = 0; t < g->nt; t++) {
			long tt = g->t0 + t;
			const float *vt = vxb + t * 4 * 16;
			for (long ob = 0; ob < OB; ob++) {
				if (ob >= nob) break;
				long o = o0 + ob;
				int k = code[tt * C + o];
				k = k < 0 ? 4 : k;
				VF gv = FN(splat)(gy[tt * C + o]);
				for (int j = 0; j < NJ; j++) {
					VF d = gv * *(const VF *)(pat[k] + j * MFC_W);
					for (long c = 0; c < CI; c++) acc[c][ob][j] = FN(fma)(*(const VF *)(vt + c * 16 + j * MFC_W), d, acc[c][ob][j]);
				}
			}
		}
		for (long c = 0; c < CI; c++)
			for (long ob = 0; ob < nob; ob++)
				for (int j = 0; j < NJ; j++) *(VF *)(dux + (c * C + o0 + ob) * 16 + j * MFC_W) = acc[c][ob][j];
	}
}

MFC_ATTR static void FN(dusmall)(const float *v, const float *gy, const signed char *code, const mfc_geom *g, float *dux, float *db, float *vxb) {
	static const float A2[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
	float pat[5][16] __attribute__((aligned(64)));
	for (int k = 0; k < 4; k++)
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 4; j++) pat[k][4 * i + j] = A2[k >> 1][i] * A2[k & 1][j];
	for (int j = 0; j < 16; j++) pat[4][j] = 0;
	long C = g->co, CI = g->ci;
	for (long t = 0; t < g->nt; t++)
		for (long c = 0; c < CI; c++)
			for (int xi = 0; xi < 16; xi++) vxb[(t * 4 + c) * 16 + xi] = v[(t * 16 + xi) * CI + c];
	switch (CI) {
	case 1: FN(dusmall_ci)(1, vxb, gy, code, g, dux, (const float (*)[16])pat); break;
	case 2: FN(dusmall_ci)(2, vxb, gy, code, g, dux, (const float (*)[16])pat); break;
	case 3: FN(dusmall_ci)(3, vxb, gy, code, g, dux, (const float (*)[16])pat); break;
	default: FN(dusmall_ci)(4, vxb, gy, code, g, dux, (const float (*)[16])pat); break;
	}
	for (long t = 0; t < g->nt; t++) {
		long tt = g->t0 + t;
		const float *gp = gy + tt * C;
		const signed char *cp = code + tt * C;
		for (long c = 0; c < C; c += MFC_W) {
			long nv = C - c;
			VF gv = FN(ld)(gp + c, nv);
			VB kb = {0};
			memcpy(&kb, cp + c, (size_t)(nv < MFC_W ? nv : MFC_W));
			VI k = __builtin_convertvector(kb, VI);
			VF d00 = (VF)((VI)gv & (k == 0)), d01 = (VF)((VI)gv & (k == 1));
			VF d10 = (VF)((VI)gv & (k == 2)), d11 = (VF)((VI)gv & (k == 3));
			FN(st)(db + c, FN(ld)(db + c, nv) + (((d00 + d01) + d10) + d11), nv);
		}
	}
}

// dout: dM = A dY Aᵀ per tile, db += ((dy00 + dy01) + dy10) + dy11.
MFC_ATTR static void FN(dout)(const float *gy, const signed char *code, const mfc_geom *g, float *dm, float *db, int pool) {
	long C = g->co, tw = g->w / 2, tpi = (g->h / 2) * tw;
	for (long t = 0; t < g->nt; t++) {
		long tt = g->t0 + t;
		long b = tt / tpi, r = tt % tpi, ty = r / tw, tx = r % tw;
		long p00 = pool ? tt * C : ((b * g->h + 2 * ty) * g->w + 2 * tx) * C;
		float *mt = dm + t * 16 * C;
		for (long c = 0; c < C; c += MFC_W) {
			long nv = C - c;
			VF d00, d01, d10, d11;
			if (pool) {
				VF gv = FN(ld)(gy + p00 + c, nv);
				VB kb = {0};
				memcpy(&kb, code + p00 + c, (size_t)(nv < MFC_W ? nv : MFC_W));
				VI k = __builtin_convertvector(kb, VI);
				d00 = (VF)((VI)gv & (k == 0));
				d01 = (VF)((VI)gv & (k == 1));
				d10 = (VF)((VI)gv & (k == 2));
				d11 = (VF)((VI)gv & (k == 3));
			} else {
				d00 = FN(ld)(gy + p00 + c, nv);
				d01 = FN(ld)(gy + p00 + C + c, nv);
				d10 = FN(ld)(gy + p00 + g->w * C + c, nv);
				d11 = FN(ld)(gy + p00 + g->w * C + C + c, nv);
			}
			FN(st)(db + c, FN(ld)(db + c, nv) + (((d00 + d01) + d10) + d11), nv);
			VF r[4][2] = {{d00, d01}, {d00 + d10, d01 + d11}, {d00 - d10, d01 - d11}, {-d10, -d11}};
			for (int i = 0; i < 4; i++) {
				FN(st)(mt + (4 * i + 0) * C + c, r[i][0], nv);
				FN(st)(mt + (4 * i + 1) * C + c, r[i][0] + r[i][1], nv);
				FN(st)(mt + (4 * i + 2) * C + c, r[i][0] - r[i][1], nv);
				FN(st)(mt + (4 * i + 3) * C + c, -r[i][1], nv);
			}
		}
	}
}

// din: dd = B dV Bᵀ per tile, added into dx in tile order.
MFC_ATTR static void FN(din)(const float *dv, const mfc_geom *g, float *dx) {
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
		for (long c = 0; c < C; c += MFC_W) {
			long nv = C - c;
			VF w[16], q[16], d[16];
			for (int k = 0; k < 16; k++) w[k] = FN(ld)(vt + k * C + c, nv);
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
				if (p[k]) FN(st)(p[k] + c, FN(ld)(p[k] + c, nv) + d[k], nv);
		}
	}
}

#undef VF
#undef VI
#undef VB
#undef FN
#undef SEL
