package nn

import (
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestFMA32 checks the pure-Go fused multiply-add against exact arithmetic rounded once to
// float32, on random values and on the ties and cancellations where double rounding bites.
func TestFMA32(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	exact := func(a, b, c float32) float32 {
		x := new(big.Float).SetPrec(400).SetFloat64(float64(a))
		x.Mul(x, new(big.Float).SetPrec(400).SetFloat64(float64(b)))
		x.Add(x, new(big.Float).SetPrec(400).SetFloat64(float64(c)))
		f, _ := x.Float32()
		return f
	}
	check := func(a, b, c float32) {
		t.Helper()
		got, want := FMA32(a, b, c), exact(a, b, c)
		if math.Float32bits(got) != math.Float32bits(want) && !(got == 0 && want == 0) {
			t.Fatalf("FMA32(%g, %g, %g) = %g (%#x), want %g (%#x)", a, b, c, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
	for i := 0; i < 200000; i++ {
		a, b := float32(rng.NormFloat64()), float32(rng.NormFloat64()*math.Pow(2, float64(rng.IntN(40)-20)))
		c := float32(rng.NormFloat64() * math.Pow(2, float64(rng.IntN(60)-30)))
		if i%3 == 0 {
			c = -float32(float64(a) * float64(b)) // cancellation: the result is the product's rounding error
		}
		check(a, b, c)
	}
	// Products with exactly representable halfway tails: 1+2^-12 squared = 1 + 2^-11 + 2^-24.
	u := float32(1 + 1.0/4096)
	check(u, u, 0)
	check(u, u, float32(math.Ldexp(1, -48)))
	check(u, u, -float32(math.Ldexp(1, -48)))
	check(1e-30, 1e-30, 1e-45)
	check(3e38, 2, -3e38)
	if v := FMA32(float32(math.Inf(1)), 1, 1); !math.IsInf(float64(v), 1) {
		t.Fatalf("FMA32(+Inf, 1, 1) = %v", v)
	}
	if v := FMA32(float32(math.NaN()), 1, 1); v == v {
		t.Fatalf("FMA32(NaN, 1, 1) = %v", v)
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// TestGemmLevelsBitIdentical checks every SIMD level this CPU has against the reference order of gemmRef bit for bit, over shapes that exercise
// every tile, the masked tails and k = 0, with and without accumulation.
func TestGemmLevelsBitIdentical(t *testing.T) {
	if Backend == "purego" {
		t.Skip("purego build: gonum's products agree with the C kernels to rounding only (TestGemmAgainstNaive)")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	ms := []int{1, 2, 5, 6, 7, 13, 31}
	ns := []int{1, 3, 8, 9, 15, 16, 17, 33, 64, 65, 100, 130}
	ks := []int{0, 1, 2, 7, 32, 101}
	var levels []int
	for l := LevelGeneric; l <= HardwareSIMD(); l++ {
		levels = append(levels, l)
	}
	checked := 0
	for _, m := range ms {
		for _, n := range ns {
			for _, k := range ks {
				for tr := 0; tr < 4; tr++ {
					ta, tb := tr&1 != 0, tr&2 != 0
					lda, ldb := k+3, n+1
					ar, br := m, k
					if ta {
						lda, ar = m+2, k
					}
					if tb {
						ldb, br = k+1, n
					}
					a, b := randSlice(rng, max(ar, 1)*lda), randSlice(rng, max(br, 1)*ldb)
					c0 := randSlice(rng, m*(n+2))
					for _, acc := range []bool{false, true} {
						want := append([]float32(nil), c0...)
						gemmRef(ta, tb, m, n, k, a, lda, b, ldb, want, n+2, acc)
						for _, l := range levels {
							got := append([]float32(nil), c0...)
							gemmLevel(ta, tb, m, n, k, a, lda, b, ldb, got, n+2, acc, l)
							for i := range got {
								if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
									t.Fatalf("%s level %s m=%d n=%d k=%d transA=%v transB=%v acc=%v: c[%d] = %v, reference %v",
										Backend, LevelName(l), m, n, k, ta, tb, acc, i, got[i], want[i])
								}
							}
							checked++
						}
					}
				}
			}
		}
	}
	t.Logf("%s: levels %v bit-identical to the reference on %d products", Backend, levels, checked)
}

// TestGemmRowIndependent checks that a row's product is the same alone as inside a batch.
func TestGemmRowIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	m, n, k := 37, 100, 100
	x, w := randSlice(rng, m*k), randSlice(rng, n*k)
	all := make([]float32, m*n)
	Gemm(false, true, m, n, k, 1, x, k, w, k, 0, all, n)
	for i := 0; i < m; i++ {
		one := make([]float32, n)
		Gemm(false, true, 1, n, k, 1, x[i*k:(i+1)*k], k, w, k, 0, one, n)
		for j := range one {
			if math.Float32bits(one[j]) != math.Float32bits(all[i*n+j]) {
				t.Fatalf("row %d column %d: alone %v, in the batch %v", i, j, one[j], all[i*n+j])
			}
		}
	}
}

// TestSIMDEnv checks that MFLOWLAB_SIMD lowers the level of a fresh process and that an
// unknown value is reported.
func TestSIMDEnv(t *testing.T) {
	if os.Getenv("MFLOWLAB_SIMD_CHILD") == "1" {
		os.Stdout.WriteString("level=" + LevelName(SIMD()) + "\n")
		return
	}
	for _, want := range []string{"generic", "avx2", "avx512"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSIMDEnv$", "-test.v")
		cmd.Env = append(os.Environ(), "MFLOWLAB_SIMD_CHILD=1", "MFLOWLAB_SIMD="+want)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child with MFLOWLAB_SIMD=%s: %v\n%s", want, err, out)
		}
		exp := want
		if lvl := map[string]int{"generic": 0, "avx2": 1, "avx512": 2}[want]; lvl > HardwareSIMD() {
			exp = LevelName(HardwareSIMD())
		}
		if !strings.Contains(string(out), "level="+exp+"\n") {
			t.Fatalf("MFLOWLAB_SIMD=%s: child says %q, want level=%s", want, out, exp)
		}
	}
	t.Setenv("MFLOWLAB_SIMD", "sse9")
	if err := CheckSIMDEnv(); err == nil || !strings.Contains(err.Error(), "sse9") {
		t.Fatalf("CheckSIMDEnv with sse9: %v", err)
	}
	t.Setenv("MFLOWLAB_SIMD", "avx2")
	if err := CheckSIMDEnv(); err != nil {
		t.Fatal(err)
	}
}
