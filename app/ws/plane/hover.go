package plane

import (
	"sync"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/ui/scene"
)

// hoverReq is one readout request: the models and the data point under the pointer.
type hoverReq struct {
	flow *flow.MFlow
	clf  *classify.MLP
	x, y float64
}

// hoverer evaluates the readout under the pointer (about 10 ms of model evaluation) off the
// frame's goroutine: requests are coalesced, and the frame shows the newest answer. In sync
// mode the readout is computed on the caller's goroutine.
type hoverer struct {
	sync       bool
	invalidate func()

	mu     sync.Mutex
	want   *hoverReq
	asked  hoverReq
	latest hoverRes
	wake   chan struct{}
	quit   chan struct{}
	done   chan struct{}
}

// hoverRes is a computed readout and the request it answers.
type hoverRes struct {
	req hoverReq
	h   scene.Hover
	ok  bool
}

func newHoverer(syncMode bool, invalidate func()) *hoverer {
	h := &hoverer{sync: syncMode, invalidate: invalidate}
	if !syncMode {
		h.wake = make(chan struct{}, 1)
		h.quit = make(chan struct{})
		h.done = make(chan struct{})
		go h.run()
	}
	return h
}

// Request asks for the readout at (x, y) with the given models; repeating the newest
// request does nothing.
func (h *hoverer) Request(f *flow.MFlow, clf *classify.MLP, x, y float64) {
	r := hoverReq{f, clf, x, y}
	if r == h.asked {
		return
	}
	h.asked = r
	if h.sync {
		res := hoverRes{req: r, h: readout(r), ok: true}
		h.mu.Lock()
		h.latest = res
		h.mu.Unlock()
		return
	}
	h.mu.Lock()
	h.want = &r
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Latest returns the newest readout.
func (h *hoverer) Latest() (scene.Hover, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.latest.h, h.latest.ok
}

// Close stops the worker.
func (h *hoverer) Close() {
	if h.sync || h.quit == nil {
		return
	}
	select {
	case <-h.quit:
	default:
		close(h.quit)
	}
	<-h.done
}

func (h *hoverer) run() {
	defer close(h.done)
	for {
		select {
		case <-h.quit:
			return
		case <-h.wake:
		}
		h.mu.Lock()
		r := h.want
		h.want = nil
		h.mu.Unlock()
		if r == nil {
			continue
		}
		res := hoverRes{req: *r, h: readout(*r), ok: true}
		h.mu.Lock()
		h.latest = res
		h.mu.Unlock()
		if h.invalidate != nil {
			h.invalidate()
		}
	}
}

// readout evaluates the models, turning a panic in the numeric code into an invalid
// readout.
func readout(r hoverReq) (h scene.Hover) {
	defer func() {
		if recover() != nil {
			h = scene.Hover{X: r.x, Y: r.y}
		}
	}()
	return scene.Readout(r.flow, r.clf, r.x, r.y)
}
