package record

import (
	"fmt"
	"image"
	"image/color"
	"sync"
	"time"
)

// queueFrames is how many frames a Recorder holds at most: one being encoded and the rest
// waiting. Frame blocks while all of them are in use, which bounds the memory.
const queueFrames = 3

// Config describes what a Recorder writes.
type Config struct {
	W, H int // size of the frames written
	FPS  int // playback rate in frames per second
	// Src is the size of the frames given to Frame; zero means W×H. When it differs from
	// W×H, the encoder goroutine resamples every frame to fit W×H (aspect ratio kept,
	// centred, the rest padded with the plane's background colour).
	Src image.Point
	// OnFree, if set, is called from the encoder goroutine whenever a frame buffer becomes
	// free again, e.g. to wake a window that waits for Ready. It must return quickly.
	OnFree func()
}

// Recorder feeds a Sink from a background goroutine. Frame copies the caller's image into
// one of a few reusable buffers and returns at once while earlier frames are encoded, so
// drawing the next frame overlaps with encoding. A Recorder's methods are meant to be
// called from one goroutine (the app's UI goroutine, or a command's main loop).
type Recorder struct {
	sink      Sink
	w, h, fps int
	sw, sh    int        // size of the buffers Frame fills
	fill      color.RGBA // pads frames smaller than the recording
	scaler    *fitter    // resamples sw×sh buffers to w×h; nil when the sizes agree
	onFree    func()

	free chan *image.RGBA // buffers ready to be filled
	work chan *image.RGBA // filled buffers waiting for the encoder
	done chan struct{}    // closed when the encoder goroutine has finished

	mu  sync.Mutex
	err error // the first encoding error

	frames  int
	stopped bool
}

// NewRecorder opens a sink for path (see Open) and starts its encoder goroutine.
func NewRecorder(path string, w, h, fps int) (*Recorder, error) {
	return OpenRecorder(path, Config{W: w, H: h, FPS: fps})
}

// OpenRecorder opens a sink for path (see Open) of c's frame size and rate and starts the
// recorder's encoder goroutine.
func OpenRecorder(path string, c Config) (*Recorder, error) {
	if c.Src != (image.Point{}) && (c.Src.X < 1 || c.Src.Y < 1 || c.Src.X > MaxSide || c.Src.Y > MaxSide) {
		return nil, fmt.Errorf("record: source frame size %d×%d out of range [1, %d] per side", c.Src.X, c.Src.Y, MaxSide)
	}
	s, err := Open(path, c.W, c.H, c.FPS)
	if err != nil {
		return nil, err
	}
	return StartRecorder(s, c), nil
}

// NewRecorderTo starts a recorder that writes w×h frames at fps to the sink s.
func NewRecorderTo(s Sink, w, h, fps int) *Recorder {
	return StartRecorder(s, Config{W: w, H: h, FPS: fps})
}

// StartRecorder starts a recorder that writes c's frames to the sink s.
func StartRecorder(s Sink, c Config) *Recorder {
	r := &Recorder{sink: s, w: c.W, h: c.H, fps: max(c.FPS, 1), sw: c.W, sh: c.H,
		fill: color.RGBA{0xf8, 0xf7, 0xf4, 0xff}, onFree: c.OnFree,
		free: make(chan *image.RGBA, queueFrames), work: make(chan *image.RGBA, queueFrames),
		done: make(chan struct{})}
	if c.Src != (image.Point{}) && c.Src != image.Pt(c.W, c.H) {
		r.sw, r.sh = c.Src.X, c.Src.Y
		r.scaler = newFitter(c.W, c.H, r.sw, r.sh, r.fill)
	}
	for range queueFrames {
		r.free <- image.NewRGBA(image.Rect(0, 0, r.sw, r.sh))
	}
	go r.encode()
	return r
}

func (r *Recorder) encode() {
	defer close(r.done)
	for img := range r.work {
		if r.Err() == nil {
			out := img
			if r.scaler != nil {
				out = r.scaler.fit(img)
			}
			if err := r.sink.WriteFrame(out); err != nil {
				r.mu.Lock()
				r.err = err
				r.mu.Unlock()
			}
		}
		r.free <- img
		if r.onFree != nil {
			r.onFree()
		}
	}
}

// Err returns the first error the encoder met, or nil. After an error further frames are
// dropped and Stop returns it.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Frame queues a copy of img as the next frame and returns; it waits only while the
// encoder is queueFrames frames behind. An image of another size than the source size is
// drawn at the top-left corner, cut or padded with the plane's background colour. It
// returns the encoder's error, if any, so that the caller can stop.
func (r *Recorder) Frame(img *image.RGBA) error {
	if r.stopped {
		return errClosed
	}
	if err := r.Err(); err != nil {
		return err
	}
	r.queue(<-r.free, img)
	return nil
}

// TryFrame is Frame without waiting: when the encoder is queueFrames frames behind it
// does not take img and returns false, so that a window never stalls on the recording.
func (r *Recorder) TryFrame(img *image.RGBA) (queued bool, err error) {
	if r.stopped {
		return false, errClosed
	}
	if err := r.Err(); err != nil {
		return false, err
	}
	select {
	case buf := <-r.free:
		r.queue(buf, img)
		return true, nil
	default:
		return false, nil
	}
}

// queue copies img into buf and hands it to the encoder.
func (r *Recorder) queue(buf, img *image.RGBA) {
	r.copyFrame(buf, img)
	r.work <- buf
	r.frames++
}

// Ready reports whether a frame buffer is free, so that the next Frame or TryFrame takes
// the frame without waiting.
func (r *Recorder) Ready() bool { return len(r.free) > 0 }

// Size returns the size of the frames written.
func (r *Recorder) Size() image.Point { return image.Pt(r.w, r.h) }

// FPS returns the playback rate.
func (r *Recorder) FPS() int { return r.fps }

// copyFrame copies src into dst's top-left corner and pads the rest.
func (r *Recorder) copyFrame(dst, src *image.RGBA) {
	sb := src.Bounds()
	cw, ch := min(sb.Dx(), r.sw), min(sb.Dy(), r.sh)
	for y := 0; y < r.sh; y++ {
		row := dst.Pix[y*dst.Stride : y*dst.Stride+4*r.sw]
		n := 0
		if y < ch {
			n = copy(row[:4*cw], src.Pix[src.PixOffset(sb.Min.X, sb.Min.Y+y):])
		}
		for i := n; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = r.fill.R, r.fill.G, r.fill.B, r.fill.A
		}
	}
}

// Frames returns how many frames were queued so far.
func (r *Recorder) Frames() int { return r.frames }

// Elapsed returns the playing time of the frames queued so far.
func (r *Recorder) Elapsed() time.Duration {
	return time.Duration(r.frames) * time.Second / time.Duration(r.fps)
}

// Stop waits for the queued frames to be encoded and finishes the file. After an encoding
// error it removes the partial output and returns that error.
func (r *Recorder) Stop() error {
	if r.stopped {
		return errClosed
	}
	r.stopped = true
	close(r.work)
	<-r.done
	if err := r.Err(); err != nil {
		r.sink.Abort()
		return err
	}
	return r.sink.Close()
}

// Abort stops the encoder and removes everything written; the destination is untouched.
// It is a no-op after Stop or Abort.
func (r *Recorder) Abort() error {
	if r.stopped {
		return nil
	}
	r.stopped = true
	close(r.work)
	<-r.done
	return r.sink.Abort()
}
