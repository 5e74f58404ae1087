package widgets

import (
	"image"
	"math/rand/v2"
	"testing"
)

// TestGapsCoverExactlyTheRest checks gaps pixel by pixel on random holes (overlapping, partly
// outside the area, empty): every pixel of the area is in exactly one of the gaps or in a
// hole, never both.
func TestGapsCoverExactlyTheRest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	area := image.Rect(5, 7, 65, 47)
	for trial := 0; trial < 300; trial++ {
		holes := make([]image.Rectangle, rng.IntN(8))
		for i := range holes {
			x, y := rng.IntN(80)-5, rng.IntN(60)-5
			holes[i] = image.Rect(x, y, x+rng.IntN(30), y+rng.IntN(30))
		}
		g := gaps(area, holes)
		for y := 0; y < 60; y++ {
			for x := 0; x < 80; x++ {
				p := image.Pt(x, y)
				inHole := false
				for _, h := range holes {
					inHole = inHole || p.In(h)
				}
				n := 0
				for _, r := range g {
					if p.In(r) {
						n++
					}
				}
				want := 0
				if p.In(area) && !inHole {
					want = 1
				}
				if n != want {
					t.Fatalf("trial %d: pixel %v in %d gaps, want %d (holes %v, gaps %v)", trial, p, n, want, holes, g)
				}
			}
		}
	}
}
