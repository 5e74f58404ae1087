package gallery

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/osprio"
)

// Models is what the gallery attacks: the bare CNN and the projection defence.
type Models struct {
	CNN  *cnn.Model
	Proj attack.Projector
}

// AttackParams returns the settings' attack at budget eps: the box [0, 1], α = 2.5·eps/steps
// when base.Alpha is 0, else base.Alpha scaled by eps/base.Eps (the same step relative to the
// budget; base.Alpha itself when base.Eps is 0). The seed is left to the caller.
func AttackParams(base attack.Params, eps float64) attack.Params {
	p := base
	p.Eps = eps
	p.Box = &attack.Box{Min: []float64{0}, Max: []float64{1}}
	if p.Kind == attack.FGSM {
		p.Alpha, p.Steps, p.RandomStart = 0, 0, false
		return p
	}
	switch {
	case base.Alpha == 0:
		p.Alpha = 2.5 * eps / float64(max(1, p.Steps))
	case base.Eps > 0:
		p.Alpha = base.Alpha * eps / base.Eps
	}
	if p.Alpha == 0 {
		p.Alpha = 1 // ε = 0: the attack leaves the images where they are
	}
	return p
}

// BlockSeed returns the PGD seed of pool block k.
func BlockSeed(seed uint64, k int) uint64 { return seed + uint64(k) }

// cancellable is a classifier that aborts an attack in flight once ctx is cancelled: its
// LossGrad panics with errAborted before calling the model, and runAttack, the only caller,
// recovers it. Nothing but attack.Run's own frames is unwound (the model is never entered).
type cancellable struct {
	ctx context.Context
	clf attack.Classifier
}

// aborted is the panic value of a cancelled attack.
type aborted struct{ err error }

func (c cancellable) Predict(x nn.Mat) []int32 { return c.clf.Predict(x) }

func (c cancellable) LossGrad(x nn.Mat, y []int32) ([]float32, nn.Mat) {
	if err := c.ctx.Err(); err != nil {
		panic(aborted{err})
	}
	return c.clf.LossGrad(x, y)
}

func (c cancellable) NumClasses() int { return attack.NumClasses(c.clf) }

// runAttack attacks x with p (ε = 0 returns x) and stops early with ctx's error when ctx is
// cancelled.
func runAttack(ctx context.Context, clf attack.Classifier, x nn.Mat, y []int32, p attack.Params) (adv nn.Mat, err error) {
	if p.Eps == 0 {
		return x, nil
	}
	defer func() {
		if r := recover(); r != nil {
			a, ok := r.(aborted)
			if !ok {
				panic(r)
			}
			adv, err = nn.Mat{}, a.err
		}
	}()
	r, err := attack.Run(cancellable{ctx: ctx, clf: clf}, x, y, p)
	if err != nil {
		return nn.Mat{}, err
	}
	return r.Adv, nil
}

// ComputeBlock attacks the images x (labels y) with p, non-adaptively (the attack sees the
// bare CNN) and, when adaptive, adaptively (through the projection), and fills out[i] (one per
// row; Index, Label and Orig are left as they are) with the projections, probabilities,
// predictions and cases. It returns ctx's error when cancelled, and the attack's error for
// bad parameters or data.
func ComputeBlock(ctx context.Context, m Models, x nn.Mat, y []int32, p attack.Params, adaptive bool, out []Sample) error {
	return computeBlock(ctx, m, x, y, p, adaptive, false, out, nil, blockKeys{})
}

// blockKeys name a block's attacks in an advCache ("" = not cached): everything the attack's
// result depends on except the parameters, which are added.
type blockKeys struct{ plain, adaptive string }

// cachedAttack is runAttack through cache under key (plus p).
func cachedAttack(ctx context.Context, cache *advCache, key string, clf attack.Classifier, x nn.Mat, y []int32, p attack.Params) (nn.Mat, error) {
	if key != "" {
		q := p
		q.Box = nil
		key = fmt.Sprintf("%s|%+v", key, q)
	}
	if adv, ok := cache.get(key); ok {
		return adv, nil
	}
	adv, err := runAttack(ctx, clf, x, y, p)
	if err == nil && p.Eps != 0 {
		cache.put(key, adv)
	}
	return adv, err
}

// computeBlock is ComputeBlock reusing the attacks kept in cache under keys; with concurrent
// set, the adaptive attack runs on a second thread beside the non-adaptive one (Detail: one
// block, the user waiting).
func computeBlock(ctx context.Context, m Models, x nn.Mat, y []int32, p attack.Params, adaptive, concurrent bool, out []Sample, cache *advCache, keys blockKeys) error {
	n := x.Rows
	if len(y) != n || len(out) != n {
		panic(fmt.Sprintf("gallery: ComputeBlock of %d rows with %d labels into %d samples", n, len(y), len(out)))
	}
	var (
		advA nn.Mat
		errA error
		wg   sync.WaitGroup
	)
	adaptiveAttack := func() {
		defer func() {
			if r := recover(); r != nil {
				errA = panicError(r)
			}
		}()
		advA, errA = cachedAttack(ctx, cache, keys.adaptive, attack.Defended{Clf: m.CNN, Proj: m.Proj}, x, y, p)
	}
	if adaptive && concurrent {
		wg.Add(1)
		osprio.Go(func() {
			defer wg.Done()
			adaptiveAttack()
		})
	}
	adv, err := cachedAttack(ctx, cache, keys.plain, m.CNN, x, y, p)
	wg.Wait()
	if err != nil {
		return err
	}
	parts := []nn.Mat{x, adv}
	if adaptive {
		if !concurrent {
			adaptiveAttack()
		}
		if errA != nil {
			return errA
		}
		parts = append(parts, advA)
	}
	// Project all at once, then classify originals, adversarials and their projections in
	// one call: rows [x; adv; advA; P(x); P(adv); P(advA)].
	k := len(parts)
	all := nn.NewMat(2*k*n, x.Cols)
	for i, part := range parts {
		copy(all.Data[i*n*x.Cols:], part.Data)
	}
	m.Proj.Project(all.Slice(k*n, 2*k*n), all.Slice(0, k*n))
	if err := ctx.Err(); err != nil {
		return err
	}
	logits := m.CNN.Logits(all)
	row := func(part, i int) []float32 { return all.Row(part*n + i) }
	for i := range out {
		s := &out[i]
		s.Ready = true
		s.OrigPred, s.OrigProbs = classify(logits.Row(i))
		s.ProjPred, s.ProjProbs = classify(logits.Row(k*n + i))
		fill := func(a *Attacked, part int) {
			a.Adv, a.Proj = row(part, i), row(k+part, i)
			a.AdvPred, a.AdvProbs = classify(logits.Row(part*n + i))
			a.ProjPred, a.ProjProbs = classify(logits.Row((k+part)*n + i))
			a.Case = attack.CaseOf(a.AdvPred != y[i], a.ProjPred == y[i])
		}
		fill(&s.Plain, 1)
		if adaptive {
			fill(&s.Adaptive, 2)
		} else {
			s.Adaptive = Attacked{}
		}
	}
	return nil
}

// classify returns the first largest logit's class and the softmax probabilities.
func classify(z []float32) (int32, [10]float32) {
	var p [10]float32
	best := 0
	for j, v := range z {
		if v > z[best] {
			best = j
		}
	}
	var sum float64
	for j := range p {
		if j < len(z) {
			sum += math.Exp(float64(z[j] - z[best]))
		}
	}
	for j := range p {
		if j < len(z) {
			p[j] = float32(math.Exp(float64(z[j]-z[best])) / sum)
		}
	}
	return int32(best), p
}
