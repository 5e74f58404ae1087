package plane

import (
	"math"

	"github.com/mflowlab/mflowlab/ui/plane"
	"github.com/mflowlab/mflowlab/ui/scene"
)

// maxProbes bounds the probes a user can drop; each costs an attack and a projection path
// per model update.
const maxProbes = 64

// probeSet is the user's probes: clean points in data coordinates with stable IDs, and at
// most one selected.
type probeSet struct {
	list     []scene.ProbeInput
	nextID   int
	selected int // ID of the selected probe, 0 for none
	version  uint64
}

// Add drops a probe at (x, y), selects it and returns its ID; 0 when the set is full.
func (p *probeSet) Add(x, y float64) int {
	if len(p.list) >= maxProbes {
		return 0
	}
	p.nextID++
	p.list = append(p.list, scene.ProbeInput{ID: p.nextID, X: [2]float64{x, y}})
	p.Select(p.nextID)
	return p.nextID
}

// Move puts probe id at (x, y).
func (p *probeSet) Move(id int, x, y float64) {
	if i := p.index(id); i >= 0 && p.list[i].X != [2]float64{x, y} {
		p.list[i].X = [2]float64{x, y}
		p.version++
	}
}

// Delete removes probe id; the selection moves to nothing.
func (p *probeSet) Delete(id int) bool {
	i := p.index(id)
	if i < 0 {
		return false
	}
	p.list = append(p.list[:i], p.list[i+1:]...)
	if p.selected == id {
		p.selected = 0
	}
	p.version++
	return true
}

// Select marks probe id as the selected one (0 clears the selection).
func (p *probeSet) Select(id int) {
	if p.index(id) < 0 {
		id = 0
	}
	p.selected = id
	for i := range p.list {
		p.list[i].Selected = p.list[i].ID == id
	}
	p.version++
}

// Clear removes every probe.
func (p *probeSet) Clear() {
	p.list = p.list[:0]
	p.selected = 0
	p.version++
}

// Get returns probe id.
func (p *probeSet) Get(id int) (scene.ProbeInput, bool) {
	if i := p.index(id); i >= 0 {
		return p.list[i], true
	}
	return scene.ProbeInput{}, false
}

// Hit returns the ID of the topmost probe whose clean point lies within radius pixels of
// the pixel (px, py) in view, or 0.
func (p *probeSet) Hit(view plane.Viewport, px, py, radius float64) int {
	best, bestD := 0, radius*radius
	for i := len(p.list) - 1; i >= 0; i-- {
		q := p.list[i]
		x, y := view.ToPixel(q.X[0], q.X[1])
		d := sq(float64(x)-px) + sq(float64(y)-py)
		if d <= bestD {
			best, bestD = q.ID, d
		}
	}
	return best
}

func (p *probeSet) index(id int) int {
	for i, q := range p.list {
		if q.ID == id {
			return i
		}
	}
	return -1
}

func sq(v float64) float64 { return v * v }

// finite reports whether every value is a finite number.
func finite(v ...float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
