package plane

import (
	"fmt"
	"image"
	"path/filepath"

	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// Sections implements ws.Workspace: the side panel's parts.
func (u *Plane) Sections() []widgets.Section { return u.panel.sections() }

// Editing implements ws.Workspace.
func (u *Plane) Editing() bool { return u.panel.editing() }

// Status implements ws.Workspace: the visible data box and zoom, and the scene's error.
func (u *Plane) Status() (note, warn string) {
	if res := u.scene.Latest(); res != nil && res.Err != nil {
		warn = res.Err.Error()
	}
	return u.viewNote(), warn
}

// Timings implements ws.Workspace: the plane's raster and scene times.
func (u *Plane) Timings() [][2]string {
	rms, sms := 0.0, 0.0
	if r := u.pv.shown; r != nil {
		rms = r.ms
		if r.res != nil {
			sms = r.res.ComputeMS
		}
	}
	return [][2]string{{"plane raster", fmt.Sprintf("%.1f ms", rms)}, {"scene", fmt.Sprintf("%.0f ms", sms)}}
}

// Picture implements ws.Workspace: the painted raster.
func (u *Plane) Picture() (*image.RGBA, uint64) {
	if r := u.pv.shown; r != nil {
		return r.img, r.version
	}
	return nil, 0
}

// Hold implements ws.Workspace: while on, the plane keeps painting its raster; turned off,
// it paints the newest at once.
func (u *Plane) Hold(on bool) {
	pv := &u.pv
	if !on && pv.hold && pv.released == nil { // one swap per frame: the previous raster goes back after it
		if r := u.rz.Take(); r != nil && r != pv.shown {
			pv.released, pv.shown = pv.shown, r
		}
	}
	pv.hold = on
}

// Ready implements ws.Workspace: both charts are drawn and the manifold quality of the
// shown flow is measured.
func (u *Plane) Ready() bool { return u.panel.charts.ready() && u.lab.qualityReady() }

// Receive implements ws.Receiver: a *ws.FlowRef is shown instead of the live run (which
// pauses), on its data when it brings some.
func (u *Plane) Receive(msg any) error {
	ref, ok := msg.(*ws.FlowRef)
	if !ok || ref.Flow == nil {
		return fmt.Errorf("the plane cannot show %T", msg)
	}
	if c := ref.Flow.Cfg; c.N != 2 || c.D != 1 {
		return fmt.Errorf("%s: the flow maps %d-D points to a %d-D manifold; the plane needs 2-D points and a 1-D manifold", ref.Source, c.N, c.D)
	}
	l := u.lab
	if d := ref.Data; d != nil && d != l.data {
		if g := ref.Gen; g != nil {
			gen := dataSettings{N: g.N, Noise: g.Noise, Rotations: g.Rotations, Seed: g.Seed}
			if gen != l.dataGen || l.dataFile {
				l.dataGen = gen
				l.setData(d, false)
			}
		} else {
			l.setData(d, true)
		}
	}
	l.static, l.staticVersion, l.staticSource = ref.Flow, l.next(), ref.Source
	l.pause()
	back := ""
	if ref.Back != "" {
		back = " — its tab goes back"
	}
	l.Infof("showing %s on the plane; training here paused%s", filepath.Base(ref.Source), back)
	return nil
}
