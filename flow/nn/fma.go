package nn

import "math"

// FMA32 returns a·b + c rounded once to float32, like C's fmaf and the FMA instructions the
// C kernels use. The product is exact in float64 and so is the sum's rounding error
// (TwoSum); a float64 sum that lands exactly halfway between two float32 values is nudged
// toward the exact value (round to odd) before the final rounding, which makes the double
// rounding correct (Boldo–Melquiond).
func FMA32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	cd := float64(c)
	s := p + cd
	bits := math.Float64bits(s)
	// Off a float32 midpoint (and above the subnormal range) the double rounding is exact.
	if bits&0x1FFFFFFF != 0x10000000 && bits&0x7FF0000000000000 >= 0x3810000000000000 {
		return float32(s)
	}
	bp := s - p
	e := (p - (s - bp)) + (cd - bp)
	if e != 0 && !math.IsNaN(e) && !math.IsInf(s, 0) && bits&1 == 0 {
		if (e > 0) == (s > 0) {
			bits++
		} else {
			bits--
		}
		s = math.Float64frombits(bits)
	}
	return float32(s)
}

// gemmRef is the reference product (tests check the C kernels against it) in the summation order of mfgemm.h: every element is a
// chain of FMA32 over k starting from zero, then stored (acc false) or added to C. The loops
// run k outside the columns with one accumulator per element, which keeps each chain's order.
func gemmRef(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	s := make([]float32, n)
	bt := b
	if transB && k > 0 {
		bt = make([]float32, k*n)
		for j := 0; j < n; j++ {
			for kk := 0; kk < k; kk++ {
				bt[kk*n+j] = b[j*ldb+kk]
			}
		}
		ldb = n
	}
	for i := 0; i < m; i++ {
		clear(s)
		for kk := 0; kk < k; kk++ {
			var av float32
			if transA {
				av = a[kk*lda+i]
			} else {
				av = a[i*lda+kk]
			}
			row := bt[kk*ldb : kk*ldb+n]
			s := s[:len(row)]
			ad := float64(av)
			for j, bv := range row {
				// FMA32's fast path inlined; midpoints and subnormals take the full call.
				r := ad*float64(bv) + float64(s[j])
				if bits := math.Float64bits(r); bits&0x1FFFFFFF != 0x10000000 && bits&0x7FF0000000000000 >= 0x3810000000000000 {
					s[j] = float32(r)
				} else {
					s[j] = FMA32(av, bv, s[j])
				}
			}
		}
		ci := c[i*ldc : i*ldc+n]
		for j, v := range s {
			if acc {
				ci[j] += v
			} else {
				ci[j] = v
			}
		}
	}
}
