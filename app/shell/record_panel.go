package shell

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gioui.org/widget"

	"github.com/mflowlab/mflowlab/app/record"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// Keys of the Record panel's choices.
const (
	targetArea   = "area" // the workspace's main area
	targetWindow = "window"

	formatGIF = "gif"
	formatPNG = "png"
	formatMP4 = "mp4"

	sizeNative = "1"
	sizeHalf   = "half"
	sizeCustom = "custom"
)

// recordFPSChoices are the playback rates offered, as choice keys.
var recordFPSChoices = [...]string{"10", "15", "24", "30", "60"}

// installFFmpeg says how to get MP4 recordings.
const installFFmpeg = "MP4 needs ffmpeg, which is not installed: sudo apt-get install ffmpeg"

// minRecordSide is the smallest custom frame side.
const minRecordSide = 16

// recordOptions are the settings of one in-app recording, read from the Record panel.
type recordOptions struct {
	window    bool // the whole window, else the workspace's main area
	format    record.Format
	path      string // output, with the format's extension
	fps       int    // playback rate
	size      string // sizeNative, sizeHalf or sizeCustom
	w, h      int    // the custom size
	maxFrames int    // stop after this many frames; 0 for no limit
}

// outSize returns the size of the frames written when the pictures are src pixels.
func (o recordOptions) outSize(src image.Point) image.Point {
	switch o.size {
	case sizeHalf:
		return image.Pt(max(1, src.X/2), max(1, src.Y/2))
	case sizeCustom:
		return image.Pt(o.w, o.h)
	}
	return src
}

// recordPanel is the Record section: what to record (the workspace's main area or the whole
// window), the format, where to, the playback rate, the frame size and an optional maximum
// length, and the button that starts and stops the recording (also key v).
type recordPanel struct {
	u                         *UI
	target, format, fps, size widgets.Choice
	path, custom, maxLen      widgets.Field
	autoPath                  string // the dated name the panel last filled in
	toggle                    widget.Clickable
	hasFFmpeg                 bool
	mp4At, fps60At            image.Point // centres of the MP4 and 60 fps choices, panel pixels (tests click them)

	// Test seams: lookFFmpeg finds ffmpeg (nil: in PATH), openSink opens the output (nil:
	// record.Open).
	lookFFmpeg func() error
	openSink   func(path string, w, h, fps int) (record.Sink, error)
}

func (p *recordPanel) init(u *UI) {
	p.u = u
	p.target.Value, p.format.Value, p.fps.Value, p.size.Value = targetArea, formatGIF, "15", sizeNative
	p.custom.Check = func(s string) error { _, _, err := parseRecordSize(s); return err }
	p.maxLen.Check = func(s string) error { _, err := parseSeconds(s); return err }
	p.autoPath = datedName(time.Now(), record.GIF, "")
	p.path.SetText(p.autoPath)
	p.detectFFmpeg()
}

// editing reports whether one of the section's fields has the keyboard focus.
func (p *recordPanel) editing() bool {
	return p.path.Focused() || p.custom.Focused() || p.maxLen.Focused()
}

// detectFFmpeg looks for ffmpeg in PATH (at run time, so that installing it while the
// app runs is noticed the next time MP4 is chosen).
func (p *recordPanel) detectFFmpeg() bool {
	look := p.lookFFmpeg
	if look == nil {
		look = func() error { _, err := exec.LookPath("ffmpeg"); return err }
	}
	p.hasFFmpeg = look() == nil
	return p.hasFFmpeg
}

// formatOf returns the chosen format.
func (p *recordPanel) formatOf() record.Format {
	switch p.format.Value {
	case formatMP4:
		return record.MP4
	case formatPNG:
		return record.PNGDir
	}
	return record.GIF
}

// options reads the panel into the options of a new recording.
func (p *recordPanel) options(now time.Time) (recordOptions, error) {
	o := recordOptions{window: p.target.Value == targetWindow, format: p.formatOf(), size: p.size.Value}
	if o.format == record.MP4 && !p.detectFFmpeg() {
		return o, errors.New(installFFmpeg)
	}
	fps, err := strconv.Atoi(p.fps.Value)
	if err != nil || fps < 1 {
		return o, fmt.Errorf("bad frame rate %q", p.fps.Value)
	}
	o.fps = fps
	if o.format == record.GIF && fps > record.MaxGIFFPS {
		return o, fmt.Errorf("a GIF plays at most %d frames per second; choose MP4 or a PNG folder for %d", record.MaxGIFFPS, fps)
	}
	if o.size == sizeCustom {
		if o.w, o.h, err = parseRecordSize(p.custom.Text()); err != nil {
			return o, err
		}
	}
	secs, err := parseSeconds(p.maxLen.Text())
	if err != nil {
		return o, err
	}
	if secs > 0 {
		o.maxFrames = max(1, int(math.Ceil(secs*float64(fps)-1e-9)))
	}
	path := widgets.CleanPath(p.path.Text())
	if path == "" {
		path = datedName(now, o.format, "")
	}
	o.path = withFormat(path, o.format)
	return o, nil
}

// finished puts a new dated name in the path field after a recording, unless the user
// typed their own name, so that the next recording does not replace this one.
func (p *recordPanel) finished(path string) {
	if t := widgets.CleanPath(p.path.Text()); t == "" || t == p.autoPath {
		p.autoPath = datedName(time.Now(), p.formatOf(), path)
		p.path.SetText(p.autoPath)
	}
}

// Form lays out the section (widgets.Section).
func (p *recordPanel) Form(f *widgets.Form) {
	u := p.u
	th := u.th
	l := u
	note, nc := "key v", th.Muted
	if u.rec != nil {
		// The frame count is in the status line; a steady note here keeps the panel still
		// in whole-window recordings.
		note, nc = "● recording", th.Error
	}
	f.Section("Record", note, nc)

	ln := f.Labelled("capture", 24)
	area := u.spaces[u.cur].Area()
	if area != "" {
		area = strings.ToUpper(area[:1]) + area[1:]
	}
	ln.Segmented(&p.target, []string{targetArea, targetWindow}, []string{area, "Whole window"}, ln.Rest())

	prev := p.format.Value
	y := f.Y
	ln = f.Labelled("format", 24)
	x, w := f.X+f.Dp(56), ln.Rest()
	if ln.Segmented(&p.format, []string{formatGIF, formatPNG, formatMP4}, []string{"GIF", "PNG folder", "MP4"}, w) {
		p.formatChanged(prev)
	}
	p.mp4At = f.Org.Add(image.Pt(x+w*5/6, y+f.Dp(12)))
	if !p.hasFFmpeg {
		dimSegment(f, x, y, w, 2, 3)
		f.Caption("MP4 needs ffmpeg: sudo apt-get install ffmpeg")
	}

	ln = f.Labelled("save to", 24)
	ln.Field(&p.path, ln.Rest(), withFormat("empty: mflowlab-<date>-<time>", p.formatOf()))

	prev = p.fps.Value
	y = f.Y
	ln = f.Labelled("fps", 24)
	x, w = f.X+f.Dp(56), ln.Rest()
	if ln.Segmented(&p.fps, recordFPSChoices[:], recordFPSChoices[:], w) && p.format.Value == formatGIF {
		if v, _ := strconv.Atoi(p.fps.Value); v > record.MaxGIFFPS {
			p.fps.Value = prev
			l.Errorf("a GIF plays at most %d frames per second: choose MP4 or a PNG folder for %s fps", record.MaxGIFFPS, p.fps.Value)
		}
	}
	n := len(recordFPSChoices)
	p.fps60At = f.Org.Add(image.Pt(x+w*(2*n-1)/(2*n), y+f.Dp(12)))
	if p.format.Value == formatGIF {
		dimSegment(f, x, y, w, n-1, n)
	}

	ln = f.Labelled("size", 24)
	sw := ln.Rest() * 3 / 5
	ln.Segmented(&p.size, []string{sizeNative, sizeHalf, sizeCustom}, []string{"native", "½", "custom"}, sw)
	ln.Field(&p.custom, ln.Rest(), "800x600")
	if p.custom.Changed() {
		p.size.Value = sizeCustom // typing a size chooses it
	}

	ln = f.Labelled("limit", 24)
	ln.Field(&p.maxLen, f.Dp(64), "none")
	ln.Label(" s of video, then stop and write", th.Muted)

	f.Gap(2)
	label := "● Record"
	if u.rec != nil {
		label = "■ Stop"
	}
	ln = f.Line(26)
	if ln.Button(&p.toggle, widgets.Primary, label, f.Dp(92)) {
		u.ToggleRecording(f.Gtx.Now)
	}
	ln.Label(" or press v", th.Muted)
	if u.rec != nil {
		f.Caption("Changes apply to the next recording.")
	} else {
		f.Caption("One frame per new picture; fps is the playback rate.")
	}
}

// formatChanged checks a new format choice (MP4 needs ffmpeg; a GIF plays at most 50 fps)
// and gives the path field the format's extension.
func (p *recordPanel) formatChanged(prev string) {
	l := p.u
	if p.format.Value == formatMP4 && !p.detectFFmpeg() {
		p.format.Value = prev
		l.Errorf("%s", installFFmpeg)
		return
	}
	if v, _ := strconv.Atoi(p.fps.Value); p.format.Value == formatGIF && v > record.MaxGIFFPS {
		p.fps.Value = "30"
		l.Infof("a GIF plays at most %d frames per second: the rate is now 30 fps", record.MaxGIFFPS)
	}
	f := p.formatOf()
	if t := widgets.CleanPath(p.path.Text()); t != "" {
		np := withFormat(t, f)
		if t == p.autoPath {
			p.autoPath = np
		}
		p.path.SetText(np)
	}
}

// dimSegment greys out the segments from index from to the last of a segmented control of
// n segments drawn at x, y and w pixels wide, to show that they cannot be chosen now.
func dimSegment(f *widgets.Form, x, y, w, from, n int) {
	h := f.Dp(24)
	r := image.Rect(x+w*from/n, y, x+w, y+h).Inset(1)
	f.L.Fill(r, f.Dp(4), widgets.WithAlpha(f.T.Panel, 175))
}

// datedName returns a new file name in the working folder for a recording started at now,
// e.g. mflowlab-20250102-150405.gif, adding -2, -3, … when that name is taken or is
// avoid (a recording still being written).
func datedName(now time.Time, f record.Format, avoid string) string {
	base := now.Format("mflowlab-20060102-150405")
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		name = withFormat(name, f)
		if _, err := os.Stat(name); (err != nil && name != avoid) || i >= 1000 {
			return name
		}
	}
}

// withFormat gives path the extension of format f: .gif, .mp4, or none for a PNG folder
// (a .gif, .mp4 or .png extension is replaced).
func withFormat(path string, f record.Format) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".gif", ".mp4", ".png":
		path = path[:len(path)-len(filepath.Ext(path))]
	}
	switch f {
	case record.GIF:
		return path + ".gif"
	case record.MP4:
		return path + ".mp4"
	}
	return path
}

// parseRecordSize reads a custom frame size "WxH".
func parseRecordSize(s string) (w, h int, err error) {
	a, b, ok := strings.Cut(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "×", "x"), "x")
	w, err1 := strconv.Atoi(strings.TrimSpace(a))
	h, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("custom size %q: want WIDTHxHEIGHT, e.g. 800x600", s)
	}
	if w < minRecordSide || h < minRecordSide || w > record.MaxSide || h > record.MaxSide {
		return 0, 0, fmt.Errorf("custom size %q: each side must be between %d and %d pixels", s, minRecordSide, record.MaxSide)
	}
	return w, h, nil
}

// parseSeconds reads the maximum length: empty for none, else a positive number of seconds.
func parseSeconds(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) || v > 24*3600 {
		return 0, fmt.Errorf("max length %q: want seconds of video (e.g. 20), or nothing for no limit", s)
	}
	return v, nil
}
