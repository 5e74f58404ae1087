package record

import (
	"bufio"
	"compress/lzw"
	"fmt"
	"image"
	"io"
	"os"
	"runtime"
	"sync"
)

// gifSink streams an animated GIF89a: one global palette built from the first frame, a
// NETSCAPE2.0 extension that loops forever, and per frame only the rectangle that changed,
// with unchanged pixels inside it transparent. Each frame is palettised and LZW-compressed
// on its own, so memory stays at two index buffers whatever the length.
type gifSink struct {
	path   string
	f      *os.File
	bw     *bufio.Writer
	w, h   int
	fps    int
	frames int
	q      *quantizer
	cur    []uint8 // palette indices of the frame being written
	prev   []uint8 // … and of the previous frame
	sub    []uint8 // the changed rectangle, unchanged pixels transparent
	blocks blockWriter
	lzw    *lzw.Writer
	err    error // sticky: the first write error
	done   bool
}

func openGIF(path string, w, h, fps int) (*gifSink, error) {
	f, err := tempFile(path, "")
	if err != nil {
		return nil, err
	}
	s := &gifSink{path: path, f: f, w: w, h: h, fps: fps,
		cur: make([]uint8, w*h), prev: make([]uint8, w*h)}
	s.bw = bufio.NewWriterSize(f, 1<<16)
	s.blocks.w = s.bw
	return s, nil
}

// WriteFrame palettises img, finds what changed since the previous frame and appends it.
func (s *gifSink) WriteFrame(img *image.RGBA) error {
	if err := checkFrame(img, s.w, s.h, s.done, s.err); err != nil {
		return err
	}
	if s.frames == 0 {
		s.q = newQuantizer(buildPalette(img))
		s.writeHeader()
	}
	s.quantize(img)
	rect := image.Rect(0, 0, s.w, s.h)
	trans := s.frames > 0
	if trans {
		rect = s.changed()
	}
	s.writeFrame(rect, trans)
	s.cur, s.prev = s.prev, s.cur
	s.frames++
	return s.err
}

// fail records the first write error.
func (s *gifSink) fail(err error) {
	if s.err == nil && err != nil {
		s.err = fmt.Errorf("record: writing %s: %w", s.path, err)
	}
}

// quantize fills s.cur with the palette indices of img, in parallel bands.
func (s *gifSink) quantize(img *image.RGBA) {
	b := img.Bounds()
	nt := min(runtime.GOMAXPROCS(0), max(1, s.h/64))
	var wg sync.WaitGroup
	for t := 0; t < nt; t++ {
		y0, y1 := s.h*t/nt, s.h*(t+1)/nt
		wg.Add(1)
		go func() {
			defer wg.Done()
			for y := y0; y < y1; y++ {
				row := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):]
				out := s.cur[y*s.w : (y+1)*s.w]
				for x := range out {
					p := row[4*x : 4*x+3 : 4*x+3]
					out[x] = s.q.index(p[0], p[1], p[2])
				}
			}
		}()
	}
	wg.Wait()
}

// changed returns the bounding box of the pixels that differ from the previous frame, or
// a 1×1 rectangle when none do (a frame must still be written to keep the timing).
func (s *gifSink) changed() image.Rectangle {
	x0, y0, x1, y1 := s.w, s.h, 0, 0
	for y := 0; y < s.h; y++ {
		c, p := s.cur[y*s.w:(y+1)*s.w], s.prev[y*s.w:(y+1)*s.w]
		a := 0
		for a < s.w && c[a] == p[a] {
			a++
		}
		if a == s.w {
			continue
		}
		e := s.w
		for e > a && c[e-1] == p[e-1] {
			e--
		}
		x0, x1 = min(x0, a), max(x1, e)
		y0, y1 = min(y0, y), y+1
	}
	if x1 <= x0 {
		return image.Rect(0, 0, 1, 1)
	}
	return image.Rect(x0, y0, x1, y1)
}

// delay returns the display time of frame i in hundredths of a second, alternating so
// that the average rate is exactly fps.
func (s *gifSink) delay(i int) uint16 {
	at := func(k int) int { return (200*k + s.fps) / (2 * s.fps) } // round(100·k/fps)
	return uint16(at(i+1) - at(i))
}

func (s *gifSink) put(b ...byte) {
	if s.err == nil {
		_, err := s.bw.Write(b)
		s.fail(err)
	}
}

func (s *gifSink) put16(v int) { s.put(byte(v), byte(v>>8)) }

// writeHeader writes the signature, the logical screen with the global palette and the
// loop-forever extension.
func (s *gifSink) writeHeader() {
	s.put('G', 'I', 'F', '8', '9', 'a')
	s.put16(s.w)
	s.put16(s.h)
	s.put(0xf7, 0, 0) // global colour table of 2^(7+1) entries, 8 bits per channel; background 0; square pixels
	for _, c := range s.q.pal {
		s.put(c.r, c.g, c.b)
	}
	s.put(0, 0, 0) // the transparent index
	s.put(0x21, 0xff, 11)
	s.put([]byte("NETSCAPE2.0")...)
	s.put(3, 1, 0, 0, 0) // sub-block: loop count 0 = forever
}

// writeFrame writes one frame's graphic control extension, image descriptor and the
// LZW-compressed indices of rect.
func (s *gifSink) writeFrame(rect image.Rectangle, trans bool) {
	flags := byte(1 << 2) // disposal 1: leave the frame in place for the next one
	if trans {
		flags |= 1
	}
	s.put(0x21, 0xf9, 4, flags)
	s.put16(int(s.delay(s.frames)))
	s.put(transparent, 0)
	s.put(0x2c)
	s.put16(rect.Min.X)
	s.put16(rect.Min.Y)
	s.put16(rect.Dx())
	s.put16(rect.Dy())
	s.put(0, 8) // no local colour table, not interlaced; LZW minimum code size 8
	if s.err != nil {
		return
	}
	if s.lzw == nil {
		s.lzw = lzw.NewWriter(&s.blocks, lzw.LSB, 8).(*lzw.Writer)
	} else {
		s.lzw.Reset(&s.blocks, lzw.LSB, 8)
	}
	n := rect.Dx() * rect.Dy()
	if cap(s.sub) < n {
		s.sub = make([]uint8, n)
	}
	sub := s.sub[:n]
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		c := s.cur[y*s.w+rect.Min.X : y*s.w+rect.Max.X]
		out := sub[(y-rect.Min.Y)*rect.Dx():][:len(c)]
		if !trans {
			copy(out, c)
			continue
		}
		p := s.prev[y*s.w+rect.Min.X : y*s.w+rect.Max.X]
		for i, v := range c {
			if v == p[i] {
				v = transparent
			}
			out[i] = v
		}
	}
	_, err := s.lzw.Write(sub)
	if err == nil {
		err = s.lzw.Close()
	}
	if err == nil {
		err = s.blocks.end()
	}
	s.fail(err)
}

// Close writes the trailer and moves the file into place.
func (s *gifSink) Close() error {
	if s.done {
		return errClosed
	}
	if s.err == nil && s.frames == 0 {
		s.err = fmt.Errorf("record: %s: no frames were recorded", s.path)
	}
	s.put(0x3b)
	if s.err == nil {
		s.fail(s.bw.Flush())
	}
	if s.err == nil {
		s.fail(s.f.Sync())
	}
	return s.finish()
}

// finish closes the temporary file and moves it into place, or removes it after an error.
func (s *gifSink) finish() error {
	s.done = true
	return commitFile(s.f, s.path, s.err)
}

// Abort removes the temporary file.
func (s *gifSink) Abort() error {
	if s.done {
		return nil
	}
	s.done = true
	s.f.Close()
	return os.Remove(s.f.Name())
}

// blockWriter splits a byte stream into GIF data sub-blocks of at most 255 bytes.
type blockWriter struct {
	w   io.Writer
	buf [256]byte // buf[0] is the length of the block in buf[1:]
	n   int
	err error
}

func (b *blockWriter) WriteByte(c byte) error {
	if b.err != nil {
		return b.err
	}
	b.n++
	b.buf[b.n] = c
	if b.n == 255 {
		b.flush()
	}
	return b.err
}

func (b *blockWriter) Write(p []byte) (int, error) {
	for i, c := range p {
		if err := b.WriteByte(c); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

func (b *blockWriter) flush() {
	if b.n == 0 || b.err != nil {
		return
	}
	b.buf[0] = byte(b.n)
	_, b.err = b.w.Write(b.buf[:b.n+1])
	b.n = 0
}

// end flushes the last sub-block and writes the block terminator.
func (b *blockWriter) end() error {
	b.flush()
	if b.err == nil {
		_, b.err = b.w.Write([]byte{0})
	}
	return b.err
}
