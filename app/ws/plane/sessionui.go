package plane

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/mflowlab/mflowlab/app/session"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// Save implements ws.Workspace: the plane's part of a session (settings, data, probes,
// attack, layers, view, flow and classifier).
func (u *Plane) Save(s *session.Session) error {
	l := u.lab
	f, _ := l.Flow()
	if f == nil {
		return fmt.Errorf("no flow to save yet")
	}
	if l.clf == nil {
		return fmt.Errorf("no classifier to save")
	}
	snap := l.run.Latest()
	st := snap.Settings
	st.Seed = snap.Seed
	st.SingleCore = false // a property of the machine, not of the scene
	info := map[string]string{"saved-by": "mflowlab app"}
	if l.static == nil {
		info["step"] = strconv.Itoa(snap.Step)
		info["seed"] = strconv.FormatUint(snap.Seed, 10)
	} else {
		info["source"] = l.staticSource
	}
	ap, adaptive := u.panel.attack.params()
	s.Settings, s.Attack, s.Adaptive = st, ap, adaptive
	s.Layers, s.View = u.pv.layers, u.pv.view
	if s.View.Scale <= 0 { // the plane was never shown: its fitted view at a usual size
		b := u.pv.fitBox
		s.View = plane.Fit(b[0], b[1], b[2], b[3], 800, 600, 28)
	}
	s.Flow, s.FlowInfo, s.Clf, s.ClfName = f, info, l.clf, l.clfSource
	s.Probes, s.Points, s.Gen = nil, nil, nil
	for _, p := range u.pv.probes.list {
		s.Probes = append(s.Probes, p.X)
	}
	if l.dataFile {
		s.Points = l.data
	} else {
		g := l.dataGen
		s.Gen = &session.DataGen{N: g.N, Noise: g.Noise, Rotations: g.Rotations, Seed: g.Seed}
	}
	return nil
}

// Restore implements ws.Workspace: it checks that the plane can show the session's models
// and makes its data (in the background); the returned apply restores the plane.
func (u *Plane) Restore(path string, s *session.Session) (func(), error) {
	d, err := sessionData(path, s)
	if err != nil {
		return nil, err
	}
	return func() { u.applySession(path, s, d) }, nil
}

// sessionData checks that the plane can show a session's models and returns its data set.
func sessionData(path string, s *session.Session) (*spirals.Dataset, error) {
	var err error
	if c := s.Flow.Cfg; c.N != 2 || c.D != 1 {
		return nil, fmt.Errorf("session %s: the flow maps %d-D points to a %d-D manifold; the plane needs 2-D points and a 1-D manifold", path, c.N, c.D)
	}
	if m := s.Clf; m.In != 2 || m.Classes != 2 {
		return nil, fmt.Errorf("session %s: the classifier maps %d inputs to %d classes; the plane needs 2 and 2", path, m.In, m.Classes)
	}
	if len(s.Probes) > maxProbes {
		return nil, fmt.Errorf("session %s: %d probes, at most %d", path, len(s.Probes), maxProbes)
	}
	d := s.Points
	if g := s.Gen; g != nil {
		if d, err = spirals.Generate(g.N, g.Noise, g.Rotations, g.Seed); err != nil {
			return nil, fmt.Errorf("session %s: data: %v", path, err)
		}
	}
	return d, nil
}

// applySession replaces the whole state with s and its data d.
func (u *Plane) applySession(path string, s *session.Session, d *spirals.Dataset) {
	l := u.lab
	st := s.Settings
	st.SingleCore = true // leave a core to the window (same numbers either way)
	old := l.run.Settings()
	if err := l.run.SetSettings(st); err != nil {
		l.Errorf("session %s: settings: %v", path, err)
		return
	}
	if err := l.run.SetData(matOf(d)); err != nil {
		_ = l.run.SetSettings(old)
		l.Errorf("session %s: data: %v", path, err)
		return
	}
	l.stopClassifierTraining()
	l.pause()
	from := l.run.Latest().Gen + 1
	l.run.Reset(st.Seed)
	l.pause()
	l.data, l.dataVersion = d, l.next()
	l.dataFile = s.Gen == nil
	if g := s.Gen; g != nil {
		l.dataGen = dataSettings{N: g.N, Noise: g.Noise, Rotations: g.Rotations, Seed: g.Seed}
	}
	l.watch.SetCurve(l.dataCurve(), from)
	name := filepath.Base(path)
	l.static, l.staticVersion, l.staticSource = s.Flow, l.next(), path
	u.sess = sessionFlow{flow: s.Flow}
	clfName := s.ClfName
	if clfName == "" {
		clfName = "classifier of " + name
	}
	l.setClassifier(s.Clf, clfName)

	// Panels show the restored values.
	u.panel.train.show(st)
	u.panel.data.init(u)
	a := &u.panel.attack
	a.cur = s.Attack
	a.kind.Value = s.Attack.Kind.String()
	a.eps.SetFloat(s.Attack.Eps)
	a.steps.SetInt(s.Attack.Steps)
	a.step.SetFloat(s.Attack.Alpha)
	a.targeted.Value = s.Attack.Targeted
	a.target.Value = strconv.Itoa(int(s.Attack.Target))
	a.adapt.Value = s.Adaptive

	// The plane: layers, probes and the view (kept over the data fit).
	pv := &u.pv
	pv.layers = s.Layers
	pv.probes.Clear()
	for _, p := range s.Probes {
		pv.probes.Add(p[0], p[1])
	}
	pv.probes.Select(0)
	pv.fitBox = dataBox(d)
	u.fitData = l.dataVersion
	v := s.View
	if pv.view.W > 0 && pv.view.H > 0 {
		v.W, v.H = pv.view.W, pv.view.H // the window's size wins; centre and scale are kept
	}
	pv.view, pv.fitted = v, true
	pv.viewSeq++
	l.Infof("loaded session %s: %d points, %d probes, flow %v; paused — Play trains on from these weights, Reset trains a new flow", name, d.N(), len(s.Probes), s.Flow.Cfg)
}

// sessionFlow is a loaded session's flow, which Play (or Step) trains on from.
type sessionFlow struct {
	flow    *flow.MFlow // the session's flow while it is shown and not trained yet
	handed  *flow.MFlow // the flow handed to the run, shown until the run publishes it
	version uint64      // the run's snapshot version when it was handed over
}

// continueSession hands the loaded session's flow to the training run, so that the next
// Play or Step trains on from its weights (with a fresh optimiser and the session's
// settings and seed), and reports whether it did. The session's flow stays on the plane
// until the run publishes it, so that the picture does not jump.
func (u *Plane) continueSession() bool {
	l := u.lab
	f := u.sess.flow
	if f == nil || l.static != f {
		return false
	}
	v := l.run.Latest().Version
	if err := l.run.ResetFrom(f); err != nil {
		l.Errorf("cannot train on from the session's flow: %v", err)
		return false
	}
	u.sess = sessionFlow{handed: f, version: v}
	st := l.run.Settings()
	u.panel.train.show(st)
	l.Infof("training on from the session's weights (%v, seed %d)", f.Cfg, st.Seed)
	return true
}

// sessionTick shows the run's flow again once the run has published the session's
// weights handed to it (or failed to).
func (u *Plane) sessionTick() {
	f := u.sess.handed
	if f == nil {
		return
	}
	l := u.lab
	if l.static != f {
		u.sess = sessionFlow{} // something else was loaded meanwhile
		return
	}
	s := l.run.Latest()
	if s.Version > u.sess.version && (s.Err != nil || s.Step > 0 || slices.Equal(s.Flow.P, f.P)) {
		l.static = nil
		u.sess = sessionFlow{}
	}
}
