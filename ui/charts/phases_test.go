package charts

import (
	"image/color"
	"image/png"
	"os"
	"testing"
)

// TestLossPhaseBands checks that a history with a phase change shades the second phase's
// band (right of the change, not left of it) and that one phase alone draws no bands. With
// MFLOWLAB_PHASE_SHOT set it writes the chart to that PNG file.
func TestLossPhaseBands(t *testing.T) {
	st := vividStyle()
	st.PhaseBand = color.NRGBA{R: 0xf0, G: 0xf6, B: 0xe0, A: 0xff} // no other pixel comes near
	h := synthLoss(3, 2000)
	o := DefaultLossOptions(340, 200)
	o.Style, o.LogY = st, true

	one := h
	one.Phases = []PhaseMark{{0, "joint"}}
	if n := countNear(LossChart(one, o), st.PhaseBand, 2); n != 0 {
		t.Errorf("one phase: %d band pixels, want none", n)
	}

	h.Phases = []PhaseMark{{0, "warm-start"}, {600, "joint"}}
	img := LossChart(h, o)
	if out := os.Getenv("MFLOWLAB_PHASE_SHOT"); out != "" {
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	// Count band pixels in the left and right thirds of the image: the change at step 600
	// of 2000 lies in the left third's right part, so the right third is all second phase.
	left, right := 0, 0
	w := img.Rect.Dx()
	for y := 0; y < img.Rect.Dy(); y++ {
		for x := 0; x < w; x++ {
			if near(img, x, y, st.PhaseBand, 2) {
				switch {
				case x < w/5:
					left++
				case x > 2*w/3:
					right++
				}
			}
		}
	}
	if right < 1000 || left != 0 {
		t.Errorf("band pixels: %d left of the change (want 0), %d in the right third (want many)", left, right)
	}
}
