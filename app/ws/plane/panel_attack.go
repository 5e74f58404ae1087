package plane

import (
	"fmt"
	"image"
	"image/color"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/ui/scene"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// attackPanel sets the attack run on every probe and shows the selected probe's outcome.
type attackPanel struct {
	u                *Plane
	kind, target     widgets.Choice
	eps, steps, step widgets.Field
	targeted, adapt  widgets.Toggle
	cur              attack.Params // the last valid parameters
}

func (p *attackPanel) init(u *Plane) {
	p.u = u
	p.cur = attack.Params{Kind: attack.PGD, Eps: 0.15, Steps: 20, Alpha: 0.02}
	p.kind.Value = p.cur.Kind.String()
	p.target.Value = "1"
	p.eps.SetFloat(p.cur.Eps)
	p.steps.SetInt(p.cur.Steps)
	p.step.SetFloat(p.cur.Alpha)
	p.eps.Check, p.step.Check, p.steps.Check = checkFloat, checkFloat, checkInt
}

func (p *attackPanel) fields() []*widgets.Field { return []*widgets.Field{&p.eps, &p.steps, &p.step} }

// params returns the attack for the scene and whether it is adaptive (through the
// projection defence).
func (p *attackPanel) params() (attack.Params, bool) { return p.cur, p.adapt.Value }

// read updates cur from the controls when they form valid parameters, and marks the
// fields that do not.
func (p *attackPanel) read() {
	q := p.cur
	if k, err := attack.ParseKind(p.kind.Value); err == nil {
		q.Kind = k
	}
	eps, okE := p.eps.Float()
	steps, okS := p.steps.Int()
	alpha, okA := p.step.Float()
	if okE {
		q.Eps = eps
	}
	if okS {
		q.Steps = steps
	}
	if okA {
		q.Alpha = alpha
	}
	q.Targeted = p.targeted.Value
	q.Target = 0
	if p.target.Value == "1" {
		q.Target = 1
	}
	if err := q.Validate(); err != nil {
		p.u.lab.Errorf("attack: %v", err)
		return
	}
	p.cur = q
}

// Form lays out the section (widgets.Section).
func (p *attackPanel) Form(f *widgets.Form) {
	th := p.u.th
	f.Section("Attack", fmt.Sprintf("ε = %g", p.cur.Eps), th.Muted)
	ln := f.Line(24)
	if ln.Segmented(&p.kind, []string{"fgsm", "pgd", "pgd-l2"}, []string{"FGSM", "PGD L∞", "PGD L2"}, ln.Rest()) {
		p.read()
	}
	f.FieldGrid([]string{"ε", "steps", "step size"}, []*widgets.Field{&p.eps, &p.steps, &p.step}, []string{"0.15", "20", "0.02"})
	if p.eps.Changed() || p.steps.Changed() || p.step.Changed() {
		p.read()
	}
	ln = f.Line(24)
	if ln.Check(&p.targeted, "targeted at class") {
		p.read()
	}
	if ln.Segmented(&p.target, []string{"0", "1"}, []string{"0", "1"}, f.Dp(64)) {
		p.read()
	}
	ln.Space(8)
	ln.Check(&p.adapt, "adaptive")
	p.probeForm(f)
}

// probeForm shows the selected probe's labels and outcome.
func (p *attackPanel) probeForm(f *widgets.Form) {
	th := p.u.th
	id := p.u.pv.probes.selected
	res := p.u.scene.Latest()
	var pr *scene.ProbeResult
	if res != nil {
		for i := range res.Probes {
			if res.Probes[i].ID == id {
				pr = &res.Probes[i]
			}
		}
	}
	n := len(p.u.pv.probes.list)
	f.Gap(4)
	if pr == nil {
		msg := fmt.Sprintf("%d probes · click one on the plane to see its outcome", n)
		if n == 0 {
			msg = "click on the plane to drop a probe"
		}
		f.Caption(msg)
		return
	}
	cls := func(c int32) string {
		if c < 0 {
			return "–"
		}
		return fmt.Sprintf("class %d", c)
	}
	caseText, cc := "no outcome (needs a flow and a classifier)", th.Muted
	if pr.Case != attack.CaseNone {
		caseText = fmt.Sprintf("Case %s: %s", pr.Case, pr.Case.Describe())
		cc = []color.NRGBA{th.OK, th.Accent, th.Error, th.Muted}[pr.Case-attack.CaseA]
	}
	top := f.Y
	f.Gap(6)
	x, w := f.X, f.W
	f.X, f.W = x+f.Dp(8), w-f.Dp(16)
	f.Stat("selected probe", fmt.Sprintf("#%d at (%+.3f, %+.3f)", pr.ID, pr.X[0], pr.X[1]), th.Text)
	f.Stat("clean → adversarial", cls(pr.PredClean)+" → "+cls(pr.PredAdv), th.Text)
	f.Stat("defended (projected)", cls(pr.PredDefended), th.Text)
	f.Text(widgets.Bold, th.Small, cc, caseText)
	f.X, f.W = x, w
	f.Gap(4)
	box := image.Rect(x, top, x+w, f.Y)
	// Draw the card under the text recorded above: move its commands to the front.
	f.L.Underlay(func(l *widgets.List) { l.Box(box, f.Dp(6), th.Card, th.Border) })
}
