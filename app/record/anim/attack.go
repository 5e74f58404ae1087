package anim

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// The attack scene: the app's default attack (L∞ PGD, ε = 0.15, 20 steps of 0.02) on up to
// four data points, one per outcome case where the data offer one, chosen from a seeded
// sample of attackCandidates points at least attackSpacing apart.
const (
	attackCandidates = 400
	attackProbes     = 4
	attackSpacing    = 0.45
	attackPathSteps  = 40
)

// Timeline of the attack scene, in shares of the movie.
const (
	atkStart    = 0.10 // clean points alone until here
	atkEnd      = 0.48 // PGD path drawn until here
	projStart   = 0.56
	projEnd     = 0.84 // projection path drawn until here; then the cases
	attackEps   = 0.15
	attackAlpha = 0.02
	attackSteps = 20
)

// DefaultAttack returns the attack the scene runs: the app's default L∞ PGD.
func DefaultAttack() attack.Params {
	return attack.Params{Kind: attack.PGD, Eps: attackEps, Alpha: attackAlpha, Steps: attackSteps}
}

// probe is one attacked point of the scene.
type probe struct {
	x, adv, def [2]float64
	path        []float32 // PGD iterates x₀ … x_k
	proj        []float32 // projection path from adv to def
	c           attack.Case
}

// pickProbes attacks a seeded sample of the data and returns up to attackProbes attacked
// points: first one of each case A, C, B, D found, then more of any, all at least
// attackSpacing apart.
func pickProbes(o Options) ([]probe, error) {
	n := o.Data.N()
	rng := rand.New(rand.NewPCG(o.Seed, 0x61747461636b))
	idx := rng.Perm(n)[:min(n, attackCandidates)]
	x := nn.NewMat(len(idx), 2)
	for k, i := range idx {
		copy(x.Row(k), o.Data.X[2*i:2*i+2])
	}
	y := o.Clf.Predict(x) // the classifier's clean prediction is taken as the true label
	res, err := attack.Run(o.Clf, x, y, DefaultAttack())
	if err != nil {
		return nil, err
	}
	cases := attack.Classify(o.Clf, o.Flow, res.Adv, y)
	var out []probe
	taken := make([]bool, len(idx))
	far := func(k int) bool {
		for _, p := range out {
			if math.Hypot(float64(x.At(k, 0))-p.x[0], float64(x.At(k, 1))-p.x[1]) < attackSpacing {
				return false
			}
		}
		return true
	}
	pick := func(want attack.Case) {
		for k := range idx {
			if len(out) < attackProbes && !taken[k] && (want == attack.CaseNone || cases[k] == want) && far(k) {
				taken[k] = true
				p := probe{c: cases[k],
					x:   [2]float64{float64(x.At(k, 0)), float64(x.At(k, 1))},
					adv: [2]float64{float64(res.Adv.At(k, 0)), float64(res.Adv.At(k, 1))}}
				for _, it := range res.Path {
					p.path = append(p.path, it.At(k, 0), it.At(k, 1))
				}
				out = append(out, p)
				return
			}
		}
	}
	for _, c := range []attack.Case{attack.CaseA, attack.CaseC, attack.CaseB, attack.CaseD} {
		pick(c)
	}
	for len(out) < attackProbes {
		before := len(out)
		pick(attack.CaseNone)
		if len(out) == before {
			break
		}
	}
	adv := nn.NewMat(len(out), 2)
	for i, p := range out {
		adv.Set(i, 0, float32(p.adv[0]))
		adv.Set(i, 1, float32(p.adv[1]))
	}
	paths := o.Flow.ProjectionPaths(adv, attackPathSteps)
	def := o.Flow.Project(adv)
	k := attackPathSteps + 1
	for i := range out {
		p := &out[i]
		p.def = [2]float64{float64(def.At(i, 0)), float64(def.At(i, 1))}
		p.proj = append([]float32(nil), paths.Data[2*i*k:2*(i+1)*k]...)
		// Pin the ends to the markers, as the app's plane does.
		p.proj[0], p.proj[1] = adv.At(i, 0), adv.At(i, 1)
		p.proj[2*k-2], p.proj[2*k-1] = def.At(i, 0), def.At(i, 1)
	}
	return out, nil
}

// newAttack sets up the attack scene over the decision regions, the faint data and the
// manifold.
func newAttack(m *Movie, o Options) error {
	if o.Clf == nil {
		return fmt.Errorf("anim: the %s scene needs a classifier", Attack)
	}
	probes, err := pickProbes(o)
	if err != nil {
		return err
	}
	t := newTools(o)
	vl := viewLatentOf(o.Flow, t.view, 41)
	span := vl.hmHi - vl.hmLo
	man, _ := t.latentLine(o.Flow, 0, vl.hmLo-0.25*span, vl.hmHi+0.25*span)
	st := t.style
	st.PointAlpha = 0.35
	t.drawBase(&plane.Scene{Style: st, Layers: plane.LayerAll, Heatmap: t.heatLayer(o.Clf, 1),
		Points: o.Data.X, Labels: o.Data.Y})
	t.drawManifold(t.base, t.clipKeep(man), 1)

	pp := make([]plane.Probe, len(probes))
	bufA := make([][]float32, len(probes))
	bufP := make([][]float32, len(probes))
	m.frame = func(i int, dst *image.RGBA) error {
		a := smooth(phase(i, m.n, atkStart, atkEnd))
		b := smooth(phase(i, m.n, projStart, projEnd))
		done := phase(i, m.n, projEnd, projEnd) >= 1
		for k, p := range probes {
			var head [2]float64
			bufA[k], head = alongPath(bufA[k], p.path, a*float64(len(p.path)/2-1))
			q := plane.Probe{X: p.x, Adv: head, Defended: head, Path: bufA[k]}
			if b > 0 {
				q.Adv = p.adv
				bufP[k], q.Defended = alongPath(bufP[k], p.proj, b*float64(len(p.proj)/2-1))
				q.Projection = bufP[k]
			}
			if done {
				q.Case = byte('A' + p.c - attack.CaseA)
			}
			pp[k] = q
		}
		if err := t.start(dst); err != nil {
			return err
		}
		for k := range pp {
			if a == 0 {
				// Before the attack: only the clean point.
				t.r.DrawMarker(dst, t.view, pp[k].X, plane.MarkerCircle, t.style.MarkerSize, t.style.MarkerOutline)
				t.r.DrawMarker(dst, t.view, pp[k].X, plane.MarkerCircle, t.style.MarkerSize-2*max(1.2, t.style.MarkerSize/8), t.style.Original)
				continue
			}
			t.r.DrawProbe(dst, t.view, &pp[k], &t.style)
		}
		p := DefaultAttack()
		title := "clean points"
		switch {
		case done:
			title = "outcome: the cases A–D"
		case b > 0:
			title = "defence: projection onto the manifold"
		case a > 0:
			title = fmt.Sprintf("PGD attack, step %d of %d", int(math.Round(a*float64(p.Steps))), p.Steps)
		}
		sub := []captionLine{{text: fmt.Sprintf("L∞ PGD with ε = %g, step size %g, against the classifier", p.Eps, p.Alpha)},
			{text: "white: clean point · red: adversarial · gold: projected"}}
		if done {
			for _, c := range []attack.Case{attack.CaseA, attack.CaseB, attack.CaseC, attack.CaseD} {
				if slices.ContainsFunc(probes, func(q probe) bool { return q.c == c }) {
					sub = append(sub, captionLine{badge: byte('A' + c - attack.CaseA), text: c.Describe()})
				}
			}
		}
		t.captionLines(dst, title, sub)
		return nil
	}
	return nil
}
