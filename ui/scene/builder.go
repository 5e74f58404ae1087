package scene

import (
	"fmt"
	"github.com/mflowlab/mflowlab/internal/osprio"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mflowlab/mflowlab/ui/plane"
)

// Builder computes scenes on its own worker goroutine. Update hands it
// the newest inputs without blocking; requests that arrive while it is
// busy are coalesced so that only the newest is computed. Latest returns
// the newest result. The methods are safe for concurrent use.
type Builder struct {
	invalidate func()

	mu      sync.Mutex
	pending *Inputs // newest request not yet taken

	wake     chan struct{} // holds a token while a request may be pending
	quit     chan struct{} // closed by Close
	done     chan struct{} // closed when the worker has returned
	quitOnce sync.Once
	stopped  atomic.Bool

	latest     atomic.Pointer[Result]
	background bool // the worker runs on a background thread (osprio.Lower)
}

// NewBuilder starts a Builder's worker. invalidate, if not nil, is called
// from the worker after each new result (typically to ask the window for
// a new frame); it must not block.
func NewBuilder(invalidate func()) *Builder { return newBuilder(invalidate, false) }

// NewBackgroundBuilder is NewBuilder with the worker on a background thread of the lowest
// priority (package osprio), so that a window's frames get the CPU first.
func NewBackgroundBuilder(invalidate func()) *Builder {
	return newBuilder(invalidate, true)
}

func newBuilder(invalidate func(), background bool) *Builder {
	b := &Builder{
		background: background,
		invalidate: invalidate,
		wake:       make(chan struct{}, 1),
		quit:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	go b.run()
	return b
}

// Update asks for the scene of in. It never blocks; a request not yet
// started is replaced, and a request equal to the one last delivered is
// ignored. The Probes slice is copied; the models, the data and the
// attack's Box must not be modified afterwards.
func (b *Builder) Update(in Inputs) {
	in.Probes = slices.Clone(in.Probes)
	b.mu.Lock()
	b.pending = &in
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Latest returns the newest result, or nil before the first one. It never
// blocks; the result must not be modified.
func (b *Builder) Latest() *Result { return b.latest.Load() }

// Close stops the worker, abandoning the computation in progress, and
// waits for it to return. Further calls do nothing.
func (b *Builder) Close() {
	b.quitOnce.Do(func() {
		b.stopped.Store(true)
		close(b.quit)
	})
	<-b.done
}

// run is the worker loop.
func (b *Builder) run() {
	defer close(b.done)
	if b.background {
		osprio.Lower()
	}
	var c cache
	for {
		select {
		case <-b.quit:
			return
		case <-b.wake:
		}
		if in := b.take(); in != nil {
			b.handle(&c, in)
		}
	}
}

// handle computes the result for in, unless it repeats the request of the
// newest final result: then nothing is published, so that a window asking
// for the same scene every frame does not keep itself redrawing.
func (b *Builder) handle(c *cache, in *Inputs) {
	if c.done != nil && sameInputs(c.done, in) {
		return
	}
	b.buildSafe(c, in)
}

// sameInputs reports whether two requests ask for the same scene.
func sameInputs(a, b *Inputs) bool {
	return a.flowK() == b.flowK() && a.clfK() == b.clfK() && a.dataK() == b.dataK() &&
		a.View == b.View && a.Layers == b.Layers && a.Attack == b.Attack &&
		a.Adaptive == b.Adaptive && a.Quality == b.Quality && slices.Equal(a.Probes, b.Probes)
}

// buildSafe runs one build, turning a panic in the numeric code into a
// result that reports it over the previous scene (and starting over with
// an empty cache).
func (b *Builder) buildSafe(c *cache, in *Inputs) {
	t0 := time.Now()
	defer func() {
		if r := recover(); r != nil {
			*c = cache{}
			res := &Result{Scene: plane.Scene{Viewport: in.View, Layers: in.Layers}}
			if old := b.latest.Load(); old != nil {
				cp := *old
				res = &cp
			}
			res.FlowVersion, res.ClfVersion, res.DataVersion = in.FlowVersion, in.ClfVersion, in.DataVersion
			res.ComputeMS, res.Pending = since(t0), false
			res.Err = fmt.Errorf("scene: computing the scene failed: %v", r)
			b.publish(res)
		}
	}()
	c.build(in, b)
}

func (b *Builder) peek() *Inputs {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pending
}

func (b *Builder) take() *Inputs {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.pending
	b.pending = nil
	return p
}

func (b *Builder) closed() bool { return b.stopped.Load() }

func (b *Builder) publish(res *Result) {
	if b.closed() {
		return
	}
	b.latest.Store(res)
	if b.invalidate != nil {
		b.invalidate()
	}
}
