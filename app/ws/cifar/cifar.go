// Package cifar is the CIFAR-10 workspace: a gallery of real images attacked and then
// projected by the defence (PCA or an image M-Flow) in front of a CNN, a page of 24 samples
// at a time with the predictions and the case A–D of each, filters, the detail view of one
// sample with its class probabilities and an ε slider that recomputes it live, the A–D
// chart against ε, and the accuracies of the whole gallery under the non-adaptive and the
// adaptive attack. The work happens in package sim/gallery's engine; the workspace reads
// its immutable snapshots every frame and draws the pictures as CPU rasters (ui/gallery)
// off the frame's goroutine.
package cifar

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mflowlab/mflowlab/app/session"
	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/sim/cifar"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// Source is what the workspace needs of the gallery engine (sim/gallery's *Engine; tests
// give a fake).
type Source interface {
	Apply(s Settings)
	Snapshot() *Snapshot
	Priority(idx []int)
	Detail(ctx context.Context, i int, eps float64, adaptive bool) (*Sample, error)
	Close()
}

// Options configure the workspace.
type Options struct {
	// Settings are the engine's first settings; zero fields take DefaultSettings' values.
	Settings Settings
	// NewSource builds the engine (nil: sim/gallery's, caching in the user's cache folder).
	NewSource func(ctx context.Context, notify func()) Source
	// Download, when set, adjusts the first-run download before it starts (tests point it
	// at a local server).
	Download func(d *cifar.Download)
}

// DefaultSettings are the workspace's first settings: the data found in the usual places,
// the cached default CNN, PCA with 64 components, PGD-10 at ε = 8/255 with steps of 2/255,
// a pool of 240 images drawn with seed 1.
func DefaultSettings() Settings {
	return Settings{
		Defence: "pca:64",
		Attack: attack.Params{Kind: attack.PGD, Eps: 8.0 / 255, Alpha: 2.0 / 255, Steps: 10, RandomStart: true,
			Box: &attack.Box{Min: []float64{0}, Max: []float64{1}}},
		Pool: 240,
		Seed: 1,
	}
}

// CIFAR is the CIFAR-10 workspace (ws.Workspace).
type CIFAR struct {
	host ws.Host
	th   *widgets.Theme
	sync bool
	opts Options

	src      Source
	settings Settings // the settings applied last
	applied  time.Time
	snap     *Snapshot // the snapshot the frame shows
	refresh  refreshClock

	adaptive bool       // show the adaptive attack's images
	filter   FilterSpec // the gallery's filters (Adaptive follows adaptive)
	page     int
	shown    []int  // pool indices passing the filter, for snap and filter
	shownKey string // what shown was computed for
	sel      int    // selected pool index, −1 for none

	det  detailView
	gv   galleryView
	rz   *rasterizer
	dl   download
	pan  panel
	hold bool
}

// New builds the workspace; the engine starts when the workspace is first shown.
func New(h ws.Host, o Options) *CIFAR {
	c := &CIFAR{host: h, th: h.Theme(), sync: h.Sync(), opts: o, sel: -1}
	c.settings = withDefaults(o.Settings)
	c.filter = FilterSpec{}
	c.det.init(c)
	c.gv.init(c)
	c.rz = newRasterizer(c.sync, h.Invalidate)
	c.pan.init(c)
	return c
}

// withDefaults fills the zero fields of s from DefaultSettings.
func withDefaults(s Settings) Settings {
	d := DefaultSettings()
	if s.Defence == "" {
		s.Defence = d.Defence
	}
	if s.Attack.Eps == 0 && s.Attack.Steps == 0 && s.Attack.Alpha == 0 && s.Attack.Kind == attack.FGSM {
		s.Attack = d.Attack
	}
	if s.Attack.Box == nil {
		s.Attack.Box = d.Attack.Box
	}
	if s.Pool <= 0 {
		s.Pool = d.Pool
	}
	if s.Seed == 0 {
		s.Seed = d.Seed
	}
	return s
}

// Maker returns the constructor the shell calls with its host.
func Maker(o Options) func(h ws.Host) ws.Workspace {
	return func(h ws.Host) ws.Workspace { return New(h, o) }
}

// ensure starts the engine when the workspace is first needed, so that an app that never
// shows it loads and trains nothing.
func (c *CIFAR) ensure() {
	if c.src != nil {
		return
	}
	mk := c.opts.NewSource
	if mk == nil {
		mk = defaultSource
	}
	c.src = mk(c.host.Context(), c.host.Invalidate)
	c.src.Apply(c.settings)
	c.applied = time.Now()
	c.refresh.start(c.applied)
	c.snap = c.src.Snapshot()
}

// defaultSource is sim/gallery's engine caching in the user's cache folder.
func defaultSource(ctx context.Context, notify func()) Source {
	dir := ""
	if d, err := os.UserCacheDir(); err == nil {
		dir = filepath.Join(d, "mflowlab")
	}
	return newEngine(ctx, dir, notify)
}

// Apply hands new settings to the engine (the gallery keeps its page; the detail view
// recomputes at its ε). Before the workspace was first shown they are only kept: the engine
// starts with them when it is (a session opened on another tab trains nothing here).
func (c *CIFAR) Apply(s Settings) {
	c.settings = withDefaults(s)
	c.pan.show(c.settings)
	if c.src == nil {
		return
	}
	c.src.Apply(c.settings)
	c.applied = time.Now()
	c.refresh.start(c.applied)
	c.det.invalidate()
}

// Settings returns the settings applied last.
func (c *CIFAR) Settings() Settings { return c.settings }

// Name implements ws.Workspace.
func (c *CIFAR) Name() string { return ws.CIFAR }

// Title implements ws.Workspace.
func (c *CIFAR) Title() string { return "CIFAR-10" }

// Area implements ws.Workspace: what a recording records.
func (c *CIFAR) Area() string {
	if c.det.open() {
		return "detail view"
	}
	return "gallery"
}

// Poll implements ws.Workspace: the newest snapshot becomes the frame's.
func (c *CIFAR) Poll(now time.Time) {
	if c.src == nil {
		return
	}
	if s := c.src.Snapshot(); s != nil && s != c.snap {
		c.snap = s
		if c.current() {
			c.refresh.seen(s, c.pageIndices(), now)
		}
	}
	c.dl.poll(c)
}

// Sections implements ws.Workspace.
func (c *CIFAR) Sections() []widgets.Section { return c.pan.sections() }

// Editing implements ws.Workspace.
func (c *CIFAR) Editing() bool { return c.pan.editing() }

// Status implements ws.Workspace: the engine's stage, and its error as the warning.
func (c *CIFAR) Status() (note, warn string) {
	s := c.snap
	if s == nil {
		return "CIFAR-10", ""
	}
	if s.Err != nil {
		warn = firstLine(s.Err)
	}
	note = s.Stage
	if s.Stage != "" && s.Stage != "ready" && s.Progress > 0 {
		note = fmt.Sprintf("%s (%.0f%%)", s.Stage, 100*s.Progress)
	}
	if n := len(s.Samples); n > 0 {
		note += fmt.Sprintf(" · %d/%d images", s.Done, n)
	}
	return note, warn
}

// Timings implements ws.Workspace: the picture's drawing time and the last refresh.
func (c *CIFAR) Timings() [][2]string {
	return [][2]string{{"raster", fmt.Sprintf("%.1f ms", c.rz.lastMS())}, {"refresh", c.refresh.String()}}
}

// Picture implements ws.Workspace: the gallery page or the detail view as painted.
func (c *CIFAR) Picture() (*image.RGBA, uint64) {
	if c.gv.pic.Image() == nil {
		return nil, 0
	}
	return c.gv.pic.Image(), c.gv.picVer
}

// Hold implements ws.Workspace: while on, the painted picture stays.
func (c *CIFAR) Hold(on bool) { c.hold = on }

// AfterFrame implements ws.Workspace.
func (c *CIFAR) AfterFrame() {}

// Ready implements ws.Workspace: the engine is done (or stopped with an error), the
// detail view shows its ε, and the picture and the charts show the newest state.
func (c *CIFAR) Ready() bool {
	s := c.snap
	if s == nil || !c.current() {
		return false
	}
	if s.Err == nil && (s.Stage != "ready" || s.Done < len(s.Samples)) {
		return false
	}
	if c.det.open() && !c.det.ready() {
		return false
	}
	return c.gv.drawn() && c.pan.cases.ready() && c.pan.models.ready()
}

// firstLine returns the first line of an engine error, for one-line places.
func firstLine(err error) string {
	l, _, _ := strings.Cut(strings.TrimPrefix(err.Error(), "cifar: "), "\n")
	return strings.TrimSuffix(l, " looked in:")
}

// current reports whether the frame's snapshot shows the settings applied last (the engine
// takes them in the background).
func (c *CIFAR) current() bool {
	return c.snap != nil && c.snap.Settings == normalised(c.settings)
}

// Close implements ws.Workspace.
func (c *CIFAR) Close() {
	c.dl.cancel()
	c.det.cancelRun()
	if c.src != nil {
		c.src.Close()
	}
	c.rz.close()
}

// Save implements ws.Workspace: the settings, filters, page and selection are the
// session's "cifar" part.
func (c *CIFAR) Save(s *session.Session) error { return c.savePart(s) }

// Restore implements ws.Workspace.
func (c *CIFAR) Restore(path string, s *session.Session) (func(), error) {
	return c.restorePart(path, s)
}
