package scene

import (
	"fmt"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// probeSteps is the number of steps of each probe's projection path.
const probeSteps = 40

// probeKey is everything the probe results depend on.
type probeKey struct {
	flow     flowKey
	clf      clfKey
	attack   attack.Params
	adaptive bool
}

// computeProbes attacks every probe: the label is the classifier's
// prediction at the clean point, the attack runs against the bare
// classifier (or the defended one when adaptive), and the adversarial
// point is projected onto the manifold. Without a classifier only X is
// filled in; without a flow Defended is Adv and there is no case. Probes
// at non-finite points are left unattacked. A non-nil error (e.g. invalid
// attack parameters) comes with results that hold the clean points and
// labels only.
func computeProbes(f *flow.MFlow, clf *classify.MLP, probes []ProbeInput, p attack.Params, adaptive bool) ([]ProbeResult, error) {
	all := make([]ProbeResult, len(probes))
	var pts [][2]float64
	var out []*ProbeResult // the probes at finite points, which are attacked
	for i, pr := range probes {
		all[i] = ProbeResult{ID: pr.ID, X: pr.X, Adv: pr.X, Defended: pr.X, Label: -1, PredClean: -1, PredAdv: -1, PredDefended: -1}
		if isFinite(pr.X[0]) && isFinite(pr.X[1]) {
			pts = append(pts, pr.X)
			out = append(out, &all[i])
		}
	}
	if len(pts) == 0 || clf == nil {
		return all, nil
	}
	if clf.In != 2 {
		return all, fmt.Errorf("scene: the classifier takes %d inputs, the plane has 2", clf.In)
	}
	if !flow2D(f) {
		f = nil
	}
	x := matOf(pts)
	y := clf.Predict(x)
	var target attack.Classifier = clf
	if adaptive && f != nil {
		target = attack.Defended{Clf: clf, Flow: f}
	}
	res, err := attack.Run(target, x, y, p)
	if err != nil {
		for i, r := range out {
			r.Label, r.PredClean = y[i], y[i]
		}
		return all, err
	}
	adv := res.Adv
	def := adv
	var proj nn.Mat
	if f != nil {
		def = f.Project(adv)
		proj = f.ProjectionPaths(adv, probeSteps)
	}
	predAdv := clf.Predict(adv)
	predDef := predAdv
	if f != nil {
		predDef = clf.Predict(def)
	}
	k := probeSteps + 1
	for i, r := range out {
		r.Adv = [2]float64{float64(adv.At(i, 0)), float64(adv.At(i, 1))}
		r.Defended = [2]float64{float64(def.At(i, 0)), float64(def.At(i, 1))}
		r.Label, r.PredClean, r.PredAdv = y[i], y[i], predAdv[i]
		r.AttackPath = make([]float32, 0, 2*len(res.Path))
		for _, it := range res.Path {
			r.AttackPath = append(r.AttackPath, it.At(i, 0), it.At(i, 1))
		}
		if f != nil {
			r.PredDefended = predDef[i]
			r.Case = attack.CaseOf(predAdv[i] != y[i], predDef[i] == y[i])
			pp := append([]float32(nil), proj.Data[2*i*k:2*(i+1)*k]...)
			// Pin the ends to the markers (the path's ends are equal up to rounding).
			pp[0], pp[1] = adv.At(i, 0), adv.At(i, 1)
			pp[2*k-2], pp[2*k-1] = def.At(i, 0), def.At(i, 1)
			r.ProjectionPath = pp
		}
	}
	return all, nil
}

// sceneProbes converts probe results into what the plane draws.
func sceneProbes(res []ProbeResult, in []ProbeInput) []plane.Probe {
	out := make([]plane.Probe, len(res))
	for i, r := range res {
		var c byte
		if r.Case >= attack.CaseA && r.Case <= attack.CaseD {
			c = byte('A' + r.Case - attack.CaseA)
		}
		out[i] = plane.Probe{
			X: r.X, Adv: r.Adv, Defended: r.Defended,
			Path: r.AttackPath, Projection: r.ProjectionPath,
			Case: c, Selected: i < len(in) && in[i].Selected,
		}
	}
	return out
}
