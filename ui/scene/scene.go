// Package scene turns model state — an M-Flow, a classifier, a data set,
// a viewport and attack probes — into a ready-to-render plane.Scene.
//
// Build computes a scene synchronously (screenshots, recordings, tests);
// a Builder computes scenes on one worker goroutine for the app window,
// coalescing requests and reusing every layer whose inputs did not change.
// All layers are polylines and grids in data coordinates, so a layer made
// for an older viewport still lines up with the new one.
//
// The models and the data set passed in Inputs are read, never written,
// and must not be modified afterwards: pass immutable snapshots and bump
// the matching version whenever a different snapshot is passed.
package scene

import (
	"fmt"
	"math"
	"time"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// Quality sets the resolution of the sampled layers.
type Quality uint8

// Qualities. Full is the zero value.
const (
	Full  Quality = iota // decision regions every 4 pixels, density every 2, refined curves: still frames
	Draft                // half that resolution, coarse curves, trajectories and density kept from an earlier view: while dragging or zooming
)

// ProbeInput is one clean point the user placed, to be attacked.
type ProbeInput struct {
	ID       int        // caller's identifier, returned in ProbeResult
	X        [2]float64 // clean point in data coordinates
	Selected bool       // drawn highlighted
}

// Inputs is everything a scene depends on. A nil model or data set
// leaves out the layers that need it.
type Inputs struct {
	Flow        *flow.MFlow // nil: no density, grid, manifold, trajectories or defence
	FlowVersion uint64      // changes whenever Flow holds different weights
	Clf         *classify.MLP
	ClfVersion  uint64 // nil Clf: no decision regions and no attacks
	Data        *spirals.Dataset
	DataVersion uint64
	View        plane.Viewport
	Layers      plane.LayerMask
	Probes      []ProbeInput // attacked even when LayerProbes is off
	Attack      attack.Params
	Adaptive    bool    // attack the defended classifier (gradients through the projection)
	Quality     Quality // Draft while the view moves, Full otherwise
}

// ProbeResult is one attacked probe. Labels and predictions are class
// indices, −1 where the model needed is missing; paths are data-space
// polylines x0, y0, x1, y1, ….
type ProbeResult struct {
	ID             int
	X, Adv         [2]float64 // clean and adversarial point
	Defended       [2]float64 // on-manifold projection of Adv (Adv without a flow)
	Label          int32      // the classifier's prediction at X, taken as the true label
	PredClean      int32
	PredAdv        int32
	PredDefended   int32
	Case           attack.Case // outcome A–D; the zero Case without a flow or classifier
	AttackPath     []float32   // attack iterates from X to Adv
	ProjectionPath []float32   // curved path from Adv to Defended
}

// Result is one computed scene and the probe outcomes drawn in it.
// A Result is never modified once returned and its slices may be shared
// with later results: to draw with another style, copy the Scene value
// and set its Style. The versions are those of the request; while Pending,
// some layers still come from an earlier one.
type Result struct {
	Scene       plane.Scene
	Probes      []ProbeResult
	FlowVersion uint64 // versions of the inputs the result was computed from
	ClfVersion  uint64
	DataVersion uint64
	ComputeMS   float64 // wall time spent computing this result
	Pending     bool    // some layers are still from older inputs; a newer result follows
	Err         error   // what could not be computed (e.g. invalid attack parameters), or nil
}

// Build computes the scene for in on the calling goroutine.
func Build(in Inputs) (res *Result) {
	t0 := time.Now()
	defer func() {
		if r := recover(); r != nil {
			res = &Result{Scene: plane.Scene{Viewport: in.View, Style: plane.DefaultStyle(), Layers: in.Layers},
				FlowVersion: in.FlowVersion, ClfVersion: in.ClfVersion, DataVersion: in.DataVersion,
				ComputeMS: since(t0), Err: fmt.Errorf("scene: computing the scene failed: %v", r)}
		}
	}()
	var c cache
	return c.build(&in, nil)
}

// Hover is the readout under the pointer at data point (X, Y). Fields a
// missing model would provide are NaN.
type Hover struct {
	X, Y  float64
	P     [2]float64 // class probabilities
	HM, V float64    // outer latent coordinates: along (h_M) and off (v) the manifold
	U     float64    // manifold coordinate u = g(h_M)
	LogP  float64    // PIE log-density with ε = flow.DefaultPIEEps
	Valid bool       // false when (X, Y) is not finite or both models are nil
}

// Readout evaluates the models at the single data point (x, y). Either
// model may be nil; a flow that is not 2-D with a 1-D manifold is ignored.
func Readout(f *flow.MFlow, clf *classify.MLP, x, y float64) Hover {
	nan := math.NaN()
	h := Hover{X: x, Y: y, P: [2]float64{nan, nan}, HM: nan, V: nan, U: nan, LogP: nan}
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		return h
	}
	pt := matOf([][2]float64{{x, y}})
	if clf != nil && clf.In == 2 && clf.Classes == 2 {
		p := clf.Probs(pt)
		h.P = [2]float64{float64(p.Data[0]), float64(p.Data[1])}
		h.Valid = true
	}
	if flow2D(f) {
		lat, _ := f.OuterForward(pt)
		h.HM, h.V = float64(lat.Data[0]), float64(lat.Data[1])
		h.U = float64(f.Encode(pt).Data[0])
		h.LogP = float64(f.LogProbPIE(pt, flow.DefaultPIEEps)[0])
		h.Valid = true
	}
	return h
}

// flow2D reports whether f can be drawn: non-nil, n = 2 and d = 1.
func flow2D(f *flow.MFlow) bool { return f != nil && f.Cfg.N == 2 && f.Cfg.D == 1 }

// since returns the milliseconds elapsed since t.
func since(t time.Time) float64 { return float64(time.Since(t).Nanoseconds()) / 1e6 }
