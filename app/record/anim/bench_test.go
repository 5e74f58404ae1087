package anim

import (
	"image"
	"testing"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/internal/testref"
)

// benchScene times the frames of a scene at 800×800 with the CLI's defaults: b.N frames of
// a movie of 120 (restarted as needed).
func benchScene(b *testing.B, name string, o Options) {
	o.Frames, o.W, o.H = 120, 800, 800
	img := image.NewRGBA(image.Rect(0, 0, o.W, o.H))
	var m *Movie
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if m == nil || i%o.Frames == 0 {
			b.StopTimer()
			if m != nil {
				m.Close()
			}
			var err error
			if m, err = New(name, o); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		if err := m.Next(img); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	m.Close()
}

// benchOptions returns the CLI's defaults: reference checkpoint D (skipping without the
// reference material), the embedded classifier and the default data.
func benchOptions(b *testing.B, withFlow bool) Options {
	o := testOptionsTB(b)
	d, err := DefaultData(1)
	if err != nil {
		b.Fatal(err)
	}
	o.Data, o.Steps = d, 0
	if withFlow {
		ck, err := flow.LoadCheckpoint(testref.Path(b, "reference", "checkpoints", "spiral_mflow_D.pt"))
		if err != nil {
			b.Fatal(err)
		}
		o.Flow = ck.Flow
	}
	return o
}

func BenchmarkTrainingFrame(b *testing.B)   { benchScene(b, Training, benchOptions(b, false)) }
func BenchmarkBoundaryFrame(b *testing.B)   { benchScene(b, Boundary, benchOptions(b, false)) }
func BenchmarkLevelSetFrame(b *testing.B)   { benchScene(b, LevelSet, benchOptions(b, true)) }
func BenchmarkProjectionFrame(b *testing.B) { benchScene(b, Projection, benchOptions(b, true)) }
func BenchmarkAttackFrame(b *testing.B)     { benchScene(b, Attack, benchOptions(b, true)) }
