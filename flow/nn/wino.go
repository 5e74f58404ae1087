package nn

// The Winograd F(2×2, 3×3) convolution of mfconv.h in Go, operation for operation: the
// pure-Go build runs it, and the tests check the C kernels against it bit for bit (with
// FMA32 chains as the product).
//
// Tiles: tile t of a batch of H×W images covers output rows 2ty, 2ty+1 and columns 2tx,
// 2tx+1 of image t/((H/2)(W/2)) in raster order; its 4×4 input patch starts at (2ty−1,
// 2tx−1), zero outside the image. Per tile, V[ξ][c] = (Bᵀ d B) and the products
// M[ξ][o] = Σ_c V[ξ][c]·U[ξ][c][o] with ξ = 4i + j, U = G g Gᵀ; the output is Aᵀ M A + bias.
//
//	Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
//	G  = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
//	Aᵀ = [1 1 1 0; 0 1 −1 −1]

// winoGeom is a block of tiles of a batch (mfc_geom).
type winoGeom struct {
	h, w, ci, co int
	t0, nt       int
}

// chainFn computes C = chain(A·B) as mfc_gemm does: C(i,j) starts at 0 (cont false) or at
// its stored value and accumulates fma(A(i,kk), B(kk,j), ·) over kk in order, with
// A(i,kk) = a[i·rsa + kk·csa] (rsa or csa is 1), B(kk,j) = b[kk·ldb + j], C(i,j) = c[i·ldc + j].
type chainFn func(m, n, k int, a []float32, rsa, csa int, b []float32, ldb int, c []float32, ldc int, cont bool)

// winoWeights computes U[ξ][ci][co] = G g Gᵀ and its transpose Uᵀ[ξ][co][ci] from a weight
// [co][ci][3][3].
func winoWeights(u, ut, w []float32, ci, co int) {
	var t [12]float32
	for o := 0; o < co; o++ {
		for c := 0; c < ci; c++ {
			g := w[(o*ci+c)*9 : (o*ci+c)*9+9]
			for b := 0; b < 3; b++ { // t = G g (4×3), column b
				t[b] = g[b]
				t[3+b] = ((g[b] + g[3+b]) + g[6+b]) * 0.5
				t[6+b] = ((g[b] - g[3+b]) + g[6+b]) * 0.5
				t[9+b] = g[6+b]
			}
			for i := 0; i < 4; i++ { // U = t Gᵀ, row i
				r := t[3*i : 3*i+3]
				vals := [4]float32{r[0], ((r[0] + r[1]) + r[2]) * 0.5, ((r[0] - r[1]) + r[2]) * 0.5, r[2]}
				for j, v := range vals {
					xi := 4*i + j
					u[(xi*ci+c)*co+o] = v
					ut[(xi*co+o)*ci+c] = v
				}
			}
		}
	}
}

// winoWeightGrad adds dg = Gᵀ dU G for every (co, ci) pair to the weight gradient gw
// [co][ci][3][3], dU[ξ][ci][co] being the gradient of U.
func winoWeightGrad(gw, du []float32, ci, co int) {
	var x [16]float32
	var t [12]float32
	for c := 0; c < ci; c++ {
		for o := 0; o < co; o++ {
			for xi := 0; xi < 16; xi++ {
				x[xi] = du[(xi*ci+c)*co+o]
			}
			for j := 0; j < 4; j++ { // t = Gᵀ x (3×4), column j
				a, b, cc, d := x[j], x[4+j], x[8+j], x[12+j]
				t[j] = a + (b+cc)*0.5
				t[4+j] = (b - cc) * 0.5
				t[8+j] = (b+cc)*0.5 + d
			}
			g := gw[(o*ci+c)*9 : (o*ci+c)*9+9]
			for r := 0; r < 3; r++ { // dg = t G, row r
				a, b, cc, d := t[4*r], t[4*r+1], t[4*r+2], t[4*r+3]
				g[3*r] += a + (b+cc)*0.5
				g[3*r+1] += (b - cc) * 0.5
				g[3*r+2] += (b+cc)*0.5 + d
			}
		}
	}
}

// tilePos returns the image and tile row and column of tile t.
func (g *winoGeom) tilePos(t int) (b, ty, tx int) {
	tw := g.w / 2
	tpi := (g.h / 2) * tw
	b, r := t/tpi, t%tpi
	return b, r / tw, r % tw
}

// winoIn is mfc_in: V = Bᵀ d B for the block's tiles.
func winoIn(x []float32, g *winoGeom, v []float32) {
	C := g.ci
	var d, u [16]float32
	for t := 0; t < g.nt; t++ {
		b, ty, tx := g.tilePos(g.t0 + t)
		var off [16]int
		for i := 0; i < 4; i++ {
			for j := 0; j < 4; j++ {
				y, xx := 2*ty-1+i, 2*tx-1+j
				off[4*i+j] = -1
				if y >= 0 && y < g.h && xx >= 0 && xx < g.w {
					off[4*i+j] = ((b*g.h+y)*g.w + xx) * C
				}
			}
		}
		vt := v[t*16*C : (t+1)*16*C]
		for c := 0; c < C; c++ {
			for k, o := range off {
				d[k] = 0
				if o >= 0 {
					d[k] = x[o+c]
				}
			}
			for j := 0; j < 4; j++ {
				u[j] = d[j] - d[8+j]
				u[4+j] = d[4+j] + d[8+j]
				u[8+j] = d[8+j] - d[4+j]
				u[12+j] = d[4+j] - d[12+j]
			}
			for i := 0; i < 4; i++ {
				vt[(4*i+0)*C+c] = u[4*i] - u[4*i+2]
				vt[(4*i+1)*C+c] = u[4*i+1] + u[4*i+2]
				vt[(4*i+2)*C+c] = u[4*i+2] - u[4*i+1]
				vt[(4*i+3)*C+c] = u[4*i+1] - u[4*i+3]
			}
		}
	}
}

// winoOut is mfc_out: y = Aᵀ M A + bias, or its ReLU'd 2×2 maximum with argmax codes.
func winoOut(m []float32, g *winoGeom, bias, y []float32, code []int8, pool bool) {
	C := g.co
	var s [8]float32
	for t := 0; t < g.nt; t++ {
		tt := g.t0 + t
		b, ty, tx := g.tilePos(tt)
		mt := m[t*16*C : (t+1)*16*C]
		p00 := ((b*g.h+2*ty)*g.w + 2*tx) * C
		p01, p10 := p00+C, p00+g.w*C
		p11 := p10 + C
		for c := 0; c < C; c++ {
			for j := 0; j < 4; j++ {
				s[j] = (mt[j*C+c] + mt[(4+j)*C+c]) + mt[(8+j)*C+c]
				s[4+j] = (mt[(4+j)*C+c] - mt[(8+j)*C+c]) - mt[(12+j)*C+c]
			}
			bc := bias[c]
			o00 := ((s[0] + s[1]) + s[2]) + bc
			o01 := ((s[1] - s[2]) - s[3]) + bc
			o10 := ((s[4] + s[5]) + s[6]) + bc
			o11 := ((s[5] - s[6]) - s[7]) + bc
			if !pool {
				y[p00+c], y[p01+c], y[p10+c], y[p11+c] = o00, o01, o10, o11
				continue
			}
			best, k := o00, int8(0)
			if o01 > best {
				best, k = o01, 1
			}
			if o10 > best {
				best, k = o10, 2
			}
			if o11 > best {
				best, k = o11, 3
			}
			if best > 0 {
				y[tt*C+c] = best
			} else {
				y[tt*C+c], k = 0, -1
			}
			if code != nil {
				code[tt*C+c] = k
			}
		}
	}
}

// winoDout is mfc_dout: dM = A dY Aᵀ per tile and db += ((dy00 + dy01) + dy10) + dy11.
func winoDout(gy []float32, code []int8, g *winoGeom, dm, db []float32, pool bool) {
	C := g.co
	for t := 0; t < g.nt; t++ {
		tt := g.t0 + t
		b, ty, tx := g.tilePos(tt)
		mt := dm[t*16*C : (t+1)*16*C]
		p00 := ((b*g.h+2*ty)*g.w + 2*tx) * C
		for c := 0; c < C; c++ {
			var d00, d01, d10, d11 float32
			if pool {
				gv := gy[tt*C+c]
				switch code[tt*C+c] {
				case 0:
					d00 = gv
				case 1:
					d01 = gv
				case 2:
					d10 = gv
				case 3:
					d11 = gv
				}
			} else {
				d00, d01 = gy[p00+c], gy[p00+C+c]
				d10, d11 = gy[p00+g.w*C+c], gy[p00+g.w*C+C+c]
			}
			db[c] += ((d00 + d01) + d10) + d11
			r := [4][2]float32{{d00, d01}, {d00 + d10, d01 + d11}, {d00 - d10, d01 - d11}, {-d10, -d11}}
			for i := 0; i < 4; i++ {
				mt[(4*i+0)*C+c] = r[i][0]
				mt[(4*i+1)*C+c] = r[i][0] + r[i][1]
				mt[(4*i+2)*C+c] = r[i][0] - r[i][1]
				mt[(4*i+3)*C+c] = -r[i][1]
			}
		}
	}
}

// winoDin is mfc_din: dd = B dV Bᵀ per tile, added into dx in tile order.
func winoDin(dv []float32, g *winoGeom, dx []float32) {
	C := g.ci
	var w, q, d [16]float32
	for t := 0; t < g.nt; t++ {
		b, ty, tx := g.tilePos(g.t0 + t)
		var off [16]int
		for i := 0; i < 4; i++ {
			for j := 0; j < 4; j++ {
				y, xx := 2*ty-1+i, 2*tx-1+j
				off[4*i+j] = -1
				if y >= 0 && y < g.h && xx >= 0 && xx < g.w {
					off[4*i+j] = ((b*g.h+y)*g.w + xx) * C
				}
			}
		}
		vt := dv[t*16*C : (t+1)*16*C]
		for c := 0; c < C; c++ {
			for k := range w {
				w[k] = vt[k*C+c]
			}
			for k := 0; k < 4; k++ {
				q[k] = w[k]
				q[4+k] = (w[4+k] - w[8+k]) + w[12+k]
				q[8+k] = (w[4+k] + w[8+k]) - w[k]
				q[12+k] = -w[12+k]
			}
			for i := 0; i < 4; i++ {
				d[4*i] = q[4*i]
				d[4*i+1] = (q[4*i+1] - q[4*i+2]) + q[4*i+3]
				d[4*i+2] = (q[4*i+1] + q[4*i+2]) - q[4*i]
				d[4*i+3] = -q[4*i+3]
			}
			for k, o := range off {
				if o >= 0 {
					dx[o+c] += d[k]
				}
			}
		}
	}
}

// convForwardGo is mfc_conv_fwd with the product gemm.
func convForwardGo(x Images, w *Conv3Weights, y []float32, code []int8, pool bool, s convScratch, gemm chainFn) {
	ci, co := w.In, w.Out
	total := x.N * (x.H / 2) * (x.W / 2)
	for t0 := 0; t0 < total; t0 += s.bt {
		g := winoGeom{x.H, x.W, ci, co, t0, min(s.bt, total-t0)}
		winoIn(x.Data, &g, s.v)
		for xi := 0; xi < 16; xi++ {
			gemm(g.nt, co, ci, s.v[xi*ci:], 16*ci, 1, w.u[xi*ci*co:], co, s.m[xi*co:], 16*co, false)
		}
		winoOut(s.m, &g, w.bias, y, code, pool)
	}
}

// convBackwardGo is mfc_conv_bwd with the product gemm.
func convBackwardGo(x Images, w *Conv3Weights, gy []float32, code []int8, pool bool, dx []float32, s convScratch, gemm chainFn) {
	ci, co := w.In, w.Out
	total := x.N * (x.H / 2) * (x.W / 2)
	if dx != nil {
		clear(dx)
	}
	for t0 := 0; t0 < total; t0 += s.bt {
		g := winoGeom{x.H, x.W, ci, co, t0, min(s.bt, total-t0)}
		winoDout(gy, code, &g, s.m, s.db, pool)
		if s.du != nil {
			winoIn(x.Data, &g, s.v)
			for xi := 0; xi < 16; xi++ {
				gemm(ci, co, g.nt, s.v[xi*ci:], 1, 16*ci, s.m[xi*co:], 16*co, s.du[xi*ci*co:], co, t0 > 0)
			}
		}
		if dx != nil {
			for xi := 0; xi < 16; xi++ {
				gemm(g.nt, ci, co, s.m[xi*co:], 16*co, 1, w.ut[xi*co*ci:], ci, s.dv[xi*ci:], 16*ci, false)
			}
			winoDin(s.dv, &g, dx)
		}
	}
}

// chainRef is the reference chain product with FMA32 (the C kernels' exact arithmetic).
func chainRef(m, n, k int, a []float32, rsa, csa int, b []float32, ldb int, c []float32, ldc int, cont bool) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			if cont {
				s = c[i*ldc+j]
			}
			for kk := 0; kk < k; kk++ {
				s = FMA32(a[i*rsa+kk*csa], b[kk*ldb+j], s)
			}
			c[i*ldc+j] = s
		}
	}
}
