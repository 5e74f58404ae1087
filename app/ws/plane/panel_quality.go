package plane

import (
	"fmt"
	"image/color"

	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// verdictColors returns the badge's fill and text colours for v: learned green, partial
// amber, failed red, diverged grey.
func verdictColors(th *widgets.Theme, v quality.Verdict) (bg, fg color.NRGBA) {
	switch v {
	case quality.Learned:
		return th.OK, th.OnAcc
	case quality.Partial:
		return color.NRGBA{0xe0, 0x9b, 0x1a, 0xff}, th.Text // dark text: white on amber reads poorly
	case quality.Failed:
		return th.Error, th.OnAcc
	}
	return color.NRGBA{0x8a, 0x90, 0x9b, 0xff}, th.OnAcc
}

// qualityForm shows the run's manifold quality as the background watcher last measured it:
// the verdict badge, d2m95 and core m2d95 (or that there is no reference curve), and when
// the run was first measured learned.
func (p *trainPanel) qualityForm(f *widgets.Form) {
	th, l := p.u.th, p.u.lab
	f.Gap(4)
	ln := f.Labelled("manifold", 22)
	if l.static != nil {
		ln.Label("not measured for a loaded flow", th.Muted)
		return
	}
	st := l.quality()
	d2m, core := "–", "–"
	switch {
	case st == nil:
		p.badgeR = ln.Badge("measuring…", th.Border, th.Muted)
	case st.Err != "":
		ln.Label(shortErr(fmt.Errorf("%s", st.Err)), th.Error)
	default:
		bg, fg := verdictColors(th, st.Verdict)
		p.badgeR = ln.Badge(st.Verdict.String(), bg, fg)
		ln.Label(fmt.Sprintf("at step %d", st.Step), th.Muted)
		d2m = fmt.Sprintf("%.4f", st.Result.D2M95)
		if st.Result.HasCurve {
			core = fmt.Sprintf("%.4f", st.Result.M2D95Core)
		}
	}
	if st != nil && st.Measured && !st.Result.HasCurve {
		core = "none" // the caption below says why
	}
	f.Stats([][2]string{{"d2m95", d2m}, {"core m2d95", core}}, 0.42)
	switch {
	case st != nil && st.Learned():
		f.Text(widgets.Regular, th.Small, th.OK, fmt.Sprintf("learned at step %d (%.1f s)", st.LearnedStep, st.LearnedElapsed.Seconds()))
	case st != nil && st.Measured && !st.Result.HasCurve:
		f.Caption("no reference curve: the verdict rests on d2m95 alone")
	default:
		f.Caption("not learned yet")
	}
}
