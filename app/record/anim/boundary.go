package anim

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/ui/plane"
	"github.com/mflowlab/mflowlab/ui/scene"
)

// The boundary scene trains a classifier shaped like the embedded default (width 64, depth
// 3) with Adam on mini-batches of the data, 20 % held out to measure accuracy.
const (
	DefaultBoundarySteps = 500
	boundaryWidth        = 64
	boundaryDepth        = 3
	boundaryBatch        = 256
	boundaryLR           = 3e-3
	boundaryEval         = 0.2
)

// boundaryStepAt returns the optimiser step shown by frame i of n covering total steps.
// Steps grow as (i/(n−1))^1.5, so that the early, fast changes get more frames.
func boundaryStepAt(i, n, total int) int {
	if n <= 1 {
		return total
	}
	return int(math.Round(float64(total) * math.Pow(float64(i)/float64(n-1), 1.5)))
}

// newBoundary sets up the boundary scene: a fresh classifier trained between frames, each
// frame showing its decision regions, the p = 0.5 contour and the data.
func newBoundary(m *Movie, o Options) error {
	total := o.Steps
	if total == 0 {
		total = DefaultBoundarySteps
	}
	clf, err := classify.New(2, boundaryWidth, boundaryDepth, 2, o.Seed)
	if err != nil {
		return err
	}
	train, eval := o.Data.Split(boundaryEval, o.Seed)
	if train.N() < 1 {
		return fmt.Errorf("anim: %d points leave none to train the classifier on", o.Data.N())
	}
	x := nn.MatFrom(train.N(), 2, train.X)
	ex := nn.MatFrom(eval.N(), 2, eval.X)
	rng := rand.New(rand.NewPCG(o.Seed, 0x626f756e64617279))
	order := rng.Perm(train.N())
	batch := min(boundaryBatch, train.N())
	bx := nn.NewMat(batch, 2)
	by := make([]int32, batch)
	ws := classify.NewWorkspace()
	adam := nn.NewAdam(len(clf.P))
	steps, pos := 0, 0
	step := func() error {
		if pos+batch > len(order) {
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			pos = 0
		}
		for k, r := range order[pos : pos+batch] {
			copy(bx.Row(k), x.Row(r))
			by[k] = train.Y[r]
		}
		pos += batch
		if loss := clf.TrainStep(ws, bx, by, adam, boundaryLR); math.IsNaN(loss) || math.IsInf(loss, 0) {
			return fmt.Errorf("anim: classifier training diverged at step %d", steps+1)
		}
		steps++
		return nil
	}
	perEpoch := float64(train.N()) / float64(batch)

	t := newTools(o)
	m.frame = func(i int, dst *image.RGBA) error {
		for target := boundaryStepAt(i, m.n, total); steps < target; {
			if err := step(); err != nil {
				return err
			}
		}
		res := scene.Build(scene.Inputs{Clf: clf, ClfVersion: uint64(steps) + 1, View: t.view,
			Layers: plane.LayerBoundary, Quality: scene.Draft})
		if res.Err != nil {
			return res.Err
		}
		sc := plane.Scene{Viewport: t.view, Style: t.style, Layers: plane.LayerAll,
			Heatmap: res.Scene.Heatmap, Points: o.Data.X, Labels: o.Data.Y}
		if err := t.start(dst); err != nil {
			return err
		}
		t.r.Render(dst, &sc)
		sub := []string{fmt.Sprintf("classifier (MLP %d×%d) learning the decision boundary", boundaryWidth, boundaryDepth+1)}
		if eval.N() > 0 {
			sub = append(sub, fmt.Sprintf("epoch %.1f · held-out accuracy %.1f %%", float64(steps)/perEpoch, 100*clf.Accuracy(ex, eval.Y)))
		}
		t.caption(dst, fmt.Sprintf("step %d", steps), sub...)
		return nil
	}
	return nil
}
