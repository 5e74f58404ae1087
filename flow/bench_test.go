package flow

import "testing"

func benchStep(b *testing.B, name string) {
	bc := BenchConfigs()[name]
	m, _ := New(bc.Flow, 1)
	x := randomBatch(bc.Batch, 2, 1, 3)
	ws := NewWorkspace(len(m.P))
	grad := make([]float32, len(m.P))
	adam := m.P[:0]
	_ = adam
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(grad)
		m.MSEGrad(ws, x, 100, grad)
	}
}

func BenchmarkMSEGradOriginal(b *testing.B) { benchStep(b, "original") }
func BenchmarkMSEGradSmall(b *testing.B)    { benchStep(b, "small") }

func TestBenchTrainingStepRuns(t *testing.T) {
	r, err := BenchTrainingStep(BenchConfigs()["small"], 3, 1)
	if err != nil || !(r.StepMS > 0) {
		t.Fatalf("bench: %v %+v", err, r)
	}
}

func BenchmarkProjectOriginal20k(b *testing.B) {
	m, _ := New(OriginalConfig(), 1)
	x := randomBatch(20000, 2, 1, 3)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Project(x)
	}
}
