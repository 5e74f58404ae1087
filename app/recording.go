package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/mflowlab/mflowlab/app/record"
)

// recordFPS is the frame rate of in-app recordings: new plane rasters are kept at most this
// often.
const recordFPS = 15

// recording is an in-app recording of the plane's rasters.
type recording struct {
	rec  *record.Recorder
	path string
	last uint64 // version of the last raster recorded
	skip uint64 // version of the newest raster not recorded (not due), 0 if none
}

// recordPath is where a new recording goes: the Models path field when it names a .gif or
// .mp4 file, else a time-stamped GIF in the working folder.
func (u *UI) recordPath(now time.Time) string {
	p := cleanPath(u.panel.models.path.Text())
	switch strings.ToLower(filepath.Ext(p)) {
	case ".gif", ".mp4":
		return p
	}
	return now.Format("mflowlab-20060102-150405.gif")
}

// Recording reports whether the plane is being recorded.
func (u *UI) Recording() bool { return u.rec != nil }

// toggleRecording starts or stops the recording.
func (u *UI) toggleRecording(now time.Time) {
	if u.rec != nil {
		u.stopRecording(false)
		return
	}
	v := u.pv.view
	if v.W <= 0 || v.H <= 0 {
		u.lab.Errorf("not recording: the plane has not been drawn yet")
		return
	}
	path := u.recordPath(now)
	rec, err := record.NewRecorder(path, v.W, v.H, recordFPS)
	if err != nil {
		u.lab.Errorf("not recording: %v", err)
		return
	}
	u.rec = &recording{rec: rec, path: path}
	u.lab.Infof("recording the plane to %s — press v or Stop to finish", path)
	u.recordFrame(now) // the picture shown now is the first frame
}

// recordFrame adds the shown raster to the recording when it is new and a frame is due.
func (u *UI) recordFrame(now time.Time) {
	r, rc := u.pv.shown, u.rec
	if rc == nil || r == nil || r.version == rc.last {
		return
	}
	if !rc.rec.Due(now) {
		rc.skip = r.version
		return
	}
	var err error
	if u.opts.Sync {
		err = rc.rec.Frame(r.img)
	} else {
		var queued bool
		queued, err = rc.rec.TryFrame(r.img)
		if !queued && err == nil {
			rc.skip = r.version // the encoder is behind: try the next raster
			return
		}
	}
	rc.last, rc.skip = r.version, 0
	if err != nil {
		u.rec = nil
		_ = rc.rec.Abort()
		u.lab.Errorf("recording stopped: %v", err)
	}
}

// stopRecording adds the last picture if it was skipped and finishes the file: in the
// background in the window, at once in sync mode or when wait is set.
func (u *UI) stopRecording(wait bool) {
	rc := u.rec
	if rc == nil {
		return
	}
	u.rec = nil
	if r := u.pv.shown; r != nil && r.version != rc.last {
		_ = rc.rec.Frame(r.img) // the final state belongs in the recording
	}
	frames, played := rc.rec.Frames(), rc.rec.Elapsed()
	finish := func() func() {
		err := rc.rec.Stop()
		return func() {
			if err != nil {
				u.lab.Errorf("recording not written: %v", err)
				return
			}
			u.lab.Infof("wrote the recording %s (%d frames, %s at %d fps)", rc.path, frames, fmtDur(played), recordFPS)
		}
	}
	if wait || u.opts.Sync {
		finish()()
		return
	}
	u.lab.Infof("finishing the recording %s …", rc.path)
	u.lab.goJob(func(context.Context) func() { return finish() })
}

// recordNote is the toolbar's recording indicator.
func (u *UI) recordNote() string {
	if u.rec == nil {
		return ""
	}
	return fmt.Sprintf("● REC %s · %d frames", fmtDur(u.rec.rec.Elapsed()), u.rec.rec.Frames())
}

// fmtDur formats d as m:ss.
func fmtDur(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
