package nn

import (
	"fmt"
	"math"
)

// Adam is the Adam optimiser (Kingma & Ba) over a flat parameter vector, with PyTorch's
// default constants. Its state is exported so checkpoints can save and restore it exactly.
type Adam struct {
	Beta1, Beta2, Eps float64
	Step              int
	M, V              []float32
}

// NewAdam returns an optimiser for n parameters with β1 = 0.9, β2 = 0.999, ε = 1e-8.
func NewAdam(n int) *Adam {
	return &Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, M: make([]float32, n), V: make([]float32, n)}
}

// Update applies one step with learning rate lr to params p using gradient g.
func (a *Adam) Update(p, g []float32, lr float64) {
	if len(p) != len(a.M) || len(g) != len(a.M) {
		panic(fmt.Sprintf("nn: adam over %d values given %d params, %d grads", len(a.M), len(p), len(g)))
	}
	a.Apply(a.Advance(lr), p, g, 0, len(p))
}

// AdamStep holds the constants of one optimiser step (see Advance).
type AdamStep struct {
	b1, b2, stepSize, sq, eps float32
}

// Advance counts one step with learning rate lr and returns its constants. Apply then
// updates index ranges of the parameters, disjoint ranges possibly concurrently: Advance
// followed by Apply over every index is Update, bit for bit.
func (a *Adam) Advance(lr float64) AdamStep {
	a.Step++
	bc1 := 1 - math.Pow(a.Beta1, float64(a.Step))
	bc2 := 1 - math.Pow(a.Beta2, float64(a.Step))
	return AdamStep{b1: float32(a.Beta1), b2: float32(a.Beta2), stepSize: float32(lr / bc1), sq: float32(math.Sqrt(bc2)), eps: float32(a.Eps)}
}

// Apply updates params p[lo:hi] with gradient g[lo:hi] by the step s (see Advance).
func (a *Adam) Apply(s AdamStep, p, g []float32, lo, hi int) {
	if len(p) != len(a.M) || len(g) != len(a.M) || lo < 0 || hi > len(p) || lo > hi {
		panic(fmt.Sprintf("nn: adam over %d values given %d params, %d grads, range [%d, %d)", len(a.M), len(p), len(g), lo, hi))
	}
	b1, b2, stepSize, sq, eps := s.b1, s.b2, s.stepSize, s.sq, s.eps
	m, v, p, g := a.M[lo:hi], a.V[lo:hi], p[lo:hi], g[lo:hi]
	for i, gi := range g {
		mi := b1*m[i] + (1-b1)*gi
		vi := b2*v[i] + (1-b2)*gi*gi
		m[i], v[i] = mi, vi
		p[i] -= stepSize * mi / (float32(math.Sqrt(float64(vi)))/sq + eps)
	}
}

// CosineLR returns the cosine-annealed learning rate at epoch e of total (PyTorch's
// CosineAnnealingLR with eta_min = 0).
func CosineLR(base float64, e, total int) float64 {
	if total <= 0 {
		return base
	}
	return base * (1 + math.Cos(math.Pi*float64(e)/float64(total))) / 2
}

// ClipNorm scales g so that its norm is at most maxNorm (no-op when maxNorm <= 0) and
// returns the norm before clipping.
func ClipNorm(g []float32, maxNorm float64) float64 {
	n := Norm(g)
	if maxNorm > 0 && n > maxNorm {
		s := float32(maxNorm / (n + 1e-6))
		for i := range g {
			g[i] *= s
		}
	}
	return n
}
