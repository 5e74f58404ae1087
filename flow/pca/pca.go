// Package pca fits the principal components of a set of rows (CIFAR-10 images flattened in
// (channel, row, column) order) and projects onto the span of the d leading ones, clamped to
// [0, 1]: the linear baseline defence of spec cifar.md section 4. A Projection satisfies
// attack.Projector structurally (this package does not import attack). Fits are slow enough
// to be cached on disk (Cached).
package pca

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// Basis is a fitted PCA: the training mean and the leading principal directions, sorted by
// decreasing variance. It serves a Projection onto any d ≤ len(Variance) components.
type Basis struct {
	Mean       []float32 // training mean, one value per column
	Components nn.Mat    // K×N: row k is the k-th principal direction (unit length)
	Variance   []float64 // K variances along the directions (covariance eigenvalues), decreasing
	Rows       int       // number of training rows
	Key        string    // hex SHA-256 of the training matrix (shape and values): the cache key
	// Iterations and Residual say how the eigenvectors converged: subspace iterations run
	// (0 for a full eigendecomposition) and the largest ‖Cu − λu‖/λ₁ of the components.
	Iterations int
	Residual   float64
}

// Limits of a fit.
const (
	// MaxRows bounds the training rows (a typo guard: 10 million rows).
	MaxRows = 10_000_000
	// MaxCols bounds the row width (32 768 values, e.g. 3×64×64 images).
	MaxCols = 1 << 15
)

// Options tunes Fit. The zero value fits the 256 leading components.
type Options struct {
	// Components is how many leading components to fit (0: 256, capped at the row width and
	// at rows − 1, the rank of the centred data).
	// Subspace iteration delivers them to float32 accuracy; asking for more than half of the
	// row width switches to a full symmetric eigendecomposition, which takes minutes for images.
	Components int
	// Progress, when non-nil, is called with a stage name and the share of the fit done.
	Progress func(stage string, done float64)
}

// DefaultComponents is how many components Fit computes unless told otherwise.
const DefaultComponents = 256

// Fit computes the mean and the leading principal directions of the rows of x (at least two
// rows, all values finite). The covariance is accumulated with nn.Gemm in blocks of rows (in
// float64 across blocks), and its leading eigenvectors found by seeded subspace iteration with
// Rayleigh–Ritz (gonum QR and EigenSym), so the fit is deterministic.
func Fit(x nn.Mat, opt Options) (*Basis, error) {
	n := x.Cols
	switch {
	case len(x.Data) != x.Rows*x.Cols:
		panic(fmt.Sprintf("pca: %d×%d matrix with %d values", x.Rows, x.Cols, len(x.Data)))
	case x.Rows < 2:
		return nil, fmt.Errorf("pca: %d training rows; need at least 2", x.Rows)
	case n < 1 || n > MaxCols:
		return nil, fmt.Errorf("pca: rows of %d values; want 1 to %d", n, MaxCols)
	case x.Rows > MaxRows:
		return nil, fmt.Errorf("pca: %d training rows exceed %d", x.Rows, MaxRows)
	}
	k := opt.Components
	if k == 0 {
		k = DefaultComponents
	}
	if k < 1 {
		return nil, fmt.Errorf("pca: %d components; want at least 1", k)
	}
	k = min(k, n, x.Rows-1) // beyond rows − 1 the centred data has no variance
	progress := opt.Progress
	if progress == nil {
		progress = func(string, float64) {}
	}
	mean, err := columnMean(x)
	if err != nil {
		return nil, err
	}
	cov := covariance(x, mean, func(f float64) { progress("covariance", 0.3*f) })
	var vals []float64
	var vecs nn.Mat
	var iters int
	var resid float64
	if 2*k > n {
		vals, vecs, err = fullEigen(cov, n, k)
		progress("eigenvectors", 1)
	} else {
		vals, vecs, iters, resid, err = subspaceEigen(cov, n, k, func(f float64) { progress("eigenvectors", 0.3+0.7*f) })
	}
	if err != nil {
		return nil, err
	}
	b := &Basis{Mean: make([]float32, n), Components: vecs, Variance: vals, Rows: x.Rows, Key: DataKey(x), Iterations: iters, Residual: resid}
	for j, v := range mean {
		b.Mean[j] = float32(v)
	}
	for i := range b.Variance {
		b.Variance[i] = max(0, b.Variance[i]/float64(x.Rows-1)) // rounding can leave −1e-11
	}
	return b, nil
}

// DataKey returns the hex SHA-256 of x's shape and float32 values: fits of the same matrix
// share it.
func DataKey(x nn.Mat) string {
	h := sha256.New()
	var buf [1 << 14]byte
	binary.LittleEndian.PutUint64(buf[0:], uint64(x.Rows))
	binary.LittleEndian.PutUint64(buf[8:], uint64(x.Cols))
	h.Write(buf[:16])
	for i := 0; i < len(x.Data); {
		m := 0
		for ; m+4 <= len(buf) && i < len(x.Data); i++ {
			binary.LittleEndian.PutUint32(buf[m:], math.Float32bits(x.Data[i]))
			m += 4
		}
		h.Write(buf[:m])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// columnMean returns the float64 column means of x, or an error naming a non-finite value.
func columnMean(x nn.Mat) ([]float64, error) {
	mean := make([]float64, x.Cols)
	for i := 0; i < x.Rows; i++ {
		for j, v := range x.Row(i) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("pca: row %d column %d is %v; training data must be finite", i, j, v)
			}
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(x.Rows)
	}
	return mean, nil
}

// covBlock is how many rows one float32 product of the covariance sums before it is added
// to the float64 total.
const covBlock = 1024

// covariance returns Σ (x_i − μ)(x_i − μ)ᵀ (not divided by the row count) as an n×n float64
// row-major matrix, summing blocks of rows with nn.Gemm in float32.
func covariance(x nn.Mat, mean []float64, progress func(float64)) []float64 {
	n := x.Cols
	mu := make([]float32, n)
	for j, v := range mean {
		mu[j] = float32(v)
	}
	cov := make([]float64, n*n)
	part := make([]float32, n*n)
	rows := min(covBlock, x.Rows)
	xc, xct := nn.NewMat(rows, n), make([]float32, n*rows)
	for r0 := 0; r0 < x.Rows; r0 += covBlock {
		r1 := min(x.Rows, r0+covBlock)
		b := xc.Slice(0, r1-r0)
		for i := range b.Rows {
			src, dst := x.Row(r0+i), b.Row(i)
			for j, v := range src {
				dst[j] = v - mu[j]
				xct[j*b.Rows+i] = dst[j]
			}
		}
		// (Xcᵀ)·Xc with Xcᵀ stored: the plain product is the fastest kernel shape.
		parallelRows(n, func(i0, i1 int) {
			nn.Gemm(false, false, i1-i0, n, b.Rows, 1, xct[i0*b.Rows:], b.Rows, b.Data, n, 0, part[i0*n:], n)
		})
		for i, v := range part {
			cov[i] += float64(v)
		}
		progress(float64(r1) / float64(x.Rows))
	}
	// Symmetrise: the float32 blocks are symmetric up to rounding only.
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			v := 0.5 * (cov[i*n+j] + cov[j*n+i])
			cov[i*n+j], cov[j*n+i] = v, v
		}
	}
	return cov
}

// fullEigen returns the k largest eigenvalues of the n×n symmetric cov and their unit
// eigenvectors (rows of a k×n matrix) from gonum's EigenSym.
func fullEigen(cov []float64, n, k int) ([]float64, nn.Mat, error) {
	var es mat.EigenSym
	if !es.Factorize(mat.NewSymDense(n, cov), true) {
		return nil, nn.Mat{}, errors.New("pca: the eigendecomposition of the covariance did not converge")
	}
	vals := es.Values(nil)
	var v mat.Dense
	es.VectorsTo(&v)
	vecs := nn.NewMat(k, n)
	out := make([]float64, k)
	for i := 0; i < k; i++ {
		c := n - 1 - i // ascending order from gonum
		out[i] = vals[c]
		for j := 0; j < n; j++ {
			vecs.Data[i*n+j] = float32(v.At(j, c))
		}
	}
	return out, fixSigns(vecs), nil
}

// Subspace iteration settings: the search subspace holds k + extra vectors; iteration stops
// when every wanted Ritz pair's residual ‖Cu − λu‖ is below tol·λ₁ (about the accuracy of the
// float32 products) or after maxIter products.
const (
	maxIter    = 300
	checkEvery = 5
	residTol   = 2e-6
)

// subspaceEigen returns the k leading eigenpairs of the n×n symmetric positive semi-definite
// cov by subspace iteration: Z = C·Q in float32 (nn.Gemm), Q = orth(Z) in float64 (gonum QR),
// and a Rayleigh–Ritz step every few iterations to test convergence.
func subspaceEigen(cov []float64, n, k int, progress func(float64)) (vals []float64, vecs nn.Mat, iters int, resid float64, err error) {
	m := min(n, k+max(k/2, 32))
	c32 := make([]float32, n*n)
	for i, v := range cov {
		c32[i] = float32(v)
	}
	rng := rand.New(rand.NewPCG(0x70636120, uint64(k))) // "pca "
	q := blas64.General{Rows: n, Cols: m, Stride: m, Data: make([]float64, n*m)}
	for i := range q.Data {
		q.Data[i] = rng.NormFloat64()
	}
	work := newQRWork(q)
	work.orth(q)
	q32 := make([]float32, n*m)
	z := blas64.General{Rows: n, Cols: m, Stride: m, Data: make([]float64, n*m)}
	z32 := make([]float32, n*m)
	for it := 1; ; it++ {
		for i, v := range q.Data {
			q32[i] = float32(v)
		}
		parallelRows(n, func(i0, i1 int) {
			nn.Gemm(false, false, i1-i0, m, n, 1, c32[i0*n:], n, q32, m, 0, z32[i0*m:], m)
		})
		for i, v := range z32 {
			z.Data[i] = float64(v)
		}
		if it%checkEvery == 0 || it == maxIter {
			vals, vecs, resid, err = rayleighRitz(q, z, k)
			if err != nil {
				return nil, nn.Mat{}, 0, 0, err
			}
			progress(min(1, max(float64(it)/maxIter, convergedShare(resid))))
			if resid <= residTol || it == maxIter {
				return vals, fixSigns(vecs), it, resid, nil
			}
		}
		copy(q.Data, z.Data)
		work.orth(q)
	}
}

// parallelRows splits [0, rows) into one contiguous range per core (at least 64 rows each)
// and runs fn on them concurrently. Every output row is computed by one call in a fixed
// order, so results do not depend on the number of cores.
func parallelRows(rows int, fn func(r0, r1 int)) {
	workers := min(runtime.GOMAXPROCS(0), max(1, rows/64))
	if workers <= 1 {
		fn(0, rows)
		return
	}
	var wg sync.WaitGroup
	step := (rows + workers - 1) / workers
	for r0 := 0; r0 < rows; r0 += step {
		wg.Add(1)
		go func(r0, r1 int) {
			defer wg.Done()
			fn(r0, r1)
		}(r0, min(rows, r0+step))
	}
	wg.Wait()
}

// convergedShare maps a residual onto a rough share of the work done, for the progress bar.
func convergedShare(resid float64) float64 {
	if !(resid > residTol) {
		return 1
	}
	return max(0, 1-math.Log(resid/residTol)/math.Log(1/residTol))
}

// rayleighRitz takes an orthonormal basis Q (n×m) and Z = C·Q, and returns the k largest Ritz
// values, their Ritz vectors (rows of a k×n matrix) and the largest relative residual
// ‖C u − λ u‖ / λ₁ among them.
func rayleighRitz(q, z blas64.General, k int) ([]float64, nn.Mat, float64, error) {
	n, m := q.Rows, q.Cols
	b := blas64.General{Rows: m, Cols: m, Stride: m, Data: make([]float64, m*m)}
	blas64.Gemm(blas.Trans, blas.NoTrans, 1, q, z, 0, b)
	for i := 0; i < m; i++ {
		for j := i + 1; j < m; j++ {
			v := 0.5 * (b.Data[i*m+j] + b.Data[j*m+i])
			b.Data[i*m+j], b.Data[j*m+i] = v, v
		}
	}
	var es mat.EigenSym
	if !es.Factorize(mat.NewSymDense(m, b.Data), true) {
		return nil, nn.Mat{}, 0, errors.New("pca: the Rayleigh–Ritz eigendecomposition did not converge")
	}
	vals := es.Values(nil)
	var w mat.Dense
	es.VectorsTo(&w)
	// The k largest, in decreasing order.
	wk := blas64.General{Rows: m, Cols: k, Stride: k, Data: make([]float64, m*k)}
	out := make([]float64, k)
	for i := 0; i < k; i++ {
		c := m - 1 - i
		out[i] = vals[c]
		for r := 0; r < m; r++ {
			wk.Data[r*k+i] = w.At(r, c)
		}
	}
	u := blas64.General{Rows: n, Cols: k, Stride: k, Data: make([]float64, n*k)}
	cu := blas64.General{Rows: n, Cols: k, Stride: k, Data: make([]float64, n*k)}
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, q, wk, 0, u)
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, z, wk, 0, cu)
	resid := make([]float64, k)
	for r := 0; r < n; r++ {
		ur, cr := u.Data[r*k:(r+1)*k], cu.Data[r*k:(r+1)*k]
		for i := range resid {
			d := cr[i] - out[i]*ur[i]
			resid[i] += d * d
		}
	}
	worst := 0.0
	top := math.Abs(out[0])
	for _, r := range resid {
		if top > 0 {
			worst = max(worst, math.Sqrt(r)/top)
		}
	}
	vecs := nn.NewMat(k, n)
	for r := 0; r < n; r++ {
		for i := 0; i < k; i++ {
			vecs.Data[i*n+r] = float32(u.Data[r*k+i])
		}
	}
	return out, vecs, worst, nil
}

// qrWork holds the scratch space of gonum's QR for one matrix shape.
type qrWork struct {
	tau, work []float64
}

func newQRWork(a blas64.General) *qrWork {
	w := &qrWork{tau: make([]float64, min(a.Rows, a.Cols))}
	q := []float64{0}
	lapack64.Geqrf(a, w.tau, q, -1)
	l1 := int(q[0])
	lapack64.Orgqr(a, w.tau, q, -1)
	w.work = make([]float64, max(l1, int(q[0]), a.Cols))
	return w
}

// orth replaces a (n×m, n ≥ m) by an orthonormal basis of its column span (Householder QR).
func (w *qrWork) orth(a blas64.General) {
	lapack64.Geqrf(a, w.tau, w.work, len(w.work))
	lapack64.Orgqr(a, w.tau, w.work, len(w.work))
}

// fixSigns flips each row of v so that its largest-magnitude entry is positive, which makes
// the components independent of the eigensolver's arbitrary signs.
func fixSigns(v nn.Mat) nn.Mat {
	for i := 0; i < v.Rows; i++ {
		r := v.Row(i)
		best := 0
		for j, e := range r {
			if abs32(e) > abs32(r[best]) {
				best = j
			}
		}
		if r[best] < 0 {
			for j := range r {
				r[j] = -r[j]
			}
		}
	}
	return v
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }
