package plane

import (
	"image"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mflowlab/mflowlab/internal/osprio"

	"github.com/mflowlab/mflowlab/ui/plane"
	"github.com/mflowlab/mflowlab/ui/scene"
)

// raster is one rendered picture of the plane: the scene result it shows, drawn through the
// viewport view.
type raster struct {
	img     *image.RGBA
	res     *scene.Result
	view    plane.Viewport
	version uint64  // increases with every new raster
	ms      float64 // rendering time
}

// rasterKey is what a raster depends on.
type rasterKey struct {
	res  *scene.Result
	view plane.Viewport
}

// rasterizer draws plane scenes into images. In async mode a worker goroutine renders the
// newest request into a free buffer while the frame paints the previous raster; buffers go
// back to the pool only when the frame has stopped painting them. In sync mode Request
// renders on the caller's goroutine (tests, screenshots).
type rasterizer struct {
	threads    atomic.Int32 // bands drawn at once (SetThreads)
	sync       bool
	invalidate func()
	r          *plane.Renderer

	// base is the picture of every layer but the probes of baseScene (used by whoever
	// renders: the raster goroutine, or the caller in sync mode): when a new scene differs
	// only in its probes — a drag — a raster is a copy of base with the probes drawn over
	// it, well under a millisecond instead of a full render.
	base      *image.RGBA
	baseScene plane.Scene

	mu      sync.Mutex
	want    *rasterKey // newest request not yet started
	latest  *raster    // newest finished raster
	taken   bool       // latest was handed to the frame by Take
	free    []*image.RGBA
	buffers int
	version uint64
	wake    chan struct{}
	quit    chan struct{}
	done    chan struct{}

	asked   rasterKey      // newest request given to Request
	view    plane.Viewport // the view of the newest Request (under mu)
	offered rasterKey      // newest request made by Offer (under mu)
}

// maxRasterBuffers bounds the pool: the one being painted, the one being drawn and one that
// the frame may still hold for a moment.
const maxRasterBuffers = 3

func newRasterizer(syncMode bool, invalidate func()) *rasterizer {
	rz := &rasterizer{sync: syncMode, invalidate: invalidate, r: newPlaneRenderer()}
	rz.threads.Store(2)
	if !syncMode {
		rz.wake = make(chan struct{}, 1)
		rz.quit = make(chan struct{})
		rz.done = make(chan struct{})
		go rz.run()
	}
	return rz
}

// Request asks for the raster of res through view; repeated requests for the same pair do
// nothing, so an unchanged frame never re-renders.
func (rz *rasterizer) Request(res *scene.Result, view plane.Viewport) {
	if res == nil || view.W <= 0 || view.H <= 0 {
		return
	}
	k := rasterKey{res, view}
	if k == rz.asked {
		return
	}
	rz.asked = k
	if rz.sync {
		rz.mu.Lock()
		defer rz.mu.Unlock()
		img := rz.buffer(view)
		if img == nil {
			return
		}
		rz.publish(rz.render(img, k))
		return
	}
	rz.mu.Lock()
	rz.view = view
	if k == rz.offered {
		rz.mu.Unlock() // Offer asked for it already
		return
	}
	rz.want = &k
	rz.mu.Unlock()
	rz.poke()
}

// Offer asks, from any goroutine, for the raster of res through the view of the newest
// Request. The scene builder calls it as soon as it publishes, so that a dragged probe's
// new picture is drawn while the current frame is still on the GPU rather than after the
// next frame has picked the result up (mflowlab bench --frame: drag_frames 3 → 2).
func (rz *rasterizer) Offer(res *scene.Result) {
	if rz.sync || res == nil {
		return
	}
	rz.mu.Lock()
	k := rasterKey{res, rz.view}
	if k.view.W <= 0 || k.view.H <= 0 || k == rz.offered {
		rz.mu.Unlock()
		return
	}
	rz.offered = k
	rz.want = &k
	rz.mu.Unlock()
	rz.poke()
}

// poke wakes the raster goroutine.
func (rz *rasterizer) poke() {
	select {
	case rz.wake <- struct{}{}:
	default:
	}
}

// Take returns the newest finished raster (nil before the first) and hands its buffer to
// the frame, which must Release it once it paints a newer one.
func (rz *rasterizer) Take() *raster {
	rz.mu.Lock()
	defer rz.mu.Unlock()
	rz.taken = rz.latest != nil
	return rz.latest
}

// Release returns the buffer of a raster the frame no longer paints to the pool.
func (rz *rasterizer) Release(r *raster) {
	if r == nil {
		return
	}
	rz.mu.Lock()
	defer rz.mu.Unlock()
	if r == rz.latest {
		rz.taken = false
		return
	}
	rz.free = append(rz.free, r.img)
}

// publish makes r the latest raster; a previous latest that the frame never took goes
// straight back to the pool. rz.mu must be held.
func (rz *rasterizer) publish(r *raster) {
	if rz.latest != nil && !rz.taken {
		rz.free = append(rz.free, rz.latest.img)
	}
	rz.latest, rz.taken = r, false
}

// Close stops the worker.
func (rz *rasterizer) Close() {
	if rz.sync || rz.quit == nil {
		return
	}
	select {
	case <-rz.quit:
	default:
		close(rz.quit)
	}
	<-rz.done
}

// newPlaneRenderer returns the window's plane renderer, whose helper goroutines (see
// SetThreads) run on background threads too.
func newPlaneRenderer() *plane.Renderer {
	r := plane.NewRenderer()
	r.Go = func(fn func()) { osprio.Go(fn) }
	return r
}

// SetThreads sets how many bands later rasters draw at once: 2 halves the latency of a
// picture when a core is free; while training runs, a second busy thread costs every frame
// more than it gains (bench --frame: 15.4 → 13.9 ms median with 1).
func (rz *rasterizer) SetThreads(n int) { rz.threads.Store(int32(n)) }

func (rz *rasterizer) run() {
	defer close(rz.done)
	osprio.Lower()
	for {
		select {
		case <-rz.quit:
			return
		case <-rz.wake:
		}
		rz.mu.Lock()
		k := rz.want
		rz.want = nil
		var img *image.RGBA
		if k != nil {
			img = rz.buffer(k.view)
		}
		rz.mu.Unlock()
		if k == nil {
			continue
		}
		if img == nil {
			// Every buffer is in use: try again when the frame releases one.
			rz.mu.Lock()
			if rz.want == nil {
				rz.want = k
			}
			rz.mu.Unlock()
			time.Sleep(2 * time.Millisecond)
			select {
			case rz.wake <- struct{}{}:
			default:
			}
			continue
		}
		r := rz.render(img, *k)
		rz.mu.Lock()
		rz.publish(r)
		rz.mu.Unlock()
		if rz.invalidate != nil {
			rz.invalidate()
		}
	}
}

// buffer takes a free image of the view's size from the pool, allocating while the pool is
// below its bound; nil when every buffer is busy. rz.mu must be held.
func (rz *rasterizer) buffer(view plane.Viewport) *image.RGBA {
	for len(rz.free) > 0 {
		img := rz.free[len(rz.free)-1]
		rz.free = rz.free[:len(rz.free)-1]
		if img.Rect.Dx() == view.W && img.Rect.Dy() == view.H {
			return img
		}
		rz.buffers-- // wrong size (the window was resized): drop it
	}
	if rz.buffers >= maxRasterBuffers {
		return nil
	}
	rz.buffers++
	return image.NewRGBA(image.Rect(0, 0, view.W, view.H))
}

// render draws the scene of k.res through k.view into img. The scene's layers are in data
// coordinates, so a result computed for an older viewport lines up with the new one.
func (rz *rasterizer) render(img *image.RGBA, k rasterKey) *raster {
	t0 := time.Now()
	sc := k.res.Scene
	sc.Viewport = k.view
	func() {
		defer func() {
			if r := recover(); r != nil {
				// A broken scene must not take the window down: show the background.
				rz.r = newPlaneRenderer()
				rz.base, rz.baseScene = nil, plane.Scene{}
				for i := range img.Pix {
					img.Pix[i] = 0xff
				}
			}
		}()
		rz.r.Threads = max(1, int(rz.threads.Load()))
		if !sc.Layers.Has(plane.LayerProbes) || len(sc.Probes) == 0 {
			rz.r.Render(img, &sc)
			return
		}
		if rz.base == nil || rz.base.Rect != img.Rect || !plane.SameExceptProbes(&rz.baseScene, &sc) {
			if rz.base == nil || rz.base.Rect != img.Rect {
				rz.base = image.NewRGBA(img.Rect)
			}
			b := sc
			b.Layers &^= plane.LayerProbes
			b.Probes = nil
			rz.baseScene = plane.Scene{} // invalid until the render has finished
			rz.r.Render(rz.base, &b)
			b.Layers = sc.Layers
			rz.baseScene = b
		}
		copy(img.Pix, rz.base.Pix)
		rz.r.DrawProbes(img, &sc)
	}()
	rz.version++
	return &raster{img: img, res: k.res, view: k.view, version: rz.version, ms: float64(time.Since(t0).Microseconds()) / 1e3}
}
