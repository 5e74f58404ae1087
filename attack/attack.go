// Package attack implements the adversarial attacks of spec section 3 (FGSM, L∞ PGD, L2 PGD,
// each untargeted or targeted), the adaptive attack that differentiates through a projection
// defence (the Two Spirals M-Flow, or any Projector: PCA, an image M-Flow), the four outcome
// cases A–D of the projection defence (spec section 4) and the ε-sweep that counts them. Rows
// may be 2-D points or flattened images; wide rows are attacked in bounded chunks.
package attack

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/flow/nn"
)

// Classifier is what the attacks need from a model: predictions, and each sample's own loss
// with its gradient with respect to the input. *classify.MLP and Defended satisfy it.
type Classifier interface {
	// Predict returns the predicted class of each row of x.
	Predict(x nn.Mat) []int32
	// LossGrad returns each sample's loss for labels y and the gradient of that sample's own
	// loss with respect to its input row.
	LossGrad(x nn.Mat, y []int32) (loss []float32, gx nn.Mat)
}

var _ Classifier = (*classify.MLP)(nil)

// Kind selects the attack algorithm.
type Kind int

// The attacks of spec section 3.
const (
	FGSM  Kind = iota // one signed-gradient step of size ε
	PGD               // projected gradient descent in the L∞ ball of radius ε
	PGDL2             // projected gradient descent in the L2 ball of radius ε
)

// String returns the kind's command-line name: fgsm, pgd or pgd-l2.
func (k Kind) String() string {
	switch k {
	case FGSM:
		return "fgsm"
	case PGD:
		return "pgd"
	case PGDL2:
		return "pgd-l2"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParseKind reads a kind by its command-line name (fgsm, pgd or pgd-l2).
func ParseKind(s string) (Kind, error) {
	for _, k := range []Kind{FGSM, PGD, PGDL2} {
		if s == k.String() {
			return k, nil
		}
	}
	return 0, fmt.Errorf("attack: unknown attack %q (want fgsm, pgd or pgd-l2)", s)
}

// Box is a clipping box for adversarial points: coordinate j is kept in [Min[j], Max[j]]. A
// box with one value in Min and Max applies it to every coordinate.
type Box struct {
	Min, Max []float64
}

// Limits on attack parameters; larger values are typos, not experiments.
const (
	MaxEps   = 1e3 // largest ε and α
	MaxSteps = 1e5 // most PGD steps
	// maxPathValues bounds the floats Run keeps for the trajectory (1 GiB).
	maxPathValues = 1 << 28
)

// Params configures an attack. Eps is the perturbation budget; Alpha and Steps are PGD's step
// size and step count (ignored by FGSM). Targeted attacks step towards class Target instead of
// away from the true label. RandomStart begins PGD at a seeded uniform point of the ε-ball.
// Box, when non-nil, clips every iterate.
type Params struct {
	Kind        Kind
	Eps, Alpha  float64
	Steps       int
	Targeted    bool
	Target      int32
	RandomStart bool
	Box         *Box
	Seed        uint64
}

// Validate reports parameters no attack can run with.
func (p Params) Validate() error {
	if p.Kind != FGSM && p.Kind != PGD && p.Kind != PGDL2 {
		return fmt.Errorf("attack: unknown kind %d", int(p.Kind))
	}
	if err := checkBudget("ε", p.Eps, true); err != nil {
		return err
	}
	if p.Kind == FGSM {
		if p.RandomStart {
			return errors.New("attack: random start applies to PGD only, not FGSM")
		}
	} else {
		if p.Steps < 1 || p.Steps > MaxSteps {
			return fmt.Errorf("attack: %d PGD steps out of range [1, %d]", p.Steps, int(MaxSteps))
		}
		if err := checkBudget("step size α", p.Alpha, false); err != nil {
			return err
		}
	}
	if p.Targeted && p.Target < 0 {
		return fmt.Errorf("attack: target class %d is negative", p.Target)
	}
	if b := p.Box; b != nil {
		if len(b.Min) == 0 || len(b.Min) != len(b.Max) {
			return fmt.Errorf("attack: box has %d minima and %d maxima (want the same number, at least one)", len(b.Min), len(b.Max))
		}
		for j := range b.Min {
			lo, hi := b.Min[j], b.Max[j]
			if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || lo > hi {
				return fmt.Errorf("attack: box coordinate %d is [%v, %v]; want finite bounds with min ≤ max", j, lo, hi)
			}
		}
	}
	return nil
}

func checkBudget(name string, v float64, zeroOK bool) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("attack: %s is %v; want a finite number", name, v)
	case v < 0 || (v == 0 && !zeroOK):
		if zeroOK {
			return fmt.Errorf("attack: %s = %v is negative", name, v)
		}
		return fmt.Errorf("attack: %s = %v must be positive", name, v)
	case v > MaxEps:
		return fmt.Errorf("attack: %s = %v exceeds %v", name, v, MaxEps)
	}
	return nil
}

// Result is the outcome of Run: the adversarial points and the trajectory that led there.
type Result struct {
	Adv  nn.Mat   // adversarial points, one row per input row
	Path []nn.Mat // every iterate x₀ … x_k (PGD, k = Steps; x₀ is the start); FGSM: [x, x′]
}

// Run attacks every row of x (true labels y) with the given parameters and returns the
// adversarial points and the trajectory. Targeted attacks ignore y, which may then be nil.
// Rows are attacked independently: each uses the gradient of its own loss. It panics when y
// has the wrong length and returns an error for invalid parameters, labels or points.
func Run(clf Classifier, x nn.Mat, y []int32, p Params) (*Result, error) {
	if p.Kind != FGSM && int64(p.Steps+1)*int64(len(x.Data)) > maxPathValues {
		return nil, fmt.Errorf("attack: the trajectory of %d steps × %d rows would hold more than %d values; attack fewer points or take fewer steps", p.Steps, x.Rows, maxPathValues)
	}
	return run(context.Background(), clf, x, y, p, true, nil, chunkRows(x.Cols))
}

// run is Run with cancellation between gradient steps, an optional trajectory and an
// optional progress callback (the share of the work done, in [0, 1]). Rows go to the
// classifier in chunks of chunk rows (chunkRows(x.Cols) in production), so wide rows (images)
// keep the classifier's buffers bounded; rows are independent, so the result is the same as
// one batch.
func run(ctx context.Context, clf Classifier, x nn.Mat, y []int32, p Params, keepPath bool, progress func(float64), chunk int) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	labels, err := attackLabels(clf, x, y, p)
	if err != nil {
		return nil, err
	}
	if err := p.checkBox(x.Cols); err != nil {
		return nil, err
	}
	if err := checkFinite(x); err != nil {
		return nil, err
	}
	dir := float32(1)
	if p.Targeted {
		dir = -1
	}
	res := &Result{}
	if keepPath {
		res.Path = append(res.Path, x.Clone())
	}
	if p.Kind == FGSM {
		adv := x.Clone()
		for r0 := 0; r0 < x.Rows; r0 += chunk {
			if r0 > 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			r1 := min(x.Rows, r0+chunk)
			a := adv.Slice(r0, r1)
			_, g := clf.LossGrad(x.Slice(r0, r1), labels[r0:r1])
			signStep(a, g, dir*float32(p.Eps))
			p.clip(a)
			if progress != nil {
				progress(float64(r1) / float64(x.Rows))
			}
		}
		res.Adv = adv
		if keepPath {
			res.Path = append(res.Path, adv.Clone())
		}
		return res, nil
	}
	cur := x.Clone()
	if p.RandomStart {
		p.randomStart(cur, x)
		p.clip(cur)
	}
	if keepPath {
		res.Path[0] = cur.Clone()
	}
	alpha := dir * float32(p.Alpha)
	var buf []float32 // L2 scratch, one row
	for k := 0; k < p.Steps; k++ {
		for r0 := 0; r0 < x.Rows; r0 += chunk {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			r1 := min(x.Rows, r0+chunk)
			c, c0 := cur.Slice(r0, r1), x.Slice(r0, r1)
			_, g := clf.LossGrad(c, labels[r0:r1])
			if p.Kind == PGD {
				signStep(c, g, alpha)
				clampLinf(c, c0, float32(p.Eps))
			} else {
				normStep(c, g, alpha)
				buf = projectL2(c, c0, p.Eps, buf)
			}
			p.clip(c)
			if progress != nil {
				progress(float64(k*x.Rows+r1) / float64(p.Steps*x.Rows))
			}
		}
		if keepPath {
			res.Path = append(res.Path, cur.Clone())
		}
	}
	res.Adv = cur
	return res, nil
}

// chunkValues bounds the values of one batch handed to a classifier or a projection by the
// attacks and sweeps (8 MiB of float32): 1 048 576 two-dimensional points, 682 CIFAR images.
const chunkValues = 1 << 21

// chunkRows returns how many rows of cols values make one batch.
func chunkRows(cols int) int { return max(1, chunkValues/max(cols, 1)) }

// predictRows returns clf's predictions for x, computed in batches of at most rows rows.
func predictRows(clf Classifier, x nn.Mat, rows int) []int32 {
	if x.Rows <= rows {
		return clf.Predict(x)
	}
	out := make([]int32, 0, x.Rows)
	for r0 := 0; r0 < x.Rows; r0 += rows {
		out = append(out, clf.Predict(x.Slice(r0, min(x.Rows, r0+rows)))...)
	}
	return out
}

// lossGradRows returns each row's loss gradient with respect to its input, computed in
// batches of at most rows rows.
func lossGradRows(clf Classifier, x nn.Mat, y []int32, rows int) nn.Mat {
	if x.Rows <= rows {
		_, g := clf.LossGrad(x, y)
		return g
	}
	out := nn.NewMat(x.Rows, x.Cols)
	for r0 := 0; r0 < x.Rows; r0 += rows {
		r1 := min(x.Rows, r0+rows)
		_, g := clf.LossGrad(x.Slice(r0, r1), y[r0:r1])
		copy(out.Slice(r0, r1).Data, g.Data)
	}
	return out
}

// attackLabels returns the labels whose loss the attack differentiates: y, or the target.
func attackLabels(clf Classifier, x nn.Mat, y []int32, p Params) ([]int32, error) {
	classes := NumClasses(clf)
	if p.Targeted {
		if classes > 0 && int(p.Target) >= classes {
			return nil, fmt.Errorf("attack: target class %d out of range [0, %d)", p.Target, classes)
		}
		t := make([]int32, x.Rows)
		for i := range t {
			t[i] = p.Target
		}
		return t, nil
	}
	if len(y) != x.Rows {
		panic(fmt.Sprintf("attack: %d labels for %d rows", len(y), x.Rows))
	}
	if err := checkLabels(y, classes); err != nil {
		return nil, err
	}
	return y, nil
}

func checkLabels(y []int32, classes int) error {
	for i, c := range y {
		if c < 0 || (classes > 0 && int(c) >= classes) {
			return fmt.Errorf("attack: label %d of row %d out of range [0, %d)", c, i, classes)
		}
	}
	return nil
}

func checkFinite(x nn.Mat) error {
	if len(x.Data) != x.Rows*x.Cols {
		panic(fmt.Sprintf("attack: %d×%d matrix with %d values", x.Rows, x.Cols, len(x.Data)))
	}
	for i, v := range x.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("attack: row %d coordinate %d is %v; points must be finite", i/x.Cols, i%x.Cols, v)
		}
	}
	return nil
}

// NumClasses returns the number of classes of a *classify.MLP, of a Defended wrapping one,
// or of any classifier with a NumClasses() int method; 0 when unknown.
func NumClasses(clf Classifier) int {
	switch c := clf.(type) {
	case *classify.MLP:
		return c.Classes
	case Defended:
		return NumClasses(c.Clf)
	case *Defended:
		return NumClasses(c.Clf)
	case interface{ NumClasses() int }:
		return c.NumClasses()
	}
	return 0
}

// sign returns −1, 0 or 1 as torch.sign does (sign(0) = 0; NaN gives 0).
func sign(v float32) float32 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// signStep adds step·sign(g) to x in place. step·sign(v) is step with v's sign bit folded
// in, which avoids a mispredicted branch per coordinate (gradient signs are random); zero and
// NaN gradients add step·0 as sign does.
func signStep(x, g nn.Mat, step float32) {
	xs := x.Data[:len(g.Data)]
	sb := math.Float32bits(step)
	for i, v := range g.Data {
		b := math.Float32bits(v)
		if a := b & 0x7fffffff; a == 0 || a > 0x7f800000 {
			xs[i] += step * 0
			continue
		}
		xs[i] += math.Float32frombits(sb ^ (b & 0x80000000))
	}
}

// normStep adds step·g/‖g‖ to each row of x in place; rows with a zero gradient stay.
func normStep(x, g nn.Mat, step float32) {
	for i := 0; i < x.Rows; i++ {
		gr, xr := g.Row(i), x.Row(i)
		n := norm(gr)
		if !(n > 0) || math.IsInf(n, 0) {
			continue
		}
		s := float64(step) / n
		for j, v := range gr {
			xr[j] += float32(s * float64(v))
		}
	}
}

func norm(v []float32) float64 {
	var s float64
	for _, e := range v {
		s += float64(e) * float64(e)
	}
	return math.Sqrt(s)
}

// clampLinf clamps every coordinate of x to [x0 − eps, x0 + eps].
func clampLinf(x, x0 nn.Mat, eps float32) {
	for i, v := range x.Data {
		c := x0.Data[i]
		x.Data[i] = min(max(v, c-eps), c+eps)
	}
}

// projectL2 moves each row of x onto the L2 ball of radius eps around the row of x0 when it
// lies outside. buf is scratch space for one row (reallocated when too short) and is returned.
func projectL2(x, x0 nn.Mat, eps float64, buf []float32) []float32 {
	if cap(buf) < x.Cols {
		buf = make([]float32, x.Cols)
	}
	d := buf[:x.Cols]
	for i := 0; i < x.Rows; i++ {
		xr, cr := x.Row(i), x0.Row(i)
		for j := range d {
			d[j] = xr[j] - cr[j]
		}
		n := norm(d)
		if n <= eps {
			continue
		}
		s := eps / n
		for j := range d {
			xr[j] = cr[j] + float32(float64(d[j])*s)
		}
	}
	return buf
}

// randomStart sets x to a seeded uniform point of the ε-ball around x0: per coordinate
// U(−ε, ε) for L∞, uniform in the ball for L2.
func (p Params) randomStart(x, x0 nn.Mat) {
	rng := rand.New(rand.NewPCG(p.Seed, 0x61747461636b)) // "attack"
	if p.Kind == PGD {
		for i, c := range x0.Data {
			x.Data[i] = c + float32(p.Eps*(2*rng.Float64()-1))
		}
		return
	}
	d := make([]float64, x.Cols)
	for i := 0; i < x.Rows; i++ {
		var n float64
		for j := range d {
			d[j] = rng.NormFloat64()
			n += d[j] * d[j]
		}
		n = math.Sqrt(n)
		r := p.Eps * math.Pow(rng.Float64(), 1/float64(x.Cols))
		xr, cr := x.Row(i), x0.Row(i)
		for j := range d {
			v := 0.0
			if n > 0 {
				v = d[j] / n * r
			}
			xr[j] = cr[j] + float32(v)
		}
	}
}

func (p Params) checkBox(cols int) error {
	if p.Box != nil && len(p.Box.Min) != 1 && len(p.Box.Min) != cols {
		return fmt.Errorf("attack: box has %d coordinates for %d-dimensional points", len(p.Box.Min), cols)
	}
	return nil
}

// clip keeps x inside the box, if any.
func (p Params) clip(x nn.Mat) {
	b := p.Box
	if b == nil {
		return
	}
	if len(b.Min) == 1 {
		lo, hi := float32(b.Min[0]), float32(b.Max[0])
		for i, v := range x.Data {
			x.Data[i] = min(max(v, lo), hi)
		}
		return
	}
	for i, v := range x.Data {
		j := i % x.Cols
		x.Data[i] = min(max(v, float32(b.Min[j])), float32(b.Max[j]))
	}
}
