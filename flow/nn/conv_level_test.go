//go:build cgo && !purego

package nn

import (
	"math/rand/v2"
	"testing"
)

// TestConv3KernelsMatchGoBitForBit runs the C kernels at every SIMD level the CPU has, with
// the default tile block and with blocks of 6 tiles, and checks every output, code and
// gradient against the Go port with FMA32 products: the same bits.
func TestConv3KernelsMatchGoBitForBit(t *testing.T) {
	for _, c := range append(convCases, convCase{2, 16, 16, 32, 64}, convCase{2, 8, 8, 3, 32}) {
		t.Run(c.String(), func(t *testing.T) {
			cv, p, x := convFixture(c, 11)
			w := cv.Prepare(nil, p)
			rng := rand.New(rand.NewPCG(3, 1))
			for _, pool := range []bool{false, true} {
				oh, ow := c.h, c.w
				if pool {
					oh, ow = c.h/2, c.w/2
				}
				gy := make([]float32, c.n*oh*ow*c.co)
				for i := range gy {
					gy[i] = float32(rng.NormFloat64())
				}
				run := func(level, bt int, gemm chainFn) (y []float32, code []int8, gx, du, db []float32) {
					s := w.scratch(nil, true)
					if bt > 0 {
						s = convScratch{bt: bt, zero: s.zero}
						s.v, s.m, s.dv = make([]float32, bt*16*c.ci), make([]float32, bt*16*c.co), make([]float32, bt*16*c.ci)
					}
					s.du, s.db = make([]float32, 16*c.ci*c.co), make([]float32, c.co)
					y = make([]float32, c.n*oh*ow*c.co)
					if pool {
						code = make([]int8, len(y))
					}
					gx = make([]float32, len(x.Data))
					if gemm == nil {
						convForward(level, x, w, y, code, pool, s)
						convBackward(level, x, w, gy, code, pool, gx, s)
					} else {
						convForwardGo(x, w, y, code, pool, s, gemm)
						convBackwardGo(x, w, gy, code, pool, gx, s, gemm)
					}
					return y, code, gx, s.du, s.db
				}
				wy, wc, wgx, wdu, wdb := run(0, 6, chainRef)
				for level := LevelGeneric; level <= HardwareSIMD(); level++ {
					for _, bt := range []int{0, 6} {
						y, code, gx, du, db := run(level, bt, nil)
						what := LevelName(level)
						if bt > 0 {
							what += ", blocks of 6"
						}
						sameBits(t, what+": output", y, wy)
						sameBits(t, what+": input gradient", gx, wgx)
						sameBits(t, what+": U gradient", du, wdu)
						sameBits(t, what+": bias gradient", db, wdb)
						for i := range code {
							if code[i] != wc[i] {
								t.Fatalf("%s: code %d is %d, want %d", what, i, code[i], wc[i])
							}
						}
						// the input gradient alone (the attacks' path; fused for few channels)
						s := w.scratch(nil, true)
						s.db = make([]float32, c.co)
						gx2 := make([]float32, len(x.Data))
						convBackward(level, x, w, gy, code, pool, gx2, s)
						sameBits(t, what+": input gradient alone", gx2, wgx)
						sameBits(t, what+": bias gradient alongside", s.db, wdb)
						// the parameter gradient alone (the training path of the first layer)
						s = w.scratch(nil, true)
						if bt > 0 {
							s = convScratch{bt: bt, zero: s.zero}
							s.v, s.m, s.dv = make([]float32, bt*16*c.ci), make([]float32, bt*16*c.co), make([]float32, bt*16*c.ci)
						}
						s.du, s.db = make([]float32, 16*c.ci*c.co), make([]float32, c.co)
						convBackward(level, x, w, gy, code, pool, nil, s)
						sameBits(t, what+": U gradient alone", s.du, wdu)
						sameBits(t, what+": bias gradient alone", s.db, wdb)
					}
				}
			}
		})
	}
}
