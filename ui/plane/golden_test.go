package plane

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

var (
	update = flag.Bool("update", false, "rewrite the golden images in testdata")
	demo   = flag.String("demo", "", "also write the full synthetic scene as a PNG to this path")
)

// writePNG writes img to path atomically.
func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".plane-*.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmp.Write(b.Bytes()); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		t.Fatal(err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		t.Fatal(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		t.Fatal(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		t.Fatal(err)
	}
}

func readPNG(t *testing.T, path string) *image.RGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ui/plane -update to create it)", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

// compareImages fails t if got and want differ by more than rendering
// noise: mean absolute channel difference at most 0.5/255 and fewer than
// 0.1% of pixels with a channel off by more than 40/255.
func compareImages(t *testing.T, name string, got, want *image.RGBA) {
	t.Helper()
	if got.Rect.Size() != want.Rect.Size() {
		t.Fatalf("%s: size %v, golden %v", name, got.Rect.Size(), want.Rect.Size())
	}
	w, h := got.Rect.Dx(), got.Rect.Dy()
	var sum float64
	bad := 0
	for y := 0; y < h; y++ {
		g := got.Pix[y*got.Stride : y*got.Stride+4*w]
		o := want.Pix[y*want.Stride : y*want.Stride+4*w]
		for x := 0; x < w; x++ {
			worst := 0
			for c := 0; c < 4; c++ {
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
	mean := sum / float64(4*w*h)
	if mean > 0.5 || float64(bad) > 0.001*float64(w*h) {
		t.Errorf("%s: differs from golden: mean abs diff %.3f/255, %d pixels off by > 40/255 (run with -update if the change is intended)", name, mean, bad)
	}
}

func TestGolden(t *testing.T) {
	cases := []struct {
		name   string
		layers LayerMask
	}{
		{"full", LayerAll &^ LayerDensity},
		{"density", LayerDensity | LayerAxes | LayerPoints | LayerManifold | LayerScaleBar},
		{"probes", LayerBoundary | LayerManifold | LayerProbes | LayerAxes},
	}
	r := NewRenderer()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := syntheticScene(640, 480, 4000, 128, 12, 120, 64, 40)
			sc.Layers = c.layers
			if c.name == "probes" {
				sc.Viewport = sc.Viewport.Zoom(2.5, 400, 260)
			}
			img := image.NewRGBA(image.Rect(0, 0, 640, 480))
			r.Render(img, sc)
			path := filepath.Join("testdata", c.name+".png")
			if *update {
				writePNG(t, path, img)
				return
			}
			compareImages(t, c.name, img, readPNG(t, path))
		})
	}
}

// TestDemo writes the full synthetic scene at window size when -demo is set.
func TestDemo(t *testing.T) {
	if *demo == "" {
		t.Skip("set -demo=path to write the demo image")
	}
	sc := syntheticScene(1280, 800, 20000, 256, 30, 200, 200, 50)
	img := image.NewRGBA(image.Rect(0, 0, 1280, 800))
	NewRenderer().Render(img, sc)
	writePNG(t, *demo, img)
}
