package plane

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/assets"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/internal/testref"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/sim/watch"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// dataSettings are the Two Spirals generator's parameters.
type dataSettings struct {
	N         int
	Noise     float64
	Rotations float64
	Seed      uint64
}

// defaultData is the live default: fewer points than the original 20 000 so that every
// layer stays light, the original's noise and rotations.
func defaultData() dataSettings { return dataSettings{N: 4000, Noise: 3, Rotations: 1.2, Seed: 1} }

// Lab holds the models and data the plane shows and edits: the training run, the
// classifier, the data set and an optionally loaded flow. Its fields belong to the frame's
// goroutine; slow work (file loads, classifier training) runs in the host's background
// jobs, whose results are applied at the start of a frame. Models and data sets are never
// modified once published, so the scene builder and workers may read them freely.
type Lab struct {
	host   ws.Host
	ctx    context.Context
	cancel context.CancelFunc

	run     *run.Run
	watch   *watch.Watcher // measures the run's manifold quality in the background
	flowPtr *flow.MFlow    // the run's flow last returned by Flow, and its version
	flowVer uint64

	clf        *classify.MLP
	clfVersion uint64
	clfSource  string
	clfJob     context.CancelFunc // cancels a running classifier training
	clfNote    string             // progress of the classifier training

	data        *spirals.Dataset
	dataVersion uint64
	dataGen     dataSettings
	dataFile    bool // the data came from a file, not from dataGen

	static        *flow.MFlow // a loaded flow shown instead of the run's, or nil
	staticVersion uint64
	staticSource  string

	seq uint64 // version counter for everything the lab publishes

	heldForRuns bool // the run was paused because the Runs grid is shown (holdForRuns)
}

// pause pauses the run for good: leaving the Runs grid does not resume it.
func (l *Lab) pause() {
	l.run.Pause()
	l.heldForRuns = false
}

// holdForRuns pauses the live run while the Runs grid (whose runs then get both cores) is
// the shown workspace and resumes it when another is shown, unless something paused it
// for good meanwhile (a loaded session or flow, a run opened from the grid).
func (l *Lab) holdForRuns(shown string) {
	if l.run == nil {
		return
	}
	switch onRuns := shown == ws.Runs; {
	case onRuns && !l.heldForRuns && l.run.Latest().State == run.Running:
		l.run.Pause()
		l.heldForRuns = true
	case !onRuns && l.heldForRuns:
		l.heldForRuns = false
		l.run.Resume()
	}
}

// newLab starts a lab with the embedded classifier, generated data and a live training run
// (playing when play is set).
func newLab(h ws.Host, play bool) *Lab {
	ctx, cancel := context.WithCancel(h.Context())
	invalidate := h.Invalidate
	l := &Lab{host: h, ctx: ctx, cancel: cancel}
	l.dataGen = defaultData()
	d, err := spirals.Generate(l.dataGen.N, l.dataGen.Noise, l.dataGen.Rotations, l.dataGen.Seed)
	if err != nil {
		panic("app: default data: " + err.Error()) // the defaults are constants
	}
	l.setData(d, false)
	if clf, err := classify.Parse(assets.ClassifierName, assets.Classifier()); err != nil {
		l.Errorf("default classifier: %v", err)
	} else {
		l.setClassifier(clf, "default classifier")
	}
	settings := run.LiveDefault() // the registry's live default recipe
	settings.SingleCore = true    // leave a core to the window (same numbers either way)
	settings.LowPriority = true
	r, err := run.New(ctx, matOf(d), settings, invalidate)
	if err != nil {
		panic("app: default training run: " + err.Error()) // the defaults are constants
	}
	l.run = r
	l.watch = watch.New(ctx, r, l.dataCurve(), watch.Options{LowPriority: true, Notify: invalidate})
	if play {
		r.Start()
	}
	return l
}

// Close stops the run and every job.
func (l *Lab) Close() {
	l.cancel()
	l.run.Stop()
	l.run.Wait()
	l.watch.Close()
}

func (l *Lab) next() uint64 { l.seq++; return l.seq }

// Flow returns the flow to show and its version: the loaded one, else the run's latest.
func (l *Lab) Flow() (*flow.MFlow, uint64) {
	if l.static != nil {
		return l.static, l.staticVersion
	}
	s := l.run.Latest()
	if s.Flow != l.flowPtr {
		// A new copy of the weights; snapshots that only change state keep theirs.
		l.flowPtr, l.flowVer = s.Flow, l.next()
	}
	return s.Flow, l.flowVer
}

// Infof sets the status line.
func (l *Lab) Infof(format string, a ...any) { l.host.Infof(format, a...) }

// Errorf sets the status line to an error message.
func (l *Lab) Errorf(format string, a ...any) { l.host.Errorf(format, a...) }

// goJob runs work in the background and applies the closure it returns in a later frame.
func (l *Lab) goJob(work func(ctx context.Context) func()) { l.host.Go(work) }

// result applies fn in a later frame, from any goroutine, unless the lab has closed.
func (l *Lab) result(fn func()) {
	l.host.Post(fn) // in order: an epoch's classifier and note never overtake the next's
}

// setData shows d (generated with dataGen, or read from a file) and restarts training on
// it (same seed and settings); the quality watcher measures the new run against d's curve.
func (l *Lab) setData(d *spirals.Dataset, fromFile bool) {
	if l.run != nil {
		if err := l.run.SetData(matOf(d)); err != nil {
			l.Errorf("%v", err)
			return
		}
		l.static = nil
		from := l.run.Latest().Gen + 1
		l.run.Reset(l.run.Latest().Seed)
		defer func() { l.watch.SetCurve(l.dataCurve(), from) }()
	}
	l.data, l.dataVersion, l.dataFile = d, l.next(), fromFile
}

func (l *Lab) setClassifier(m *classify.MLP, source string) {
	l.clf, l.clfVersion, l.clfSource = m, l.next(), source
}

// Regenerate draws a new data set with s and restarts training on it.
func (l *Lab) Regenerate(s dataSettings) {
	d, err := spirals.Generate(s.N, s.Noise, s.Rotations, s.Seed)
	if err != nil {
		l.Errorf("%v", err)
		return
	}
	l.dataGen = s
	l.setData(d, false)
	l.Infof("generated %d points (noise %g, %g rotations, seed %d); training restarts on them", s.N, s.Noise, s.Rotations, s.Seed)
}

// LoadData reads a data set (.csv or .pt) in the background.
func (l *Lab) LoadData(path string) {
	path = cleanPath(path)
	if path == "" {
		l.Errorf("type the path of a data set (.csv or .pt) first")
		return
	}
	l.Infof("loading %s …", path)
	l.goJob(func(context.Context) func() {
		d, err := spirals.Load(path)
		if err != nil {
			return func() { l.Errorf("%v", err) }
		}
		return func() {
			l.setData(d, true)
			l.Infof("loaded %d points from %s; training restarts on them", d.N(), filepath.Base(path))
		}
	})
}

// LoadOriginalData loads the original 20 000-point data set from the reference folder.
func (l *Lab) LoadOriginalData() {
	dir, err := testref.Find()
	if err != nil {
		l.Errorf("original data set: %v", err)
		return
	}
	l.LoadData(filepath.Join(dir, "reference", "data", "spiral_dataset_20k.csv"))
}

// LoadFlow reads a flow checkpoint (native or original .pt) in the background; it is shown
// instead of the live run, which pauses.
func (l *Lab) LoadFlow(path string) {
	path = cleanPath(path)
	if path == "" {
		l.Errorf("type the path of a flow checkpoint (.mfl or .pt) first")
		return
	}
	l.Infof("loading flow %s …", path)
	l.goJob(func(context.Context) func() {
		c, err := flow.LoadCheckpoint(path)
		if err != nil {
			return func() { l.Errorf("%v", err) }
		}
		if c.Flow.Cfg.N != 2 || c.Flow.Cfg.D != 1 {
			return func() {
				l.Errorf("%s: the flow maps %d-D points to a %d-D manifold; the plane needs 2-D points and a 1-D manifold", path, c.Flow.Cfg.N, c.Flow.Cfg.D)
			}
		}
		return func() {
			l.static, l.staticVersion, l.staticSource = c.Flow, l.next(), path
			l.pause()
			l.Infof("showing flow %s (%v); training paused — Reset trains a new flow", filepath.Base(path), c.Flow.Cfg)
		}
	})
}

// SaveFlow writes the shown flow to path in the background: the original PyTorch format
// for a .pt or .pth path, else the native one (with the training settings as notes).
func (l *Lab) SaveFlow(path string) {
	path = cleanPath(path)
	f, _ := l.Flow()
	switch {
	case path == "":
		l.Errorf("type the path to save the flow to first (e.g. flow.mfl)")
		return
	case f == nil:
		l.Errorf("no flow to save yet")
		return
	case isPT(path):
		// The original's state_dict: the weights only (snapshots are immutable copies).
		l.goJob(func(context.Context) func() {
			err := flow.ExportPyTorch(path, f)
			return func() {
				if err != nil {
					l.Errorf("%v", err)
					return
				}
				l.Infof("saved the flow to %s (PyTorch state_dict of the original code)", path)
			}
		})
		return
	}
	info := map[string]string{"saved-by": "mflowlab app"}
	if s := l.run.Latest(); l.static == nil {
		info["step"] = fmt.Sprint(s.Step)
		info["seed"] = fmt.Sprint(s.Seed)
		info["settings"] = fmt.Sprintf("%v %s batch %d lr %g", s.Settings.Flow, s.Settings.Train.Recipe, s.Settings.Train.Batch, s.Settings.Train.LR)
	}
	l.goJob(func(context.Context) func() {
		err := (&flow.Checkpoint{Flow: f, Info: info}).Save(path)
		return func() {
			if err != nil {
				l.Errorf("%v", err)
				return
			}
			l.Infof("saved the flow to %s", path)
		}
	})
}

// LoadClassifier reads a classifier checkpoint (native or original .pt) in the background.
func (l *Lab) LoadClassifier(path string) {
	path = cleanPath(path)
	if path == "" {
		l.Errorf("type the path of a classifier checkpoint (.mfl or .pt) first")
		return
	}
	l.Infof("loading classifier %s …", path)
	l.goJob(func(context.Context) func() {
		m, err := classify.LoadAny(path)
		if err != nil {
			return func() { l.Errorf("%v", err) }
		}
		if m.In != 2 || m.Classes != 2 {
			return func() {
				l.Errorf("%s: the classifier maps %d inputs to %d classes; the plane needs 2 and 2", path, m.In, m.Classes)
			}
		}
		return func() {
			l.stopClassifierTraining()
			l.setClassifier(m, filepath.Base(path))
			l.Infof("loaded classifier %s (%v)", filepath.Base(path), m)
		}
	})
}

// SaveClassifier writes the classifier to path in the background: the original PyTorch
// format for a .pt or .pth path (only for classifiers of the original kind), else the native one.
func (l *Lab) SaveClassifier(path string) {
	path = cleanPath(path)
	m := l.clf
	switch {
	case path == "":
		l.Errorf("type the path to save the classifier to first (e.g. classifier.mfl)")
		return
	case m == nil:
		l.Errorf("no classifier to save")
		return
	}
	l.goJob(func(context.Context) func() {
		save, what := m.Save, ""
		if isPT(path) {
			save, what = func(p string) error { return classify.ExportPyTorch(p, m) }, " (PyTorch state_dict of the original code)"
		}
		err := save(path)
		return func() {
			if err != nil {
				l.Errorf("%v", err)
				return
			}
			l.Infof("saved the classifier to %s%s", path, what)
		}
	})
}

// classifierEpochs is the length of a live classifier retraining.
const classifierEpochs = 20

// RetrainClassifier trains a fresh classifier (W = 64, depth 3) on the current data in the
// background, publishing it after every epoch so the decision boundary moves live.
func (l *Lab) RetrainClassifier(seed uint64) {
	l.stopClassifierTraining()
	d := l.data
	ctx, cancel := context.WithCancel(l.ctx)
	l.clfJob = cancel
	l.clfNote = "starting…"
	m, err := classify.New(2, 64, 3, 2, seed)
	if err != nil {
		l.Errorf("%v", err)
		return
	}
	l.setClassifier(m.Clone(), "retraining")
	l.Infof("retraining the classifier on %d points …", d.N())
	go func() {
		defer func() {
			if r := recover(); r != nil {
				l.result(func() { l.Errorf("classifier training failed: %v", r); l.clfJob = nil })
			}
		}()
		train, eval := d.Split(0.2, seed)
		x := matOf(train)
		ex := matOf(eval)
		cfg := classify.TrainConfig{Epochs: classifierEpochs, Batch: 256, LR: 3e-3, Seed: seed}
		err := m.Train(ctx, x, train.Y, ex, eval.Y, cfg, func(r classify.EpochReport) {
			snap := m.Clone()
			l.result(func() {
				if ctx.Err() != nil {
					return
				}
				l.setClassifier(snap, "retrained")
				l.clfNote = fmt.Sprintf("epoch %d/%d · accuracy %.1f %%", r.Epoch, r.Epochs, 100*r.EvalAccuracy)
			})
		})
		l.result(func() {
			if err != nil && ctx.Err() == nil {
				l.Errorf("classifier training: %v", err)
			} else if err == nil {
				l.Infof("classifier retrained: %s", l.clfNote)
			}
			if ctx.Err() == nil {
				l.clfJob = nil
			}
		})
	}()
}

// ClassifierTraining reports whether a retraining runs.
func (l *Lab) ClassifierTraining() bool { return l.clfJob != nil }

func (l *Lab) stopClassifierTraining() {
	if l.clfJob != nil {
		l.clfJob()
		l.clfJob = nil
		l.clfNote = "stopped"
	}
}

// cleanPath trims spaces and quotes that come with pasted paths and expands ~/.
func cleanPath(p string) string { return widgets.CleanPath(p) }

func isPT(path string) bool {
	e := strings.ToLower(filepath.Ext(path))
	return e == ".pt" || e == ".pth"
}
