//go:build cgo && !purego

package flow

/*
#cgo LDFLAGS: -lm
#cgo CFLAGS: -I${SRCDIR}/nn
// The evaluation-only (no gradient) coupling step in C: the conditioner's element-wise passes
// and the rational-quadratic spline, so that the compiler vectorises them across rows
// (AVX-512 or AVX2, chosen at run time); Go does not vectorise, and these passes otherwise
// cost as much as the matrix products. The conditioner mirrors ResMLP.forward operation for
// operation with contraction into fused multiply-adds switched off, so it gives bit-identical
// results. The spline mirrors Coupling.splineGo in float64 with its own exp and log, which
// agree with Go's math.Exp and math.Log to about one unit in the last place.
#pragma GCC optimize("O3", "fp-contract=off", "no-trapping-math", "no-math-errno")
#pragma STDC FP_CONTRACT OFF

#include "mfgemm.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

// ---- the conditioner's element-wise passes ----

static inline __attribute__((always_inline)) float mf_relu1(float v) {
	int32_t b;
	memcpy(&b, &v, 4);
	b &= ~(b >> 31);
	memcpy(&v, &b, 4);
	return v;
}

// h = b + x·w for a 1-input layer.
static inline __attribute__((always_inline)) void initial1_body(float *restrict h, const float *restrict x, const float *restrict w, const float *restrict b, long rows, long hd) {
	for (long i = 0; i < rows; i++) {
		float xi = x[i];
		float *restrict row = h + i * hd;
		for (long j = 0; j < hd; j++) row[j] = b[j] + xi * w[j];
	}
}

static inline __attribute__((always_inline)) void relu_body(float *restrict dst, const float *restrict src, long n) {
	for (long i = 0; i < n; i++) dst[i] = mf_relu1(src[i]);
}

// src += bias per row (in place), dst = relu(src).
static inline __attribute__((always_inline)) void bias_relu_keep_body(float *restrict src, float *restrict dst, const float *restrict bias, long rows, long width) {
	for (long i = 0; i < rows; i++) {
		float *restrict s = src + i * width;
		float *restrict d = dst + i * width;
		for (long j = 0; j < width; j++) {
			float t = s[j] + bias[j];
			s[j] = t;
			d[j] = mf_relu1(t);
		}
	}
}

// v = relu(v + bias) per row.
static inline __attribute__((always_inline)) void bias_relu_body(float *restrict v, const float *restrict bias, long rows, long width) {
	for (long i = 0; i < rows; i++) {
		float *restrict s = v + i * width;
		for (long j = 0; j < width; j++) s[j] = mf_relu1(s[j] + bias[j]);
	}
}

// m += bias per row.
static inline __attribute__((always_inline)) void add_bias_body(float *restrict m, const float *restrict bias, long rows, long width) {
	for (long i = 0; i < rows; i++) {
		float *restrict s = m + i * width;
		for (long j = 0; j < width; j++) s[j] += bias[j];
	}
}

// m = bias per row.
static inline __attribute__((always_inline)) void set_bias_body(float *restrict m, const float *restrict bias, long rows, long width) {
	for (long i = 0; i < rows; i++) memcpy(m + i * width, bias, width * sizeof(float));
}

// ---- float64 exp and log that vectorise ----

#define MF_LOG2E 1.4426950408889634
#define MF_LN2HI 6.93147180369123816490e-01
#define MF_LN2LO 1.90821492927058770002e-10
#define MF_MAGIC 6755399441055744.0
#define MF_SQRT2 1.41421356237309504880

static inline __attribute__((always_inline)) double mf_exp(double x) {
	double xc = x > 709.0 ? 709.0 : x;
	xc = xc < -708.0 ? -708.0 : xc;
	double t = xc * MF_LOG2E + MF_MAGIC;
	double n = t - MF_MAGIC;
	double r = (xc - n * MF_LN2HI) - n * MF_LN2LO;
	double p = 1.0 / 6227020800.0;
	p = r * p + 1.0 / 479001600.0;
	p = r * p + 1.0 / 39916800.0;
	p = r * p + 1.0 / 3628800.0;
	p = r * p + 1.0 / 362880.0;
	p = r * p + 1.0 / 40320.0;
	p = r * p + 1.0 / 5040.0;
	p = r * p + 1.0 / 720.0;
	p = r * p + 1.0 / 120.0;
	p = r * p + 1.0 / 24.0;
	p = r * p + 1.0 / 6.0;
	p = r * p + 0.5;
	p = r * p + 1.0;
	p = r * p + 1.0;
	double m = MF_MAGIC, scale;
	int64_t tb, mb, sb;
	memcpy(&tb, &t, 8);
	memcpy(&mb, &m, 8);
	sb = ((tb - mb) + 1023) << 52;
	memcpy(&scale, &sb, 8);
	double res = p * scale;
	res = x > 709.0 ? INFINITY : res;
	res = x < -708.0 ? 0.0 : res;
	return res;
}

static inline __attribute__((always_inline)) double mf_log(double x) {
	int sub = x < 0x1p-1022;
	double xs = sub ? x * 0x1p54 : x;
	int64_t bits;
	memcpy(&bits, &xs, 8);
	int64_t e = ((bits >> 52) & 0x7ff) - 1023 - (sub ? 54 : 0);
	int64_t mbits = (bits & 0x000fffffffffffffLL) | 0x3ff0000000000000LL;
	double m;
	memcpy(&m, &mbits, 8);
	int big = m > MF_SQRT2;
	m = big ? m * 0.5 : m;
	e = big ? e + 1 : e;
	double f = m - 1.0;
	double s = f / (2.0 + f);
	double s2 = s * s;
	double q = 1.0 / 21.0;
	q = s2 * q + 1.0 / 19.0;
	q = s2 * q + 1.0 / 17.0;
	q = s2 * q + 1.0 / 15.0;
	q = s2 * q + 1.0 / 13.0;
	q = s2 * q + 1.0 / 11.0;
	q = s2 * q + 1.0 / 9.0;
	q = s2 * q + 1.0 / 7.0;
	q = s2 * q + 1.0 / 5.0;
	q = s2 * q + 1.0 / 3.0;
	double lm = 2.0 * s + 2.0 * s * (s2 * q);
	double de = (double)e;
	double res = de * MF_LN2HI + (de * MF_LN2LO + lm);
	res = x > 0 ? res : (x == 0 ? -INFINITY : NAN);
	res = x == INFINITY ? INFINITY : res;
	return res;
}

// log(1 + y) for y ≥ 0, with the rounding of 1 + y corrected.
static inline __attribute__((always_inline)) double mf_log1p(double y) {
	double u = 1.0 + y;
	return mf_log(u) - ((u - 1.0) - y) / u;
}

static inline __attribute__((always_inline)) double mf_softplus(double x) {
	return x > 20 ? x : mf_log1p(mf_exp(x));
}

// ---- the spline, vectorised over tiles of MF_R rows ----

#define MF_R 32

// knots_tile computes K+1 knot positions per row (dst, K+1 rows of MF_R) from K raw
// parameters per row (raw, K rows of MF_R), as knotsFrom does, and the softmax
// probabilities into p (K rows of MF_R).
static inline __attribute__((always_inline)) void knots_tile(double *restrict dst, const double *restrict raw, double *restrict p, long K, double scale, double bound, double minSize) {
	double mx[MF_R], sum[MF_R], cum[MF_R];
	for (long r = 0; r < MF_R; r++) mx[r] = -INFINITY;
	for (long b = 0; b < K; b++)
		for (long r = 0; r < MF_R; r++) {
			double t = raw[b * MF_R + r] / scale;
			double m = mx[r];
			mx[r] = (t != t || m != m) ? t + m : (t > m ? t : m);
		}
	for (long r = 0; r < MF_R; r++) sum[r] = 0;
	for (long b = 0; b < K; b++)
		for (long r = 0; r < MF_R; r++) {
			double e = mf_exp(raw[b * MF_R + r] / scale - mx[r]);
			p[b * MF_R + r] = e;
			sum[r] += e;
		}
	double wide = 1 - minSize * (double)K;
	for (long r = 0; r < MF_R; r++) {
		cum[r] = 0;
		dst[r] = -bound;
		dst[K * MF_R + r] = bound;
	}
	for (long b = 0; b < K; b++) {
		for (long r = 0; r < MF_R; r++) {
			double pr = p[b * MF_R + r] / sum[r];
			p[b * MF_R + r] = pr;
			cum[r] += minSize + wide * pr;
		}
		if (b < K - 1)
			for (long r = 0; r < MF_R; r++) dst[(b + 1) * MF_R + r] = 2 * bound * cum[r] - bound;
	}
}

static inline __attribute__((always_inline)) void spline_body(long rows, long n, const float *restrict x, float *restrict z, float *restrict ld,
	const float *restrict params, long pstride, const int64_t *restrict tf, long nt, long K, double scale, double bound, int inverse, double *restrict scr,
	double *restrict kout) {
	long np = 3 * K - 1;
	long kl = 4 * K + 2;
	double *tp = scr;                 // np rows of MF_R: raw parameters
	double *xs = tp + np * MF_R;      // K+1 rows
	double *ys = xs + (K + 1) * MF_R; // K+1 rows
	double *pw = ys + (K + 1) * MF_R; // K rows: softmax of the widths
	double *ph = pw + K * MF_R;       // K rows: softmax of the heights
	double vv[MF_R], acc[MF_R], xk[MF_R], xk1[MF_R], yk[MF_R], yk1[MF_R], r0d[MF_R], r1d[MF_R];
	long kb[MF_R];
	memcpy(z, x, (size_t)rows * n * sizeof(float));
	for (long r0 = 0; r0 < rows; r0 += MF_R) {
		long nr = rows - r0 < MF_R ? rows - r0 : MF_R;
		for (long r = 0; r < MF_R; r++) acc[r] = 0;
		for (long j = 0; j < nt; j++) {
			long f = tf[j];
			for (long r = 0; r < MF_R; r++) vv[r] = r < nr ? (double)x[(r0 + r) * n + f] : 0.0;
			for (long b = 0; b < np; b++)
				for (long r = 0; r < MF_R; r++)
					tp[b * MF_R + r] = r < nr ? (double)params[(r0 + r) * pstride + j * np + b] : 0.0;
			knots_tile(xs, tp, pw, K, scale, bound, 1e-3);
			knots_tile(ys, tp + K * MF_R, ph, K, scale, bound, 1e-3);
			if (kout) {
				// the knots view of Backward: xs (K+1), ys (K+1), pw (K), ph (K) per element
				for (long r = 0; r < nr; r++) {
					double *o = kout + ((r0 + r) * nt + j) * kl;
					for (long b = 0; b <= K; b++) {
						o[b] = xs[b * MF_R + r];
						o[K + 1 + b] = ys[b * MF_R + r];
					}
					for (long b = 0; b < K; b++) {
						o[2 * K + 2 + b] = pw[b * MF_R + r];
						o[3 * K + 2 + b] = ph[b * MF_R + r];
					}
				}
			}
			const double *kt = inverse ? ys : xs;
			for (long r = 0; r < MF_R; r++) kb[r] = 0;
			for (long b = 0; b <= K; b++) {
				double add = b == K ? 1e-6 : 0.0;
				for (long r = 0; r < MF_R; r++) {
					double kv = kt[b * MF_R + r];
					kv = b == K ? kv + add : kv;
					kb[r] += vv[r] >= kv ? 1 : 0;
				}
			}
			for (long r = 0; r < MF_R; r++) {
				long k = kb[r] - 1;
				k = k < 0 ? 0 : k;
				kb[r] = k > K - 1 ? K - 1 : k;
				xk[r] = xk1[r] = yk[r] = yk1[r] = r0d[r] = r1d[r] = 0;
			}
			for (long b = 0; b < K; b++) {
				const double *d0row = tp + (2 * K + (b >= 1 ? b - 1 : 0)) * MF_R;
				const double *d1row = tp + (2 * K + (b + 1 <= K - 1 ? b : 0)) * MF_R;
				for (long r = 0; r < MF_R; r++) {
					int m = kb[r] == b;
					xk[r] = m ? xs[b * MF_R + r] : xk[r];
					xk1[r] = m ? xs[(b + 1) * MF_R + r] : xk1[r];
					yk[r] = m ? ys[b * MF_R + r] : yk[r];
					yk1[r] = m ? ys[(b + 1) * MF_R + r] : yk1[r];
					r0d[r] = m ? d0row[r] : r0d[r];
					r1d[r] = m ? d1row[r] : r1d[r];
				}
			}
			for (long r = 0; r < MF_R; r++) {
				long k = kb[r];
				double v = vv[r];
				double d0 = k >= 1 ? 1e-3 + mf_softplus(r0d[r]) : 1.0;
				double d1 = k + 1 <= K - 1 ? 1e-3 + mf_softplus(r1d[r]) : 1.0;
				double xkk = xk[r], w = xk1[r] - xk[r], ykk = yk[r], h = yk1[r] - yk[r];
				double s = h / w;
				double c1 = d0 + d1 - 2 * s;
				double xin = v, out;
				if (inverse) {
					double dY = v - ykk;
					double a = dY * c1 + h * (s - d0);
					double bq = h * d0 - dY * c1;
					double c = -s * dY;
					double disc = bq * bq - 4 * a * c;
					disc = disc < 0 ? 0.0 : disc;
					double th = (2 * c) / (-bq - sqrt(disc));
					xin = xkk + th * w;
				}
				double th = (xin - xkk) / w;
				double tau = th * (1 - th);
				double D = s + c1 * tau;
				double N = h * (s * th * th + d0 * tau);
				double M = d1 * th * th + 2 * s * tau + d0 * (1 - th) * (1 - th);
				double L = mf_log(s * s * M / (D * D));
				if (inverse) {
					out = xin;
					L = -L;
				} else {
					out = ykk + N / D;
				}
				int inside = v >= -bound && v <= bound;
				vv[r] = inside ? out : v;
				acc[r] += inside ? L : 0.0;
			}
			for (long r = 0; r < nr; r++) z[(r0 + r) * n + f] = (float)vv[r];
		}
		for (long r = 0; r < nr; r++) ld[r0 + r] = (float)acc[r];
	}
}

#include "mfvariants.h"

MF_VARIANTS(initial1, (float *h, const float *x, const float *w, const float *b, long rows, long hd), (h, x, w, b, rows, hd))
MF_VARIANTS(relu, (float *dst, const float *src, long n), (dst, src, n))
MF_VARIANTS(bias_relu_keep, (float *src, float *dst, const float *bias, long rows, long width), (src, dst, bias, rows, width))
MF_VARIANTS(bias_relu, (float *v, const float *bias, long rows, long width), (v, bias, rows, width))
MF_VARIANTS(add_bias, (float *m, const float *bias, long rows, long width), (m, bias, rows, width))
MF_VARIANTS(set_bias, (float *m, const float *bias, long rows, long width), (m, bias, rows, width))
MF_VARIANTS(spline, (long rows, long n, const float *x, float *z, float *ld, const float *params, long pstride, const int64_t *tf, long nt, long K, double scale, double bound, int inverse, double *scr, double *kout),
	(rows, n, x, z, ld, params, pstride, tf, nt, K, scale, bound, inverse, scr, kout))


// mf_resmlp runs ResMLP.forward without recording: offs holds the parameter offsets into p of
// W₀, b₀, then W₁, b₁, W₂, b₂ per block, then W_f, b_f. h, u and v are rows×hidden scratch.
static void mf_resmlp(const float *p, const int64_t *offs, long nblocks, long rows, long in, long hd, long out,
	const float *x, float *y, float *h, float *u, float *v) {
	const float *w0 = p + offs[0], *b0 = p + offs[1];
	if (in == 1) {
		mf_initial1(h, x, w0, b0, rows, hd);
	} else {
		mf_set_bias(h, b0, rows, hd);
		mf_gemm_nt(rows, hd, in, x, in, w0, in, h, hd, 1);
	}
	const float *pending = 0;
	for (long bi = 0; bi < nblocks; bi++) {
		const int64_t *o = offs + 2 + 4 * bi;
		if (pending) mf_bias_relu_keep(h, u, pending, rows, hd);
		else mf_relu(u, h, rows * hd);
		mf_gemm_nt(rows, hd, hd, u, hd, p + o[0], hd, v, hd, 0);
		mf_bias_relu(v, p + o[1], rows, hd);
		mf_gemm_nt(rows, hd, hd, v, hd, p + o[2], hd, h, hd, 1);
		pending = p + o[3];
	}
	if (pending) mf_add_bias(h, pending, rows, hd);
	const int64_t *of = offs + 2 + 4 * nblocks;
	mf_set_bias(y, p + of[1], rows, out);
	if (hd == 1) {
		// a 1-wide hidden layer: y += h·w per row, as the Go path does
		const float *wf = p + of[0];
		for (long i = 0; i < rows; i++)
			for (long j = 0; j < out; j++) y[i * out + j] += h[i] * wf[j];
	} else {
		mf_gemm_nt(rows, out, hd, h, hd, p + of[0], hd, y, out, 1);
	}
}
*/
import "C"

import (
	"unsafe"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// fastBackend names the implementation of the evaluation-only coupling step.
const fastBackend = "c"

// maxFastBins bounds the bins the C spline handles (its scratch lives in the arena).
const maxFastBins = 256

// forwardFast runs forward without recording in C and reports true, or reports false when
// the C path does not apply (the caller then runs the Go path).
func (m *ResMLP) forwardFast(a *nn.Arena, p []float32, x, out nn.Mat) bool {
	rows := x.Rows
	if rows == 0 || len(m.offs) == 0 || m.Hidden == 0 || m.Out == 0 || m.In == 0 {
		return false
	}
	if x.Cols != m.In || out.Cols != m.Out || out.Rows != rows || len(p) < m.Final.B.Off+m.Out {
		return false
	}
	hd := m.Hidden
	h := a.RawMat(rows, hd)
	u, v := h, h
	if len(m.Blocks) > 0 {
		u, v = a.RawMat(rows, hd), a.RawMat(rows, hd)
	}
	C.mf_resmlp((*C.float)(unsafe.Pointer(&p[0])), (*C.int64_t)(unsafe.Pointer(&m.offs[0])), C.long(len(m.Blocks)),
		C.long(rows), C.long(m.In), C.long(hd), C.long(m.Out),
		(*C.float)(unsafe.Pointer(&x.Data[0])), (*C.float)(unsafe.Pointer(&out.Data[0])),
		(*C.float)(unsafe.Pointer(&h.Data[0])), (*C.float)(unsafe.Pointer(&u.Data[0])), (*C.float)(unsafe.Pointer(&v.Data[0])))
	return true
}

// splineFast writes the coupling's spline outputs into z (a copy of x with the transformed
// features replaced) and the log-determinants into ld, in C, and when knots is not nil the
// normalised spline of every element (knotsLen values each, as Backward reads them); false
// when it does not apply.
func (c *Coupling) splineFast(a *nn.Arena, x, params, z nn.Mat, ld []float32, inverse bool, knots []float64) bool {
	rows, nt, k := x.Rows, len(c.Transformed), c.Bins
	if rows == 0 || nt == 0 || k < 1 || k > maxFastBins || len(c.tf) != nt {
		return false
	}
	np := SplineParams(k)
	scr := a.Float64s((np + 2*(k+1) + 2*k) * 32)
	var kout *C.double
	if knots != nil {
		if len(knots) < rows*nt*knotsLen(k) {
			panic("flow: splineFast: knots buffer too short")
		}
		kout = (*C.double)(unsafe.Pointer(&knots[0]))
	}
	C.mf_spline(C.long(rows), C.long(c.N), (*C.float)(unsafe.Pointer(&x.Data[0])), (*C.float)(unsafe.Pointer(&z.Data[0])),
		(*C.float)(unsafe.Pointer(&ld[0])), (*C.float)(unsafe.Pointer(&params.Data[0])), C.long(params.Cols),
		(*C.int64_t)(unsafe.Pointer(&c.tf[0])), C.long(nt), C.long(k), C.double(c.scale), C.double(c.TailBound),
		C.int(boolInt(inverse)), (*C.double)(unsafe.Pointer(&scr[0])), kout)
	return true
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
