package cifar

import (
	"fmt"
	"image"
	"strconv"
	"strings"

	"gioui.org/layout"
	"gioui.org/widget"

	"github.com/mflowlab/mflowlab/ui/widgets"
)

// What the models' Browse buttons open the file browser for.
var (
	browseCNN     = widgets.Browse{Title: "Choose a CNN checkpoint", Exts: []string{".mfl", ".pt", ".pth"}, Use: "Load reads it"}
	browseFlow    = widgets.Browse{Title: "Choose an image M-Flow checkpoint", Exts: []string{".mfl", ".pt"}, Use: "Apply uses it"}
	browseSession = widgets.Browse{Title: "Choose a session file", Exts: []string{".mflsession"}, Use: "Load reads it, Save writes it"}
)

// modelsSection chooses the CNN (the cached default, trained on first use, or a
// checkpoint) and the projection defence (PCA with d components or an image M-Flow), shows
// the default CNN's training, and saves and loads sessions.
type modelsSection struct {
	c                    *CIFAR
	clf                  widgets.Field
	browseC, loadC, defC widget.Clickable
	kind                 widgets.Choice // "pca" or "mflow"
	d, flow              widgets.Field
	browseF, applyD      widget.Clickable
	sess                 widgets.Field
	browseS, save, load  widget.Clickable
	acc                  chart
	showChart            bool
}

func (m *modelsSection) init() {
	m.d.Check = func(s string) error {
		if k, err := strconv.Atoi(s); err != nil || k < 1 || k > 3072 {
			return fmt.Errorf("1–3072 components")
		}
		return nil
	}
	m.sess.SetText("cifar.mflsession")
}

// show puts the settings' models into the fields.
func (m *modelsSection) show(s Settings) {
	m.clf.SetText(s.Classifier)
	if p, ok := strings.CutPrefix(s.Defence, "mflow:"); ok {
		m.kind.Value = "mflow"
		m.flow.SetText(p)
		if m.d.Text() == "" {
			m.d.SetText("64")
		}
	} else {
		m.kind.Value = "pca"
		m.d.SetText(strings.TrimPrefix(s.Defence, "pca:"))
	}
}

// Form lays out the section (widgets.Section).
func (m *modelsSection) Form(f *widgets.Form) {
	c := m.c
	th := c.th
	s := c.snap
	note := ""
	if s != nil {
		note = s.Models
	}
	f.Section("Models", note, th.Muted)
	if s != nil && s.Err != nil && s.Data != "" {
		f.Text(widgets.Bold, th.Small, th.Error, "stopped:")
		f.Paragraph(firstLine(s.Err), 3)
	}

	// The CNN.
	f.Text(widgets.Bold, th.Small, th.Text, "CNN")
	if c.settings.Classifier == "" {
		f.Caption("the default CNN, trained once on the train split and cached")
	}
	if s != nil && strings.HasPrefix(s.Stage, "training CNN") {
		f.Text(widgets.Regular, th.Small, th.Text, fmt.Sprintf("%s (%.0f%%)", s.Stage, 100*s.Progress))
		progressBar(f, s.Progress)
	}
	if s != nil && s.Message != "" {
		f.Text(widgets.Regular, th.Small, th.Warn, s.Message)
	}
	m.showChart = s != nil && len(s.CNNLog) > 0
	if m.showChart {
		w, h := f.W, f.Dp(110)
		log := s.CNNLog
		sc := float32(f.Dp(100)) / 100
		key := fmt.Sprintf("%d %v %d %d", len(log), log[len(log)-1], w, h)
		m.acc.update(c, key, func() *image.RGBA { return accuracyChart(log, w, h, sc) })
		m.acc.place(f, h)
		f.Gap(4)
	}
	ln := f.Line(26)
	ln.Field(&m.clf, ln.Rest()-f.Dp(18)-widgets.BrowseWidth(f)-f.ButtonWidth("Load")-f.ButtonWidth("Default"), "default, or a .mfl / .pt checkpoint")
	if ln.Button(&m.browseC, widgets.Secondary, widgets.BrowseLabel, widgets.BrowseWidth(f)) {
		c.host.Browse(browseCNN, &m.clf)
	}
	if ln.Button(&m.loadC, widgets.Secondary, "Load", 0) || m.clf.Submitted() {
		m.setClassifier(widgets.CleanPath(m.clf.Text()))
	}
	if ln.Button(&m.defC, widgets.Quiet, "Default", 0) {
		m.clf.SetText("")
		m.setClassifier("")
	}

	// The defence.
	f.Gap(4)
	f.Text(widgets.Bold, th.Small, th.Text, "Projection defence")
	ln = f.Line(24)
	ln.Segmented(&m.kind, []string{"pca", "mflow"}, []string{"PCA", "image M-Flow"}, ln.Rest())
	ln = f.Line(26)
	if m.kind.Value == "pca" {
		ln.LabelW("components d", f.Dp(96), th.Muted)
		ln.Field(&m.d, f.Dp(70), "64")
	} else {
		ln.Field(&m.flow, ln.Rest()-f.Dp(12)-widgets.BrowseWidth(f)-f.ButtonWidth("Apply"), "image M-Flow checkpoint")
		if ln.Button(&m.browseF, widgets.Secondary, widgets.BrowseLabel, widgets.BrowseWidth(f)) {
			c.host.Browse(browseFlow, &m.flow)
		}
	}
	if ln.Button(&m.applyD, widgets.Primary, "Apply", 0) || m.d.Submitted() || m.flow.Submitted() {
		m.applyDefence()
	}

	// Sessions.
	f.Gap(4)
	f.Text(widgets.Bold, th.Small, th.Text, "Session")
	ln = f.Line(26)
	ln.Field(&m.sess, ln.Rest()-f.Dp(18)-widgets.BrowseWidth(f)-f.ButtonWidth("Save")-f.ButtonWidth("Load"), "cifar.mflsession")
	if ln.Button(&m.browseS, widgets.Secondary, widgets.BrowseLabel, widgets.BrowseWidth(f)) {
		c.host.Browse(browseSession, &m.sess)
	}
	if ln.Button(&m.save, widgets.Secondary, "Save", 0) {
		c.host.SaveSession(m.sess.Text())
	}
	if ln.Button(&m.load, widgets.Secondary, "Load", 0) {
		c.host.LoadSession(m.sess.Text())
	}
	f.Caption("keeps every workspace: here the models, attack, filters and sample")
}

// Paint implements widgets.Overpainter.
func (m *modelsSection) Paint(gtx layout.Context, org image.Point) {
	if m.showChart {
		m.acc.paint(gtx, org)
	}
}

// ready reports whether the training chart shows the newest history.
func (m *modelsSection) ready() bool { return !m.showChart || m.acc.ready() }

// setClassifier makes path the CNN ("" the default one).
func (m *modelsSection) setClassifier(path string) {
	c := m.c
	s := c.settings
	s.Classifier = path
	c.Apply(s)
	if path == "" {
		c.host.Infof("using the default CNN")
	} else {
		c.host.Infof("loading the CNN %s", path)
	}
}

// applyDefence makes the fields' defence the engine's.
func (m *modelsSection) applyDefence() {
	c := m.c
	var spec string
	if m.kind.Value == "pca" {
		d, ok := m.d.Int()
		if !ok || d < 1 || d > 3072 {
			c.host.Errorf("PCA: d must be a whole number from 1 to 3072")
			return
		}
		spec = fmt.Sprintf("pca:%d", d)
	} else {
		p := widgets.CleanPath(m.flow.Text())
		if p == "" {
			c.host.Errorf("image M-Flow: type or browse to a checkpoint first")
			return
		}
		spec = "mflow:" + p
	}
	s := c.settings
	s.Defence = spec
	c.Apply(s)
	c.host.Infof("defence: %s", spec)
}
