package cifar

import (
	"image"
	"sync"
	"time"

	"github.com/mflowlab/mflowlab/ui/plane"
)

// job is one picture to draw: key names what it shows (a request with the key of the last
// one does nothing), draw paints it into a new image of size.
type job struct {
	key  string
	size image.Point
	draw func(r *plane.Renderer, dst *image.RGBA)
}

// pic is a drawn picture and the key of the job that drew it.
type pic struct {
	img     *image.RGBA
	key     string
	version uint64
}

// rasterizer draws the main area's picture on a background goroutine (on the caller's in
// sync mode): only the newest request is drawn, and every picture is a new image, so a
// painted one is never written again. Unlike the engine's workers it keeps the normal
// priority: it draws only when the page or the detail view changed (a few times per
// refresh, milliseconds each), and at nice 19 it waited seconds behind the engine's own
// nice-19 threads on a busy 2-core machine (bench --gallery: raster_ms 4 400 with the
// rasterizer lowered).
type rasterizer struct {
	sync       bool
	invalidate func()
	asked      string // frame's goroutine: the key of the last request

	mu      sync.Mutex
	want    *job
	busy    bool
	latest  pic
	version uint64
	ms      float64
	wake    chan struct{}
	quit    chan struct{}
	done    chan struct{}
	r       *plane.Renderer // the drawing goroutine's
}

func newRasterizer(syncMode bool, invalidate func()) *rasterizer {
	z := &rasterizer{sync: syncMode, invalidate: invalidate, r: plane.NewRenderer()}
	if !syncMode {
		z.wake, z.quit, z.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
		go z.run()
	}
	return z
}

// request asks for a picture; repeating the last request's key does nothing.
func (z *rasterizer) request(j job) {
	if j.key == z.asked {
		return
	}
	z.asked = j.key
	if z.sync {
		z.store(z.paint(j), j.key)
		return
	}
	z.mu.Lock()
	z.want = &j
	z.mu.Unlock()
	select {
	case z.wake <- struct{}{}:
	default:
	}
}

// paint draws j into a new image, timing it; a panic in drawing leaves a blank picture.
func (z *rasterizer) paint(j job) *image.RGBA {
	t0 := time.Now()
	img := image.NewRGBA(image.Rectangle{Max: j.size})
	func() {
		defer func() {
			if recover() != nil {
				z.r = plane.NewRenderer()
			}
		}()
		j.draw(z.r, img)
	}()
	z.mu.Lock()
	z.ms = float64(time.Since(t0).Microseconds()) / 1e3
	z.mu.Unlock()
	return img
}

func (z *rasterizer) store(img *image.RGBA, key string) {
	z.mu.Lock()
	z.version++
	z.latest = pic{img: img, key: key, version: z.version}
	z.mu.Unlock()
}

// newest returns the newest picture drawn.
func (z *rasterizer) newest() pic {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.latest
}

// current reports whether the newest picture shows the last request and nothing waits.
func (z *rasterizer) current() bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.want == nil && !z.busy && z.latest.img != nil && z.latest.key == z.asked
}

// lastMS returns the drawing time of the newest picture in milliseconds.
func (z *rasterizer) lastMS() float64 {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.ms
}

func (z *rasterizer) run() {
	defer close(z.done)
	for {
		select {
		case <-z.quit:
			return
		case <-z.wake:
		}
		for {
			z.mu.Lock()
			j := z.want
			z.want = nil
			z.busy = j != nil
			z.mu.Unlock()
			if j == nil {
				break
			}
			img := z.paint(*j)
			z.store(img, j.key)
			z.mu.Lock()
			z.busy = false
			z.mu.Unlock()
			z.invalidate()
		}
	}
}

// close stops the drawing goroutine.
func (z *rasterizer) close() {
	if z.sync {
		return
	}
	close(z.quit)
	<-z.done
}
