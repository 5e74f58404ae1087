package plane

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func rgbaAt(img *image.RGBA, x, y int) color.RGBA { return img.RGBAAt(x, y) }

// near reports whether two colours differ by at most tol in every channel.
func near(a, b color.RGBA, tol int) bool {
	d := func(x, y uint8) bool { return int(x)-int(y) <= tol && int(y)-int(x) <= tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

func opaque(c color.NRGBA) color.RGBA { return color.RGBA{c.R, c.G, c.B, 255} }

func newCanvas(w, h int, bg color.NRGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	newSurface(img, 0, 0).clear(bg)
	return img
}

var white = color.NRGBA{255, 255, 255, 255}

func TestViewportInverse(t *testing.T) {
	vp := Fit(-1.3, 1.7, -0.8, 1.2, 800, 600, 20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		x, y := rng.Float64()*6-3, rng.Float64()*6-3
		px, py := vp.ToPixel(x, y)
		x2, y2 := vp.ToData(float64(px), float64(py))
		// ToPixel rounds to float32: allow its relative precision in pixels.
		if math.Abs(x2-x)*vp.Scale > 1e-3 || math.Abs(y2-y)*vp.Scale > 1e-3 {
			t.Fatalf("ToData(ToPixel(%g, %g)) = (%g, %g)", x, y, x2, y2)
		}
	}
	// The y axis points up: larger y is higher on screen.
	_, p0 := vp.ToPixel(0, 0)
	_, p1 := vp.ToPixel(0, 1)
	if !(p1 < p0) {
		t.Errorf("y = 1 at pixel row %g, y = 0 at %g: y axis does not point up", p1, p0)
	}
}

func TestFit(t *testing.T) {
	vp := Fit(-1, 3, -1, 1, 800, 600, 20)
	if want := (800.0 - 40) / 4; math.Abs(vp.Scale-want) > 1e-9 {
		t.Errorf("scale %g, want %g (width-limited)", vp.Scale, want)
	}
	x0, y0 := vp.ToPixel(-1, 1)
	x1, y1 := vp.ToPixel(3, -1)
	if math.Abs(float64(x0)-20) > 1e-3 || math.Abs(float64(x1)-780) > 1e-3 {
		t.Errorf("box spans pixels x %g..%g, want 20..780", x0, x1)
	}
	if math.Abs(float64(y0+y1)/2-300) > 1e-3 {
		t.Errorf("box not centred vertically: y %g..%g", y0, y1)
	}
}

func TestZoomKeepsAnchor(t *testing.T) {
	vp := Fit(-1, 1, -1, 1, 640, 480, 10)
	for _, f := range []float64{2, 0.5, 1.37} {
		ax, ay := 123.5, 401.25
		x, y := vp.ToData(ax, ay)
		z := vp.Zoom(f, ax, ay)
		px, py := z.ToPixel(x, y)
		if math.Abs(float64(px)-ax) > 1e-3 || math.Abs(float64(py)-ay) > 1e-3 {
			t.Errorf("Zoom(%g): anchor moved from (%g, %g) to (%g, %g)", f, ax, ay, px, py)
		}
		if math.Abs(z.Scale-vp.Scale*f) > 1e-9 {
			t.Errorf("Zoom(%g): scale %g, want %g", f, z.Scale, vp.Scale*f)
		}
	}
	p := vp.Pan(30, -12)
	x0, y0 := vp.ToPixel(0.3, 0.2)
	x1, y1 := p.ToPixel(0.3, 0.2)
	if math.Abs(float64(x1-x0)-30) > 1e-3 || math.Abs(float64(y1-y0)+12) > 1e-3 {
		t.Errorf("Pan(30, -12) moved a point by (%g, %g)", x1-x0, y1-y0)
	}
}

func TestNiceStep(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{
		{0.3, 0.5}, {0.5, 0.5}, {0.51, 1}, {1.2, 2}, {3, 5}, {7, 10}, {0.013, 0.02}, {0, 1},
	} {
		if got := NiceStep(c.in); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("NiceStep(%g) = %g, want %g", c.in, got, c.want)
		}
	}
	for _, c := range []struct{ in, want float64 }{{0.48, 0.5}, {0.3, 0.2}, {1.5, 2}, {1.3, 1}, {3.3, 5}, {3.0, 2}, {0.6, 0.5}, {0.70, 0.5}, {0.75, 1}} {
		if got := niceNearest(c.in); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("niceNearest(%g) = %g, want %g", c.in, got, c.want)
		}
	}
	if got := string(formatTick(nil, -0.5, 0.5)); got != "−0.5" {
		t.Errorf("formatTick(-0.5) = %q", got)
	}
	if got := string(formatTick(nil, 1e-17, 0.5)); got != "0.0" {
		t.Errorf("formatTick(1e-17) = %q", got)
	}
}

func TestPointColoursExpectedPixel(t *testing.T) {
	vp := Fit(-1, 1, -1, 1, 200, 200, 0)
	img := newCanvas(200, 200, white)
	r := NewRenderer()
	orange := color.NRGBA{224, 138, 44, 255}
	xy := []float32{0.25, -0.4}
	r.DrawPoints(img, vp, xy, []int32{1}, []color.NRGBA{{0, 0, 255, 255}, orange}, 3, 1)
	px, py := vp.ToPixel(0.25, -0.4)
	cx, cy := int(px), int(py) // 125, 140
	if cx != 125 || cy != 140 {
		t.Fatalf("ToPixel(0.25, -0.4) = (%g, %g), want pixel (125, 140)", px, py)
	}
	if got := rgbaAt(img, cx, cy); !near(got, opaque(orange), 1) {
		t.Errorf("centre pixel %v, want the class-1 colour %v", got, orange)
	}
	if got := rgbaAt(img, cx+6, cy); got != opaque(white) {
		t.Errorf("pixel 6 px away %v, want background", got)
	}
	// Off-image and NaN points are skipped without panicking.
	r.DrawPoints(img, vp, []float32{-5, 0, 0.99, 0.99, float32(math.NaN()), 0}, nil, []color.NRGBA{orange}, 3, 1)
}

func TestContourThroughExpectedPixel(t *testing.T) {
	// p = σ(8(x − 0.305)): the 0.5 contour is the vertical line x = 0.305,
	// which runs through the centres of pixel column 130.
	g := sampleGrid(64, -1, 1, func(x, y float64) float64 { return 1 / (1 + math.Exp(-8*(x-0.305))) })
	vp := Fit(-1, 1, -1, 1, 200, 200, 0)
	img := newCanvas(200, 200, white)
	r := NewRenderer()
	st := DefaultStyle()
	r.DrawHeatmap(img, vp, g, &st.Heat)
	ink := color.NRGBA{0, 0, 0, 255}
	r.DrawContour(img, vp, g, 0.5, 1.5, ink)
	px, _ := vp.ToPixel(0.305, 0)
	cx := int(px) // 130
	for _, y := range []int{20, 100, 170} {
		if got := rgbaAt(img, cx, y); got.R > 40 {
			t.Errorf("pixel (%d, %d) on the contour is %v, want nearly black", cx, y, got)
		}
		for _, dx := range []int{-4, 4} {
			if got := rgbaAt(img, cx+dx, y); got.R < 150 {
				t.Errorf("pixel (%d, %d) off the contour is %v, want the light tint", cx+dx, y, got)
			}
		}
	}
	// Far from the boundary the tint is the colormap's end colour.
	if got, want := rgbaAt(img, 10, 100), opaque(st.Heat[0]); !near(got, want, 2) {
		t.Errorf("p≈0 pixel %v, want %v", got, want)
	}
	if got, want := rgbaAt(img, 195, 100), opaque(st.Heat[255]); !near(got, want, 2) {
		t.Errorf("p≈1 pixel %v, want %v", got, want)
	}
}

func TestGridAt(t *testing.T) {
	g := sampleGrid(11, 0, 1, func(x, y float64) float64 { return 2*x + 3*y })
	if got := g.At(0.33, 0.71); math.Abs(float64(got)-(0.66+2.13)) > 1e-5 {
		t.Errorf("At(0.33, 0.71) = %g, want 2.79 (bilinear is exact on linear fields)", got)
	}
	if got := g.At(1.5, 0); got == got {
		t.Errorf("At outside = %g, want NaN", got)
	}
}

func TestDensityTransparentWhereUndefined(t *testing.T) {
	g := sampleGrid(32, -1, 1, func(x, y float64) float64 {
		switch {
		case x < -0.2:
			return math.Inf(-1)
		case x > 0.2:
			return math.NaN()
		}
		return 0
	})
	vp := Fit(-1, 1, -1, 1, 100, 100, 0)
	img := newCanvas(100, 100, white)
	cm := Viridis()
	NewRenderer().DrawDensity(img, vp, g, &cm, -1, 0, 1)
	if got := rgbaAt(img, 10, 50); got != opaque(white) {
		t.Errorf("−Inf region pixel %v, want untouched", got)
	}
	if got := rgbaAt(img, 90, 50); got != opaque(white) {
		t.Errorf("NaN region pixel %v, want untouched", got)
	}
	if got := rgbaAt(img, 50, 50); !near(got, opaque(cm[255]), 2) {
		t.Errorf("max-density pixel %v, want %v", got, cm[255])
	}
}

func TestPolylineNaNBreaksAndJoinsEvenly(t *testing.T) {
	vp := Viewport{Center: [2]float64{50, 25}, Scale: 1, W: 100, H: 50}
	img := newCanvas(100, 50, white)
	r := NewRenderer()
	nan := float32(math.NaN())
	// Many collinear points through the centres of pixel row 24.
	var xy []float32
	for x := 5; x <= 40; x += 3 {
		xy = append(xy, float32(x), 25.5)
	}
	xy = append(xy, nan, nan, 60, 25.5, 95, 25.5)
	half := color.NRGBA{0, 0, 0, 128}
	for _, width := range []float32{1.5, 4} { // the thin and the capsule path
		newSurface(img, 0, 0).clear(white)
		r.DrawPolyline(img, vp, xy, width, half)
		ref := rgbaAt(img, 20, 24)
		if ref == opaque(white) {
			t.Fatalf("width %g: line not drawn at (20, 24)", width)
		}
		for x := 5; x <= 37; x++ {
			if got := rgbaAt(img, x, 24); got != ref {
				t.Errorf("width %g: pixel (%d, 24) = %v, want %v everywhere along the line (joins must not darken)", width, x, got, ref)
				break
			}
		}
		if got := rgbaAt(img, 50, 24); got != opaque(white) {
			t.Errorf("width %g: pixel in the NaN gap = %v, want background", width, got)
		}
		if got := rgbaAt(img, 80, 24); got != ref {
			t.Errorf("width %g: piece after the gap = %v, want %v", width, got, ref)
		}
	}
}

func TestMarkersAndArrow(t *testing.T) {
	vp := Viewport{Center: [2]float64{50, 50}, Scale: 1, W: 100, H: 100}
	r := NewRenderer()
	red := color.NRGBA{200, 0, 0, 255}
	for _, k := range []MarkerKind{MarkerCircle, MarkerRing, MarkerCross, MarkerDiamond} {
		img := newCanvas(100, 100, white)
		r.DrawMarker(img, vp, [2]float64{50, 50}, k, 16, red)
		centre := rgbaAt(img, 50, 49)
		ring := rgbaAt(img, 50+7, 49)
		switch k {
		case MarkerCircle, MarkerDiamond, MarkerCross:
			if !near(centre, opaque(red), 1) {
				t.Errorf("marker %d: centre %v, want red", k, centre)
			}
		case MarkerRing:
			if centre != opaque(white) || ring.G > 100 {
				t.Errorf("ring: centre %v (want background), rim %v (want red)", centre, ring)
			}
		}
		if got := rgbaAt(img, 50, 20); got != opaque(white) {
			t.Errorf("marker %d: pixel far away %v", k, got)
		}
	}
	img := newCanvas(100, 100, white)
	r.DrawArrow(img, vp, [2]float64{10, 50}, [2]float64{90, 50}, red, 2)
	if got := rgbaAt(img, 50, 49); !near(got, opaque(red), 1) {
		t.Errorf("arrow shaft pixel %v", got)
	}
	if got := rgbaAt(img, 84, 47); got == opaque(white) { // head is wider than the shaft
		t.Errorf("arrow head missing at (84, 47)")
	}
	if got := rgbaAt(img, 92, 49); got != opaque(white) {
		t.Errorf("arrow goes past its tip: %v", got)
	}
}

func TestTextAndBadge(t *testing.T) {
	img := newCanvas(120, 40, white)
	r := NewRenderer()
	ink := color.NRGBA{0, 0, 0, 255}
	r.DrawLabel(img, 10, 25, "Hello", ink, 14)
	w, ch := r.MeasureText("Hello", 14)
	if !(w > 25 && w < 45) || !(ch > 8 && ch < 12) {
		t.Errorf("MeasureText = %g × %g, want about 33 × 10", w, ch)
	}
	dark := 0
	for y := 0; y < 40; y++ {
		for x := 0; x < 120; x++ {
			if rgbaAt(img, x, y).R < 128 {
				dark++
				if x < 9 || x > 10+int(w)+1 || y > 26 || y < 25-int(ch)-2 {
					t.Fatalf("ink at (%d, %d) outside the text box", x, y)
				}
			}
		}
	}
	if dark < 30 {
		t.Errorf("only %d dark pixels: text not drawn", dark)
	}
	img = newCanvas(60, 60, white)
	green := color.NRGBA{0, 140, 0, 255}
	r.DrawBadge(img, 30, 30, "A", 12, green, white)
	if got := rgbaAt(img, 30-7, 30); !near(got, opaque(green), 1) {
		t.Errorf("badge background %v, want green", got)
	}
	if got := rgbaAt(img, 30, 5); got != opaque(white) {
		t.Errorf("badge too tall: %v at (30, 5)", got)
	}
}

func TestRenderLayersAndBounds(t *testing.T) {
	sc := syntheticScene(160, 120, 500, 32, 4, 40, 9, 20)
	r := NewRenderer()
	// No layers: only the background.
	sc.Layers = 0
	img := image.NewRGBA(image.Rect(0, 0, 160, 120))
	r.Render(img, sc)
	for y := 0; y < 120; y += 7 {
		for x := 0; x < 160; x += 7 {
			if got := rgbaAt(img, x, y); got != opaque(sc.Style.Background) {
				t.Fatalf("empty scene pixel (%d, %d) = %v, want background", x, y, got)
			}
		}
	}
	// A destination larger than the viewport, with a non-zero origin: the
	// scene lands at its top-left corner and the rest is untouched.
	sc.Layers = LayerAll
	big := image.NewRGBA(image.Rect(-10, -10, 200, 200))
	r.Render(big, sc)
	ref := image.NewRGBA(image.Rect(0, 0, 160, 120))
	r.Render(ref, sc)
	for y := 0; y < 120; y++ {
		for x := 0; x < 160; x++ {
			if big.RGBAAt(x-10, y-10) != ref.RGBAAt(x, y) {
				t.Fatalf("offset render differs at (%d, %d)", x, y)
			}
		}
	}
	if got := big.RGBAAt(160-10, 50); got != (color.RGBA{}) {
		t.Errorf("pixel right of the viewport was touched: %v", got)
	}
}

func TestRenderDoesNotAllocate(t *testing.T) {
	sc := syntheticScene(320, 240, 2000, 64, 6, 60, 25, 30)
	sc.Layers = LayerAll
	r := NewRenderer()
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	r.Render(img, sc) // warm the caches
	if n := testing.AllocsPerRun(5, func() { r.Render(img, sc) }); n != 0 {
		t.Errorf("Render allocates %g times per frame, want 0", n)
	}
}

func TestShapeMistakesPanic(t *testing.T) {
	r := NewRenderer()
	img := image.NewRGBA(image.Rect(0, 0, 10, 10))
	vp := Fit(0, 1, 0, 1, 10, 10, 0)
	for name, f := range map[string]func(){
		"grid":   func() { r.DrawHeatmap(img, vp, &Grid{X1: 1, Y1: 1, NX: 3, NY: 3, V: make([]float32, 8)}, &Colormap{}) },
		"odd":    func() { r.DrawPolyline(img, vp, []float32{1, 2, 3}, 1, white) },
		"labels": func() { r.DrawPoints(img, vp, []float32{1, 2}, []int32{0, 1}, []color.NRGBA{white}, 1, 1) },
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "plane: ") {
					t.Errorf("%s: recovered %q, want a panic starting with \"plane: \"", name, msg)
				}
			}()
			f()
		}()
	}
}

func TestBandsAndThreadsDoNotChangeThePicture(t *testing.T) {
	sc := syntheticScene(400, 300, 3000, 64, 8, 80, 36, 30)
	sc.Layers = LayerAll
	whole := image.NewRGBA(image.Rect(0, 0, 400, 300))
	r := NewRenderer()
	// The whole frame in one go, bypassing the bands.
	lo, hi := finiteRange(sc.Density.V)
	r.layers(whole, sc.Viewport, sc, densityRange{lo, hi})
	serial := image.NewRGBA(image.Rect(0, 0, 400, 300))
	r.Render(serial, sc)
	// Bands shift coordinates by whole rows, which can only change rounding.
	for i := range whole.Pix {
		if d := int(whole.Pix[i]) - int(serial.Pix[i]); d > 4 || d < -4 {
			x, y := (i%whole.Stride)/4, i/whole.Stride
			t.Fatalf("banded render differs at (%d, %d): %v vs %v", x, y, serial.RGBAAt(x, y), whole.RGBAAt(x, y))
		}
	}
	par := image.NewRGBA(image.Rect(0, 0, 400, 300))
	r.Threads = 3
	r.Render(par, sc)
	if string(par.Pix) != string(serial.Pix) {
		t.Errorf("Threads = 3 renders a different picture from Threads = 0")
	}
}

// TestProbesOverBaseEqualRender checks the drag path of the app: every layer but the probes
// rendered once, then the probes drawn over a copy, gives the full render's picture (the
// scale bar, drawn last by Render, is left out so that the stacking order is the same).
func TestProbesOverBaseEqualRender(t *testing.T) {
	sc := syntheticScene(400, 300, 3000, 64, 8, 80, 36, 30)
	sc.Layers = LayerAll &^ LayerScaleBar
	if len(sc.Probes) == 0 {
		t.Fatal("the synthetic scene has no probes")
	}
	r := NewRenderer()
	full := image.NewRGBA(image.Rect(0, 0, 400, 300))
	r.Render(full, sc)
	b := *sc
	b.Layers &^= LayerProbes
	b.Probes = nil
	base := image.NewRGBA(full.Rect)
	r.Render(base, &b)
	b.Layers = sc.Layers
	if !SameExceptProbes(&b, sc) {
		t.Fatal("SameExceptProbes: a scene and its copy without probes differ")
	}
	over := image.NewRGBA(full.Rect)
	copy(over.Pix, base.Pix)
	r.DrawProbes(over, sc)
	for i := range full.Pix {
		if d := int(full.Pix[i]) - int(over.Pix[i]); d > 4 || d < -4 {
			x, y := (i%full.Stride)/4, i/full.Stride
			t.Fatalf("probes over the base differ at (%d, %d): %v vs %v", x, y, over.RGBAAt(x, y), full.RGBAAt(x, y))
		}
	}
	moved := *sc
	moved.Probes = append([]Probe(nil), sc.Probes...)
	if !SameExceptProbes(&b, &moved) {
		t.Fatal("SameExceptProbes: other probes made the scenes differ")
	}
	moved.Manifold = append([]float32(nil), sc.Manifold...)
	if SameExceptProbes(&b, &moved) {
		t.Fatal("SameExceptProbes: a copied manifold counts as the same layer")
	}
	moved = *sc
	moved.Viewport = moved.Viewport.Pan(1, 0)
	if SameExceptProbes(&b, &moved) {
		t.Fatal("SameExceptProbes: another viewport counts as the same picture")
	}
}
