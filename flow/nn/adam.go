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
	a.Step++
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	bc1 := 1 - math.Pow(a.Beta1, float64(a.Step))
	bc2 := 1 - math.Pow(a.Beta2, float64(a.Step))
	stepSize := float32(lr / bc1)
	sq := float32(math.Sqrt(bc2))
	eps := float32(a.Eps)
	for i, gi := range g {
		m := b1*a.M[i] + (1-b1)*gi
		v := b2*a.V[i] + (1-b2)*gi*gi
		a.M[i], a.V[i] = m, v
		p[i] -= stepSize * m / (float32(math.Sqrt(float64(v)))/sq + eps)
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
