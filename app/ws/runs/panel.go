package runs

import (
	"fmt"
	"strconv"
	"strings"

	"gioui.org/widget"

	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// panel is the workspace's part of the side panel.
type panel struct {
	u      *Runs
	grid   gridSection
	charts chartsSection
	sel    runSection
	refs   refsSection
	export exportSection
}

func (p *panel) init(u *Runs, s Setup) {
	p.u = u
	p.grid.u, p.charts.u, p.sel.u, p.refs.u, p.export.u = u, u, u, u, u
	p.show(s)
	p.sel.init()
	p.export.path.SetText("runs-grid.png")
}

// show puts a setup into the Grid section's fields.
func (p *panel) show(s Setup) {
	g := &p.grid
	g.rows.SetInt(len(s.Rows))
	g.cols.SetInt(s.Cols)
	g.seeds.SetText(s.Seeds)
	g.n.SetInt(s.Data.N)
	g.noise.SetFloat(s.Data.Noise)
	g.rot.SetFloat(s.Data.Rotations)
	g.dseed.SetText(strconv.FormatUint(s.Data.Seed, 10))
	g.config.Value = s.Config
	g.recipes = make([]widgets.Choice, maxRows)
	for i := range g.recipes {
		g.recipes[i].Value = run.DefaultRecipe
		if i < len(s.Rows) {
			g.recipes[i].Value = s.Rows[i]
		}
	}
}

func (p *panel) sections() []widgets.Section {
	return []widgets.Section{&p.grid, &p.sel, &p.charts, &p.refs, &p.export}
}

// editing reports whether a text field has the keyboard focus.
func (p *panel) editing() bool {
	for _, f := range []*widgets.Field{&p.grid.rows, &p.grid.cols, &p.grid.seeds, &p.grid.n, &p.grid.noise,
		&p.grid.rot, &p.grid.dseed, &p.sel.lr, &p.sel.seed, &p.refs.path, &p.export.path} {
		if f.Focused() {
			return true
		}
	}
	return false
}

// gridSection sets up the grid: its shape, one recipe per row, the seeds and the data.
type gridSection struct {
	u                   *Runs
	rows, cols, seeds   widgets.Field
	n, noise, rot       widgets.Field
	dseed               widgets.Field
	config              widgets.Choice
	recipes             []widgets.Choice
	start, play, single widget.Clickable
}

// setup reads the fields into a setup (the view, grid lines and references kept).
func (g *gridSection) setup() (Setup, error) {
	s := g.u.setup
	rows, ok1 := g.rows.Int()
	cols, ok2 := g.cols.Int()
	if !ok1 || !ok2 || rows < 1 || rows > maxRows || cols < 1 || cols > maxCols {
		return s, fmt.Errorf("rows and columns: whole numbers from 1 to %d", maxRows)
	}
	s.Rows = make([]string, rows)
	for i := range rows {
		s.Rows[i] = g.recipes[i].Value
	}
	s.Cols = cols
	s.Config = g.config.Value
	s.Seeds = g.seeds.Text()
	n, okN := g.n.Int()
	noise, okS := g.noise.Float()
	rot, okR := g.rot.Float()
	dseed, err := strconv.ParseUint(g.dseed.Text(), 10, 64)
	if !okN || !okS || !okR || err != nil {
		return s, fmt.Errorf("data: n and seed must be whole numbers, noise and rotations numbers")
	}
	s.Data.N, s.Data.Noise, s.Data.Rotations, s.Data.Seed = n, noise, rot, dseed
	return s, s.Check()
}

// Form lays out the section (widgets.Section).
func (g *gridSection) Form(f *widgets.Form) {
	u := g.u
	th := u.th
	f.Section("Runs grid", fmt.Sprintf("%d×%d · %s", len(u.setup.Rows), u.setup.Cols, u.setup.Config), th.Muted)
	f.FieldGrid([]string{"rows", "columns"}, []*widgets.Field{&g.rows, &g.cols}, []string{"3", "3"})
	rows, ok := g.rows.Int()
	if !ok || rows < 1 {
		rows = len(u.setup.Rows)
	}
	names := run.RecipeNames()
	for i := range min(rows, maxRows) {
		ln := f.Labelled(fmt.Sprintf("row %d", i+1), 24)
		ln.Segmented(&g.recipes[i], names, names, ln.Rest())
	}
	ln := f.Labelled("seeds", 24)
	ln.Field(&g.seeds, ln.Rest(), "1-9 (row by row)")
	ln = f.Labelled("size", 24)
	ln.Segmented(&g.config, run.ConfigNames(), []string{"live S8 H32", "original S16 H100"}, ln.Rest())
	f.FieldGrid([]string{"points", "noise", "rotations", "data seed"}, []*widgets.Field{&g.n, &g.noise, &g.rot, &g.dseed},
		[]string{"4000", "3", "1.2", "1"})
	ln = f.Line(26)
	if ln.Button(&g.start, widgets.Primary, "Start grid", 0) || g.seeds.Submitted() {
		s, err := g.setup()
		if err != nil {
			u.host.Errorf("grid not started: %v", err)
		} else if err := u.build(s, true); err != nil {
			u.host.Errorf("grid not started: %v", err)
		} else {
			u.host.Infof("new grid: %d runs (%s), seeds %s, %d points", len(s.Rows)*s.Cols, strings.Join(s.Rows, " / "), s.Seeds, s.Data.N)
		}
	}
	label := "Play all"
	if u.playing {
		label = "Pause all"
	}
	if ln.Button(&g.play, widgets.Secondary, label, 0) {
		if u.playing {
			u.Pause()
		} else {
			u.Play()
		}
	}
	f.Caption("Start grid trains a new grid (the old one stops); space plays or pauses.")
}

// runSection shows the selected cell and opens or forks it.
type runSection struct {
	u        *Runs
	open     widget.Clickable
	fork     widget.Clickable
	recipe   widgets.Choice
	lr, seed widgets.Field
}

func (r *runSection) init() {
	r.recipe.Value = "same"
	r.lr.Check = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		if v, err := strconv.ParseFloat(s, 64); err != nil || !(v > 0) {
			return fmt.Errorf("not a positive number")
		}
		return nil
	}
}
