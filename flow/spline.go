package flow

import "math"

// Spline constants of the original (spec 5.2).
const (
	MinBinWidth    = 1e-3
	MinBinHeight   = 1e-3
	MinDerivative  = 1e-3
	knotLookupEps  = 1e-6
	numParamsBin   = 3 // widths, heights, derivatives per bin (minus one derivative)
	splineVarCount = 7 // x, xk, w, yk, h, d0, d1
)

// SplineParams is the number of unnormalised spline parameters per transformed feature
// for K bins: K widths, K heights and K−1 interior derivatives.
func SplineParams(k int) int { return numParamsBin*k - 1 }

// knots holds the normalised spline of one element, computed in float64.
type knots struct {
	xs, ys []float64 // K+1 knot positions
	pw, ph []float64 // softmax probabilities of widths and heights (for backward)
}

// knotsLen is the number of float64 values a knots view of K bins occupies.
func knotsLen(k int) int { return 4*k + 2 }

func newKnots(k int) *knots {
	kn := &knots{}
	kn.view(make([]float64, knotsLen(k)), k)
	return kn
}

// view points kn at buf (length knotsLen(k)), so that knots can be kept per element.
func (kn *knots) view(buf []float64, k int) {
	kn.xs, kn.ys = buf[:k+1], buf[k+1:2*k+2]
	kn.pw, kn.ph = buf[2*k+2:3*k+2], buf[3*k+2:4*k+2]
}

// set computes the knot positions from raw parameters [K widths, K heights, K−1
// derivatives]; widths and heights are divided by scale (√H) first.
func (kn *knots) set(raw []float32, scale, bound float64) {
	k := len(kn.pw)
	knotsFrom(kn.xs, kn.pw, raw[:k], scale, bound, MinBinWidth)
	knotsFrom(kn.ys, kn.ph, raw[k:2*k], scale, bound, MinBinHeight)
}

// deriv returns the knot derivatives δ_b and δ_{b+1} of bin b: 1 at the ends (linear tails
// join smoothly), m_δ + softplus(raw) inside. Only the two a bin needs are computed.
func (kn *knots) deriv(raw []float32, b int) (d0, d1 float64) {
	k := len(kn.pw)
	d0, d1 = 1, 1
	if b >= 1 {
		d0 = MinDerivative + softplus(float64(raw[2*k+b-1]))
	}
	if b+1 <= k-1 {
		d1 = MinDerivative + softplus(float64(raw[2*k+b]))
	}
	return d0, d1
}

func softplus(x float64) float64 {
	if x > 20 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func knotsFrom(dst, p []float64, raw []float32, scale, bound, minSize float64) {
	k := len(p)
	mx := math.Inf(-1)
	for _, r := range raw {
		mx = math.Max(mx, float64(r)/scale)
	}
	var sum float64
	for i, r := range raw {
		p[i] = math.Exp(float64(r)/scale - mx)
		sum += p[i]
	}
	cum := 0.0
	dst[0] = -bound
	for i := range p {
		p[i] /= sum
		cum += minSize + (1-minSize*float64(k))*p[i]
		if i < k-1 {
			dst[i+1] = 2*bound*cum - bound
		}
	}
	dst[k] = bound
}

// bin returns the bin of v among knots (spec: number of knots ≤ v, minus one, with the last
// knot raised by 1e-6), clamped to [0, K−1].
func bin(knots []float64, v float64) int {
	k := len(knots) - 1
	n := 0
	for i, kv := range knots {
		if i == k {
			kv += knotLookupEps
		}
		if v >= kv {
			n++
		}
	}
	i := n - 1
	if i < 0 {
		i = 0
	}
	if i > k-1 {
		i = k - 1
	}
	return i
}

// rqEval evaluates the forward spline in one bin and all partial derivatives of
// y and L = log dy/dx with respect to v = (x, xk, w, yk, h, d0, d1).
func rqEval(x, xk, w, yk, h, d0, d1 float64, dy, dL *[splineVarCount]float64) (y, L float64) {
	th := (x - xk) / w
	s := h / w
	tau := th * (1 - th)
	c1 := d0 + d1 - 2*s
	D := s + c1*tau
	N := h * (s*th*th + d0*tau)
	y = yk + N/D
	M := d1*th*th + 2*s*tau + d0*(1-th)*(1-th)
	L = math.Log(s * s * M / (D * D))
	if dy == nil {
		return y, L
	}
	tauTh := 1 - 2*th
	D2 := D * D
	// partials with θ and s as intermediates
	Nth := h * (2*s*th + d0*tauTh)
	Dth := c1 * tauTh
	yth := (Nth*D - N*Dth) / D2
	Ns := h * th * th
	Ds := 1 - 2*tau
	ys := (Ns*D - N*Ds) / D2
	yhDirect := (s*th*th + d0*tau) / D
	yd0 := (h*tau*D - N*tau) / D2
	yd1 := -N * tau / D2

	Mth := 2*d1*th + 2*s*tauTh - 2*d0*(1-th)
	Lth := Mth/M - 2*Dth/D
	Ls := 2/s + 2*tau/M - 2*Ds/D
	Ld0 := (1-th)*(1-th)/M - 2*tau/D
	Ld1 := th*th/M - 2*tau/D

	dy[0] = yth / w
	dy[1] = -yth / w
	dy[2] = -yth*th/w - ys*s/w
	dy[3] = 1
	dy[4] = yhDirect + ys/w
	dy[5] = yd0
	dy[6] = yd1

	dL[0] = Lth / w
	dL[1] = -Lth / w
	dL[2] = -Lth*th/w - Ls*s/w
	dL[3] = 0
	dL[4] = Ls / w
	dL[5] = Ld0
	dL[6] = Ld1
	return y, L
}

// rqInverseTheta solves for θ in one bin given y (spec 5.2, the stable root).
func rqInverse(y, xk, w, yk, h, d0, d1 float64) float64 {
	s := h / w
	dY := y - yk
	c1 := d0 + d1 - 2*s
	a := dY*c1 + h*(s-d0)
	b := h*d0 - dY*c1
	c := -s * dY
	disc := math.Max(b*b-4*a*c, 0)
	th := (2 * c) / (-b - math.Sqrt(disc))
	return xk + th*w
}

// backward accumulates, for one element, the gradient with respect to the raw parameters
// given gradients gv of the bin variables (xk, w, yk, h, d0, d1) = gv[1:7] of bin k.
// graw has the raw layout [K widths, K heights, K−1 derivatives]; gk is scratch of K+1.
func (kn *knots) backward(raw []float32, k int, gv *[splineVarCount]float64, scale, bound float64, graw []float32, gk []float64) {
	nb := len(kn.pw)
	// widths: xk = xs[k], w = xs[k+1]-xs[k]
	clear(gk)
	gk[k] += gv[1] - gv[2]
	gk[k+1] += gv[2]
	knotsBackward(graw[:nb], kn.pw, gk, scale, bound, MinBinWidth)
	clear(gk)
	gk[k] += gv[3] - gv[4]
	gk[k+1] += gv[4]
	knotsBackward(graw[nb:2*nb], kn.ph, gk, scale, bound, MinBinHeight)
	// derivatives: ds[k], ds[k+1]; ds[0], ds[K] constant
	if k >= 1 {
		graw[2*nb+k-1] += float32(gv[5] * sigmoid(float64(raw[2*nb+k-1])))
	}
	if k+1 <= nb-1 {
		graw[2*nb+k] += float32(gv[6] * sigmoid(float64(raw[2*nb+k])))
	}
}

// knotsBackward maps gradients of the knots (gk, length K+1; the end knots are constant)
// back to the raw values: knot j = 2B·Σ_{i<j} frac_i − B, frac = m + (1 − mK)·softmax(raw/scale).
func knotsBackward(graw []float32, p []float64, gk []float64, scale, bound, minSize float64) {
	k := len(p)
	var stack [64]float64
	gsoft := stack[:0]
	if k > len(stack) {
		gsoft = make([]float64, k)
	} else {
		gsoft = stack[:k]
	}
	acc, dot := 0.0, 0.0
	for i := k - 1; i >= 0; i-- {
		if i+1 <= k-1 {
			acc += gk[i+1]
		}
		gsoft[i] = 2 * bound * acc * (1 - minSize*float64(k))
		dot += p[i] * gsoft[i]
	}
	for i := range p {
		graw[i] += float32(p[i] * (gsoft[i] - dot) / scale)
	}
}
