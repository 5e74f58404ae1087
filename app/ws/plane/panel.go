package plane

import (
	"gioui.org/layout"

	"github.com/mflowlab/mflowlab/ui/widgets"
)

// panel is the plane's part of the side panel: training, charts, attack, data and models.
type panel struct {
	u      *Plane
	train  trainPanel
	charts chartsPanel
	attack attackPanel
	data   dataPanel
	models modelsPanel
}

func (p *panel) init(u *Plane) {
	p.u = u
	p.train.init(u)
	p.data.init(u)
	p.models.init(u)
	p.attack.init(u)
	p.charts.init(u)
}

// sections returns the sections top to bottom.
func (p *panel) sections() []widgets.Section {
	return []widgets.Section{&p.train, &p.charts, &p.attack, &p.data, &p.models}
}

// fields returns every text field of the panel.
func (p *panel) fields() []*widgets.Field {
	var fs []*widgets.Field
	fs = append(fs, p.train.fields()...)
	fs = append(fs, p.data.fields()...)
	fs = append(fs, &p.models.path)
	fs = append(fs, p.attack.fields()...)
	return fs
}

// editing reports whether a text field has the keyboard focus, so that typing does not
// trigger shortcuts.
func (p *panel) editing() bool {
	for _, f := range p.fields() {
		if f.Focused() {
			return true
		}
	}
	return false
}

// update starts background work the panel needs before the frame is laid out.
func (p *panel) update(gtx layout.Context) {
	p.charts.update(gtx)
}
