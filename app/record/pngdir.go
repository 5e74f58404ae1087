package record

import (
	"bufio"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/mflowlab/mflowlab/internal/atomicfile"
)

// isFrameName reports whether name is that of a frame file: frame_ with five or more
// digits, then .png.
func isFrameName(name string) bool {
	d, ok := strings.CutPrefix(name, "frame_")
	d, ok2 := strings.CutSuffix(d, ".png")
	if !ok || !ok2 || len(d) < 5 {
		return false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// FrameName returns the file name of frame i in a PNG folder: frame_00000.png, ….
func FrameName(i int) string { return fmt.Sprintf("frame_%05d.png", i) }

// pngDirSink writes each frame as a PNG file into a temporary folder beside the
// destination, which Close renames into place.
type pngDirSink struct {
	path   string
	tmp    string
	w, h   int
	frames int
	enc    png.Encoder
	bw     *bufio.Writer
	err    error
	done   bool
}

func openPNGDir(path string, w, h int) (*pngDirSink, error) {
	path = filepath.Clean(path)
	parent := filepath.Dir(path)
	if fi, err := os.Stat(parent); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("record: %s: the folder %s does not exist", path, parent)
	}
	atomicfile.CleanStale(path) // first, so that a recording moved aside comes back before the check
	if err := replaceable(path); err != nil {
		return nil, err
	}
	// A recorder killed while writing leaves its temporary folder (and, if killed while
	// replacing an earlier recording, that recording moved aside); Mkdir cleans both up.
	tmp, err := atomicfile.Mkdir(path)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	s := &pngDirSink{path: path, tmp: tmp, w: w, h: h, bw: bufio.NewWriterSize(nil, 1<<16)}
	s.enc.CompressionLevel = png.BestSpeed
	s.enc.BufferPool = &pool{}
	return s, nil
}

// replaceable reports an error unless path is absent or a folder that holds only frame
// files (an earlier recording, which Close replaces).
func replaceable(path string) error {
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("record: %s exists and is not a folder; name the output *.gif or *.mp4 for a file", path)
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	for _, e := range ents {
		if !isFrameName(e.Name()) || !e.Type().IsRegular() {
			return fmt.Errorf("record: the folder %s holds %s, which is not a recorded frame; choose an empty or new folder", path, e.Name())
		}
	}
	return nil
}

// WriteFrame writes the next frame_NNNNN.png.
func (s *pngDirSink) WriteFrame(img *image.RGBA) error {
	if err := checkFrame(img, s.w, s.h, s.done, s.err); err != nil {
		return err
	}
	name := filepath.Join(s.tmp, FrameName(s.frames))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err == nil {
		s.bw.Reset(f)
		err = s.enc.Encode(s.bw, img)
		if err == nil {
			err = s.bw.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		s.err = fmt.Errorf("record: writing frame %d of %s: %w", s.frames, s.path, err)
		return s.err
	}
	s.frames++
	return nil
}

// Close moves the folder into place, replacing an earlier recording at the same path.
func (s *pngDirSink) Close() error {
	if s.done {
		return errClosed
	}
	if s.err == nil && s.frames == 0 {
		s.err = fmt.Errorf("record: %s: no frames were recorded", s.path)
	}
	if s.err != nil {
		s.Abort()
		return s.err
	}
	s.done = true
	if err := syncDir(s.tmp); err != nil {
		os.RemoveAll(s.tmp)
		return fmt.Errorf("record: %s: %w", s.path, err)
	}
	// A missing or empty destination is replaced in one rename; an earlier recording is
	// moved aside first and removed after.
	err := os.Rename(s.tmp, s.path)
	if err == nil {
		return nil
	}
	if rerr := replaceable(s.path); rerr != nil {
		os.RemoveAll(s.tmp)
		return rerr
	}
	old := atomicfile.OldName(s.tmp)
	if err := os.Rename(s.path, old); err != nil {
		os.RemoveAll(s.tmp)
		return fmt.Errorf("record: %w", err)
	}
	if err := os.Rename(s.tmp, s.path); err != nil {
		os.Rename(old, s.path)
		os.RemoveAll(s.tmp)
		return fmt.Errorf("record: %w", err)
	}
	os.RemoveAll(old)
	return nil
}

// Abort removes the temporary folder.
func (s *pngDirSink) Abort() error {
	if s.done {
		return nil
	}
	s.done = true
	return os.RemoveAll(s.tmp)
}

// syncDir flushes the folder's entries to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// pool is a png.EncoderBufferPool holding one buffer: the sink encodes one frame at a time.
type pool struct{ b *png.EncoderBuffer }

func (p *pool) Get() *png.EncoderBuffer  { b := p.b; p.b = nil; return b }
func (p *pool) Put(b *png.EncoderBuffer) { p.b = b }
