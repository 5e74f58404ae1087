// Package flow implements manifold-learning normalizing flows (M-Flows, Brehmer & Cranmer
// 2020) as specified in spec/mflow.md section 5: rational-quadratic spline couplings,
// permutations, composite and inverse transforms, the inner affine transform, and the M-Flow
// with encode, decode, project, PIE density, sampling, drawing helpers, gradients and training.
package flow

import (
	"fmt"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// Record is what a transform keeps from one Forward or Inverse call so that Backward can
// differentiate it. It is opaque to callers.
type Record interface{}

// Transform is the contract every M-Flow transform follows. Parameters are not owned by the
// transform: they live in a flat vector p laid out by the model's nn.Layout, so the same
// transform can run on training weights and on immutable snapshots.
//
// Forward maps a batch x (rows×Features) to z and returns log|det ∂z/∂x| per row; Inverse is
// its inverse and returns log|det ∂x/∂z|. With record set they also return a Record for
// Backward. Memory comes from the arena a (nil allocates).
type Transform interface {
	Features() int
	Forward(a *nn.Arena, p []float32, x nn.Mat, record bool) (z nn.Mat, logDet []float32, r Record)
	Inverse(a *nn.Arena, p []float32, z nn.Mat, record bool) (x nn.Mat, logDet []float32, r Record)
	// Backward takes dL/d(output) and dL/d(logDet) (nil means zero) of the call that made r,
	// adds the parameter gradients into grad (laid out like p; nil skips them) and returns
	// dL/d(input).
	Backward(a *nn.Arena, p []float32, r Record, gOut nn.Mat, gLogDet []float32, grad []float32) nn.Mat
}

func checkFeatures(name string, t Transform, x nn.Mat) {
	if x.Cols != t.Features() {
		panic(fmt.Sprintf("flow: %s expects %d features, got %d", name, t.Features(), x.Cols))
	}
}

// Permutation reorders features: out[i] = in[P[i]]. Its log|det| is 0.
type Permutation struct {
	P, inv []int
}

// NewPermutation returns the permutation p, which must hold each of 0…len(p)−1 once.
func NewPermutation(p []int) (*Permutation, error) {
	inv := make([]int, len(p))
	seen := make([]bool, len(p))
	for i, v := range p {
		if v < 0 || v >= len(p) || seen[v] {
			return nil, fmt.Errorf("flow: %v is not a permutation", p)
		}
		seen[v] = true
		inv[v] = i
	}
	return &Permutation{P: append([]int(nil), p...), inv: inv}, nil
}

// Features returns the number of features permuted.
func (t *Permutation) Features() int { return len(t.P) }

type permRecord struct{ inverse bool }

func permute(a *nn.Arena, x nn.Mat, idx []int) nn.Mat {
	z := a.RawMat(x.Rows, x.Cols)
	for i := 0; i < x.Rows; i++ {
		src, dst := x.Row(i), z.Row(i)
		for j, k := range idx {
			dst[j] = src[k]
		}
	}
	return z
}

// Forward returns x with features reordered by P.
func (t *Permutation) Forward(a *nn.Arena, _ []float32, x nn.Mat, record bool) (nn.Mat, []float32, Record) {
	checkFeatures("permutation", t, x)
	return permute(a, x, t.P), a.Floats(x.Rows), &permRecord{false}
}

// Inverse undoes Forward.
func (t *Permutation) Inverse(a *nn.Arena, _ []float32, z nn.Mat, record bool) (nn.Mat, []float32, Record) {
	checkFeatures("permutation", t, z)
	return permute(a, z, t.inv), a.Floats(z.Rows), &permRecord{true}
}

// Backward routes gradients back through the reordering.
func (t *Permutation) Backward(a *nn.Arena, _ []float32, r Record, gOut nn.Mat, _ []float32, _ []float32) nn.Mat {
	if r.(*permRecord).inverse {
		return permute(a, gOut, t.P)
	}
	return permute(a, gOut, t.inv)
}

// Composite applies transforms in order; its inverse applies their inverses in reverse.
type Composite struct {
	Parts []Transform
}

// Features returns the number of features of the first part.
func (c *Composite) Features() int { return c.Parts[0].Features() }

type compositeRecord struct {
	inverse bool
	recs    []Record
}

func addTo(dst, src []float32) {
	for i, v := range src {
		dst[i] += v
	}
}

// Forward applies every part in order and sums their log|det|.
func (c *Composite) Forward(a *nn.Arena, p []float32, x nn.Mat, record bool) (nn.Mat, []float32, Record) {
	checkFeatures("composite", c, x)
	ld := a.Floats(x.Rows)
	var rec *compositeRecord
	if record {
		rec = &compositeRecord{recs: make([]Record, len(c.Parts))}
	}
	for i, t := range c.Parts {
		var l []float32
		var r Record
		x, l, r = t.Forward(a, p, x, record)
		addTo(ld, l)
		if record {
			rec.recs[i] = r
		}
	}
	return x, ld, rec
}

// Inverse applies the parts' inverses in reverse order.
func (c *Composite) Inverse(a *nn.Arena, p []float32, z nn.Mat, record bool) (nn.Mat, []float32, Record) {
	checkFeatures("composite", c, z)
	ld := a.Floats(z.Rows)
	var rec *compositeRecord
	if record {
		rec = &compositeRecord{inverse: true, recs: make([]Record, len(c.Parts))}
	}
	for i := len(c.Parts) - 1; i >= 0; i-- {
		var l []float32
		var r Record
		z, l, r = c.Parts[i].Inverse(a, p, z, record)
		addTo(ld, l)
		if record {
			rec.recs[i] = r
		}
	}
	return z, ld, rec
}

// Backward differentiates a recorded Forward or Inverse call.
func (c *Composite) Backward(a *nn.Arena, p []float32, r Record, g nn.Mat, gld []float32, grad []float32) nn.Mat {
	rec := r.(*compositeRecord)
	if rec.inverse {
		for i := range c.Parts {
			g = c.Parts[i].Backward(a, p, rec.recs[i], g, gld, grad)
		}
		return g
	}
	for i := len(c.Parts) - 1; i >= 0; i-- {
		g = c.Parts[i].Backward(a, p, rec.recs[i], g, gld, grad)
	}
	return g
}

// Inverted swaps a transform's directions: its Forward is T's Inverse.
type Inverted struct{ T Transform }

// Features returns the wrapped transform's feature count.
func (v Inverted) Features() int { return v.T.Features() }

// Forward runs the wrapped transform's Inverse.
func (v Inverted) Forward(a *nn.Arena, p []float32, x nn.Mat, record bool) (nn.Mat, []float32, Record) {
	return v.T.Inverse(a, p, x, record)
}

// Inverse runs the wrapped transform's Forward.
func (v Inverted) Inverse(a *nn.Arena, p []float32, z nn.Mat, record bool) (nn.Mat, []float32, Record) {
	return v.T.Forward(a, p, z, record)
}

// Backward delegates: records remember their direction.
func (v Inverted) Backward(a *nn.Arena, p []float32, r Record, g nn.Mat, gld []float32, grad []float32) nn.Mat {
	return v.T.Backward(a, p, r, g, gld, grad)
}
