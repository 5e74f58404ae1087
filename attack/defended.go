package attack

import (
	"fmt"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
)

// Defended is a classifier behind a projection defence: it classifies project(x) instead of
// x. Its LossGrad differentiates through the projection exactly (for the M-Flow: through
// encode and decode), so attacking it is the adaptive attack (no straight-through
// approximation). The projection is Flow (the Two Spirals M-Flow) or any Projector in Proj;
// set exactly one of them.
type Defended struct {
	Clf  Classifier
	Flow *flow.MFlow
	Proj Projector
}

// Projection returns the defence's projection: Proj, or Flow wrapped in a FlowProjector. It
// panics when the classifier is missing or not exactly one of Flow and Proj is set.
func (d Defended) Projection() Projector {
	d.check("Projection")
	if d.Proj != nil {
		return d.Proj
	}
	return FlowProjector{Flow: d.Flow}
}

// Predict returns the bare classifier's prediction at the projection of each row.
func (d Defended) Predict(x nn.Mat) []int32 {
	d.check("Predict")
	if d.Proj == nil {
		return d.Clf.Predict(d.Flow.Project(x))
	}
	return d.Clf.Predict(d.Proj.Project(nn.Mat{}, x))
}

// LossGrad returns each sample's loss at its projection and the gradient of that loss with
// respect to the unprojected input, through the projection. Projections that implement
// FusedProjector project and differentiate in one pass.
func (d Defended) LossGrad(x nn.Mat, y []int32) (loss []float32, gx nn.Mat) {
	p := d.Projection()
	if len(y) != x.Rows {
		panic(fmt.Sprintf("attack: Defended.LossGrad: %d labels for %d rows", len(y), x.Rows))
	}
	if f, ok := p.(FusedProjector); ok {
		loss = make([]float32, x.Rows)
		_, gx = f.ProjectGrad(x, func(r0 int, proj nn.Mat) nn.Mat {
			l, g := d.Clf.LossGrad(proj, y[r0:r0+proj.Rows])
			copy(loss[r0:], l)
			return g
		})
		return loss, gx
	}
	proj := p.Project(nn.Mat{}, x)
	loss, g := d.Clf.LossGrad(proj, y)
	return loss, p.ProjectVJP(nn.Mat{}, x, g)
}

func (d Defended) check(name string) {
	if d.Clf == nil || (d.Flow == nil) == (d.Proj == nil) {
		panic(fmt.Sprintf("attack: Defended.%s needs a classifier and exactly one of a flow and a projector", name))
	}
}

// Bare returns the classifier inside a Defended (or *Defended), and clf itself otherwise.
func Bare(clf Classifier) Classifier {
	switch d := clf.(type) {
	case Defended:
		return d.Clf
	case *Defended:
		return d.Clf
	}
	return clf
}

// Case is the outcome of one attacked point under the projection defence (spec section 4).
// The zero Case means no outcome (a model was missing).
type Case uint8

// The four outcomes: whether the attack fooled the bare classifier and whether the defended
// classifier still gets the true label.
const (
	CaseNone Case = iota // no outcome
	CaseA                // attack succeeded, defence succeeded
	CaseB                // attack failed, defence succeeded
	CaseC                // attack succeeded, defence failed
	CaseD                // attack failed, defence failed
)

// CaseOf returns the case of a point from the attack's and the defence's success.
func CaseOf(attackOK, defenceOK bool) Case {
	switch {
	case attackOK && defenceOK:
		return CaseA
	case defenceOK:
		return CaseB
	case attackOK:
		return CaseC
	}
	return CaseD
}

// String returns "A", "B", "C" or "D" ("–" for CaseNone).
func (c Case) String() string {
	switch c {
	case CaseNone:
		return "–"
	case CaseA, CaseB, CaseC, CaseD:
		return string(rune('A' + c - CaseA))
	}
	return fmt.Sprintf("Case(%d)", int(c))
}

// Describe returns a short explanation of the case for legends and tooltips.
func (c Case) Describe() string {
	switch c {
	case CaseA:
		return "attack succeeded, defence succeeded"
	case CaseB:
		return "attack failed, defence succeeded"
	case CaseC:
		return "attack succeeded, defence failed"
	case CaseD:
		return "attack failed, defence failed"
	}
	return "no outcome"
}

// Classify returns the case of every adversarial point xAdv with true label y: the attack
// succeeded when the bare classifier mispredicts x′, the defence when it predicts y at
// project(x′). clf may be a Defended; its bare classifier is used. It panics when y has the
// wrong length or the flow's dimension differs from the points'.
func Classify(clf Classifier, fl *flow.MFlow, xAdv nn.Mat, y []int32) []Case {
	return ClassifyWith(clf, FlowProjector{Flow: fl}, xAdv, y)
}

// ClassifyWith is Classify for any projection defence p.
func ClassifyWith(clf Classifier, p Projector, xAdv nn.Mat, y []int32) []Case {
	if len(y) != xAdv.Rows {
		panic(fmt.Sprintf("attack: Classify: %d labels for %d rows", len(y), xAdv.Rows))
	}
	bare := Bare(clf)
	chunk := chunkRows(xAdv.Cols)
	pa := predictRows(bare, xAdv, chunk)
	pd := predictRows(bare, projectRows(p, xAdv, chunk), chunk)
	out := make([]Case, len(y))
	for i := range out {
		out[i] = CaseOf(pa[i] != y[i], pd[i] == y[i])
	}
	return out
}
