package run

import (
	"hash/fnv"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

// spiralData returns n Two-Spirals points (noise 3, 1.2 rotations, as in the original).
func spiralData(n int, seed uint64) nn.Mat {
	d, err := spirals.Generate(n, 3, 1.2, seed)
	if err != nil {
		panic(err)
	}
	m, err := FromDataset(d)
	if err != nil {
		panic(err)
	}
	return m
}

// tinySettings is a small, fast configuration for tests.
func tinySettings(seed uint64) Settings {
	s := DefaultSettings()
	s.Flow = flow.Config{N: 2, D: 1, Steps: 2, Hidden: 8, Blocks: 1, Bins: 4, TailBound: 3}
	s.Train.Batch = 64
	s.Seed = seed
	return s
}

func hashWeights(p []float32) uint64 {
	h := fnv.New64a()
	var b [4]byte
	for _, v := range p {
		u := math.Float32bits(v)
		b[0], b[1], b[2], b[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
		h.Write(b[:])
	}
	return h.Sum64()
}

// waitFor polls the run's snapshots until cond holds, failing after a generous deadline
// (a hang guard, not a timing assertion).
func waitFor(t *testing.T, r *Run, what string, cond func(*Snapshot) bool) *Snapshot {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := r.Latest()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d never reached %s; last snapshot: state %v step %d err %v", r.ID(), what, s.State, s.Step, s.Err)
		}
		time.Sleep(time.Millisecond)
	}
}

// checkNoLeak fails when goroutines outlive the test, allowing a short settle time.
func checkNoLeak(t *testing.T, before int) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Fatalf("goroutines: %d before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
}

func finiteWeights(p []float32) bool {
	for _, v := range p {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}
