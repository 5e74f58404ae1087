package scene

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// Model identities: a pointer and the version the caller gave it.
type (
	flowKey struct {
		f *flow.MFlow
		v uint64
	}
	clfKey struct {
		c *classify.MLP
		v uint64
	}
	dataKey struct {
		d *spirals.Dataset
		v uint64
	}
)

// Cache keys of the computed layers.
type (
	heatKey struct {
		clf  clfKey
		view plane.Viewport
		q    Quality
	}
	geomKey struct {
		flow flowKey
		data dataKey
	}
	fitKey struct {
		geom geomKey
		view plane.Viewport
		q    Quality
	}
	trajKey struct {
		flow flowKey
		view plane.Viewport
	}
	densKey struct {
		flow flowKey
		view plane.Viewport
		q    Quality
	}
)

// layer names one computed layer of the scene.
type layer int

const (
	layerHeat layer = iota // decision regions
	layerFit               // warped grid and manifold (and the flow's latent geometry)
	layerTraj              // projection field
	layerDens              // log-density
)

// hooks connect a build to the Builder that runs it; a nil hooks is a
// synchronous Build.
type hooks interface {
	peek() *Inputs       // the newest request not yet taken, or nil
	take() *Inputs       // takes the newest request, or nil
	closed() bool        // the builder is shutting down
	publish(res *Result) // hands a result to the reader
}

// cache holds the latest value of every layer with the key it was
// computed for. Values are never modified once stored, so results may
// share them.
type cache struct {
	style  plane.Style
	styled bool

	probeKey probeKey
	probeIn  []ProbeInput
	probeRes []ProbeResult
	probeErr error
	probeOK  bool

	heatK heatKey
	heat  *plane.Grid

	geomK geomKey
	geom  *latentGeom

	fitK     fitKey
	fitOK    bool
	lines    [][]float32
	manifold []float32

	trajK  trajKey
	trajOK bool
	traj   [][]float32

	densK densKey
	dens  densityGrid

	done *Inputs // the request of the newest final result
}

// keys of the layers for one request.
func (in *Inputs) flowK() flowKey { return flowKey{in.Flow, in.FlowVersion} }
func (in *Inputs) clfK() clfKey   { return clfKey{in.Clf, in.ClfVersion} }
func (in *Inputs) dataK() dataKey { return dataKey{in.Data, in.DataVersion} }
func (in *Inputs) heatK() heatKey { return heatKey{in.clfK(), in.View, in.Quality} }
func (in *Inputs) geomK() geomKey { return geomKey{in.flowK(), in.dataK()} }
func (in *Inputs) fitK() fitKey   { return fitKey{in.geomK(), in.View, in.Quality} }
func (in *Inputs) trajK() trajKey { return trajKey{in.flowK(), in.View} }
func (in *Inputs) densK() densKey { return densKey{in.flowK(), in.View, in.Quality} }

// wants reports whether the request shows layer l and has the model it needs.
func (in *Inputs) wants(l layer) bool {
	if !viewOK(in.View) {
		return false
	}
	switch l {
	case layerHeat:
		return in.Clf != nil && in.Clf.In == 2 && in.Layers.Has(plane.LayerBoundary)
	case layerFit:
		return flow2D(in.Flow) && (in.Layers.Has(plane.LayerGrid) || in.Layers.Has(plane.LayerManifold))
	case layerTraj:
		return flow2D(in.Flow) && in.Layers.Has(plane.LayerTrajectories)
	case layerDens:
		return flow2D(in.Flow) && in.Layers.Has(plane.LayerDensity)
	}
	return false
}

// fresh reports whether the cached layer l is good enough for in: made
// for the same inputs, or — at Draft quality, for the costly flow layers
// whose data-space geometry stays valid — for the same models and an
// older view.
func (c *cache) fresh(l layer, in *Inputs) bool {
	switch l {
	case layerHeat:
		return c.heat != nil && c.heatK == in.heatK()
	case layerFit:
		return c.fitOK && c.fitK == in.fitK()
	case layerTraj:
		if in.Quality == Draft {
			return c.trajOK && c.trajK.flow == in.flowK()
		}
		return c.trajOK && c.trajK == in.trajK()
	case layerDens:
		if in.Quality == Draft {
			return c.dens.g != nil && c.densK.flow == in.flowK()
		}
		return c.dens.g != nil && c.densK == in.densK()
	}
	return true
}

// stale reports whether a request for a differently keyed layer l than
// in's has arrived, so computing it for in is wasted.
func stale(l layer, in, newer *Inputs) bool {
	switch l {
	case layerHeat:
		return newer.heatK() != in.heatK()
	case layerFit:
		return newer.fitK() != in.fitK()
	case layerTraj:
		return newer.trajK() != in.trajK()
	case layerDens:
		return newer.densK() != in.densK()
	}
	return false
}

// build computes the result for in, reusing the cached layers. With hooks,
// it publishes a pending result (new probes over the cached layers) before
// each slow layer and whenever it takes up a newer request between chunks
// of work, and the final result at the end; it returns nil if it gave up
// because the builder closed.
func (c *cache) build(in *Inputs, h hooks) *Result {
	t0 := time.Now()
	for {
		res, todo := c.assemble(in, t0)
		if len(todo) == 0 {
			if h != nil {
				h.publish(res)
			}
			c.done = in
			return res
		}
		if h != nil {
			res.Pending = true
			h.publish(res)
		}
		l, cur := todo[0], in
		var stop func() bool
		if h != nil {
			stop = func() bool {
				if h.closed() {
					return true
				}
				nw := h.peek()
				if nw == nil {
					return false
				}
				if cur.Quality == Full && stale(l, cur, nw) {
					return true // the layer is no longer wanted: start over with nw
				}
				// Serve the newer request's probes while this layer finishes.
				if tk := h.take(); tk != nil {
					nw = tk
				}
				in, t0 = nw, time.Now()
				r, _ := c.assemble(in, t0)
				r.Pending = true
				h.publish(r)
				return false
			}
		}
		c.compute(l, cur, stop)
		if h == nil {
			continue
		}
		if h.closed() {
			return nil
		}
		if nw := h.take(); nw != nil {
			in, t0 = nw, time.Now()
		}
	}
}

// compute computes layer l for in and stores it in the cache, unless stop
// reports true between chunks of work.
func (c *cache) compute(l layer, in *Inputs, stop func() bool) {
	switch l {
	case layerHeat:
		g := heatGrid(in.Clf, in.View, in.Quality, stop)
		if g == nil {
			return
		}
		c.heatK, c.heat = in.heatK(), g
	case layerFit:
		if c.geom == nil || c.geomK != in.geomK() {
			g := newLatentGeom(in.Flow, in.Data, stop)
			if g == nil {
				return
			}
			c.geomK, c.geom = in.geomK(), g
		}
		lines, man, ok := c.geom.fitView(in.Flow, in.View, in.Quality, stop)
		if !ok {
			return
		}
		c.fitK, c.fitOK, c.lines, c.manifold = in.fitK(), true, lines, man
	case layerTraj:
		paths, ok := projectionField(in.Flow, in.View, stop)
		if !ok {
			return
		}
		c.trajK, c.trajOK, c.traj = in.trajK(), true, paths
	case layerDens:
		d := densGrid(in.Flow, in.View, in.Quality, stop)
		if d.g == nil {
			return
		}
		c.densK, c.dens = in.densK(), d
	}
}

// assemble returns the result for in made of its probes (computed now
// unless cached) and the cached layers, fresh or not, with the layers that
// still need computing, cheapest and most visible first.
func (c *cache) assemble(in *Inputs, t0 time.Time) (*Result, []layer) {
	if !c.styled {
		c.style, c.styled = plane.DefaultStyle(), true
	}
	res := &Result{FlowVersion: in.FlowVersion, ClfVersion: in.ClfVersion, DataVersion: in.DataVersion}
	sc := &res.Scene
	sc.Viewport, sc.Style, sc.Layers = in.View, c.style, in.Layers
	var errs []error
	if in.Flow != nil && !flow2D(in.Flow) {
		errs = append(errs, fmt.Errorf("scene: the flow has n=%d, d=%d; the plane needs n=2, d=1", in.Flow.Cfg.N, in.Flow.Cfg.D))
	}
	if in.Clf != nil && (in.Clf.In != 2 || in.Clf.Classes < 2) {
		errs = append(errs, fmt.Errorf("scene: the classifier maps %d inputs to %d classes; the plane needs 2 inputs", in.Clf.In, in.Clf.Classes))
	}

	if !viewOK(in.View) {
		errs = append(errs, fmt.Errorf("scene: viewport %d×%d at scale %v shows nothing", in.View.W, in.View.H, in.View.Scale))
	}
	if len(in.Probes) > 0 {
		res.Probes = c.probes(in)
		sc.Probes = sceneProbes(res.Probes, in.Probes)
		if c.probeErr != nil {
			errs = append(errs, c.probeErr)
		}
	}
	if d := in.Data; d != nil && in.Layers.Has(plane.LayerPoints) {
		if len(d.X) == 2*len(d.Y) {
			sc.Points, sc.Labels = d.X, d.Y
		} else {
			errs = append(errs, fmt.Errorf("scene: the data set has %d coordinates for %d labels", len(d.X), len(d.Y)))
		}
	}

	var todo []layer
	for _, l := range []layer{layerHeat, layerFit, layerTraj, layerDens} {
		if !in.wants(l) {
			continue
		}
		if !c.fresh(l, in) {
			todo = append(todo, l)
		}
		switch l {
		case layerHeat:
			sc.Heatmap = c.heat
		case layerFit:
			if in.Layers.Has(plane.LayerGrid) {
				sc.GridLines = c.lines
			}
			if in.Layers.Has(plane.LayerManifold) {
				sc.Manifold = c.manifold
			}
		case layerTraj:
			sc.Trajectories = c.traj
		case layerDens:
			sc.Density, sc.DensityMin, sc.DensityMax = c.dens.g, c.dens.lo, c.dens.hi
		}
	}
	res.Err = errors.Join(errs...)
	res.ComputeMS = since(t0)
	return res, todo
}

// probes returns the probe results for in, recomputed only when a model,
// the attack or a probe's position changed.
func (c *cache) probes(in *Inputs) []ProbeResult {
	k := probeKey{flow: in.flowK(), clf: in.clfK(), attack: in.Attack, adaptive: in.Adaptive}
	same := c.probeOK && c.probeKey == k && slices.EqualFunc(c.probeIn, in.Probes, func(a, b ProbeInput) bool {
		return a.ID == b.ID && a.X == b.X
	})
	if !same {
		c.probeRes, c.probeErr = computeProbes(in.Flow, in.Clf, in.Probes, in.Attack, in.Adaptive)
		c.probeKey, c.probeIn, c.probeOK = k, slices.Clone(in.Probes), true
	}
	return c.probeRes
}

// viewOK reports whether v shows a finite, non-empty part of the plane.
func viewOK(v plane.Viewport) bool {
	return v.W > 0 && v.H > 0 && v.Scale > 0 && isFinite(v.Scale) && isFinite(v.Center[0]) && isFinite(v.Center[1])
}
