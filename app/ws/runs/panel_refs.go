package runs

import (
	"context"
	"fmt"
	"image/png"
	"io"
	"path/filepath"
	"strings"

	"gioui.org/widget"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/internal/atomicfile"
	"github.com/mflowlab/mflowlab/internal/testref"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/ui/grid"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// refsSection adds frozen reference checkpoints as cells: the original's A–D and
// mflow_two_spirals, or any checkpoint file.
type refsSection struct {
	u      *Runs
	chips  [5]widget.Clickable
	path   widgets.Field
	browse widget.Clickable
	add    widget.Clickable
}

// originals are the original research's checkpoints, by file name.
var originalNames = [5]string{"spiral_mflow_A.pt", "spiral_mflow_B.pt", "spiral_mflow_C.pt", "spiral_mflow_D.pt", "mflow_two_spirals.pt"}

// Form lays out the section (widgets.Section).
func (r *refsSection) Form(f *widgets.Form) {
	u := r.u
	th := u.th
	f.Section("References", "frozen cells", th.Muted)
	dir, err := testref.Find()
	if err == nil {
		ln := f.Line(26)
		for i, name := range originalNames {
			p := filepath.Join(dir, "reference", "checkpoints", name)
			label := strings.TrimSuffix(strings.TrimPrefix(name, "spiral_mflow_"), ".pt")
			if i == 4 {
				label = "two_spirals"
			}
			if ln.Chip(&r.chips[i], u.refShown(p), "", label) {
				u.toggleRef(p)
			}
		}
		f.Caption("the original's checkpoints (S16 H100 B2), trained with its recipe")
	} else {
		f.Caption("the original checkpoints were not found (set MFLOWLAB_SHARED)")
	}
	ln := f.Line(26)
	ln.Field(&r.path, ln.Rest()-f.Dp(6)-widgets.BrowseWidth(f)-f.ButtonWidth("Add"), "checkpoint (.mfl, .pt)")
	if ln.Button(&r.browse, widgets.Secondary, widgets.BrowseLabel, widgets.BrowseWidth(f)) {
		u.host.Browse(widgets.Browse{Title: "Choose a flow checkpoint", Exts: []string{".mfl", ".pt", ".pth"}, Use: "Add shows it as a frozen cell"}, &r.path)
	}
	if ln.Button(&r.add, widgets.Secondary, "Add", 0) || r.path.Submitted() {
		if p := widgets.CleanPath(r.path.Text()); p != "" {
			u.toggleRef(p)
		}
	}
}

// refShown reports whether the checkpoint at path is a cell now.
func (u *Runs) refShown(path string) bool {
	if !u.refs[path] {
		return false
	}
	for _, m := range u.state().Members {
		if m.Frozen != nil && m.Label == refName(path) && u.hidden[m.ID] {
			return false
		}
	}
	return true
}

// toggleRef adds the checkpoint at path as a frozen cell, hides it, or shows it again.
func (u *Runs) toggleRef(path string) {
	if u.co == nil || !u.refs[path] {
		u.addRef(path)
		return
	}
	for _, m := range u.state().Members {
		if m.Frozen != nil && m.Label == refName(path) {
			u.hidden[m.ID] = !u.hidden[m.ID]
		}
	}
	var keep []string
	for _, p := range u.setup.Refs {
		if p != path {
			keep = append(keep, p)
		}
	}
	if u.refShown(path) {
		keep = append(keep, path)
	}
	u.setup.Refs = keep
}

// exportSection writes the grid as a labelled figure.
type exportSection struct {
	u    *Runs
	path widgets.Field
	save widget.Clickable
}

// Form lays out the section (widgets.Section).
func (e *exportSection) Form(f *widgets.Form) {
	u := e.u
	f.Section("Figure", "PNG", u.th.Muted)
	ln := f.Line(26)
	ln.Field(&e.path, ln.Rest()-f.Dp(6)-f.ButtonWidth("Export PNG"), "runs-grid.png")
	if ln.Button(&e.save, widgets.Secondary, "Export PNG", 0) || e.path.Submitted() {
		u.exportPNG(e.path.Text())
	}
	f.Caption("the cells as the timeline shows them, titled; Record below animates them")
}

// exportPNG writes the grid as the timeline shows it as a labelled figure, in the
// background.
func (u *Runs) exportPNG(path string) {
	path = widgets.CleanPath(path)
	if path == "" {
		u.host.Errorf("type the path of the PNG first (e.g. runs-grid.png)")
		return
	}
	if !strings.EqualFold(filepath.Ext(path), ".png") {
		path += ".png"
	}
	if u.co == nil {
		u.host.Errorf("no grid to export")
		return
	}
	cells, title, sub := u.figure()
	data, view := u.co.Data().Data, u.setup.View
	u.host.Go(func(context.Context) func() {
		for i := range cells {
			if f := cells[i].flow; f != nil {
				cc := curveOf(f, data, false)
				cells[i].cell.Core, cells[i].cell.Tails = cc.core, cc.tails
			}
		}
		gc := make([]grid.Cell, len(cells))
		for i := range cells {
			gc[i] = cells[i].cell
		}
		cols := max(1, min(u.setup.Cols, len(gc)))
		img := grid.Render(data, gc, grid.Options{Title: title, Subtitle: sub, Columns: cols, View: view, CellSize: 420})
		err := atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, img) })
		return func() {
			if err != nil {
				u.host.Errorf("%v", err)
				return
			}
			u.host.Infof("wrote the figure %s (%d×%d)", path, img.Rect.Dx(), img.Rect.Dy())
		}
	})
}

// figCell is one cell of an exported figure: its words and the flow whose curve it shows.
type figCell struct {
	cell grid.Cell
	flow *flow.MFlow
}

// figure returns the cells as the timeline shows them, and the figure's title and subtitle.
func (u *Runs) figure() ([]figCell, string, string) {
	st := u.state()
	step, live := u.tl.at(st)
	var cells []figCell
	learned, runs := 0, 0
	for i, m := range u.shown(st) {
		f, meta := cellContent(i, m, step, live)
		cells = append(cells, figCell{cell: meta.cell(), flow: f})
		if m.Frozen == nil {
			runs++
			if !meta.NoBadge && meta.Pending == "" && meta.Verdict == quality.Learned {
				learned++
			}
		}
	}
	s := u.setup
	title := fmt.Sprintf("M-Flow runs on Two Spirals: learned %d of %d at step %d", learned, runs, step)
	cfg := "live S8 H32 B1 K8"
	if s.Config != "live" {
		cfg = "original S16 H100 B2 K8"
	}
	rows := make([]string, len(s.Rows))
	for i := range s.Rows {
		rows[i] = s.rowLabel(i)
	}
	sub := fmt.Sprintf("rows: %s · %s · seeds %s · %d points (noise %g, %g rotations) · learned: d2m95 and core m2d95 ≤ 0.05 · curve bold between the data's ends, light beyond · same axes in every panel",
		strings.Join(rows, " / "), cfg, s.Seeds, s.Data.N, s.Data.Noise, s.Data.Rotations)
	return cells, title, sub
}
