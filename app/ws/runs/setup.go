package runs

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/mflowlab/mflowlab/app/session"
	"github.com/mflowlab/mflowlab/sim/cohort"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/study"
)

// Setup is what a grid is made of: the architecture, one recipe per row, the seeds (row by
// row), the data, and frozen reference checkpoints shown after the live cells. It is the
// workspace's part of a session file.
type Setup struct {
	Config string          `json:"config"`     // architecture: run.LiveConfig or "original"
	Rows   []string        `json:"rows"`       // the recipe of each row (registry names)
	Cols   int             `json:"cols"`       // cells per row
	Seeds  string          `json:"seeds"`      // seed list, row by row (e.g. "1-9")
	Data   session.DataGen `json:"data"`       // the Two Spirals generator
	Refs   []string        `json:"references"` // checkpoint files shown frozen after the runs
	View   [4]float64      `json:"view"`       // the data box every cell shows
	Grid   bool            `json:"grid_lines"` // warped latent grid lines in the cells
}

// Limits of a grid's shape.
const (
	maxRows = 4
	maxCols = 4
)

// DefaultSetup is the instability lab's first picture: two rows of the original recipe
// above a row of the live default (the geodesic recipe), seeds 1–9, on the app's data.
func DefaultSetup() Setup {
	return Setup{
		Config: run.LiveConfig,
		Rows:   []string{"original", "original", run.DefaultRecipe},
		Cols:   3,
		Seeds:  "1-9",
		Data:   session.DataGen{N: 4000, Noise: 3, Rotations: 1.2, Seed: 1},
		View:   [4]float64{-1.45, 1.45, -1.45, 1.45},
	}
}

// seeds parses the seed list and checks that it names one seed per live cell.
func (s Setup) seeds() ([]uint64, error) {
	seeds, err := study.ParseSeeds(s.Seeds)
	if err != nil {
		return nil, err
	}
	if n := len(s.Rows) * s.Cols; len(seeds) != n {
		return nil, fmt.Errorf("seeds %q name %d seeds for %d×%d = %d runs", s.Seeds, len(seeds), len(s.Rows), s.Cols, n)
	}
	return seeds, nil
}

// Check reports a setup that cannot be built: a bad shape, recipe, seed list or data.
func (s Setup) Check() error {
	switch {
	case len(s.Rows) < 1 || len(s.Rows) > maxRows:
		return fmt.Errorf("%d rows, want 1 to %d", len(s.Rows), maxRows)
	case s.Cols < 1 || s.Cols > maxCols:
		return fmt.Errorf("%d columns, want 1 to %d", s.Cols, maxCols)
	case len(s.Rows)*s.Cols+len(s.Refs) > cohort.MaxMembers:
		return fmt.Errorf("%d runs and %d references: at most %d cells", len(s.Rows)*s.Cols, len(s.Refs), cohort.MaxMembers)
	case !(s.View[1] > s.View[0]) || !(s.View[3] > s.View[2]) || !finite(s.View[:]...):
		return fmt.Errorf("view %v is not a box", s.View)
	case s.Data.N <= 0 || !finite(s.Data.Noise, s.Data.Rotations):
		return fmt.Errorf("data generator %+v is not valid", s.Data)
	}
	for _, r := range s.Rows {
		if _, err := run.RecipeSettings(s.Config, r); err != nil {
			return err
		}
	}
	for _, p := range s.Refs {
		if p == "" || len(p) > 4096 {
			return fmt.Errorf("reference path %q is not valid", p)
		}
	}
	_, err := s.seeds()
	return err
}

// settings returns the run settings of the cell in row r with seed.
func (s Setup) settings(r int, seed uint64) (run.Settings, error) {
	st, err := run.RecipeSettings(s.Config, s.Rows[r])
	if err != nil {
		return st, err
	}
	st.Seed = seed
	st.SingleCore, st.LowPriority = true, true
	return st, nil
}

// rowLabel names row r's recipe for the cells ("default" as what it stands for).
func (s Setup) rowLabel(r int) string {
	name := s.Rows[r]
	if n, err := run.ResolveRecipe(s.Config, name); err == nil && n != name {
		return n + " (default)"
	}
	return name
}

// part encodes the setup for a session file.
func (s Setup) part() (json.RawMessage, error) { return json.Marshal(s) }

// parseSetup decodes a session file's part and checks it.
func parseSetup(b json.RawMessage) (Setup, error) {
	var s Setup
	if err := json.Unmarshal(b, &s); err != nil {
		return Setup{}, fmt.Errorf("runs grid: %v", err)
	}
	if err := s.Check(); err != nil {
		return Setup{}, fmt.Errorf("runs grid: %v", err)
	}
	return s, nil
}

// refName is a short name of a reference checkpoint: "checkpoint A" for the original's
// spiral_mflow_A.pt, else the file name.
func refName(path string) string {
	b := filepath.Base(path)
	if l, ok := strings.CutPrefix(b, "spiral_mflow_"); ok && len(l) == len("A.pt") {
		return "checkpoint " + strings.TrimSuffix(l, ".pt")
	}
	return b
}

// finite reports whether every value is a finite number.
func finite(v ...float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
