package record

import (
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
)

// mp4Options are the test seams of the MP4 sink.
type mp4Options struct {
	lookPath func(file string) (string, error) // nil: exec.LookPath
}

// ErrNoFFmpeg is wrapped by Open's error for an .mp4 path when ffmpeg is not installed.
var ErrNoFFmpeg = errors.New("MP4 needs ffmpeg: apt-get install ffmpeg")

// mp4Sink pipes raw RGBA frames into an ffmpeg process that encodes H.264 into a
// temporary file beside the destination.
type mp4Sink struct {
	path   string
	tmp    string
	w, h   int
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *tailBuffer
	row    []byte
	err    error
	done   bool
}

// ffmpegArgs returns ffmpeg's arguments: raw RGBA frames on stdin to a bit-exact H.264 MP4
// (fixed thread count, no metadata), padded to even sides as yuv420p needs.
func ffmpegArgs(out string, w, h, fps int) []string {
	args := []string{"-hide_banner", "-nostats", "-loglevel", "error",
		"-f", "rawvideo", "-pix_fmt", "rgba", "-s", fmt.Sprintf("%dx%d", w, h), "-r", strconv.Itoa(fps), "-i", "-"}
	if w%2 != 0 || h%2 != 0 {
		args = append(args, "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2")
	}
	return append(args, "-c:v", "libx264", "-preset", "fast", "-crf", "18", "-pix_fmt", "yuv420p",
		"-threads", "2", "-movflags", "+faststart", "-fflags", "+bitexact", "-flags:v", "+bitexact",
		"-map_metadata", "-1", "-f", "mp4", "-y", out)
}

func openMP4(path string, w, h, fps int, o mp4Options) (*mp4Sink, error) {
	look := o.lookPath
	if look == nil {
		look = exec.LookPath
	}
	bin, err := look("ffmpeg")
	if err != nil {
		return nil, fmt.Errorf("record: %s: %w", path, ErrNoFFmpeg)
	}
	f, err := tempFile(path, ".mp4")
	if err != nil {
		return nil, err
	}
	f.Close()
	s := &mp4Sink{path: path, tmp: f.Name(), w: w, h: h, stderr: &tailBuffer{max: 2048}}
	s.cmd = exec.Command(bin, ffmpegArgs(s.tmp, w, h, fps)...)
	s.cmd.Stderr = s.stderr
	ownProcessGroup(s.cmd)
	if s.stdin, err = s.cmd.StdinPipe(); err == nil {
		err = s.cmd.Start()
	}
	if err != nil {
		os.Remove(s.tmp)
		return nil, fmt.Errorf("record: starting ffmpeg: %w", err)
	}
	return s, nil
}

// WriteFrame sends the frame's pixels to ffmpeg.
func (s *mp4Sink) WriteFrame(img *image.RGBA) error {
	if err := checkFrame(img, s.w, s.h, s.done, s.err); err != nil {
		return err
	}
	b := img.Bounds()
	var err error
	if img.Stride == 4*s.w {
		_, err = s.stdin.Write(img.Pix[img.PixOffset(b.Min.X, b.Min.Y):][:4*s.w*s.h])
	} else {
		for y := b.Min.Y; y < b.Max.Y && err == nil; y++ {
			_, err = s.stdin.Write(img.Pix[img.PixOffset(b.Min.X, y):][:4*s.w])
		}
	}
	if err != nil {
		// ffmpeg stopped reading: its exit status and messages say why.
		s.stdin.Close()
		s.err = s.failure(s.cmd.Wait())
		if s.err == nil {
			s.err = fmt.Errorf("record: ffmpeg stopped reading frames: %v", err)
		}
		s.done = true
		os.Remove(s.tmp)
	}
	return s.err
}

// failure turns ffmpeg's exit into an error that quotes the end of its messages.
func (s *mp4Sink) failure(err error) error {
	if err == nil {
		return nil
	}
	msg := strings.TrimSpace(s.stderr.String())
	if msg == "" {
		return fmt.Errorf("record: ffmpeg failed writing %s: %v", s.path, err)
	}
	return fmt.Errorf("record: ffmpeg failed writing %s (%v): %s", s.path, err, msg)
}

// Close lets ffmpeg finish the file and moves it into place.
func (s *mp4Sink) Close() error {
	if s.done {
		if s.err != nil {
			return s.err
		}
		return errClosed
	}
	s.done = true
	s.stdin.Close()
	if err := s.failure(s.cmd.Wait()); err != nil {
		os.Remove(s.tmp)
		return err
	}
	if fi, err := os.Stat(s.tmp); err != nil || fi.Size() == 0 {
		os.Remove(s.tmp)
		return fmt.Errorf("record: ffmpeg wrote no video for %s", s.path)
	}
	f, err := os.OpenFile(s.tmp, os.O_RDWR, 0)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		os.Remove(s.tmp)
		return fmt.Errorf("record: %s: %w", s.path, err)
	}
	return commitFile(f, s.path, nil)
}

// Abort stops ffmpeg and removes the temporary file.
func (s *mp4Sink) Abort() error {
	if s.done {
		return nil
	}
	s.done = true
	s.stdin.Close()
	s.cmd.Process.Kill()
	s.cmd.Wait()
	return os.Remove(s.tmp)
}

// tailBuffer keeps the last max bytes written to it; it is safe for concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
	cut bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
		t.cut = true
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cut {
		return "…" + string(t.b)
	}
	return string(t.b)
}
