package plane

import (
	"image"
	"testing"
)

// benchScene is the reference workload: 1280×800, 20 000 points, a
// 256×256 heatmap, 60 polylines of 200 points, 200 trajectories of 50
// points, two probes, axes and scale bar.
func benchScene() *Scene { return syntheticScene(1280, 800, 20000, 256, 30, 200, 200, 50) }

func BenchmarkRenderFull1280x800(b *testing.B) {
	sc := benchScene()
	r := NewRenderer()
	img := image.NewRGBA(image.Rect(0, 0, 1280, 800))
	r.Render(img, sc)
	b.ReportAllocs()
	b.ResetTimer()
	c0 := processCPU()
	for i := 0; i < b.N; i++ {
		r.Render(img, sc)
	}
	b.ReportMetric(float64(processCPU()-c0)/1e6/float64(b.N), "cpu-ms/op")
}

// BenchmarkRenderFull1280x800Threads2 is the same frame drawn by two
// goroutines; compare its wall time (ns/op) with the serial one.
func BenchmarkRenderFull1280x800Threads2(b *testing.B) {
	sc := benchScene()
	r := NewRenderer()
	r.Threads = 2
	img := image.NewRGBA(image.Rect(0, 0, 1280, 800))
	r.Render(img, sc)
	b.ReportAllocs()
	b.ResetTimer()
	c0 := processCPU()
	for i := 0; i < b.N; i++ {
		r.Render(img, sc)
	}
	b.ReportMetric(float64(processCPU()-c0)/1e6/float64(b.N), "cpu-ms/op")
}

// benchLayer times one layer of the reference workload on top of the
// background.
func benchLayer(b *testing.B, layers LayerMask) {
	sc := benchScene()
	sc.Layers = layers
	r := NewRenderer()
	img := image.NewRGBA(image.Rect(0, 0, 1280, 800))
	r.Render(img, sc)
	b.ReportAllocs()
	b.ResetTimer()
	c0 := processCPU()
	for i := 0; i < b.N; i++ {
		r.Render(img, sc)
	}
	b.ReportMetric(float64(processCPU()-c0)/1e6/float64(b.N), "cpu-ms/op")
}

func BenchmarkLayerBackground(b *testing.B)   { benchLayer(b, 0) }
func BenchmarkLayerBoundary(b *testing.B)     { benchLayer(b, LayerBoundary) }
func BenchmarkLayerAxes(b *testing.B)         { benchLayer(b, LayerAxes|LayerScaleBar) }
func BenchmarkLayerDensity(b *testing.B)      { benchLayer(b, LayerDensity) }
func BenchmarkLayerPoints(b *testing.B)       { benchLayer(b, LayerPoints) }
func BenchmarkLayerGrid(b *testing.B)         { benchLayer(b, LayerGrid) }
func BenchmarkLayerManifold(b *testing.B)     { benchLayer(b, LayerManifold) }
func BenchmarkLayerTrajectories(b *testing.B) { benchLayer(b, LayerTrajectories) }
func BenchmarkLayerProbes(b *testing.B)       { benchLayer(b, LayerProbes) }
