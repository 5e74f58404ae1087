package nn

import (
	"fmt"
	"os"
)

// SIMD levels of the C kernels, best last. Every level gives bit-identical results; they
// differ in speed only.
const (
	LevelGeneric = 0 // scalar C (fmaf), any CPU; the only level of the purego build
	LevelAVX2    = 1 // AVX2 with FMA
	LevelAVX512  = 2 // AVX-512 (F, DQ, VL)
)

var levelNames = [...]string{"generic", "avx2", "avx512"}

// LevelName names a SIMD level as MFLOWLAB_SIMD spells it.
func LevelName(level int) string {
	if level < 0 || level >= len(levelNames) {
		return fmt.Sprintf("level(%d)", level)
	}
	return levelNames[level]
}

// SIMD returns the level the kernels of this process run at: the CPU's best, lowered by the
// environment variable MFLOWLAB_SIMD=avx512|avx2|generic (read once at first use).
func SIMD() int { return simdLevel() }

// HardwareSIMD returns the best level this CPU supports (LevelGeneric in purego builds).
func HardwareSIMD() int { return hwLevel() }

// CheckSIMDEnv reports an MFLOWLAB_SIMD value that is not a level name; an unknown value is
// otherwise ignored (the CPU's best level runs).
func CheckSIMDEnv() error {
	v, ok := os.LookupEnv("MFLOWLAB_SIMD")
	if !ok || v == "" {
		return nil
	}
	for _, n := range levelNames {
		if v == n {
			return nil
		}
	}
	return fmt.Errorf("MFLOWLAB_SIMD=%q is not a SIMD level (want avx512, avx2 or generic)", v)
}
