package cnn

import (
	"testing"
)

// BenchmarkTrainStep is one augmented training step on a batch of 128 images.
func BenchmarkTrainStep(b *testing.B) {
	m := New(1)
	x, y := benchImages(256, 1)
	d := m.BenchTraining(x, y, 128, b.N, 1)
	b.ReportMetric(128/d.Seconds(), "images/s")
}

// BenchmarkLossGrad is one attack step (loss and input gradient) on 500 images.
func BenchmarkLossGrad(b *testing.B) {
	m := New(1)
	x, y := benchImages(500, 1)
	m.LossGrad(x, y)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.LossGrad(x, y)
	}
	b.ReportMetric(float64(500*b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkPredict is inference on 500 images.
func BenchmarkPredict(b *testing.B) {
	m := New(1)
	x, _ := benchImages(500, 1)
	for i := 0; i < b.N; i++ {
		m.Predict(x)
	}
	b.ReportMetric(float64(500*b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkLayers times each stage on one group of 16 images (see BenchLayers).
func BenchmarkLayers(b *testing.B) {
	for _, lt := range BenchLayers(max(b.N, 1), 1, nil) {
		b.ReportMetric(float64(lt.Forward.Microseconds()), lt.Name+"-fwd-µs")
		b.ReportMetric(float64(lt.Backward.Microseconds()), lt.Name+"-bwd-µs")
	}
}
