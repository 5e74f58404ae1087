package charts

import (
	"fmt"
	"testing"
)

// loop runs draw b.N times and reports the process CPU time per call besides wall time.
func loop(b *testing.B, draw func()) {
	b.ReportAllocs()
	c0 := processCPU()
	for b.Loop() {
		draw()
	}
	b.ReportMetric(float64(processCPU()-c0)/1e6/float64(b.N), "cpu-ms/op")
}

// BenchmarkLoss redraws a 6000-step history with a reused Renderer, as the app does.
func BenchmarkLoss(b *testing.B) {
	h := synthLoss(1, 6000)
	for _, sz := range [][2]int{{320, 200}, {640, 400}} {
		for _, logY := range []bool{false, true} {
			b.Run(fmt.Sprintf("%dx%d/log=%v", sz[0], sz[1], logY), func(b *testing.B) {
				o := DefaultLossOptions(sz[0], sz[1])
				o.LogY = logY
				var r Renderer
				loop(b, func() { r.Loss(h, o) })
			})
		}
	}
}

// BenchmarkLossNew draws with a new Renderer every time, for comparison.
func BenchmarkLossNew(b *testing.B) {
	h := synthLoss(1, 6000)
	for _, sz := range [][2]int{{320, 200}, {640, 400}} {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			o := DefaultLossOptions(sz[0], sz[1])
			loop(b, func() { LossChart(h, o) })
		})
	}
}

// BenchmarkCases redraws a 100-ε sweep with a reused Renderer.
func BenchmarkCases(b *testing.B) {
	d := synthCases(1)
	for _, sz := range [][3]int{{320, 200, 96}, {640, 400, 96}, {1200, 750, 150}} {
		b.Run(fmt.Sprintf("%dx%d@%d", sz[0], sz[1], sz[2]), func(b *testing.B) {
			o := CasesOptions{W: sz[0], H: sz[1], DPI: sz[2]}
			var r Renderer
			loop(b, func() { r.Cases(d, o) })
		})
	}
}
