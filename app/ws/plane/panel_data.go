package plane

import (
	"fmt"
	"path/filepath"
	"strconv"

	"gioui.org/widget"

	"github.com/mflowlab/mflowlab/ui/widgets"
)

// dataPanel generates or loads the Two Spirals data set.
type dataPanel struct {
	u                      *Plane
	n, noise, rot, seed    widgets.Field
	path                   widgets.Field
	regen, original, loadB widget.Clickable
	browse                 widget.Clickable
}

func (p *dataPanel) init(u *Plane) {
	p.u = u
	p.n.Check, p.seed.Check = checkInt, checkInt
	p.noise.Check, p.rot.Check = checkFloat, checkFloat
	s := u.lab.dataGen
	p.n.SetInt(s.N)
	p.noise.SetFloat(s.Noise)
	p.rot.SetFloat(s.Rotations)
	p.seed.SetText(strconv.FormatUint(s.Seed, 10))
}

func (p *dataPanel) fields() []*widgets.Field {
	return []*widgets.Field{&p.n, &p.noise, &p.rot, &p.seed, &p.path}
}

func (p *dataPanel) regenerate() {
	n, ok1 := p.n.Int()
	noise, ok2 := p.noise.Float()
	rot, ok3 := p.rot.Float()
	seed, err := strconv.ParseUint(p.seed.Text(), 10, 64)
	if !ok1 || !ok2 || !ok3 || err != nil {
		p.u.lab.Errorf("data: n and seed must be whole numbers, noise and rotations numbers")
		return
	}
	p.u.lab.Regenerate(dataSettings{N: n, Noise: noise, Rotations: rot, Seed: seed})
}

// Form lays out the section (widgets.Section).
func (p *dataPanel) Form(f *widgets.Form) {
	l := p.u.lab
	src := ""
	if l.data != nil {
		src = fmt.Sprintf("%d points", l.data.N())
	}
	f.Section("Data", src, p.u.th.Muted)
	f.FieldGrid([]string{"n", "noise", "rotations", "seed"}, []*widgets.Field{&p.n, &p.noise, &p.rot, &p.seed},
		[]string{"4000", "3", "1.2", "1"})
	ln := f.Line(26)
	if ln.Button(&p.regen, widgets.Secondary, "Regenerate", 0) {
		p.regenerate()
	}
	if ln.Button(&p.original, widgets.Secondary, "Original 20k set", 0) {
		l.LoadOriginalData()
	}
	ln = f.Line(26)
	ln.Field(&p.path, ln.Rest()-f.Dp(66)-widgets.BrowseWidth(f), "data file (.csv x,y,label or .pt)")
	if ln.Button(&p.browse, widgets.Secondary, widgets.BrowseLabel, widgets.BrowseWidth(f)) {
		p.u.host.Browse(browseData, &p.path)
	}
	if ln.Button(&p.loadB, widgets.Secondary, "Load", ln.Rest()) || p.path.Submitted() {
		l.LoadData(p.path.Text())
	}
	if l.data != nil {
		f.Caption(l.data.Source)
	}
}

// modelsPanel loads and saves flow and classifier checkpoints and retrains the classifier.
type modelsPanel struct {
	u                  *Plane
	path               widgets.Field
	browse             widget.Clickable
	loadFlow, saveFlow widget.Clickable
	loadClf, saveClf   widget.Clickable
	retrain            widget.Clickable
	loadSess, saveSess widget.Clickable
}

func (p *modelsPanel) init(u *Plane) { p.u = u }

// Form lays out the section (widgets.Section).
func (p *modelsPanel) Form(f *widgets.Form) {
	th := p.u.th
	l := p.u.lab
	f.Section("Models", "", th.Muted)
	flowSrc := "live training run"
	if l.static != nil {
		flowSrc = filepath.Base(l.staticSource)
	}
	clfSrc := l.clfSource
	if l.ClassifierTraining() || l.clfNote != "" {
		clfSrc += " · " + l.clfNote
	}
	f.Stat("flow", trimMiddle(flowSrc, 44), th.Text)
	f.Stat("classifier", trimMiddle(clfSrc, 44), th.Text)
	f.Gap(4)
	ln := f.Line(26)
	ln.Field(&p.path, ln.Rest()-f.Dp(6)-widgets.BrowseWidth(f), "path: checkpoint (.mfl, .pt) or session (.mflsession)")
	if ln.Button(&p.browse, widgets.Secondary, widgets.BrowseLabel, widgets.BrowseWidth(f)) {
		p.u.host.Browse(browseModels, &p.path)
	}
	ln = f.Line(26)
	ln.Label("flow ", th.Muted)
	if ln.Button(&p.loadFlow, widgets.Secondary, "Load", 0) {
		l.LoadFlow(p.path.Text())
	}
	if ln.Button(&p.saveFlow, widgets.Secondary, "Save", 0) {
		l.SaveFlow(p.path.Text())
	}
	ln.Space(8)
	ln.Label("classifier ", th.Muted)
	if ln.Button(&p.loadClf, widgets.Secondary, "Load", 0) {
		l.LoadClassifier(p.path.Text())
	}
	if ln.Button(&p.saveClf, widgets.Secondary, "Save", 0) {
		l.SaveClassifier(p.path.Text())
	}
	ln = f.Line(26)
	ln.Label("session ", th.Muted)
	if ln.Button(&p.loadSess, widgets.Secondary, "Load", 0) {
		p.u.host.LoadSession(p.path.Text())
	}
	if ln.Button(&p.saveSess, widgets.Secondary, "Save", 0) {
		p.u.host.SaveSession(p.path.Text())
	}
	ln.Label(" everything, in one file", th.Muted)
	retrainLabel := "Retrain classifier"
	if l.ClassifierTraining() {
		retrainLabel = "Stop retraining"
	}
	ln = f.Line(26)
	if ln.Button(&p.retrain, widgets.Secondary, retrainLabel, 0) {
		if l.ClassifierTraining() {
			l.stopClassifierTraining()
		} else {
			l.RetrainClassifier(l.clfVersion)
		}
	}
	ln.Label("W 64 · depth 3 · current data", th.Muted)
}

// trimMiddle shortens s to about n runes by cutting out its middle.
func trimMiddle(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n < 5 {
		return s
	}
	h := (n - 1) / 2
	return string(r[:h]) + "…" + string(r[len(r)-(n-1-h):])
}

// What the Browse buttons open the file browser for.
var (
	browseData   = widgets.Browse{Title: "Choose a data file", Exts: []string{".csv", ".pt"}, Use: "Load reads it"}
	browseModels = widgets.Browse{Title: "Choose a checkpoint or session", Exts: []string{".mfl", ".pt", ".pth", ".mflsession"}, Use: "Load reads it, Save writes it"}
)
