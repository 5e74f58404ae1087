package plane

import (
	"context"
	"fmt"
	"image"
	"math"
	"time"

	"gioui.org/layout"
	"gioui.org/op"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/charts"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// Chart sizes and refresh policy.
const (
	lossChartH    = 200                    // dp
	casesChartH   = 210                    // dp
	lossEvery     = 400 * time.Millisecond // at most this often while training
	sweepEvery    = 250                    // training steps between case sweeps
	sweepGap      = 4 * time.Second        // and at least this long while only training moves on
	sweepPoints   = 240                    // data points attacked per sweep
	sweepEpsCount = 25                     // ε values from 0 to sweepEpsMax
	sweepEpsMax   = 0.3
	maxChartSteps = 800 // history entries drawn; longer histories are thinned
)

// sweepKey is what the case chart depends on.
type sweepKey struct {
	flow     *flow.MFlow // the loaded flow, or nil for the run
	bucket   int         // run step / sweepEvery
	seed     uint64
	clf      uint64
	data     uint64
	attack   attack.Params
	adaptive bool
}

// chartsPanel shows the live loss curves and the A–D case frequencies against ε, both drawn
// with gonum/plot in background jobs and painted as images.
type chartsPanel struct {
	u    *Plane
	logY widgets.Toggle

	lossAt0, casesAt image.Rectangle // where the charts go in the section

	width, lossH, casesH int // chart sizes in pixels, from the last layout
	dpi                  int

	lossPic  widgets.Picture
	lossR    charts.Renderer // used by one job at a time
	lossBusy bool
	lossFor  [3]uint64 // snapshot version, log flag, width of the drawn chart
	lossAt   time.Time
	lossSeq  uint64

	casesPic  widgets.Picture
	casesR    charts.Renderer
	casesBusy bool
	casesKey  sweepKey
	casesAt0  time.Time // when the last sweep started
	casesNote string
	casesSeq  uint64
}

func (p *chartsPanel) init(u *Plane) {
	p.u = u
	p.logY.Value = true
}

// update starts chart jobs when their inputs changed.
func (p *chartsPanel) update(gtx layout.Context) {
	if p.width < 40 {
		return
	}
	l := p.u.lab
	snap := l.run.Latest()
	logF := uint64(0)
	if p.logY.Value {
		logF = 1
	}
	want := [3]uint64{snap.Version, logF, uint64(p.width)<<32 | uint64(p.lossH)}
	if !p.lossBusy && want != p.lossFor && gtx.Now.Sub(p.lossAt) >= lossEvery {
		p.lossBusy, p.lossFor, p.lossAt = true, want, gtx.Now
		h := lossHistory(snap.History, snap.Phases)
		o := charts.LossOptions{W: p.width, H: p.lossH, DPI: p.dpi, LogY: p.logY.Value, Show: charts.AllSeries}
		r := &p.lossR
		l.goJob(func(context.Context) func() {
			img := cloneRGBA(r.Loss(h, o))
			return func() {
				p.lossBusy = false
				p.lossSeq++
				p.lossPic.Set(img, p.lossSeq)
			}
		})
	} else if !p.lossBusy && want != p.lossFor {
		gtx.Execute(op.InvalidateCmd{At: p.lossAt.Add(lossEvery)})
	}

	f, _ := l.Flow()
	ap, adaptive := p.u.panel.attack.params()
	k := sweepKey{flow: l.static, bucket: snap.Step / sweepEvery, seed: snap.Seed, clf: l.clfVersion, data: l.dataVersion, attack: ap, adaptive: adaptive}
	onlyTraining := k != p.casesKey && k.bucket != p.casesKey.bucket && k == withBucket(p.casesKey, k.bucket)
	if onlyTraining && gtx.Now.Sub(p.casesAt0) < sweepGap {
		gtx.Execute(op.InvalidateCmd{At: p.casesAt0.Add(sweepGap)})
	} else if !p.casesBusy && k != p.casesKey && f != nil && l.clf != nil && l.data != nil {
		p.casesBusy, p.casesKey, p.casesAt0 = true, k, gtx.Now
		clf, d, w, h, dpi := l.clf, l.data, p.width, p.casesH, p.dpi
		step := snap.Step
		r := &p.casesR
		l.goJob(func(ctx context.Context) func() {
			t0 := time.Now()
			res, err := sweepCases(ctx, clf, f, d, ap, adaptive)
			if err != nil {
				return func() {
					p.casesBusy = false
					p.casesNote = "sweep failed: " + err.Error()
				}
			}
			cd := charts.CasesData{Eps: res.Eps, Counts: res.Counts}
			img := cloneRGBA(r.Cases(cd, charts.CasesOptions{W: w, H: h, DPI: dpi}))
			note := fmt.Sprintf("%s on %d points · step %d · %.1f s", ap.Kind, res.N, step, time.Since(t0).Seconds())
			if i := res.EpsStar(); i >= 0 {
				note = fmt.Sprintf("ε* = %.3f: attack %.0f %%, undone %.0f %% · ", res.Eps[i], 100*res.AttackRate(i), 100*res.UndoneShare(i)) + note
			}
			return func() {
				p.casesBusy = false
				p.casesSeq++
				p.casesPic.Set(img, p.casesSeq)
				p.casesNote = note
			}
		})
	}
}

// withBucket returns k with the training-step bucket b.
func withBucket(k sweepKey, b int) sweepKey { k.bucket = b; return k }

// sweepCases attacks an evenly spaced subset of the data at every ε of the chart and counts
// the cases A–D.
func sweepCases(ctx context.Context, clf *classify.MLP, f *flow.MFlow, d *spirals.Dataset, p attack.Params, adaptive bool) (*attack.SweepResult, error) {
	// One goroutine each, on the job's low-priority thread: the window keeps the other core.
	cs, fs := *clf, *f
	cs.Workers, fs.Workers = 1, 1
	clf, f = &cs, &fs
	n := min(sweepPoints, d.N())
	x := nn.NewMat(n, 2)
	y := make([]int32, n)
	for i := range n {
		j := i * d.N() / n
		x.Data[2*i], x.Data[2*i+1] = d.X[2*j], d.X[2*j+1]
		y[i] = d.Y[j]
	}
	var target attack.Classifier = clf
	if adaptive {
		target = attack.Defended{Clf: clf, Flow: f}
	}
	if p.Kind != attack.FGSM {
		p.Alpha = 0 // 2.5·ε/steps for each ε
	}
	return attack.Sweep(ctx, target, f, x, y, attack.Linspace(0, sweepEpsMax, sweepEpsCount), p, nil)
}

// Form lays out the section (widgets.Section).
func (p *chartsPanel) Form(f *widgets.Form) {
	th := p.u.th
	p.width, p.lossH, p.casesH = f.W, f.Dp(lossChartH), f.Dp(casesChartH)
	p.dpi = int(math.Round(96 * float64(f.Dp(100)) / 100))
	f.Section("Loss", "", th.Muted)
	ln := f.Line(20)
	ln.Check(&p.logY, "logarithmic axis")
	p.lossAt0 = f.Rect(p.lossH)
	f.Section("Cases A–D against ε", "", th.Muted)
	p.casesAt = f.Rect(p.casesH)
	f.Gap(3)
	f.Caption(p.casesNote)
	for _, c := range []struct {
		pic *widgets.Picture
		r   image.Rectangle
	}{{&p.lossPic, p.lossAt0}, {&p.casesPic, p.casesAt}} {
		if c.pic.Image() == nil {
			f.L.Box(c.r, f.Dp(4), th.Card, th.Border)
			fc := f.Face(widgets.Regular, th.Small)
			f.L.Text(fc, c.r.Min.X+(c.r.Dx()-fc.Measure("computing…"))/2, c.r.Min.Y+c.r.Dy()/2, "computing…", th.Muted, image.Rectangle{})
		}
	}
}

// Paint paints the chart images over the section drawn at org.
func (p *chartsPanel) Paint(gtx layout.Context, org image.Point) {
	for _, c := range []struct {
		pic *widgets.Picture
		r   image.Rectangle
	}{{&p.lossPic, p.lossAt0}, {&p.casesPic, p.casesAt}} {
		if c.pic.Image() == nil {
			continue
		}
		st := op.Offset(org.Add(c.r.Min)).Push(gtx.Ops)
		g := gtx
		g.Constraints = layout.Exact(c.r.Size())
		c.pic.Layout(g)
		st.Pop()
	}
}

// lossHistory converts the run's history and phases for the chart, thinning the history to
// at most maxChartSteps entries. The validation loss is kept only where it changes (epoch
// ends), so it shows as one marker per validation.
func lossHistory(h *run.History, ph *run.Phases) charts.LossHistory {
	n := h.Len()
	stride := max(1, int(math.Ceil(float64(n)/maxChartSteps)))
	m := (n + stride - 1) / stride
	out := charts.LossHistory{Step: make([]float64, 0, m), Loss: make([]float64, 0, m), MSE: make([]float64, 0, m),
		NLL: make([]float64, 0, m), Val: make([]float64, 0, m), GradNorm: make([]float64, 0, m)}
	lastVal := math.NaN()
	for i := 0; i < n; i += stride {
		p := h.At(i)
		val := math.NaN()
		for j := i; j < min(i+stride, n); j++ { // the newest change within the stride
			if v := h.At(j).ValLoss; !math.IsNaN(v) && v != lastVal {
				val, lastVal = v, v
			}
		}
		out.Step = append(out.Step, float64(p.Step))
		out.Loss = append(out.Loss, p.Loss)
		out.MSE = append(out.MSE, p.MSE)
		out.NLL = append(out.NLL, p.NLL)
		out.Val = append(out.Val, val)
		out.GradNorm = append(out.GradNorm, p.GradNorm)
	}
	if ph.Len() > 1 {
		out.Phases = make([]charts.PhaseMark, ph.Len())
		for i := range out.Phases {
			m := ph.At(i)
			out.Phases[i] = charts.PhaseMark{Step: float64(m.Start), Label: m.Phase.String()}
		}
	}
	return out
}

// cloneRGBA returns a copy of img that the caller owns.
func cloneRGBA(img *image.RGBA) *image.RGBA {
	c := *img
	c.Pix = append([]uint8(nil), img.Pix...)
	return &c
}

// ready reports whether both charts are drawn and no chart job runs.
func (p *chartsPanel) ready() bool {
	return p.lossPic.Image() != nil && p.casesPic.Image() != nil && !p.lossBusy && !p.casesBusy
}
