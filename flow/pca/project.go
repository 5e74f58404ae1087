package pca

import (
	"fmt"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// Projection is the PCA defence with d components: project(x) = clamp(μ + V Vᵀ(x − μ), 0, 1)
// row by row, with V the d leading principal directions. It satisfies attack.Projector and
// attack.FusedProjector.
type Projection struct {
	mean []float32 // μ
	v    nn.Mat    // d×N, rows are the directions
	muV  []float32 // Vᵀμ: μ·vₖ for each direction k
}

// Projection returns the projection onto the d leading components of b (1 ≤ d ≤ the number
// of fitted components).
func (b *Basis) Projection(d int) (*Projection, error) {
	if d < 1 || d > b.Components.Rows {
		return nil, fmt.Errorf("pca: %d components asked of a basis with %d", d, b.Components.Rows)
	}
	n := b.Components.Cols
	p := &Projection{mean: b.Mean, v: b.Components.Slice(0, d), muV: make([]float32, d)}
	nn.Gemm(false, true, 1, d, n, 1, p.mean, n, p.v.Data, n, 0, p.muV, d)
	return p, nil
}

// D returns the number of components d.
func (p *Projection) D() int { return p.v.Rows }

// InputDim returns the row width N the projection maps.
func (p *Projection) InputDim() int { return p.v.Cols }

// Project returns clamp(μ + V Vᵀ(x − μ), 0, 1) for every row of x in dst (nil allocates).
func (p *Projection) Project(dst, x nn.Mat) nn.Mat {
	dst = p.dst("Project", dst, x)
	p.linear(dst, x)
	for i, v := range dst.Data {
		dst.Data[i] = min(max(v, 0), 1)
	}
	return dst
}

// ProjectVJP returns, row by row, g_iᵀ ∂project(x_i)/∂x_i = V Vᵀ(m_i ⊙ g_i) in dst (nil
// allocates), where m_i masks the coordinates the clamp left alone (0 ≤ value ≤ 1, bounds
// included, as PyTorch's clamp backward does).
func (p *Projection) ProjectVJP(dst, x, g nn.Mat) nn.Mat {
	dst = p.dst("ProjectVJP", dst, x)
	sameShape("ProjectVJP gradient", g, x)
	p.linear(dst, x)
	p.vjp(dst, dst, g)
	return dst
}

// ProjectGrad projects x and differentiates through the projection in one pass: it calls
// grad once with (0, project(x)), which returns dL/d(project(x)), and returns project(x) and
// dL/dx. This saves recomputing the projection for the clamp's mask.
func (p *Projection) ProjectGrad(x nn.Mat, grad func(r0 int, proj nn.Mat) nn.Mat) (proj, gx nn.Mat) {
	pre := p.dst("ProjectGrad", nn.Mat{}, x)
	p.linear(pre, x)
	proj = nn.NewMat(x.Rows, x.Cols)
	for i, v := range pre.Data {
		proj.Data[i] = min(max(v, 0), 1)
	}
	g := grad(0, proj)
	sameShape("ProjectGrad gradient", g, proj)
	p.vjp(pre, pre, g)
	return proj, pre
}

// dst checks x's width and returns dst, allocated when nil, with x's shape.
func (p *Projection) dst(name string, dst, x nn.Mat) nn.Mat {
	if x.Cols != p.v.Cols || len(x.Data) != x.Rows*x.Cols {
		panic(fmt.Sprintf("pca: %s: %d×%d input (%d values) for a %d-dimensional projection", name, x.Rows, x.Cols, len(x.Data), p.v.Cols))
	}
	if dst.Data == nil {
		return nn.NewMat(x.Rows, x.Cols)
	}
	sameShape(name+" dst", dst, x)
	return dst
}

// sameShape panics unless a has b's shape.
func sameShape(name string, a, b nn.Mat) {
	if a.Rows != b.Rows || a.Cols != b.Cols || len(a.Data) != a.Rows*a.Cols {
		panic(fmt.Sprintf("pca: %s is %d×%d (%d values); want %d×%d", name, a.Rows, a.Cols, len(a.Data), b.Rows, b.Cols))
	}
}

// linear sets dst = μ + V Vᵀ(x − μ) (no clamp). Vᵀ(x − μ) is computed as Vᵀx − Vᵀμ, so no
// centred copy of x is made. Row ranges run on all cores; every row is computed the same way
// whatever the split.
func (p *Projection) linear(dst, x nn.Mat) {
	d, n := p.v.Rows, p.v.Cols
	z := nn.NewMat(x.Rows, d)
	parallelRows(x.Rows, func(r0, r1 int) {
		zs, xs := z.Slice(r0, r1), x.Slice(r0, r1)
		nn.Gemm(false, true, xs.Rows, d, n, 1, xs.Data, n, p.v.Data, n, 0, zs.Data, d)
		for i := 0; i < zs.Rows; i++ {
			r := zs.Row(i)
			for k, c := range p.muV {
				r[k] -= c
			}
			copy(dst.Row(r0+i), p.mean)
		}
		nn.Gemm(false, false, xs.Rows, n, d, 1, zs.Data, d, p.v.Data, n, 1, dst.Slice(r0, r1).Data, n)
	})
}

// vjp sets dst = V Vᵀ(m ⊙ g), where m is 1 where pre (the unclamped projection) lies in
// [0, 1] and 0 elsewhere. dst may be pre.
func (p *Projection) vjp(dst, pre, g nn.Mat) {
	d, n := p.v.Rows, p.v.Cols
	gm := nn.NewMat(g.Rows, g.Cols)
	z := nn.NewMat(g.Rows, d)
	parallelRows(g.Rows, func(r0, r1 int) {
		for i := r0 * n; i < r1*n; i++ {
			if v := pre.Data[i]; v >= 0 && v <= 1 {
				gm.Data[i] = g.Data[i]
			}
		}
		rows := r1 - r0
		nn.Gemm(false, true, rows, d, n, 1, gm.Data[r0*n:], n, p.v.Data, n, 0, z.Data[r0*d:], d)
		nn.Gemm(false, false, rows, n, d, 1, z.Data[r0*d:], d, p.v.Data, n, 0, dst.Data[r0*n:], n)
	})
}
