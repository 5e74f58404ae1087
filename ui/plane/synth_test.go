package plane

import (
	"math"
	"math/rand/v2"
)

// Synthetic Two Spirals material for the tests: arms at angle ω·r (class 0)
// and ω·r + π (class 1).
const spiralOmega = 10.0

// spiralPoints returns n points (half per class) with labels, seeded.
func spiralPoints(n int, seed uint64) ([]float32, []int32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	xy := make([]float32, 0, 2*n)
	lab := make([]int32, 0, n)
	for i := 0; i < n; i++ {
		c := int32(i % 2)
		r := 0.04 + 1.06*math.Sqrt(rng.Float64())
		th := spiralOmega*r + float64(c)*math.Pi
		x := r*math.Cos(th) + 0.025*rng.NormFloat64()
		y := r*math.Sin(th) + 0.025*rng.NormFloat64()
		xy = append(xy, float32(x), float32(y))
		lab = append(lab, c)
	}
	return xy, lab
}

// spiralProb is an analytic class-1 probability: low on the class-0 arm,
// high on the class-1 arm.
func spiralProb(x, y float64) float64 {
	r := math.Hypot(x, y)
	th := math.Atan2(y, x)
	return 1 / (1 + math.Exp(6*math.Cos(th-spiralOmega*r)))
}

// sampleGrid samples f on an n×n lattice over [lo, hi]².
func sampleGrid(n int, lo, hi float64, f func(x, y float64) float64) *Grid {
	g := &Grid{X0: lo, X1: hi, Y0: lo, Y1: hi, NX: n, NY: n, V: make([]float32, n*n)}
	for j := 0; j < n; j++ {
		y := lo + (hi-lo)*float64(j)/float64(n-1)
		for i := 0; i < n; i++ {
			x := lo + (hi-lo)*float64(i)/float64(n-1)
			g.V[j*n+i] = float32(f(x, y))
		}
	}
	return g
}

// manifoldCurve is a spiral through both arms with a gentle wobble and
// tails leaving the data, as a learned manifold might look.
func manifoldCurve(n int) []float32 {
	out := make([]float32, 0, 2*n)
	for i := 0; i < n; i++ {
		u := -1.25 + 2.5*float64(i)/float64(n-1)
		r := math.Abs(u)
		th := spiralOmega * r
		if u < 0 {
			th += math.Pi
		}
		r *= 1 + 0.03*math.Sin(7*u)
		out = append(out, float32(r*math.Cos(th)), float32(r*math.Sin(th)))
	}
	return out
}

// swirl is a smooth invertible-looking warp used for the latent grid.
func swirl(x, y float64) (float64, float64) {
	a := 2.2 * math.Exp(-1.2*(x*x+y*y))
	c, s := math.Cos(a), math.Sin(a)
	return c*x - s*y, s*x + c*y
}

// warpedGrid returns nLines vertical and nLines horizontal lines of the
// square [-1.6, 1.6]² pushed through swirl, each with per points.
func warpedGrid(nLines, per int) [][]float32 {
	var out [][]float32
	for k := 0; k < nLines; k++ {
		c := -1.6 + 3.2*float64(k)/float64(nLines-1)
		v := make([]float32, 0, 2*per)
		h := make([]float32, 0, 2*per)
		for i := 0; i < per; i++ {
			t := -1.6 + 3.2*float64(i)/float64(per-1)
			x, y := swirl(c, t)
			v = append(v, float32(x), float32(y))
			x, y = swirl(t, c)
			h = append(h, float32(x), float32(y))
		}
		out = append(out, v, h)
	}
	return out
}

// trajectories returns n paths of per points from a jittered lattice of
// starts flowing onto the manifold: each step moves a fraction of the way
// to the nearest manifold vertex, with a swirl that fades as it lands.
func trajectories(n, per int, manifold []float32, seed uint64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 2))
	side := int(math.Ceil(math.Sqrt(float64(n))))
	out := make([][]float32, 0, n)
	for k := 0; k < n; k++ {
		x := -1.45 + 2.9*(float64(k%side)+0.5)/float64(side) + 0.02*rng.NormFloat64()
		y := -1.45 + 2.9*(float64(k/side)+0.5)/float64(side) + 0.02*rng.NormFloat64()
		p := make([]float32, 0, 2*per)
		for i := 0; i < per; i++ {
			p = append(p, float32(x), float32(y))
			q := nearestOn(manifold, [2]float64{x, y})
			dx, dy := q[0]-x, q[1]-y
			sw := 0.6 * math.Min(1, math.Hypot(dx, dy)*4)
			x += 0.12*dx - sw*0.12*dy
			y += 0.12*dy + sw*0.12*dx
		}
		out = append(out, p)
	}
	return out
}

// nearestOn returns the vertex of the polyline closest to p.
func nearestOn(line []float32, p [2]float64) [2]float64 {
	best, q := math.Inf(1), p
	for i := 0; i+1 < len(line); i += 2 {
		x, y := float64(line[i]), float64(line[i+1])
		if x != x {
			continue
		}
		if d := math.Hypot(x-p[0], y-p[1]); d < best {
			best, q = d, [2]float64{x, y}
		}
	}
	return q
}

// probe builds a probe with a zig-zag attack path from x to adv and a
// curved projection onto the nearest point of the manifold.
func probe(x, adv [2]float64, manifold []float32, c byte, sel bool) Probe {
	def := nearestOn(manifold, adv)
	p := Probe{X: x, Adv: adv, Defended: def, Case: c, Selected: sel}
	for i := 0; i <= 5; i++ {
		t := float64(i) / 5
		z := 0.0
		if i%2 == 1 && i < 5 {
			z = 0.015
		}
		p.Path = append(p.Path, float32(x[0]+(adv[0]-x[0])*t+z), float32(x[1]+(adv[1]-x[1])*t-z))
	}
	for i := 0; i <= 12; i++ {
		t := float64(i) / 12
		b := 0.12 * math.Sin(math.Pi*t)
		px := adv[0] + (def[0]-adv[0])*t - (def[1]-adv[1])*b
		py := adv[1] + (def[1]-adv[1])*t + (def[0]-adv[0])*b
		p.Projection = append(p.Projection, float32(px), float32(py))
	}
	return p
}

// logDensity is a synthetic log-density: a Gaussian ridge around the
// manifold, −Inf far from the data.
func logDensity(x, y float64) float64 {
	r := math.Hypot(x, y)
	if r > 1.55 {
		return math.Inf(-1)
	}
	th := math.Atan2(y, x)
	d := 1 - math.Cos(2*(th-spiralOmega*r)) // 0 on either arm
	return -d*4 - 2*r
}

// syntheticScene returns the deterministic test scene: nPoints points, a
// gridN×gridN heatmap, nLines×2 grid lines of per points, nTraj
// trajectories of trajPer points and two probes.
func syntheticScene(w, h, nPoints, gridN, nLines, per, nTraj, trajPer int) *Scene {
	xy, lab := spiralPoints(nPoints, 7)
	man := manifoldCurve(400)
	// A gap in the manifold checks that NaN breaks the line.
	man[2*300], man[2*300+1] = float32(math.NaN()), float32(math.NaN())
	return &Scene{
		Viewport:     Fit(-1.3, 1.3, -1.3, 1.3, w, h, 16),
		Style:        DefaultStyle(),
		Layers:       LayerAll &^ LayerDensity,
		Heatmap:      sampleGrid(gridN, -1.6, 1.6, spiralProb),
		Density:      sampleGrid(gridN, -1.6, 1.6, logDensity),
		Points:       xy,
		Labels:       lab,
		GridLines:    warpedGrid(nLines, per),
		Manifold:     man,
		Trajectories: trajectories(nTraj, trajPer, manifoldCurve(120), 3),
		Probes: []Probe{
			probe([2]float64{0.5, 0.36}, [2]float64{0.57, 0.27}, man, 'A', false),
			probe([2]float64{-0.3, -0.5}, [2]float64{-0.22, -0.6}, man, 'C', true),
		},
	}
}
