package imageflow

import (
	"fmt"
	"math"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// pass projects the rows of x into out: clamp(decode(encode(clamp(x, 0, 1))), 0, 1). When
// back is not nil it is called with the projections and returns dL/d(projection); the
// gradient then flows back into gx (when it has data: dL/dx) and into grad (the parameter
// gradients, when not nil). The inner transform cancels in decode∘encode and is skipped.
//
// Clamps pass gradients where the value lies in [0, 1], bounds included (PyTorch's clamp).
func (m *Model) pass(a *nn.Arena, x, out nn.Mat, back func(proj nn.Mat) nn.Mat, gx nn.Mat, grad []float32) {
	rows, n := x.Rows, m.Cfg.N()
	bs := m.Basis
	xc := a.RawMat(rows, n)
	for i, v := range x.Data {
		xc.Data[i] = min(max(v, 0), 1)
	}
	y := xc
	if m.Logit != nil {
		y = a.RawMat(rows, n)
		for i, v := range xc.Data {
			o, _ := m.Logit.forward1(float64(v))
			y.Data[i] = float32(o)
		}
	}
	yh := bs.onManifold(a, bs.chart(a, y)) // the chart's point
	var rec convRecord
	if m.Coupling != nil {
		var rp *convRecord
		if back != nil {
			rp = &rec
		}
		cp := m.Coupling
		r := toCHW(a, cp.Net.forward(a, m.w, toNHWC(a, yh, cp.C, cp.H, cp.W), rp))
		perp := a.RawMat(rows, n)
		bs.splitProject(a, r, nn.Mat{}, perp)
		for i, v := range perp.Data {
			perp.Data[i] = yh.Data[i] + v
		}
		yh = perp // the manifold point
	}
	xu := yh // unclamped manifold point in pixels
	if m.Logit != nil {
		xu = a.RawMat(rows, n)
		for i, v := range yh.Data {
			o, _, _ := m.Logit.inverse1(float64(v))
			xu.Data[i] = float32(o)
		}
	}
	for i, v := range xu.Data {
		out.Data[i] = min(max(v, 0), 1)
	}
	if back == nil {
		return
	}
	g := back(out)
	if g.Rows != rows || g.Cols != n || len(g.Data) != rows*n {
		panic(fmt.Sprintf("imageflow: the projection's gradient is %d×%d, want %d×%d", g.Rows, g.Cols, rows, n))
	}
	gyh := a.RawMat(rows, n)
	for i, v := range xu.Data {
		if !(v >= 0 && v <= 1) {
			gyh.Data[i] = 0
			continue
		}
		d := float32(1)
		if m.Logit != nil {
			s := 1 / (1 + math.Exp(-float64(yh.Data[i])))
			d = float32(s * (1 - s) / (1 - 2*m.Logit.Alpha))
		}
		gyh.Data[i] = g.Data[i] * d
	}
	wantX := gx.Data != nil
	gb := gyh // dL/d(chart point)
	if m.Coupling != nil {
		cp := m.Coupling
		gr := a.RawMat(rows, n)
		bs.splitProject(a, gyh, nn.Mat{}, gr)
		gin := cp.Net.backward(a, m.w, &rec, toNHWC(a, gr, cp.C, cp.H, cp.W), grad, wantX)
		if wantX {
			gb = toCHW(a, gin)
			for i, v := range gyh.Data {
				gb.Data[i] += v
			}
		}
	}
	if !wantX {
		return
	}
	if gx.Rows != rows || gx.Cols != n {
		panic(fmt.Sprintf("imageflow: input gradient is %d×%d, want %d×%d", gx.Rows, gx.Cols, rows, n))
	}
	bs.splitProject(a, gb, gx, nn.Mat{}) // dL/dy = P_M dL/d(chart point)
	for i, v := range x.Data {
		if !(v >= 0 && v <= 1) {
			gx.Data[i] = 0
		} else if m.Logit != nil {
			gx.Data[i] *= m.Logit.deriv(v)
		}
	}
}

// shapeFor checks x's width and returns dst, allocated when it has no data, of x's shape.
func (m *Model) shapeFor(name string, dst, x nn.Mat) nn.Mat {
	n := m.Cfg.N()
	if x.Cols != n || len(x.Data) != x.Rows*x.Cols {
		panic(fmt.Sprintf("imageflow: %s: %d×%d input (%d values) for images of %d values", name, x.Rows, x.Cols, len(x.Data), n))
	}
	if dst.Data == nil {
		return nn.NewMat(x.Rows, n)
	}
	if dst.Rows != x.Rows || dst.Cols != n || len(dst.Data) != x.Rows*n {
		panic(fmt.Sprintf("imageflow: %s: destination %d×%d for %d×%d input", name, dst.Rows, dst.Cols, x.Rows, n))
	}
	return dst
}

// Project writes the M-Flow projection clamp(decode(encode(x)), 0, 1) of every row of x
// into dst (nil allocates) and returns it. Inputs are clamped to [0, 1] first.
func (m *Model) Project(dst, x nn.Mat) nn.Mat {
	dst = m.shapeFor("Project", dst, x)
	m.parallelRows(x.Rows, func(a *nn.Arena, r0, r1 int) {
		m.pass(a, x.Slice(r0, r1), dst.Slice(r0, r1), nil, nn.Mat{}, nil)
	})
	return dst
}

// ProjectVJP writes, row by row, g_iᵀ ∂project(x_i)/∂x_i into dst (nil allocates): the exact
// vector–Jacobian product through encode and decode, for adaptive attacks.
func (m *Model) ProjectVJP(dst, x, g nn.Mat) nn.Mat {
	dst = m.shapeFor("ProjectVJP", dst, x)
	m.shapeFor("ProjectVJP gradient", g, x)
	m.parallelRows(x.Rows, func(a *nn.Arena, r0, r1 int) {
		out := a.RawMat(r1-r0, x.Cols)
		m.pass(a, x.Slice(r0, r1), out, func(nn.Mat) nn.Mat { return g.Slice(r0, r1) }, dst.Slice(r0, r1), nil)
	})
	return dst
}

// ProjectGrad projects x and differentiates through the projection in one pass: for every
// chunk of rows [r0, r0+proj.Rows) it calls grad with the projections (possibly concurrently
// for different chunks), which returns dL/d(proj); it returns project(x) and dL/dx.
func (m *Model) ProjectGrad(x nn.Mat, grad func(r0 int, proj nn.Mat) nn.Mat) (proj, gx nn.Mat) {
	proj = m.shapeFor("ProjectGrad", nn.Mat{}, x)
	gx = nn.NewMat(x.Rows, x.Cols)
	m.parallelRows(x.Rows, func(a *nn.Arena, r0, r1 int) {
		m.pass(a, x.Slice(r0, r1), proj.Slice(r0, r1), func(p nn.Mat) nn.Mat { return grad(r0, p) }, gx.Slice(r0, r1), nil)
	})
	return proj, gx
}

// Encode returns the latent coordinates u = g(f(x)_M) (rows×d) of the rows of x, clamped
// to [0, 1] first.
func (m *Model) Encode(x nn.Mat) nn.Mat {
	m.shapeFor("Encode", nn.Mat{}, x)
	d := m.Cfg.D
	u := nn.NewMat(x.Rows, d)
	m.parallelRows(x.Rows, func(a *nn.Arena, r0, r1 int) {
		h := m.chartOf(a, x.Slice(r0, r1))
		z, _, _ := m.Inner.Forward(a, m.P, h, false)
		copy(u.Data[r0*d:r1*d], z.Data)
	})
	return u
}

// Chart returns the chart coordinates h_M = f(x)_M (rows×d) of the rows of x, clamped to
// [0, 1] first: the latent coordinates before the inner transform.
func (m *Model) Chart(x nn.Mat) nn.Mat {
	m.shapeFor("Chart", nn.Mat{}, x)
	d := m.Cfg.D
	h := nn.NewMat(x.Rows, d)
	m.parallelRows(x.Rows, func(a *nn.Arena, r0, r1 int) {
		copy(h.Data[r0*d:r1*d], m.chartOf(a, x.Slice(r0, r1)).Data)
	})
	return h
}

// chartOf returns h_M = f(clamp(x))_M (the coupling leaves it unchanged).
func (m *Model) chartOf(a *nn.Arena, x nn.Mat) nn.Mat {
	y := a.RawMat(x.Rows, x.Cols)
	for i, v := range x.Data {
		c := min(max(v, 0), 1)
		if m.Logit != nil {
			o, _ := m.Logit.forward1(float64(c))
			y.Data[i] = float32(o)
		} else {
			y.Data[i] = c
		}
	}
	return m.Basis.chart(a, y)
}

// Decode returns the manifold points f⁻¹((g⁻¹(u), 0)) for latent rows u (rows×d), in pixel
// units and not clamped (with a logit layer they lie within ±α/(1−2α) of [0, 1]).
func (m *Model) Decode(u nn.Mat) nn.Mat {
	d, n := m.Cfg.D, m.Cfg.N()
	if u.Cols != d || len(u.Data) != u.Rows*d {
		panic(fmt.Sprintf("imageflow: Decode: %d×%d latents for d=%d", u.Rows, u.Cols, d))
	}
	x := nn.NewMat(u.Rows, n)
	m.parallelRows(u.Rows, func(a *nn.Arena, r0, r1 int) {
		h, _, _ := m.Inner.Inverse(a, m.P, u.Slice(r0, r1), false)
		z := a.Mat(r1-r0, n)
		for i := 0; i < z.Rows; i++ {
			copy(z.Row(i)[:d], h.Row(i))
		}
		out, _, _ := m.Outer.Inverse(a, m.P, z, false)
		copy(x.Data[r0*n:r1*n], out.Data)
	})
	return x
}

// PIEEpsilon is the off-manifold noise scale ε of the PIE likelihood (spec 5.3).
const PIEEpsilon = 0.01

// LogDensity returns the PIE log-density of every row of x (spec 5.3): log N(u; 0, I_d) +
// log N(h_⊥; 0, ε²I) + log|det ∂f/∂x| + log|det ∂g|, in nats. Rows are not clamped: values
// outside the logit layer's domain give NaN.
func (m *Model) LogDensity(x nn.Mat) []float64 {
	m.shapeFor("LogDensity", nn.Mat{}, x)
	d, n := m.Cfg.D, m.Cfg.N()
	out := make([]float64, x.Rows)
	m.parallelRows(x.Rows, func(a *nn.Arena, r0, r1 int) {
		z, ldf, _ := m.Outer.Forward(a, m.P, x.Slice(r0, r1), false)
		h := a.RawMat(r1-r0, d)
		for i := 0; i < h.Rows; i++ {
			copy(h.Row(i), z.Row(i)[:d])
		}
		u, ldg, _ := m.Inner.Forward(a, m.P, h, false)
		for i := 0; i < h.Rows; i++ {
			out[r0+i] = pieLogDensity(u.Row(i), z.Row(i)[d:], n-d) + float64(ldf[i]) + float64(ldg[i])
		}
	})
	return out
}

// pieLogDensity returns log N(u; 0, I) + log N(hPerp; 0, ε²I).
func pieLogDensity(u, hPerp []float32, nPerp int) float64 {
	const l2pi = 1.8378770664093453 // log 2π
	var su, sp float64
	for _, v := range u {
		su += float64(v) * float64(v)
	}
	for _, v := range hPerp {
		sp += float64(v) * float64(v)
	}
	e := PIEEpsilon
	return -su/2 - float64(len(u))/2*l2pi - sp/(2*e*e) - float64(nPerp)/2*l2pi - float64(nPerp)*math.Log(e)
}
