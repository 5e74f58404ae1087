package cifar

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"gioui.org/widget"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// panel is the workspace's part of the side panel.
type panel struct {
	c      *CIFAR
	data   dataSection
	models modelsSection
	atk    attackSection
	gal    gallerySection
	cases  casesSection
}

func (p *panel) init(c *CIFAR) {
	p.c = c
	p.data.c, p.models.c, p.atk.c, p.gal.c, p.cases.c = c, c, c, c, c
	p.models.init()
	p.atk.init()
	p.gal.init()
	p.show(c.settings)
}

// show puts settings into the sections' fields.
func (p *panel) show(s Settings) {
	p.data.path.SetText(s.Images)
	p.models.show(s)
	p.atk.show(s.Attack)
	p.gal.seed.SetText(strconv.FormatUint(s.Seed, 10))
}

func (p *panel) sections() []widgets.Section {
	return []widgets.Section{&p.data, &p.models, &p.atk, &p.gal, &p.cases}
}

// editing reports whether a text field has the keyboard focus.
func (p *panel) editing() bool {
	for _, f := range []*widgets.Field{&p.data.path, &p.models.clf, &p.models.d, &p.models.flow, &p.models.sess,
		&p.atk.eps, &p.atk.steps, &p.atk.alpha, &p.atk.target, &p.gal.seed, &p.c.gv.path} {
		if f.Focused() {
			return true
		}
	}
	return false
}

// baseName returns the last element of a path.
func baseName(p string) string { return filepath.Base(p) }

// dataSection says where the images come from and points the engine elsewhere.
type dataSection struct {
	c           *CIFAR
	path        widgets.Field
	browse, use widget.Clickable
	dl, cancel  widget.Clickable
}

// Form lays out the section (widgets.Section).
func (d *dataSection) Form(f *widgets.Form) {
	c := d.c
	th := c.th
	note := "searching"
	if s := c.snap; s != nil && len(s.Samples) > 0 {
		note = fmt.Sprintf("%d images", len(s.Samples))
	} else if s != nil && s.Err != nil {
		note = "not found"
	}
	f.Section("CIFAR-10 data", note, th.Muted)
	src := c.settings.Images
	if s := c.snap; s != nil && s.Data != "" {
		src = s.Data
	}
	if src == "" {
		src = "searching the data folder, then MFLOWLAB_SHARED"
	}
	f.Caption(src)
	ln := f.Line(26)
	ln.Field(&d.path, ln.Rest()-f.Dp(12)-widgets.BrowseWidth(f)-f.ButtonWidth("Use"), "folder, .bin or .tar.gz")
	if ln.Button(&d.browse, widgets.Secondary, widgets.BrowseLabel, widgets.BrowseWidth(f)) {
		c.host.Browse(browseData, &d.path)
	}
	if ln.Button(&d.use, widgets.Secondary, "Use", 0) || d.path.Submitted() {
		c.useData(d.path.Text())
	}
	if c.dl.active() {
		c.dl.form(c, f, &d.dl, &d.cancel, "")
	}
}

// attackSection sets the attack: kind, ε and step size in grey levels, steps, target, and
// whether the gallery shows the adaptive attack.
type attackSection struct {
	c                 *CIFAR
	kind              widgets.Choice
	eps, steps, alpha widgets.Field
	target            widgets.Field
	targeted, adapt   widgets.Toggle
}

func (a *attackSection) init() {
	a.eps.Check, a.alpha.Check = checkGrey, checkGrey
	a.steps.Check = checkInt
	a.target.Check = func(s string) error {
		if k, err := strconv.Atoi(s); err != nil || k < 0 || k > 9 {
			return errors.New("a class 0–9")
		}
		return nil
	}
}

// show puts p into the fields.
func (a *attackSection) show(p attack.Params) {
	a.kind.Value = p.Kind.String()
	a.eps.SetText(greyText(p.Eps))
	a.alpha.SetText(greyText(p.Alpha))
	a.steps.SetInt(p.Steps)
	a.target.SetInt(int(p.Target))
	a.targeted.Value = p.Targeted
}

// greyText writes a pixel-unit value in grey levels ("8" for 8/255).
func greyText(v float64) string { return strconv.FormatFloat(math.Round(v*255*1000)/1000, 'g', -1, 64) }

// checkGrey accepts a number of grey levels in [0, 255].
func checkGrey(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "/255"), 64)
	if err != nil || !(v >= 0 && v <= 255) {
		return errors.New("grey levels 0–255")
	}
	return nil
}

func checkInt(s string) error {
	if _, err := strconv.Atoi(s); err != nil {
		return errors.New("not a whole number")
	}
	return nil
}

// read returns the attack of the fields, or an error.
func (a *attackSection) read() (attack.Params, error) {
	p := a.c.settings.Attack
	k, err := attack.ParseKind(a.kind.Value)
	if err != nil {
		return p, err
	}
	grey := func(f *widgets.Field) (float64, bool) {
		v, err := strconv.ParseFloat(strings.TrimSuffix(f.Text(), "/255"), 64)
		return v / 255, err == nil && checkGrey(f.Text()) == nil
	}
	eps, ok1 := grey(&a.eps)
	alpha, ok2 := grey(&a.alpha)
	steps, ok3 := a.steps.Int()
	tgt, ok4 := a.target.Int()
	if !ok1 || (k != attack.FGSM && (!ok2 || !ok3)) || (a.targeted.Value && (!ok4 || tgt < 0 || tgt > 9)) {
		return p, errors.New("ε and step size in grey levels (0–255), steps a whole number, target a class 0–9")
	}
	p.Kind, p.Eps, p.Targeted, p.Target = k, eps, a.targeted.Value, int32(max(0, tgt))
	p.RandomStart = k != attack.FGSM
	if k != attack.FGSM {
		p.Steps, p.Alpha = steps, alpha
	} else {
		p.Steps, p.Alpha = 0, 0
	}
	return p, p.Validate()
}

// apply hands the fields' attack to the engine when it is valid and new.
func (a *attackSection) apply() {
	c := a.c
	p, err := a.read()
	if err != nil {
		c.host.Errorf("attack: %v", err)
		return
	}
	if sameAttack(p, c.settings.Attack) {
		return
	}
	s := c.settings
	s.Attack = p
	c.Apply(s)
	if c.det.open() {
		c.SetDetailEps(p.Eps)
	}
}

// sameAttack reports whether two attacks are the same (the boxes are compared by value).
func sameAttack(a, b attack.Params) bool {
	a.Box, b.Box = nil, nil
	return a == b
}

// Form lays out the section (widgets.Section).
func (a *attackSection) Form(f *widgets.Form) {
	c := a.c
	th := c.th
	f.Section("Attack", attackName(c.settings.Attack), th.Muted)
	ln := f.Line(24)
	if ln.Segmented(&a.kind, []string{"fgsm", "pgd", "pgd-l2"}, []string{"FGSM", "PGD L∞", "PGD L2"}, ln.Rest()) {
		a.apply()
	}
	f.FieldGrid([]string{"ε /255", "steps", "step /255", "target"}, []*widgets.Field{&a.eps, &a.steps, &a.alpha, &a.target},
		[]string{"8", "10", "2", "0–9"})
	if a.eps.Submitted() || a.steps.Submitted() || a.alpha.Submitted() || a.target.Submitted() {
		a.apply()
	}
	ln = f.Line(24)
	if ln.Check(&a.targeted, "targeted at the class above") {
		a.apply()
	}
	ln = f.Line(24)
	a.adapt.Value = c.adaptive
	if ln.Check(&a.adapt, "adaptive: gradients through the defence (key a)") {
		c.SetAdaptive(a.adapt.Value)
	}
	f.Caption("Enter applies ε, steps and step size (in grey levels, /255);")
	f.Caption("the visible page is attacked first, the rest follows.")
}
