package plane

import (
	"errors"
	"fmt"
	"image"
	"math"
	"strconv"

	"gioui.org/widget"

	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// trainPanel controls the live M-Flow training: play, step, speed, reset with a seed, the
// recipe (one click among the registry's), the hyper-parameters applied on reset, and shows
// the manifold quality measured in the background.
type trainPanel struct {
	u *Plane

	play, stepB, resetB  widget.Clickable
	live, original       widget.Clickable
	speed, recipe        widgets.Choice  // recipe: a registry name for the live config, "" for none
	perms                widgets.Choice  // couplings: "alternate" or "random" (flow.Config.Alternate)
	base                 run.Settings    // what the fields edit: the last shown settings
	badgeR               image.Rectangle // the quality badge in the last frame (section surface pixels)
	seed                 widgets.Field
	steps, hidden, block widgets.Field
	bins, batch, lr      widgets.Field
	mseW, nllW           widgets.Field
}

func (p *trainPanel) init(u *Plane) {
	p.u = u
	p.speed.Value = "0"
	for _, f := range []*widgets.Field{&p.seed, &p.steps, &p.hidden, &p.block, &p.bins, &p.batch} {
		f.Check = checkInt
	}
	for _, f := range []*widgets.Field{&p.lr, &p.mseW, &p.nllW} {
		f.Check = checkFloat
	}
	p.show(u.lab.run.Latest().Settings)
}

func (p *trainPanel) fields() []*widgets.Field {
	return []*widgets.Field{&p.seed, &p.steps, &p.hidden, &p.block, &p.bins, &p.batch, &p.lr, &p.mseW, &p.nllW}
}

// show puts settings into the fields, and selects the registry recipe they are, if any.
func (p *trainPanel) show(s run.Settings) {
	p.base = s
	p.recipe.Value = recipeOf(s.Train)
	p.seed.SetText(strconv.FormatUint(s.Seed, 10))
	p.steps.SetInt(s.Flow.Steps)
	p.hidden.SetInt(s.Flow.Hidden)
	p.block.SetInt(s.Flow.Blocks)
	p.bins.SetInt(s.Flow.Bins)
	p.batch.SetInt(s.Train.Batch)
	p.lr.SetFloat(s.Train.LR)
	p.mseW.SetFloat(s.Train.MSEWeight)
	p.nllW.SetFloat(s.Train.NLLWeight)
	p.perms.Value = permsRandom
	if s.Flow.Alternate {
		p.perms.Value = permsAlternate
	}
}

// The couplings choice: whether consecutive couplings transform the two coordinates in
// turn, or in the order the seed's random permutations give (the original code's).
const (
	permsAlternate = "alternate"
	permsRandom    = "random"
)

// settings reads the fields over the last shown settings.
func (p *trainPanel) settings() (run.Settings, error) {
	s := p.base
	ints := []struct {
		f    *widgets.Field
		dst  *int
		name string
	}{
		{&p.steps, &s.Flow.Steps, "S (coupling steps)"}, {&p.hidden, &s.Flow.Hidden, "H (hidden width)"},
		{&p.block, &s.Flow.Blocks, "B (residual blocks)"}, {&p.bins, &s.Flow.Bins, "K (spline bins)"},
		{&p.batch, &s.Train.Batch, "batch"},
	}
	for _, it := range ints {
		v, ok := it.f.Int()
		if !ok {
			return s, fmt.Errorf("%s: %q is not a whole number", it.name, it.f.Text())
		}
		*it.dst = v
	}
	floats := []struct {
		f    *widgets.Field
		dst  *float64
		name string
	}{{&p.lr, &s.Train.LR, "learning rate"}, {&p.mseW, &s.Train.MSEWeight, "MSE weight"}, {&p.nllW, &s.Train.NLLWeight, "NLL weight"}}
	for _, it := range floats {
		v, ok := it.f.Float()
		if !ok {
			return s, fmt.Errorf("%s: %q is not a number", it.name, it.f.Text())
		}
		*it.dst = v
	}
	s.Flow.Alternate = p.perms.Value == permsAlternate
	seed, err := strconv.ParseUint(p.seed.Text(), 10, 64)
	if err != nil {
		return s, fmt.Errorf("seed: %q is not a whole number ≥ 0", p.seed.Text())
	}
	s.Seed = seed
	return s, s.Validate()
}

func (p *trainPanel) togglePlay() {
	r := p.u.lab.run
	if r.Latest().State == run.Running {
		r.Pause()
		return
	}
	if p.u.lab.static != nil && !p.u.continueSession() {
		p.u.lab.Infof("a loaded flow is shown; Reset starts a new training run")
		return
	}
	r.Start()
}

func (p *trainPanel) step() {
	if p.u.lab.static != nil && !p.u.continueSession() {
		p.u.lab.Infof("a loaded flow is shown; Reset starts a new training run")
		return
	}
	p.u.lab.run.StepOnce()
}

// reset applies the hyper-parameters and starts a new run from the seed.
func (p *trainPanel) reset() {
	s, err := p.settings()
	if err != nil {
		p.u.lab.Errorf("not reset: %v", err)
		return
	}
	l := p.u.lab
	s.SingleCore, s.LowPriority = true, true
	if err := l.run.SetSettings(s); err != nil {
		l.Errorf("not reset: %v", err)
		return
	}
	l.static = nil
	l.run.Reset(s.Seed)
	l.Infof("new run: %v, %s recipe, batch %d, lr %g, seed %d", s.Flow, s.Train.Recipe, s.Train.Batch, s.Train.LR, s.Seed)
}

// Form lays out the section (widgets.Section).
func (p *trainPanel) Form(f *widgets.Form) {
	th := p.u.th
	l := p.u.lab
	snap := l.run.Latest()
	note, nc := snap.State.String(), th.Muted
	switch {
	case l.static != nil:
		note, nc = "showing a loaded flow", th.Warn
	case snap.Err != nil:
		note, nc = "stopped: "+shortErr(snap.Err), th.Error
	case snap.State == run.Running:
		note, nc = "running · "+snap.Phase.String(), th.OK
	}
	f.Section("Training", note, nc)
	playLabel := "Play"
	if snap.State == run.Running {
		playLabel = "Pause"
	}
	ln := f.Line(26)
	if ln.Button(&p.play, widgets.Primary, playLabel, f.Dp(64)) {
		p.togglePlay()
	}
	if ln.Button(&p.stepB, widgets.Secondary, "Step", 0) {
		p.step()
	}
	if ln.Button(&p.resetB, widgets.Secondary, "Reset", 0) {
		p.reset()
	}
	ln.Space(4)
	ln.Label("seed ", th.Muted)
	ln.Field(&p.seed, ln.Rest(), "1")
	if p.seed.Submitted() {
		p.reset()
	}

	p.recipeRow(f)
	ln = f.Labelled("speed", 24)
	if ln.Segmented(&p.speed, []string{"5", "20", "60", "0"}, []string{"5/s", "20/s", "60/s", "max"}, ln.Rest()) {
		v, _ := strconv.ParseFloat(p.speed.Value, 64)
		l.run.SetSpeed(v)
	}
	f.Gap(2)
	f.Stats([][2]string{
		{"epoch", strconv.Itoa(snap.Epoch)},
		{"step", strconv.Itoa(snap.Step)},
		{"samples/s", fmt.Sprintf("%.0f", snap.SamplesPerSec)},
		{"loss", sig(snap.Loss)},
		{"MSE · NLL", sig(snap.MSE) + " · " + sig(snap.NLL)},
		{"val loss", sig(snap.ValLoss)},
	}, 0.42)
	p.qualityForm(f)
	f.Gap(6)
	f.Caption("Hyper-parameters (applied on Reset)")
	f.Gap(2)
	f.FieldGrid([]string{"S steps", "H width", "B blocks", "K bins", "batch", "lr", "MSE w", "NLL w"},
		[]*widgets.Field{&p.steps, &p.hidden, &p.block, &p.bins, &p.batch, &p.lr, &p.mseW, &p.nllW},
		[]string{"8", "32", "1", "8", "256", "2e-3", "100", "0.01"})
	ln = f.Labelled("couplings", 24)
	ln.Segmented(&p.perms, []string{permsAlternate, permsRandom}, []string{"alternate x, y", "seed's random order"}, ln.Rest())
	ln = f.Labelled("presets", 24)
	if ln.Button(&p.live, widgets.Quiet, "Live default", 0) {
		p.showPreset(run.LiveDefault())
	}
	if ln.Button(&p.original, widgets.Quiet, "Original S16 H100 B2", 0) {
		p.showPreset(run.OriginalSettings())
	}
}

// sig formats v with four significant digits, or an en dash.
func sig(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 60 {
		s = s[:57] + "…"
	}
	return s
}

func checkInt(s string) error {
	if _, err := strconv.Atoi(s); err != nil {
		return errors.New("not a whole number")
	}
	return nil
}

func checkFloat(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return errors.New("not a number")
	}
	return nil
}
