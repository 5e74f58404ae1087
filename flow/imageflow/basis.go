package imageflow

import (
	"fmt"
	"math"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
)

// Basis is the orthogonal part of the outer transform: z = (y − μ)·Q, where Q = H₀H₁⋯H_{d−1}
// is a product of d Householder reflections whose first d columns are the manifold's
// directions (the principal directions it was built from). Q is exactly orthogonal
// (log|det| = 0) and is stored in d×n numbers, not n×n: z's first d coordinates are the
// chart h_M, the other n − d coordinates an orthonormal frame of the complement.
//
// Mean, the Householder vectors and the derived matrices are fixed buffers, not trainable
// parameters, so Forward and Inverse ignore the parameter vector.
type Basis struct {
	N, D int
	Mean []float32 // μ, n values
	Y    nn.Mat    // d×n: row j is Householder vector j (zero before column j, 1 at j)
	T    nn.Mat    // d×d upper triangular: Q = I − Yᵀ·T·Y in the row convention (compact WY)
	VM   nn.Mat    // d×n: row j is column j of Q, the manifold direction of chart coordinate j
}

var _ flow.Transform = (*Basis)(nil)

// NewBasis returns the orthogonal transform whose chart directions are the rows of dirs
// (d×n, orthonormal, d < n) up to sign, centred at mean. It fails on non-finite or
// (numerically) linearly dependent directions.
func NewBasis(mean []float32, dirs nn.Mat) (*Basis, error) {
	n, d := dirs.Cols, dirs.Rows
	if len(mean) != n {
		panic(fmt.Sprintf("imageflow: basis mean of %d values for %d-wide directions", len(mean), n))
	}
	if d < 1 || d >= n {
		return nil, fmt.Errorf("imageflow: %d directions in %d dimensions; want 1 to %d", d, n, n-1)
	}
	// Householder QR of A = dirsᵀ (n×d), column by column, in float64.
	a := make([]float64, n*d) // column-major: column j at a[j*n:]
	for j := 0; j < d; j++ {
		for i := 0; i < n; i++ {
			v := float64(dirs.At(j, i))
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("imageflow: direction %d holds %v", j, v)
			}
			a[j*n+i] = v
		}
	}
	y := nn.NewMat(d, n)
	for j := 0; j < d; j++ {
		col := a[j*n : (j+1)*n]
		var norm float64
		for _, v := range col[j:] {
			norm += v * v
		}
		norm = math.Sqrt(norm)
		if norm < 1e-3 {
			return nil, fmt.Errorf("imageflow: direction %d is linearly dependent on the ones before it", j)
		}
		alpha := -math.Copysign(norm, col[j])
		v0 := col[j] - alpha // |v0| ≥ norm: no cancellation
		yr := y.Row(j)
		yr[j] = 1
		vv := 1.0
		for i := j + 1; i < n; i++ {
			w := col[i] / v0
			yr[i] = float32(w)
			vv += float64(yr[i]) * float64(yr[i])
		}
		tau := 2 / vv
		for k := j + 1; k < d; k++ { // apply H_j to the remaining columns
			ck := a[k*n : (k+1)*n]
			s := ck[j]
			for i := j + 1; i < n; i++ {
				s += float64(yr[i]) * ck[i]
			}
			s *= tau
			ck[j] -= s
			for i := j + 1; i < n; i++ {
				ck[i] -= s * float64(yr[i])
			}
		}
	}
	return basisFromHouseholder(mean, y)
}

// basisFromHouseholder derives τ, T and the chart directions from stored Householder
// vectors (as read from a checkpoint), so Q is orthogonal to rounding whatever was stored.
func basisFromHouseholder(mean []float32, y nn.Mat) (*Basis, error) {
	d, n := y.Rows, y.Cols
	if len(mean) != n || d < 1 || d >= n {
		return nil, fmt.Errorf("imageflow: %d Householder vectors of %d values with a mean of %d values", d, n, len(mean))
	}
	for j := 0; j < d; j++ {
		r := y.Row(j)
		for i, v := range r {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("imageflow: Householder vector %d holds %v", j, v)
			}
			if (i < j && v != 0) || (i == j && v != 1) {
				return nil, fmt.Errorf("imageflow: Householder vector %d is not of the form (0,…,0,1,*): entry %d is %v", j, i, v)
			}
		}
	}
	for _, v := range mean {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("imageflow: the basis mean holds %v", v)
		}
	}
	// Gram matrix of the vectors, τ_j = 2/(v_j·v_j), and the WY factor T (LAPACK dlarft):
	// T_jj = τ_j, T[0:j, j] = −τ_j · T[0:j, 0:j] · (Y[0:j]·y_j).
	g := make([]float64, d*d)
	for j := 0; j < d; j++ {
		for k := 0; k <= j; k++ {
			var s float64
			rj, rk := y.Row(j), y.Row(k)
			for i := j; i < n; i++ { // row j is zero before column j
				s += float64(rj[i]) * float64(rk[i])
			}
			g[j*d+k], g[k*d+j] = s, s
		}
	}
	t := make([]float64, d*d)
	for j := 0; j < d; j++ {
		tau := 2 / g[j*d+j]
		t[j*d+j] = tau
		for i := 0; i < j; i++ {
			var s float64
			for k := i; k < j; k++ {
				s += t[i*d+k] * g[k*d+j]
			}
			t[i*d+j] = -tau * s
		}
	}
	b := &Basis{N: n, D: d, Mean: append([]float32(nil), mean...), Y: y, T: nn.NewMat(d, d), VM: nn.NewMat(d, n)}
	for i, v := range t {
		b.T.Data[i] = float32(v)
	}
	// Column k < d of Q = I − Ymat·T·Ymatᵀ (Ymat = Yᵀ, n×d): e_k − Ymat·(T·Ymat[k,:]ᵀ).
	s := make([]float64, d)
	for k := 0; k < d; k++ {
		for i := 0; i < d; i++ {
			var acc float64
			for j := i; j < d; j++ {
				acc += t[i*d+j] * float64(y.At(j, k))
			}
			s[i] = acc
		}
		col := b.VM.Row(k)
		for i := 0; i < n; i++ {
			var acc float64
			if i == k {
				acc = 1
			}
			for j := 0; j < d && j <= i; j++ {
				acc -= float64(y.At(j, i)) * s[j]
			}
			col[i] = float32(acc)
		}
	}
	return b, nil
}

// mulQ writes src·Q (row convention, transpose false) or src·Qᵀ (transpose true) into dst
// (rows×n each; dst may not alias src), with two products of size rows×n×d.
func (b *Basis) mulQ(a *nn.Arena, dst, src nn.Mat, transpose bool) {
	rows, n, d := src.Rows, b.N, b.D
	c := a.RawMat(rows, d)
	nn.Gemm(false, true, rows, d, n, 1, src.Data, n, b.Y.Data, n, 0, c.Data, d)
	e := a.RawMat(rows, d)
	nn.Gemm(false, transpose, rows, d, d, 1, c.Data, d, b.T.Data, d, 0, e.Data, d)
	for i := range e.Data {
		e.Data[i] = -e.Data[i]
	}
	copy(dst.Data, src.Data)
	nn.Gemm(false, false, rows, n, d, 1, e.Data, d, b.Y.Data, n, 1, dst.Data, n)
}

// Features returns n.
func (b *Basis) Features() int { return b.N }

type basisRecord struct{ inverse bool }

// Forward returns z = (y − μ)·Q; log|det| = 0.
func (b *Basis) Forward(a *nn.Arena, _ []float32, x nn.Mat, record bool) (nn.Mat, []float32, flow.Record) {
	checkWidth("basis", b.N, x)
	c := a.RawMat(x.Rows, b.N)
	for i := 0; i < x.Rows; i++ {
		r, cr := x.Row(i), c.Row(i)
		for j, m := range b.Mean {
			cr[j] = r[j] - m
		}
	}
	z := a.RawMat(x.Rows, b.N)
	b.mulQ(a, z, c, false)
	return z, a.Floats(x.Rows), &basisRecord{false}
}

// Inverse returns y = z·Qᵀ + μ; log|det| = 0.
func (b *Basis) Inverse(a *nn.Arena, _ []float32, z nn.Mat, record bool) (nn.Mat, []float32, flow.Record) {
	checkWidth("basis", b.N, z)
	y := a.RawMat(z.Rows, b.N)
	b.mulQ(a, y, z, true)
	for i := 0; i < z.Rows; i++ {
		r := y.Row(i)
		for j, m := range b.Mean {
			r[j] += m
		}
	}
	return y, a.Floats(z.Rows), &basisRecord{true}
}

// Backward maps the output gradient back through the orthogonal map (Qᵀ after Forward, Q
// after Inverse). The basis has no trainable parameters.
func (b *Basis) Backward(a *nn.Arena, _ []float32, r flow.Record, g nn.Mat, _ []float32, _ []float32) nn.Mat {
	gx := a.RawMat(g.Rows, b.N)
	b.mulQ(a, gx, g, !r.(*basisRecord).inverse)
	return gx
}

// chart writes h_M = (y − μ)·V_Mᵀ (rows×d) for the rows of y.
func (b *Basis) chart(a *nn.Arena, y nn.Mat) nn.Mat {
	c := a.RawMat(y.Rows, b.N)
	for i := 0; i < y.Rows; i++ {
		r, cr := y.Row(i), c.Row(i)
		for j, m := range b.Mean {
			cr[j] = r[j] - m
		}
	}
	h := a.RawMat(y.Rows, b.D)
	nn.Gemm(false, true, y.Rows, b.D, b.N, 1, c.Data, b.N, b.VM.Data, b.N, 0, h.Data, b.D)
	return h
}

// onManifold writes μ + h·V_M (rows×n), the point of the linear chart at coordinates h.
func (b *Basis) onManifold(a *nn.Arena, h nn.Mat) nn.Mat {
	y := a.RawMat(h.Rows, b.N)
	for i := 0; i < h.Rows; i++ {
		copy(y.Row(i), b.Mean)
	}
	nn.Gemm(false, false, h.Rows, b.N, b.D, 1, h.Data, b.D, b.VM.Data, b.N, 1, y.Data, b.N)
	return y
}

// splitProject writes the components of v (rows×n) in the chart span, P_M v = (v·V_Mᵀ)·V_M,
// into inM and the rest, v − P_M v, into inPerp (either may be a zero Mat to skip it).
func (b *Basis) splitProject(a *nn.Arena, v, inM, inPerp nn.Mat) {
	c := a.RawMat(v.Rows, b.D)
	nn.Gemm(false, true, v.Rows, b.D, b.N, 1, v.Data, b.N, b.VM.Data, b.N, 0, c.Data, b.D)
	pm := inM
	if pm.Data == nil {
		pm = a.RawMat(v.Rows, b.N)
	}
	nn.Gemm(false, false, v.Rows, b.N, b.D, 1, c.Data, b.D, b.VM.Data, b.N, 0, pm.Data, b.N)
	if inPerp.Data != nil {
		for i, x := range v.Data {
			inPerp.Data[i] = x - pm.Data[i]
		}
	}
}

func checkWidth(name string, n int, x nn.Mat) {
	if x.Cols != n || len(x.Data) != x.Rows*x.Cols {
		panic(fmt.Sprintf("imageflow: %s expects %d features, got %d×%d (%d values)", name, n, x.Rows, x.Cols, len(x.Data)))
	}
}
