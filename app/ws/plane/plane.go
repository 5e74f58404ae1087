// Package plane is the Two Spirals workspace: a live-trained M-Flow, the classifier and the
// data set on a CPU-rasterised plane with probes, attacks and projections, and the side
// panel that trains, attacks, loads and saves them. Everything slow (scenes, rasters, hover
// readouts, charts, file loads) runs off the frame's goroutine; the frame paints the newest
// results.
package plane

import (
	"math"
	"time"

	"gioui.org/io/key"
	"gioui.org/layout"
	"gioui.org/op"

	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/plane"
	"github.com/mflowlab/mflowlab/ui/scene"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// Options configure the workspace.
type Options struct {
	// Paused starts without training.
	Paused bool
	// AllLayers starts with every layer on (the projection field and the density too).
	AllLayers bool
}

// sceneSource computes scenes: a scene.Builder in the window, a synchronous one in tests.
type sceneSource interface {
	Update(in scene.Inputs)
	Latest() *scene.Result
	Close()
}

// syncScenes builds every scene on the caller's goroutine.
type syncScenes struct{ latest *scene.Result }

func (s *syncScenes) Update(in scene.Inputs) { s.latest = scene.Build(in) }
func (s *syncScenes) Latest() *scene.Result  { return s.latest }
func (s *syncScenes) Close()                 {}

// layerDef is one toggleable plane layer of the toolbar.
type layerDef struct {
	key   string
	label string
	mask  plane.LayerMask
}

// layerDefs are the toggleable layers in the order, with their number keys.
func layerDefs() [6]layerDef {
	return [6]layerDef{
		{"1", "Boundary", plane.LayerBoundary},
		{"2", "Data", plane.LayerPoints},
		{"3", "Latent grid", plane.LayerGrid | plane.LayerManifold},
		{"4", "Projection field", plane.LayerTrajectories},
		{"5", "Probes", plane.LayerProbes},
		{"6", "Density", plane.LayerDensity},
	}
}

// defaultLayers is everything but the density heat map and the projection field (both
// busy; a key away).
const defaultLayers = plane.LayerAll &^ (plane.LayerDensity | plane.LayerTrajectories)

// inputsKey is what decides whether the scene builder needs a new request.
type inputsKey struct {
	flow          any
	fv, cv, dv    uint64
	clf, data     any
	view          plane.Viewport
	layers        plane.LayerMask
	probes        uint64
	attack        attack.Params
	adaptive      bool
	quality       scene.Quality
	width, height int
}

// Plane is the Two Spirals workspace (ws.Workspace): the plane with its toolbar and
// readouts, and its side-panel sections.
type Plane struct {
	host  ws.Host
	th    *widgets.Theme
	sync  bool
	lab   *Lab
	scene sceneSource
	rz    *rasterizer
	hov   *hoverer

	pv      planeView
	panel   panel
	over    overlays
	lastKey inputsKey

	fitData uint64 // data version the view was last fitted to

	sess sessionFlow // a loaded session's flow that Play trains on from

	serialSrc *flow.MFlow // the flow serialCopy was made from
	serialCpy *flow.MFlow // serialSrc evaluated on one goroutine (see serialFlow)
	flowShown *flow.MFlow // the flow handed to the scene builder, its version and when
	flowFv    uint64
	flowAt    time.Time
}

// flowEvery is the shortest time between two training flows handed to the scene builder.
const flowEvery = 80 * time.Millisecond

// New starts the workspace's lab (training unless o.Paused) and the workers that feed the
// plane.
func New(h ws.Host, o Options) *Plane {
	u := &Plane{host: h, th: h.Theme(), sync: h.Sync()}
	inv := h.Invalidate
	u.lab = newLab(h, !o.Paused)
	u.rz = newRasterizer(u.sync, inv)
	if u.sync {
		u.scene = &syncScenes{}
	} else {
		// Each new scene goes to the rasterizer at once, not at the next frame.
		u.scene = scene.NewBackgroundBuilder(func() {
			u.rz.Offer(u.scene.Latest())
			inv()
		})
	}
	u.hov = newHoverer(u.sync, inv)
	u.pv.layers = defaultLayers
	if o.AllLayers {
		u.pv.layers = plane.LayerAll
	}
	u.pv.fitBox = dataBox(u.lab.data)
	u.fitData = u.lab.dataVersion
	u.panel.init(u)
	u.seedProbes()
	return u
}

// Maker returns the constructor the shell calls with its host.
func Maker(o Options) func(h ws.Host) ws.Workspace {
	return func(h ws.Host) ws.Workspace { return New(h, o) }
}

// Name implements ws.Workspace.
func (u *Plane) Name() string { return ws.Plane }

// Title implements ws.Workspace.
func (u *Plane) Title() string { return "Two Spirals" }

// Area implements ws.Workspace.
func (u *Plane) Area() string { return "plane" }

// seedProbes drops a few probes near the data so that the attack is visible at once.
func (u *Plane) seedProbes() {
	for _, p := range [][2]float64{{0.55, 0.35}, {-0.75, -0.45}, {0.15, -0.95}, {-0.3, 0.85}} {
		u.pv.probes.Add(p[0], p[1])
	}
	u.pv.probes.Select(0)
}

// Close stops the lab and the workers.
func (u *Plane) Close() {
	u.lab.Close()
	u.scene.Close()
	u.rz.Close()
	u.hov.Close()
}

// Poll implements ws.Workspace: a session's flow handed to the run is replaced by the
// run's once it has been published, and training holds while the Runs grid is shown.
func (u *Plane) Poll(time.Time) {
	u.sessionTick()
	u.lab.holdForRuns(u.host.Shown())
}

// Layout lays out the plane in gtx.Constraints.Max: input, the scene request, the newest
// raster and the overlays.
func (u *Plane) Layout(gtx layout.Context, keys bool) layout.Dimensions {
	if keys {
		u.keys(gtx)
	}
	u.pv.Update(gtx)
	u.panel.update(gtx)
	planeSz := gtx.Constraints.Max
	if u.fitData != u.lab.dataVersion {
		// New data: fit the view to it.
		u.fitData = u.lab.dataVersion
		u.pv.fitBox = dataBox(u.lab.data)
		u.pv.Fit()
	}
	u.pv.resize(planeSz)
	u.request(gtx)
	dims := u.layoutPlane(gtx)
	if busy, until := u.pv.Settling(gtx.Now); busy {
		gtx.Execute(op.InvalidateCmd{At: until})
	}
	return dims
}

// AfterFrame recycles the raster the presented frame no longer paints.
func (u *Plane) AfterFrame() { u.pv.AfterFrame(u.rz) }

// request hands the current inputs to the scene builder when they changed, picks up the
// newest scene for the rasterizer and the hover readout.
func (u *Plane) request(gtx layout.Context) {
	f, fv := u.lab.Flow()
	switch {
	case fv == u.flowFv:
	case !u.sync && u.flowShown != nil && gtx.Now.Sub(u.flowAt) < flowEvery:
		// Training publishes up to 60 flows a second; the builder gets at most one per
		// flowEvery, leaving the cores to training and the frame.
		f, fv = u.flowShown, u.flowFv
		gtx.Execute(op.InvalidateCmd{At: u.flowAt.Add(flowEvery)})
	case !u.sync && u.flowShown != nil && u.pv.mode == dragProbe:
		// While a probe is dragged the plane keeps its flow (training goes on): each move
		// then recomputes and redraws only the probes, and the picture follows the pointer
		// without waiting behind new flow layers.
		f, fv = u.flowShown, u.flowFv
	default:
		u.flowShown, u.flowFv, u.flowAt = f, fv, gtx.Now
	}
	f = u.serialFlow(f)
	ap, adaptive := u.panel.attack.params()
	q := u.pv.Quality(gtx.Now)
	training := u.lab.static == nil && u.lab.run.Latest().State == run.Running
	if training {
		// Full-quality flow layers take longer than training takes to change the flow, and
		// a full build gives up when its inputs change: draft keeps the plane moving.
		q = scene.Draft
	}
	k := inputsKey{
		flow: f, fv: fv, clf: u.lab.clf, cv: u.lab.clfVersion, data: u.lab.data, dv: u.lab.dataVersion,
		view: u.pv.view, layers: u.pv.layers, probes: u.pv.probes.version,
		attack: ap, adaptive: adaptive, quality: q,
	}
	if k != u.lastKey && u.pv.view.W > 0 && u.pv.view.H > 0 {
		u.lastKey = k
		u.scene.Update(scene.Inputs{
			Flow: f, FlowVersion: fv, Clf: u.lab.clf, ClfVersion: u.lab.clfVersion,
			Data: u.lab.data, DataVersion: u.lab.dataVersion,
			View: u.pv.view, Layers: u.pv.layers, Probes: u.pv.probes.list,
			Attack: ap, Adaptive: adaptive, Quality: k.quality,
		})
	}
	if training {
		u.rz.SetThreads(1)
	} else {
		u.rz.SetThreads(2)
	}
	u.rz.Request(u.scene.Latest(), u.pv.view)
	if x, y, ok := u.pv.HoverData(); ok {
		u.hov.Request(f, u.lab.clf, x, y)
	}
}

// serialFlow returns f evaluated on one goroutine, the same copy for the same f, so that the
// scene builder's and the hover's flow work stays on their own low-priority threads.
func (u *Plane) serialFlow(f *flow.MFlow) *flow.MFlow {
	if f == nil || f.Workers == 1 {
		return f
	}
	if f != u.serialSrc {
		c := *f
		c.Workers = 1
		u.serialSrc, u.serialCpy = f, &c
	}
	return u.serialCpy
}

// keys handles the plane's keyboard shortcuts (the shell calls Layout with keys set only
// when no text field has the focus).
func (u *Plane) keys(gtx layout.Context) {
	for {
		ev, ok := gtx.Event(
			key.Filter{Name: key.NameSpace}, key.Filter{Name: "S"}, key.Filter{Name: "R"},
			key.Filter{Name: "F"},
			key.Filter{Name: "1"}, key.Filter{Name: "2"}, key.Filter{Name: "3"},
			key.Filter{Name: "4"}, key.Filter{Name: "5"}, key.Filter{Name: "6"},
			key.Filter{Name: key.NameDeleteForward}, key.Filter{Name: key.NameDeleteBackward},
			key.Filter{Name: key.NameEscape},
		)
		if !ok {
			break
		}
		if e, ok := ev.(key.Event); ok && e.State == key.Press {
			u.key(e.Name, gtx.Now)
		}
	}
}

// key performs the shortcut of key name.
func (u *Plane) key(name key.Name, now time.Time) {
	switch name {
	case key.NameSpace:
		u.panel.train.togglePlay()
	case "S":
		u.panel.train.step()
	case "R":
		u.panel.train.reset()
	case "F":
		u.pv.Fit()
	case key.NameDeleteForward, key.NameDeleteBackward:
		if id := u.pv.probes.selected; id != 0 {
			u.pv.probes.Delete(id)
		}
	case key.NameEscape:
		u.pv.probes.Select(0)
	default:
		for _, d := range layerDefs() {
			if key.Name(d.key) == name {
				u.pv.layers ^= d.mask
			}
		}
	}
}

// dataBox returns the box that Fit shows for d: its bounding box grown by a third of its
// half-size on every side, made square-ish; the original view's [−1.6, 1.6]² without data.
func dataBox(d *spirals.Dataset) [4]float64 {
	b := [4]float64{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	if d != nil {
		for i := 0; i+1 < len(d.X); i += 2 {
			x, y := float64(d.X[i]), float64(d.X[i+1])
			b[0], b[1], b[2], b[3] = math.Min(b[0], x), math.Max(b[1], x), math.Min(b[2], y), math.Max(b[3], y)
		}
	}
	if !(b[1] > b[0]) || !(b[3] > b[2]) || !finite(b[:]...) {
		return [4]float64{-1.6, 1.6, -1.6, 1.6}
	}
	mx, my := (b[1]-b[0])/6, (b[3]-b[2])/6
	return [4]float64{b[0] - mx, b[1] + mx, b[2] - my, b[3] + my}
}
