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
			VF s[8];
			for (int j = 0; j < 4; j++) {
				VF m0 = FN(ld)(mt + (0 + j) * C + c, nv), m1 = FN(ld)(mt + (4 + j) * C + c, nv);
				VF m2 = FN(ld)(mt + (8 + j) * C + c, nv), m3 = FN(ld)(mt + (12 + j) * C + c, nv);
				s[j] = (m0 + m1) + m2;
				s[4 + j] = (m1 - m2) - m3;
			}
			VF bc = FN(ld)(bias + c, nv);
			VF o00 = ((s[0] + s[1]) + s[2]) + bc;
			VF o01 = ((s[1] - s[2]) - s[3]) + bc;
			VF o10 = ((s[4] + s[5]) + s[6]) + bc;
			VF o11 = ((s[5] - s[6]) - s[7]) + bc;
			if (!pool) {
				FN(st)(y + p00 + c, o00, nv);
				FN(st)(y + p00 + C + c, o01, nv);
				FN(st)(y + p00 + g->w * C + c, o10, nv);
				FN(st)(y + p00 + g->w * C + C + c, o11, nv);
				continue;
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
