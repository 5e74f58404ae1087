package gallery

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/mflowlab/mflowlab/attack"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata")

// synthetic returns n deterministic samples: smooth colour ramps as originals, a ±8/255
// checkerboard as the perturbation, the ramp's coarse 4×4 blocks as the "projection", and
// predictions that cover right and wrong answers and every case.
func synthetic(n int) []Sample {
	out := make([]Sample, n)
	for k := range out {
		o, a, p := make([]float32, Pixels), make([]float32, Pixels), make([]float32, Pixels)
		for c := range 3 {
			for y := range Side {
				for x := range Side {
					j := c*Side*Side + y*Side + x
					o[j] = float32((x*(c+1)+y*(3-c)+11*k)%64) / 63
					d := float32(8) / 255
					if (x+y+c)%2 == 1 {
						d = -d
					}
					a[j] = min(1, max(0, o[j]+d))
					p[j] = float32((x/4*4*(c+1)+y/4*4*(3-c)+11*k)%64) / 63
				}
			}
		}
		label := int32(k % 10)
		c := attack.CaseA + attack.Case(k%4)
		attackOK := c == attack.CaseA || c == attack.CaseC
		defenceOK := c == attack.CaseA || c == attack.CaseB
		advP, projP := Pred{label, 0.61}, Pred{label, 0.5}
		if attackOK {
			advP = Pred{(label + 3) % 10, 0.97}
		}
		if !defenceOK {
			projP = Pred{(label + 1) % 10, 0.42}
		}
		out[k] = Sample{Index: 100 + 7*k, Label: label, Orig: o, Adv: a, Proj: p,
			OrigP: Pred{label, 0.88}, AdvP: advP, ProjP: projP, Case: c}
	}
	return out
}

var classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

func TestDrawImageIsNearestNeighbour(t *testing.T) {
	s := synthetic(1)[0]
	for _, scale := range []int{1, 3, 4} {
		img := image.NewRGBA(image.Rect(0, 0, Side*scale+5, Side*scale+7))
		DrawImage(img, image.Pt(2, 3), s.Orig, scale)
		for y := range Side * scale {
			for x := range Side * scale {
				i := (y/scale)*Side + x/scale
				o := img.PixOffset(2+x, 3+y)
				for c := range 3 {
					if got, want := img.Pix[o+c], toByte(s.Orig[c*Side*Side+i]); got != want {
						t.Fatalf("scale %d: pixel (%d, %d) channel %d = %d, want source pixel %d's %d", scale, x, y, c, got, i, want)
					}
				}
				if img.Pix[o+3] != 255 {
					t.Fatalf("scale %d: pixel (%d, %d) not opaque", scale, x, y)
				}
			}
		}
		// Nothing outside the tile is touched.
		if img.Pix[img.PixOffset(1, 3)+3] != 0 || img.Pix[img.PixOffset(2+Side*scale, 3)+3] != 0 {
			t.Fatalf("scale %d: drew outside the tile", scale)
		}
	}
	// Clipped at the picture's edge without a panic.
	DrawImage(image.NewRGBA(image.Rect(0, 0, 10, 10)), image.Pt(-5, 4), s.Orig, 2)
}

func TestDrawPerturbation(t *testing.T) {
	o := make([]float32, Pixels)
	a := make([]float32, Pixels)
	for j := range o {
		o[j] = 0.3
		a[j] = 0.3
	}
	a[0] += 4.0 / 255           // red of pixel 0 raised by 4 levels
	a[Side*Side+1] -= 8.0 / 255 // green of pixel 1 lowered by 8 levels
	a[2*Side*Side+2] += 0.2     // blue of pixel 2 beyond what the gain shows: clamps
	img := image.NewRGBA(image.Rect(0, 0, 2*Side, 2*Side))
	DrawPerturbation(img, image.Point{}, o, a, 16, 2)
	at := func(px, c int) uint8 { return img.Pix[img.PixOffset(2*px+1, 1)+c] }
	if at(5, 0) != 128 || at(5, 1) != 128 || at(5, 2) != 128 {
		t.Errorf("unchanged pixel drawn (%d, %d, %d), want mid-grey 128", at(5, 0), at(5, 1), at(5, 2))
	}
	if got := at(0, 0); got != toByte(0.5+16*4.0/255) || got != 192 {
		t.Errorf("+4/255 ×16: red %d, want 192", got)
	}
	if got := at(1, 1); got != 0 {
		t.Errorf("−8/255 ×16: green %d, want 0 (0.5 − 0.502 clamps)", got)
	}
	if got := at(2, 2); got != 255 {
		t.Errorf("+0.2 ×16: blue %d, want 255", got)
	}
}

func TestAutoAmplify(t *testing.T) {
	s := synthetic(3) // perturbation 8/255
	if g := AutoAmplify(s); g != 16 {
		t.Errorf("AutoAmplify at ε = 8/255: %g, want 16", g)
	}
	s[0].Adv = s[0].Orig
	s = s[:1]
	if g := AutoAmplify(s); g != 1 {
		t.Errorf("AutoAmplify without a change: %g, want 1", g)
	}
}

func TestRenderPanicsOnBadShape(t *testing.T) {
	s := synthetic(1)
	s[0].Proj = s[0].Proj[:10]
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a 10-value image")
		}
	}()
	Render(s, Options{})
}

func TestGolden(t *testing.T) {
	img := Render(synthetic(5), Options{
		Title:    "PGD (L∞) ε = 8/255, 10 steps · defence: PCA d = 64",
		Subtitle: []string{"accuracy over 5 images: clean 100% · attacked 40% · defended 60%"},
		Classes:  classes, Columns: 2,
	})
	path := filepath.Join("testdata", "sheet.png")
	if *update {
		writePNG(t, path, img)
		return
	}
	want := readPNG(t, path)
	compareImages(t, "sheet", img, want)
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readPNG(t *testing.T, path string) *image.RGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ui/gallery -update to create it)", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

// compareImages fails t if got and want differ by more than text-rendering noise: mean
// absolute channel difference at most 0.5/255 and under 0.1 % of pixels off by more than
// 40/255.
func compareImages(t *testing.T, name string, got, want *image.RGBA) {
	t.Helper()
	if got.Rect.Size() != want.Rect.Size() {
		t.Fatalf("%s: size %v, golden %v (run with -update if the change is intended)", name, got.Rect.Size(), want.Rect.Size())
	}
	w, h := got.Rect.Dx(), got.Rect.Dy()
	var sum float64
	bad := 0
	for y := range h {
		g := got.Pix[y*got.Stride : y*got.Stride+4*w]
		o := want.Pix[y*want.Stride : y*want.Stride+4*w]
		for x := range w {
			worst := 0
			for c := range 4 {
				d := int(g[4*x+c]) - int(o[4*x+c])
				if d < 0 {
					d = -d
				}
				sum += float64(d)
				worst = max(worst, d)
			}
			if worst > 40 {
				bad++
			}
		}
	}
	if mean := sum / float64(4*w*h); mean > 0.5 || float64(bad) > 0.001*float64(w*h) {
		t.Errorf("%s: differs from golden: mean abs diff %.3f/255, %d pixels off by > 40/255 (run with -update if the change is intended)", name, mean, bad)
	}
}
