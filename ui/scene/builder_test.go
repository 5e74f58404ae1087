package scene

import (
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/ui/plane"
)

// waitFor waits for cond, failing the test after a minute (a hang guard,
// not a timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// checkNoLeak waits for the goroutine count to fall back to base.
func checkNoLeak(t *testing.T, base int) {
	t.Helper()
	waitFor(t, "the worker goroutines to exit", func() bool { return runtime.NumGoroutine() <= base })
}

func TestBuilderCoalesces(t *testing.T) {
	in := smallInputs(t, 160, 100)
	base := runtime.NumGoroutine()
	var (
		mu      sync.Mutex
		seen    []*Result
		b       *Builder
		started = make(chan struct{})
		release = make(chan struct{})
	)
	b = NewBuilder(func() {
		mu.Lock()
		seen = append(seen, b.Latest())
		first := len(seen) == 1
		mu.Unlock()
		if first { // hold the worker inside its first publish
			close(started)
			<-release
		}
	})
	moved := func(i int) [2]float64 { return [2]float64{0.01 * float64(i), -0.5} }
	in.Probes = []ProbeInput{{ID: 1, X: moved(0)}}
	b.Update(in)
	<-started
	const n = 50
	for i := 1; i < n; i++ {
		in.Probes[0].X = moved(i)
		b.Update(in)
	}
	in.Probes[0].X = moved(-1) // the caller reusing its slice must not matter
	close(release)
	waitFor(t, "the final result", func() bool {
		r := b.Latest()
		return r != nil && !r.Pending && r.Probes[0].X == moved(n-1)
	})
	b.Close()
	checkNoLeak(t, base)

	mu.Lock()
	defer mu.Unlock()
	if seen[0].Probes[0].X != moved(0) || !seen[0].Pending || seen[0].Scene.Heatmap != nil {
		t.Errorf("first result: probe %v pending %v heatmap %v; want the probes alone", seen[0].Probes[0].X, seen[0].Pending, seen[0].Scene.Heatmap != nil)
	}
	for k, r := range seen {
		x := r.Probes[0].X
		if x != moved(0) && x != moved(n-1) {
			t.Errorf("result %d shows the skipped request with probe at %v", k, x)
		}
	}
	last := seen[len(seen)-1]
	if last.Scene.Heatmap == nil || last.Scene.GridLines == nil || last.Scene.Trajectories == nil || last.Scene.Density == nil {
		t.Errorf("final result lacks layers")
	}
	t.Logf("%d results for %d requests", len(seen), n)
}

func TestBuilderClose(t *testing.T) {
	base := runtime.NumGoroutine()
	in := smallInputs(t, 1280, 800)
	b := NewBuilder(nil)
	b.Update(in)
	b.Close() // abandons the work in progress
	b.Close()
	b.Update(in) // ignored, must not block or panic
	checkNoLeak(t, base)

	// Closed while computing the layers.
	busy := make(chan struct{}, 1)
	b = NewBuilder(func() {
		select {
		case busy <- struct{}{}:
		default:
		}
	})
	b.Update(in)
	<-busy // the probes are out; the layers are being computed
	b.Close()
	checkNoLeak(t, base)

	b = NewBuilder(nil) // closed before any request
	b.Close()
	if b.Latest() != nil {
		t.Errorf("result without a request")
	}
	checkNoLeak(t, base)
}

// fakeHooks plays a Builder for cache.build: when armed, a newer request
// appears at the first check made while a layer is being computed.
type fakeHooks struct {
	newer     *Inputs
	published []*Result
}

func (h *fakeHooks) peek() *Inputs { return h.newer }
func (h *fakeHooks) take() *Inputs {
	n := h.newer
	h.newer = nil
	return n
}
func (h *fakeHooks) closed() bool        { return false }
func (h *fakeHooks) publish(res *Result) { h.published = append(h.published, res) }

// TestBuildServesProbesMidLayer: a probe move that arrives while a layer
// is computed is published at once, and the layer is finished, not
// restarted.
func TestBuildServesProbesMidLayer(t *testing.T) {
	in := smallInputs(t, 160, 100)
	in.Layers = plane.LayerBoundary | plane.LayerProbes
	nw := in
	nw.Probes = []ProbeInput{{ID: 5, X: [2]float64{0.9, 0.9}}}
	h := &fakeHooks{newer: &nw}
	var c cache
	res := c.build(&in, h)
	if len(h.published) != 3 {
		t.Fatalf("%d results published, want 3 (probes, new probes, final)", len(h.published))
	}
	p0, p1 := h.published[0], h.published[1]
	if !p0.Pending || p0.Probes[0].ID != 10 || !p1.Pending || p1.Probes[0].ID != 5 || p1.Scene.Heatmap != nil {
		t.Errorf("pending results wrong: %v %v", p0.Probes[0].ID, p1.Probes[0].ID)
	}
	if res != h.published[2] || res.Pending || res.Probes[0].ID != 5 || res.Scene.Heatmap == nil || res.Scene.Heatmap != c.heat {
		t.Errorf("final result wrong")
	}
}

// TestBuildAbandonsStaleLayer: a view change that arrives while a Full
// layer is computed abandons it and computes the new view's instead.
func TestBuildAbandonsStaleLayer(t *testing.T) {
	in := smallInputs(t, 160, 100)
	in.Layers = plane.LayerBoundary
	nw := in
	nw.View = nw.View.Pan(30, 0)
	h := &fakeHooks{newer: &nw}
	var c cache
	res := c.build(&in, h)
	if res.Scene.Viewport != nw.View || c.heatK != nw.heatK() {
		t.Errorf("final result is not for the newer view")
	}
	xmin, _, _, _ := nw.View.DataRect()
	if res.Scene.Heatmap.X0 != xmin {
		t.Errorf("heat map computed for the old view")
	}
	// At Draft quality the layer in progress is finished first.
	in.Quality, nw.Quality = Draft, Draft
	in.View = in.View.Pan(0, 10)
	h = &fakeHooks{newer: &nw}
	c = cache{}
	c.build(&in, h)
	var heats int
	for _, r := range h.published {
		if r.Scene.Heatmap != nil && r.Scene.Heatmap.X0 != xmin {
			heats++
		}
	}
	if heats == 0 {
		t.Errorf("draft layer for the old view was not finished and shown")
	}
}

// TestBuilderSkipsRepeats: asking again for the scene just delivered
// publishes nothing, so a window that asks every frame can go idle.
func TestBuilderSkipsRepeats(t *testing.T) {
	in := smallInputs(t, 160, 100)
	n := 0
	b := &Builder{invalidate: func() { n++ }}
	var c cache
	b.handle(&c, &in)
	first, published := b.Latest(), n
	if first == nil || first.Pending || published == 0 {
		t.Fatalf("no final result")
	}
	again := in
	again.Probes = append([]ProbeInput(nil), in.Probes...)
	b.handle(&c, &again)
	if b.Latest() != first || n != published {
		t.Errorf("the same request published again")
	}
	again.Probes[1].Selected = !again.Probes[1].Selected
	b.handle(&c, &again)
	if b.Latest() == first || n == published || b.Latest().Scene.Probes[1].Selected != again.Probes[1].Selected {
		t.Errorf("a changed selection was not published")
	}
	// sameInputs compares every field of Inputs; a new field must be added there.
	if k := reflect.TypeOf(Inputs{}).NumField(); k != 12 {
		t.Errorf("Inputs has %d fields; update sameInputs and this test", k)
	}
}
