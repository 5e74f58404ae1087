package charts

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// near reports whether the pixel at (x, y) is within tol of c in every channel.
func near(img *image.RGBA, x, y int, c color.NRGBA, tol int) bool {
	i := img.PixOffset(x, y)
	p := img.Pix[i : i+4]
	d := func(a, b uint8) bool { return math.Abs(float64(a)-float64(b)) <= float64(tol) }
	return d(p[0], c.R) && d(p[1], c.G) && d(p[2], c.B)
}

// countNear counts the pixels of img within tol of c.
func countNear(img *image.RGBA, c color.NRGBA, tol int) int {
	return census(img, []color.NRGBA{c}, tol)[0]
}

// census counts, in one pass, the pixels of img within tol of each colour.
func census(img *image.RGBA, cols []color.NRGBA, tol int) []int {
	n := make([]int, len(cols))
	pix := img.Pix
	for i := 0; i+3 < len(pix); i += 4 {
		r, g, b := int(pix[i]), int(pix[i+1]), int(pix[i+2])
		for k, c := range cols {
			if abs(r-int(c.R)) <= tol && abs(g-int(c.G)) <= tol && abs(b-int(c.B)) <= tol {
				n[k]++
			}
		}
	}
	return n
}

// inked counts the pixels that differ from the background, stopping at limit.
func inked(img *image.RGBA, bg color.NRGBA, limit int) int {
	n := 0
	for i := 0; i < len(img.Pix) && n < limit; i += 4 {
		if img.Pix[i] != bg.R || img.Pix[i+1] != bg.G || img.Pix[i+2] != bg.B {
			n++
		}
	}
	return n
}

func TestLossChartSizesAndSeries(t *testing.T) {
	h := synthLoss(3, 2000)
	st := vividStyle()
	for _, c := range []struct{ w, h, dpi int }{{320, 200, 96}, {640, 400, 96}, {900, 560, 150}} {
		for _, logY := range []bool{false, true} {
			o := DefaultLossOptions(c.w, c.h)
			o.DPI, o.LogY, o.Style = c.dpi, logY, st
			img := LossChart(h, o)
			if img.Rect != image.Rect(0, 0, c.w, c.h) {
				t.Fatalf("%dx%d: image is %v", c.w, c.h, img.Rect)
			}
			if n := inked(img, st.Background, c.w*c.h/20); n < c.w*c.h/20 {
				t.Errorf("%dx%d log=%v: only %d pixels drawn", c.w, c.h, logY, n)
			}
			names := []string{"loss", "MSE", "val", "grad"}
			for k, n := range census(img, []color.NRGBA{st.Loss, st.MSE, st.Val, st.GradNorm}, 6) {
				if n < c.w/4 {
					t.Errorf("%dx%d log=%v: only %d %s pixels", c.w, c.h, logY, n, names[k])
				}
			}
		}
	}
}

// vividStyle returns the default style with series colours that no text, grid or axis can
// come close to, so pixel counts tell the series apart.
func vividStyle() *Style {
	st := DefaultStyle()
	st.Loss, st.MSE, st.NLL = hex(0x0000ff), hex(0xff8000), hex(0x8000ff)
	st.Val, st.GradNorm = hex(0xff0000), hex(0x00c000)
	return &st
}

func TestLossShowSelectsSeries(t *testing.T) {
	h := synthLoss(3, 500)
	st := vividStyle()
	o := DefaultLossOptions(400, 250)
	o.Show, o.Style = SeriesMSE, st
	img := LossChart(h, o)
	if countNear(img, st.MSE, 6) < 10 {
		t.Error("MSE shown but not drawn")
	}
	for k, n := range census(img, []color.NRGBA{st.Loss, st.Val, st.GradNorm}, 6) {
		if n > 0 {
			t.Errorf("%s hidden but %d pixels drawn", []string{"loss", "val", "grad"}[k], n)
		}
	}
}

// lossLine returns a 101-step history whose loss rises linearly from 1 to 2, with the
// steps in [gapLo, gapHi] missing.
func lossLine(gapLo, gapHi int) LossHistory {
	var h LossHistory
	for i := 0; i <= 100; i++ {
		v := 1 + float64(i)/100
		if i >= gapLo && i <= gapHi {
			v = math.NaN()
		}
		h.Step = append(h.Step, float64(i))
		h.Loss = append(h.Loss, v)
	}
	return h
}

func TestLossGapBreaksLine(t *testing.T) {
	st := DefaultStyle()
	o := DefaultLossOptions(500, 300)
	o.Show = SeriesLoss
	img := LossChart(lossLine(40, 60), o)
	// Skip the legend: the first band of rows from the top holding the line colour.
	rowHas := func(y int) bool {
		for x := 0; x < img.Rect.Dx(); x++ {
			if near(img, x, y, st.Loss, 6) {
				return true
			}
		}
		return false
	}
	first := 0
	for first < img.Rect.Dy() && !rowHas(first) {
		first++
	}
	for first < img.Rect.Dy() && rowHas(first) {
		first++
	}
	// The line's extent gives the step axis: x(0) and x(100).
	x0, x1 := img.Rect.Max.X, -1
	colHas := func(x int) bool {
		for y := first; y < img.Rect.Dy(); y++ {
			if near(img, x, y, st.Loss, 6) {
				return true
			}
		}
		return false
	}
	for x := 0; x < img.Rect.Dx(); x++ {
		if colHas(x) {
			x0, x1 = min(x0, x), max(x1, x)
		}
	}
	if x1-x0 < 300 {
		t.Fatalf("line spans columns %d…%d, expected most of the width", x0, x1)
	}
	at := func(step float64) int { return x0 + int(math.Round(step/100*float64(x1-x0))) }
	for x := at(43); x <= at(57); x++ {
		if colHas(x) {
			t.Fatalf("column %d (inside the missing steps 40…60) has line pixels", x)
		}
	}
	if !colHas(at(30)) || !colHas(at(70)) {
		t.Error("line missing on either side of the gap")
	}
	// The line rises: its pixels at step 90 lie above those at step 10.
	top := func(x int) int {
		for y := first; y < img.Rect.Dy(); y++ {
			if near(img, x, y, st.Loss, 6) {
				return y
			}
		}
		return -1
	}
	if y10, y90 := top(at(10)), top(at(90)); !(y90 < y10) {
		t.Errorf("line at step 90 (row %d) not above step 10 (row %d)", y90, y10)
	}
}

func TestLossDegenerateInputs(t *testing.T) {
	nan := math.NaN()
	inf := math.Inf(1)
	cases := map[string]LossHistory{
		"empty":      {},
		"steps only": {Step: []float64{1, 2, 3}},
		"all NaN":    {Step: []float64{1, 2, 3}, Loss: []float64{nan, nan, nan}, Val: []float64{nan, nan, nan}},
		"one point":  {Step: []float64{5}, Loss: []float64{0.3}, GradNorm: []float64{2}},
		"ragged":     {Step: []float64{1, 2, 3, 4}, Loss: []float64{1, 2}, MSE: []float64{1, 2, 3, 4, 5, 6}},
		"zeros":      {Step: []float64{1, 2, 3}, Loss: []float64{0, 0, 0}, GradNorm: []float64{0, 1, 0}},
		"negative":   {Step: []float64{1, 2, 3}, NLL: []float64{-1, -2, -0.5}},
		"infinite":   {Step: []float64{1, inf, 3}, Loss: []float64{inf, 2, -inf}},
		"NaN steps":  {Step: []float64{nan, nan}, Loss: []float64{1, 2}},
		"flat":       {Step: []float64{1, 2, 3}, Loss: []float64{1e-9, 1e-9, 1e-9}},
		"huge range": {Step: []float64{0, 1e7}, Loss: []float64{1e-300, 1e300}},
		"tiny range": {Step: []float64{1, 2}, Loss: []float64{0.031, 0.032}},
	}
	st := DefaultStyle()
	for name, h := range cases {
		for _, logY := range []bool{false, true} {
			for _, show := range []Series{AllSeries, 0, SeriesGradNorm} {
				o := DefaultLossOptions(320, 200)
				o.LogY, o.Show = logY, show
				img := LossChart(h, o)
				if img.Rect != image.Rect(0, 0, 320, 200) {
					t.Fatalf("%s: image is %v", name, img.Rect)
				}
				if inked(img, st.Background, 1) == 0 {
					t.Errorf("%s log=%v show=%b: blank image", name, logY, show)
				}
			}
		}
	}
}

func TestLossLogDropsNonPositive(t *testing.T) {
	// Half the values are 0 or negative: the rest still make a line on a log axis.
	var h LossHistory
	for i := 0; i < 200; i++ {
		v := float64(i%50) - 10 // −10 … 39
		h.Step = append(h.Step, float64(i))
		h.Loss = append(h.Loss, v)
	}
	o := DefaultLossOptions(400, 250)
	o.LogY, o.Show = true, SeriesLoss
	img := LossChart(h, o)
	if countNear(img, DefaultStyle().Loss, 6) < 50 {
		t.Error("positive values not drawn on the log axis")
	}
}

func TestTinyAndOddSizes(t *testing.T) {
	h := synthLoss(1, 100)
	d := synthCases(1)
	for _, dpi := range []int{-3, 1, 20, 600, 5000} {
		o := DefaultLossOptions(320, 200)
		o.DPI = dpi
		if img := LossChart(h, o); img.Rect.Dx() != 320 {
			t.Errorf("loss at %d dpi: image is %v", dpi, img.Rect)
		}
		if img := CasesChart(d, CasesOptions{W: 320, H: 200, DPI: dpi, Rates: true}); img.Rect.Dx() != 320 {
			t.Errorf("cases at %d dpi: image is %v", dpi, img.Rect)
		}
	}
	for _, sz := range [][2]int{{0, 0}, {-5, 10}, {1, 1}, {10, 300}, {23, 23}, {24, 24}, {60, 40}, {2000, 60}} {
		o := DefaultLossOptions(sz[0], sz[1])
		img := LossChart(h, o)
		want := image.Rect(0, 0, max(sz[0], 1), max(sz[1], 1))
		if img.Rect != want {
			t.Errorf("loss %v: image is %v, want %v", sz, img.Rect, want)
		}
		img = CasesChart(d, CasesOptions{W: sz[0], H: sz[1]})
		if img.Rect != want {
			t.Errorf("cases %v: image is %v, want %v", sz, img.Rect, want)
		}
	}
}

// casesFixture is a sweep over ε = 0, 0.01, …, 0.30 with 100 points each: only B (70) and D
// (30) for ε < 0.05, then a constant 10 % of D and an attack success A + C that peaks at
// ε = 0.18.
func casesFixture() CasesData {
	var d CasesData
	for i := 0; i <= 30; i++ {
		d.Eps = append(d.Eps, float64(i)/100)
		if i < 5 {
			d.Counts = append(d.Counts, [4]int{0, 70, 0, 30})
			continue
		}
		a := 40 - 2*abs(i-18)
		c := 10
		d.Counts = append(d.Counts, [4]int{a, 90 - a - c, c, 10})
	}
	return d
}

func abs(v int) int { return max(v, -v) }

func TestEpsStar(t *testing.T) {
	if j := casesFixture().EpsStar(); j != 18 {
		t.Errorf("EpsStar = %d, want 18", j)
	}
	d := CasesData{Eps: []float64{0.1, 0.2, 0.3, 0.4}, Counts: [][4]int{{1, 1, 0, 0}, {5, 0, 5, 0}, {0, 0, 0, 0}, {10, 0, 0, 0}}}
	// rates 0.5, 1, (none), 1: the first maximum wins; the empty row is skipped
	if j := d.EpsStar(); j != 1 {
		t.Errorf("EpsStar = %d, want 1", j)
	}
	if j := (CasesData{}).EpsStar(); j != -1 {
		t.Errorf("EpsStar of nothing = %d, want -1", j)
	}
	if j := (CasesData{Eps: []float64{0.1}, Counts: [][4]int{{0, 0, 0, 0}}}).EpsStar(); j != -1 {
		t.Errorf("EpsStar of empty counts = %d, want -1", j)
	}
}

func TestEpsLabelDigits(t *testing.T) {
	for _, c := range []struct {
		eps, spacing float64
		want         string
	}{
		{0.18, 0.01, "0.18"},
		{0.1939393939, 0.3 / 99, "0.194"},
		{0.2, 0.05, "0.20"},
		{0.123456, 1e-6, "0.1235"},
		{0.5, math.Inf(1), "0.50"},
	} {
		if got := strconvEps(c.eps, c.spacing); got != c.want {
			t.Errorf("strconvEps(%v, %v) = %q, want %q", c.eps, c.spacing, got, c.want)
		}
	}
}

// dataArea finds the stacked area's pixel columns from the bottom band D, which spans every
// ε of casesFixture: the row with the most D pixels, and its first and last D pixel.
func dataArea(t *testing.T, img *image.RGBA, d color.NRGBA) (left, right, row int) {
	best := -1
	for y := 0; y < img.Rect.Dy(); y++ {
		n := 0
		for x := 0; x < img.Rect.Dx(); x++ {
			if near(img, x, y, d, 4) {
				n++
			}
		}
		if n > best {
			best, row = n, y
		}
	}
	left, right = -1, -1
	for x := 0; x < img.Rect.Dx(); x++ {
		if near(img, x, row, d, 4) {
			if left < 0 {
				left = x
			}
			right = x
		}
	}
	if right-left < img.Rect.Dx()/2 {
		t.Fatalf("D band spans only columns %d…%d", left, right)
	}
	return left, right, row
}

func TestCasesStackOrderAndEpsStar(t *testing.T) {
	st := DefaultStyle()
	A, B, C, D := st.Cases[0], st.Cases[1], st.Cases[2], st.Cases[3]
	for _, sz := range []struct{ w, h, dpi int }{{320, 200, 96}, {640, 400, 96}, {1200, 750, 150}} {
		img := CasesChart(casesFixture(), CasesOptions{W: sz.w, H: sz.h, DPI: sz.dpi})
		if img.Rect != image.Rect(0, 0, sz.w, sz.h) {
			t.Fatalf("image is %v", img.Rect)
		}
		left, right, _ := dataArea(t, img, D)
		xAt := func(eps float64) int { return left + int(math.Round(eps/0.3*float64(right-left))) }

		// At ε = 0.02 there are only B (70 %) and D (30 %): D at the bottom, B above it.
		x := xAt(0.02)
		var nB, nD, topD, botB int
		topD, botB = img.Rect.Dy(), -1
		for y := 0; y < img.Rect.Dy(); y++ {
			switch {
			case near(img, x, y, B, 4):
				nB++
				botB = max(botB, y)
			case near(img, x, y, D, 4):
				nD++
				topD = min(topD, y)
			case near(img, x, y, A, 4) || near(img, x, y, C, 4):
				t.Errorf("%dx%d: A or C colour at ε = 0.02, row %d", sz.w, sz.h, y)
			}
		}
		if nB == 0 || nD == 0 {
			t.Fatalf("%dx%d: column at ε = 0.02 has %d B and %d D pixels", sz.w, sz.h, nB, nD)
		}
		if botB >= topD {
			t.Errorf("%dx%d: B reaches row %d, below D's top row %d", sz.w, sz.h, botB, topD)
		}
		if share := float64(nD) / float64(nB+nD); math.Abs(share-0.3) > 0.03 {
			t.Errorf("%dx%d: D covers %.3f of the column, want 0.30", sz.w, sz.h, share)
		}

		// The dashed ε* line: the column with the most marker-coloured pixels.
		bestX, bestN := -1, 0
		for x := left; x <= right; x++ {
			n := 0
			for y := 0; y < img.Rect.Dy(); y++ {
				if near(img, x, y, st.Marker, 30) {
					n++
				}
			}
			if n > bestN {
				bestX, bestN = x, n
			}
		}
		if want := xAt(0.18); abs(bestX-want) > 2 {
			t.Errorf("%dx%d: ε* line at column %d, want %d", sz.w, sz.h, bestX, want)
		}
		if bestN < sz.h/5 {
			t.Errorf("%dx%d: ε* line has only %d pixels", sz.w, sz.h, bestN)
		}
	}
}

func TestCasesHideEpsStarAndDegenerate(t *testing.T) {
	st := DefaultStyle()
	img := CasesChart(casesFixture(), CasesOptions{W: 640, H: 400, HideEpsStar: true})
	left, right, _ := dataArea(t, img, st.Cases[3])
	for x := left; x <= right; x++ {
		n := 0
		for y := 0; y < img.Rect.Dy(); y++ {
			if near(img, x, y, st.Marker, 30) {
				n++
			}
		}
		if n > 60 {
			t.Fatalf("column %d has %d marker pixels with ε* hidden", x, n)
		}
	}
	nan := math.NaN()
	for name, d := range map[string]CasesData{
		"empty":    {},
		"one":      {Eps: []float64{0.1}, Counts: [][4]int{{1, 2, 3, 4}}},
		"zeros":    {Eps: []float64{0.1, 0.2}, Counts: [][4]int{{0, 0, 0, 0}, {0, 0, 0, 0}}},
		"ragged":   {Eps: []float64{0.1, 0.2, 0.3}, Counts: [][4]int{{1, 2, 3, 4}}},
		"NaN eps":  {Eps: []float64{nan, 0.2, 0.1}, Counts: [][4]int{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}}},
		"negative": {Eps: []float64{0.1, 0.2}, Counts: [][4]int{{-1, 2, 0, 0}, {0, 1, 0, 0}}},
		"same eps": {Eps: []float64{0.1, 0.1}, Counts: [][4]int{{1, 2, 3, 4}, {4, 3, 2, 1}}},
	} {
		for _, sz := range [][3]int{{320, 200, 96}, {600, 375, 150}} {
			img := CasesChart(d, CasesOptions{W: sz[0], H: sz[1], DPI: sz[2], Rates: true})
			if img.Rect != image.Rect(0, 0, sz[0], sz[1]) || inked(img, st.Background, 1) == 0 {
				t.Errorf("%s %v: bad or blank image %v", name, sz, img.Rect)
			}
		}
	}
}

func TestCasesUnsortedEpsMatchesSorted(t *testing.T) {
	d := casesFixture()
	var rev CasesData
	for i := len(d.Eps) - 1; i >= 0; i-- {
		rev.Eps = append(rev.Eps, d.Eps[i])
		rev.Counts = append(rev.Counts, d.Counts[i])
	}
	o := CasesOptions{W: 400, H: 260}
	if !bytes.Equal(CasesChart(d, o).Pix, CasesChart(rev, o).Pix) {
		t.Error("reversed ε order draws a different chart")
	}
}

func TestRendererReuse(t *testing.T) {
	h1, h2 := synthLoss(1, 3000), synthLoss(2, 800)
	o := DefaultLossOptions(320, 200)
	want := LossChart(h1, o)

	var r Renderer
	a := r.Loss(h1, o)
	if !bytes.Equal(a.Pix, want.Pix) {
		t.Fatal("Renderer.Loss differs from LossChart")
	}
	// Other drawings in between, at the same and other sizes, leave no trace.
	ol := o
	ol.LogY = true
	r.Loss(h2, ol)
	r.Cases(synthCases(1), CasesOptions{W: 320, H: 200, Rates: true})
	b := r.Loss(h1, o)
	if b != a {
		t.Error("same size: the Renderer allocated a new image")
	}
	if !bytes.Equal(b.Pix, want.Pix) {
		t.Error("redrawing with a used Renderer gives a different image")
	}
	c := r.Loss(h1, DefaultLossOptions(640, 400))
	if c == a || c.Rect.Dx() != 640 {
		t.Error("new size: expected a new 640×400 image")
	}
	if got := r.Loss(h1, o); !bytes.Equal(got.Pix, want.Pix) {
		t.Error("after a size change, redrawing differs")
	}
}

func TestRenderersConcurrently(t *testing.T) {
	h := synthLoss(1, 1000)
	d := synthCases(1)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r Renderer
			for i := 0; i < 3; i++ {
				r.Loss(h, DefaultLossOptions(320, 200))
				r.Cases(d, CasesOptions{W: 320, H: 200})
			}
		}()
	}
	wg.Wait()
}

func TestSavePNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cases.png")
	if err := WriteCasesPNG(path, casesFixture(), SlideCasesOptions()); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 1200, 750) {
		t.Errorf("PNG is %v, want 1200×750", img.Bounds())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want just the PNG", len(entries))
	}
	if err := SavePNG(filepath.Join(dir, "missing", "x.png"), img); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
	if err := SavePNG(filepath.Join(dir, "nil.png"), nil); err == nil {
		t.Error("saving a nil image succeeded")
	}
}
