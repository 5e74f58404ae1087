package gallery

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/sim/cifar"
)

// testCache is the cache folder the tests share (PCA fits of the synthetic sets are made once).
var testCache string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gallery-test-")
	if err != nil {
		panic(err)
	}
	testCache = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// tinyCIFAR writes a single-file CIFAR-10 set of n synthetic records (smooth colour blobs
// whose hue depends on the label i%10; every fifth record is an eval image) and returns its path.
func tinyCIFAR(t testing.TB, n int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(n), 3))
	b := make([]byte, n*cifar.RecordSize)
	for i := range n {
		rec := b[i*cifar.RecordSize:]
		label := i % 10
		rec[0] = byte(label)
		cx, cy := 8+rng.Float64()*16, 8+rng.Float64()*16
		for c := range 3 {
			base := 60 + 18*float64((label+3*c)%10)
			for y := range 32 {
				for x := range 32 {
					d := math.Hypot(float64(x)-cx, float64(y)-cy)
					v := base + 80*math.Exp(-d*d/40)
					rec[1+c*1024+y*32+x] = byte(min(255, max(0, v)))
				}
			}
		}
	}
	path := filepath.Join(t.TempDir(), "test_batch.bin")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tinyCNN saves an untrained CNN (seed 7) and returns its path and the model.
func tinyCNN(t testing.TB) (string, *cnn.Model) {
	t.Helper()
	m := cnn.New(7)
	path := filepath.Join(t.TempDir(), "cnn.mfl")
	if err := m.Save(path, nil); err != nil {
		t.Fatal(err)
	}
	return path, m
}

// pgd returns PGD with steps steps at ε = eps/255 and a random start.
func pgd(eps float64, steps int) attack.Params {
	return attack.Params{Kind: attack.PGD, Eps: eps / 255, Steps: steps, RandomStart: true}
}

// watch returns an engine on cache ("": the tests' shared cache folder) and a channel that receives after
// every new snapshot.
func watch(t testing.TB, cache string) (*Engine, chan struct{}) {
	t.Helper()
	if cache == "" {
		cache = testCache
	}
	ch := make(chan struct{}, 1)
	e := New(context.Background(), cache, func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	})
	t.Cleanup(e.Close)
	return e, ch
}

// waitLong bounds the waits for the engine's background work: generous, because a loaded
// 2-core machine under -race takes minutes where a quiet one takes seconds, and a wait ends
// as soon as its condition holds.
const waitLong = 5 * time.Minute

// waitFor waits until cond holds for the engine's snapshot (or fails the test after timeout).
func waitFor(t testing.TB, e *Engine, ch chan struct{}, timeout time.Duration, what string, cond func(*Snapshot) bool) *Snapshot {
	t.Helper()
	deadline := time.After(timeout)
	for {
		s := e.Snapshot()
		if cond(s) {
			return s
		}
		select {
		case <-ch:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s: stage %q, err %v, done %d/%d", what, s.Stage, s.Err, s.Done, len(s.Samples))
		}
	}
}

// final reports a snapshot whose samples are all ready and whose case curve is final.
func final(s *Snapshot) bool {
	return s.Err != nil || (s.Stage == "ready" && s.Done == len(s.Samples) && s.Cases != nil && s.Cases.Final)
}
