// Package record writes animations: a stream of equally sized RGBA frames becomes an
// animated GIF, an MP4 video (through ffmpeg) or a folder of numbered PNG files.
//
// Every output is written all-or-nothing: frames go to a temporary file or folder beside
// the destination, which Close renames into place; Abort, or any error, removes it and
// leaves the destination as it was. Memory does not grow with the number of frames, and
// the same frames always give byte-identical GIF and PNG files.
//
// A recorder killed outright (SIGKILL, power loss) leaves the destination as it was, plus
// its temporary (".NAME.tmp-PID-RANDOM", a file for GIF and MP4, a folder of the frames so
// far for a PNG folder). The next recording to the same path removes such temporaries once
// their PID is no longer running; a PNG folder recorder killed in the instant between
// moving the earlier recording aside and renaming the new one into place leaves the earlier
// one under NAME's temporary name with ".old" appended, and the next recording to NAME
// moves it back first (internal/atomicfile.CleanStale).
//
// Open returns a Sink for a path; a Recorder wraps a Sink with a bounded queue and an
// encoder goroutine, so that the caller can draw the next frame while the previous one is
// encoded. The package has no window dependency: the app, the `record` command and tests
// all feed it *image.RGBA frames.
package record

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"

	"github.com/mflowlab/mflowlab/internal/atomicfile"
)

// Sink receives the frames of one animation, in order.
type Sink interface {
	// WriteFrame appends one frame; it must be exactly the size given to Open.
	WriteFrame(img *image.RGBA) error
	// Close finishes the file and moves it into place. After an error nothing is left behind.
	Close() error
	// Abort discards everything written so far and leaves the destination untouched.
	Abort() error
}

// Limits on the frame size and rate.
const (
	MaxSide   = 8192 // largest width or height in pixels
	MaxFPS    = 120  // fastest frame rate
	MaxGIFFPS = 50   // fastest rate a GIF can play: delays are whole hundredths of a second, and players slow down delays below 2
)

// Format is the kind of output a path selects.
type Format int

// Output formats.
const (
	GIF    Format = iota // animated GIF (.gif)
	MP4                  // H.264 video through ffmpeg (.mp4)
	PNGDir               // a folder of frame_00000.png, frame_00001.png, … (any other name)
)

// String returns the format's name.
func (f Format) String() string {
	switch f {
	case GIF:
		return "GIF"
	case MP4:
		return "MP4"
	case PNGDir:
		return "PNG folder"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// FormatOf returns the format a path selects by its extension: .gif, .mp4, and anything
// else a folder of PNG files.
func FormatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".gif":
		return GIF
	case ".mp4":
		return MP4
	}
	return PNGDir
}

// CheckSize reports a frame size or rate no sink accepts for path's format.
func CheckSize(path string, w, h, fps int) error {
	if w < 1 || h < 1 || w > MaxSide || h > MaxSide {
		return fmt.Errorf("record: frame size %d×%d out of range [1, %d] per side", w, h, MaxSide)
	}
	if fps < 1 || fps > MaxFPS {
		return fmt.Errorf("record: %d frames per second out of range [1, %d]", fps, MaxFPS)
	}
	if FormatOf(path) == GIF && fps > MaxGIFFPS {
		return fmt.Errorf("record: a GIF plays at most %d frames per second, not %d; use .mp4 or a PNG folder", MaxGIFFPS, fps)
	}
	if path == "" {
		return errors.New("record: no output path")
	}
	return nil
}

// Open returns the sink for path, chosen by its extension: .gif writes an animated GIF,
// .mp4 an H.264 video through ffmpeg, and any other name a folder of PNG frames. Frames
// must be w×h pixels; fps is the playback rate.
func Open(path string, w, h, fps int) (Sink, error) {
	if err := CheckSize(path, w, h, fps); err != nil {
		return nil, err
	}
	switch FormatOf(path) {
	case GIF:
		return openGIF(path, w, h, fps)
	case MP4:
		return openMP4(path, w, h, fps, mp4Options{})
	}
	return openPNGDir(path, w, h)
}

// checkFrame reports why a sink of size w×h that is done (closed) or has met the sticky error
// err cannot take img: closed, the earlier error, or a frame that does not have its size.
func checkFrame(img *image.RGBA, w, h int, done bool, err error) error {
	if done {
		return errClosed
	}
	if err != nil {
		return err
	}
	if img == nil {
		return errors.New("record: nil frame")
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		return fmt.Errorf("record: frame is %d×%d, the recording is %d×%d", b.Dx(), b.Dy(), w, h)
	}
	return nil
}

// tempFile creates an empty temporary file beside path whose name ends in suffix
// (internal/atomicfile's naming, so that a recorder killed while writing leaves a temporary
// the next recording to path removes).
func tempFile(path, suffix string) (*os.File, error) {
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("record: %s: the folder %s does not exist", path, dir)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("record: %s is a folder", path)
	}
	f, err := atomicfile.Create(path, suffix) // also removes temporaries of killed recorders
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	return f, nil
}

// errClosed is returned when a finished sink is used again.
var errClosed = errors.New("record: the recording is already finished")

// commitFile finishes a temporary file: after an earlier error (err) it removes the file
// and returns err; otherwise it syncs and closes the file, makes it readable and renames it
// to path, removing it if any of that fails.
func commitFile(f *os.File, path string, err error) error {
	if err != nil {
		atomicfile.Discard(f)
		return err
	}
	if err := atomicfile.Commit(f, path); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return nil
}
