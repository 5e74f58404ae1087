package classify

import "math"

// The element-wise operations below follow PyTorch's CPU kernels operation by operation
// (same formulas, same order, float32 rounding after every step), so that quantities which
// are mostly rounding — the original classifier's input gradient at confident points — come
// out the same.

const (
	log2e = 1.4426950408889634
	ln2   = 0.6931471805599453
	// roundMagic rounds a float64 of magnitude < 2⁵¹ to an integer by addition.
	roundMagic = 0x1.8p52
)

// exp32 returns e^x rounded to float32. It evaluates a degree-7 polynomial in float64 after
// range reduction, so its error is far below float32 resolution (it is faithfully rounded).
// The explicit float64 conversions forbid fused multiply-adds, so the C kernels (act_cgo.go),
// which perform the same operations, give bit-identical results.
func exp32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 89:
		return float32(math.Inf(1))
	case x < -104:
		return 0
	}
	xd := float64(x)
	t := float64(xd*log2e) + roundMagic
	n := t - roundMagic
	r := xd - float64(n*ln2)
	p := float64(r*(1.0/5040)) + 1.0/720
	p = float64(r*p) + 1.0/120
	p = float64(r*p) + 1.0/24
	p = float64(r*p) + 1.0/6
	p = float64(r*p) + 1.0/2
	p = float64(r*p) + 1
	p = float64(r*p) + 1
	return float32(p * math.Float64frombits(uint64(int64(n)+1023)<<52))
}

// siluGo writes h = z / (1 + e^(−z)) (PyTorch's SiLU) and σ(z) = 1 / (1 + e^(−z)).
func siluGo(h, sig, z []float32) {
	sig = sig[:len(z)]
	h = h[:len(z)]
	for i, v := range z {
		d := 1 + exp32(-v)
		sig[i] = 1 / d
		h[i] = v / d
	}
}

// siluInPlaceGo replaces z by SiLU(z).
func siluInPlaceGo(z []float32) {
	for i, v := range z {
		z[i] = v / (1 + exp32(-v))
	}
}

// siluBackwardGo turns g = dL/dSiLU(z) into dL/dz in place: g·σ·(1 + z·(1 − σ)).
func siluBackwardGo(g, z, sig []float32) {
	z = z[:len(g)]
	sig = sig[:len(g)]
	for i, v := range g {
		s := sig[i]
		g[i] = float32(v*s) * (1 + float32(z[i]*(1-s)))
	}
}

// softmaxRow writes softmax(s) into dst (which may alias s): e^(s − max), then a multiply
// by the reciprocal of the sum, as PyTorch does.
func softmaxRow(dst, s []float32) {
	mx := s[0]
	for _, v := range s[1:] {
		if v > mx {
			mx = v
		}
	}
	var sum float32
	for j, v := range s {
		e := exp32(v - mx)
		dst[j] = e
		sum += e
	}
	inv := 1 / sum
	for j := range dst[:len(s)] {
		dst[j] *= inv
	}
}

// crossEntropyRow returns the cross-entropy of scores s (read as logits) against class y and
// adds w·d(loss)/ds into g. It follows PyTorch's log_softmax, nll_loss and their backward
// passes, so w = 1 reproduces reduction="sum" and w = 1/N reduction="mean".
func crossEntropyRow(s []float32, y int, w float32, g []float32) float32 {
	mx := s[0]
	for _, v := range s[1:] {
		if v > mx {
			mx = v
		}
	}
	var sum float32
	for _, v := range s {
		sum += exp32(v - mx)
	}
	lse := float32(math.Log(float64(sum)))
	g = g[:len(s)]
	// d/ds_j of −logsoftmax_y: go_j − e^(out_j)·Σgo with go = −w·onehot(y).
	for j, v := range s {
		out := (v - mx) - lse
		gj := float32(0)
		if j == y {
			gj = -w
		}
		g[j] += gj - exp32(out)*(-w)
	}
	return -((s[y] - mx) - lse)
}

// softmaxBackwardRow turns g = dL/dp for p = softmax(logits) into dL/dlogits in place:
// (g − Σ g·p)·p, in PyTorch's order.
func softmaxBackwardRow(g, p []float32) {
	p = p[:len(g)]
	var dot float32
	for j, v := range g {
		dot += float32(v * p[j])
	}
	for j, v := range g {
		g[j] = (v - dot) * p[j]
	}
}
