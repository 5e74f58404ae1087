package flow

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/stats"
)

// Recipe selects how the losses are scheduled during training.
type Recipe string

const (
	// RecipeOriginal alternates epochs as in the original (spec 5.5): manifold epochs train all
	// parameters on MSEWeight·MSE(project(x), x); density epochs train only the inner transform
	// on NLLWeight·NLL (skipped when NLLWeight is 0, as in the original spiral run).
	RecipeOriginal Recipe = "original"
	// RecipeJoint trains all parameters every step on MSEWeight·MSE + NLLWeight·NLL: the app's
	// live default, which shows progress from the first step.
	RecipeJoint Recipe = "joint"
	// RecipeGeodesic unrolls the data's curve before the projection loss takes over (see
	// geodesic.go): it regresses the manifold coordinate h_M(x) onto the data's own geodesic
	// coordinate from several starts and keeps the best ("search", "unroll"), pulls the
	// curve f⁻¹((u, 0)) onto the data ("align"), then trains as RecipeJoint with the h_M
	// regression kept at weight Anchor. 2-D data and a 1-D manifold only.
	RecipeGeodesic Recipe = "geodesic"
)

// TrainConfig holds the training hyper-parameters.
type TrainConfig struct {
	Recipe    Recipe
	Epochs    int     // number of epochs (cosine annealing runs over them)
	Batch     int     // rows per step
	LR        float64 // Adam learning rate at epoch 0
	ValFrac   float64 // share of the data held out for validation
	Clip      float64 // gradient-norm clipping (0 = off)
	MSEWeight float64 // weight of the projection MSE (original 100)
	NLLWeight float64 // weight of the PIE negative log-likelihood (original 0 for spirals)
	PIEEps    float64 // off-manifold noise scale of the PIE density
	Cosine    bool    // cosine-anneal the learning rate over Epochs
	MaxNorm   float64 // a gradient norm above this counts as divergence (0 = 1e8)
	Seed      uint64  // fixes the validation split and batch order
	// RecipeGeodesic only: candidate starts and regression steps each, further unrolling
	// steps on the best, alignment steps, and the weight of the h_M regression afterwards.
	Starts, StartSteps, Unroll, Align int
	Anchor                            float64
	JointLR                           float64 // learning rate of the joint phase (0 = LR)
	// FitEvery, when positive, measures the data's own fit every FitEvery steps — the 95th
	// percentile of the projection distance on the validation rows (the training rows when
	// there are none) — and keeps the weights of the best measurement (Trainer.BestFit).
	FitEvery int
}

// OriginalTraining returns the original recipe of spec 5.5.
func OriginalTraining() TrainConfig {
	return TrainConfig{Recipe: RecipeOriginal, Epochs: 35, Batch: 512, LR: 1e-3, ValFrac: 0.25,
		MSEWeight: 100, NLLWeight: 0, PIEEps: DefaultPIEEps, Cosine: true}
}

// Validate reports absurd or non-finite hyper-parameters.
func (c TrainConfig) Validate() error {
	bad := func(name string, v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) || v < 0 }
	switch {
	case c.Recipe != RecipeOriginal && c.Recipe != RecipeJoint && c.Recipe != RecipeGeodesic:
		return fmt.Errorf("flow: unknown recipe %q (want %q, %q or %q)", c.Recipe, RecipeOriginal, RecipeJoint, RecipeGeodesic)
	case c.Starts < 0 || c.Starts > 1000 || c.StartSteps < 0 || c.Unroll < 0 || c.Align < 0 ||
		c.StartSteps > 1_000_000 || c.Unroll > 1_000_000 || c.Align > 1_000_000:
		return fmt.Errorf("flow: geodesic phases starts=%d×%d, unroll %d, align %d out of range", c.Starts, c.StartSteps, c.Unroll, c.Align)
	case bad("anchor", c.Anchor):
		return fmt.Errorf("flow: anchor weight %v must be finite and ≥ 0", c.Anchor)
	case bad("jointlr", c.JointLR) || c.JointLR > 10:
		return fmt.Errorf("flow: joint-phase learning rate %v must be in [0, 10]", c.JointLR)
	case c.Epochs < 1 || c.Epochs > 1_000_000:
		return fmt.Errorf("flow: epochs %d out of range [1, 1e6]", c.Epochs)
	case c.Batch < 1 || c.Batch > 1<<20:
		return fmt.Errorf("flow: batch %d out of range [1, 1048576]", c.Batch)
	case bad("lr", c.LR) || c.LR == 0 || c.LR > 10:
		return fmt.Errorf("flow: learning rate %v must be in (0, 10]", c.LR)
	case bad("val", c.ValFrac) || c.ValFrac >= 1:
		return fmt.Errorf("flow: validation fraction %v must be in [0, 1)", c.ValFrac)
	case bad("clip", c.Clip):
		return fmt.Errorf("flow: gradient clip %v must be ≥ 0 and finite", c.Clip)
	case bad("mse", c.MSEWeight) || bad("nll", c.NLLWeight) || c.MSEWeight+c.NLLWeight == 0:
		return fmt.Errorf("flow: loss weights MSE %v, NLL %v must be finite, ≥ 0 and not both 0", c.MSEWeight, c.NLLWeight)
	case bad("eps", c.PIEEps) || c.PIEEps == 0:
		return fmt.Errorf("flow: PIE epsilon %v must be positive and finite", c.PIEEps)
	case bad("maxnorm", c.MaxNorm):
		return fmt.Errorf("flow: divergence norm %v must be ≥ 0 and finite", c.MaxNorm)
	case c.FitEvery < 0 || c.FitEvery > 1_000_000:
		return fmt.Errorf("flow: fit measurement interval %d out of range [0, 1e6]", c.FitEvery)
	}
	return nil
}

// Phase says which loss a step optimised.
type Phase int

const (
	PhaseManifold Phase = iota // projection MSE (all parameters)
	PhaseDensity               // PIE likelihood (inner transform only, original recipe)
	PhaseJoint                 // both, all parameters
	PhaseSearch                // geodesic recipe: candidate starts regress h_M onto the curve coordinate
	PhaseUnroll                // geodesic recipe: the best start goes on regressing
	PhaseAlign                 // geodesic recipe: the curve f⁻¹((u, 0)) is pulled onto the data
)

func (p Phase) String() string {
	return [...]string{"manifold", "density", "joint", "search", "unroll", "align"}[p]
}

// StepInfo reports one training step.
type StepInfo struct {
	Step       int     // steps taken so far, this one included
	Epoch      int     // epoch of this step (0-based)
	Phase      Phase   // which loss was optimised
	Loss       float64 // weighted loss of the batch
	MSE, NLL   float64 // loss parts (NaN when not computed)
	GradNorm   float64 // gradient norm before clipping
	LR         float64 // learning rate used
	EpochEnd   bool    // this step finished an epoch; ValLoss is set
	ValLoss    float64 // validation loss at an epoch end (NaN otherwise)
	BestEpoch  int     // epoch of the best validation loss so far (−1 before the first)
	Done       bool    // all epochs finished; the model now holds the best weights
	Throughput float64 // unused by the engine; callers may fill samples/s
}

// ErrDiverged is wrapped by Step's error when the loss, gradient or weights become
// non-finite or the gradient norm explodes. The weights are left at their last good values.
var ErrDiverged = errors.New("training diverged")

// Trainer trains an M-Flow one step at a time. It is not safe for concurrent use; callers
// that show progress elsewhere take Snapshot copies.
type Trainer struct {
	m          *MFlow
	cfg        TrainConfig
	train, val nn.Mat
	rng        *rand.Rand
	order      []int
	pos        int
	epoch      int
	step       int
	adam       *nn.Adam // all parameters
	adamInner  *nn.Adam // inner transform only (density phase)
	innerIdx   []int
	ws         *Workspace // scratch of the steps: lent (UseWorkspace) or the trainer's own
	serial     bool
	grad       []float32
	batch      nn.Mat
	best       []float32
	bestLoss   float64
	bestEpoch  int
	fit        []float32 // weights of the best fit measurement (FitEvery)
	fitD95     float64
	fitStep    int
	done       bool
	err        error
	geo        *geodesic // the geodesic recipe's state (nil for other recipes)
}

// NewTrainer prepares training of m (which it updates in place) on data (rows×N).
func NewTrainer(m *MFlow, data nn.Mat, cfg TrainConfig) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if data.Cols != m.Cfg.N {
		return nil, fmt.Errorf("flow: training data has %d columns, the flow expects %d", data.Cols, m.Cfg.N)
	}
	for i, v := range data.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("flow: training data row %d holds %v", i/data.Cols, v)
		}
	}
	if cfg.MaxNorm == 0 {
		cfg.MaxNorm = 1e8
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x747261696e))
	perm := rng.Perm(data.Rows)
	nVal := int(math.Round(cfg.ValFrac * float64(data.Rows)))
	if data.Rows-nVal < 1 {
		return nil, fmt.Errorf("flow: %d data rows leave none for training", data.Rows)
	}
	t := &Trainer{m: m, cfg: cfg, rng: rng, bestLoss: math.Inf(1), bestEpoch: -1, fitD95: math.Inf(1), fitStep: -1,
		adam: nn.NewAdam(len(m.P)), grad: make([]float32, len(m.P))}
	t.val = gatherRows(data, perm[:nVal])
	t.train = gatherRows(data, perm[nVal:])
	t.order = make([]int, t.train.Rows)
	for i := range t.order {
		t.order[i] = i
	}
	t.shuffle()
	for _, s := range []nn.ParamSpec{m.Inner.Scale, m.Inner.Shift} {
		for i := 0; i < s.Size(); i++ {
			t.innerIdx = append(t.innerIdx, s.Off+i)
		}
	}
	t.adamInner = nn.NewAdam(len(t.innerIdx))
	if cfg.Recipe == RecipeGeodesic {
		g, err := newGeodesic(m, t.train, cfg)
		if err != nil {
			return nil, err
		}
		t.geo = g
	}
	return t, nil
}

func gatherRows(data nn.Mat, idx []int) nn.Mat {
	out := nn.NewMat(len(idx), data.Cols)
	for i, r := range idx {
		copy(out.Row(i), data.Row(r))
	}
	return out
}

func (t *Trainer) shuffle() {
	t.rng.Shuffle(len(t.order), func(i, j int) { t.order[i], t.order[j] = t.order[j], t.order[i] })
	t.pos = 0
}

// SetSerial makes training steps run on one core (see Workspace.Serial); results are
// identical either way.
func (t *Trainer) SetSerial(serial bool) { t.serial = serial }

// UseWorkspace makes the following steps compute in w, which holds only scratch memory (no
// result depends on it): trainers that never step at the same time can share workspaces,
// so their memory follows the steps running at once rather than the trainers (sim/run's
// pools lend one with each step slot). nil makes the trainer use a workspace of its own.
func (t *Trainer) UseWorkspace(w *Workspace) { t.ws = w }

// Model returns the model being trained (updated in place by Step).
func (t *Trainer) Model() *MFlow { return t.m }

// Config returns the training configuration.
func (t *Trainer) Config() TrainConfig { return t.cfg }

// Adam returns the optimiser of all parameters (for checkpoints).
func (t *Trainer) Adam() *nn.Adam { return t.adam }

// Epoch returns the current epoch (0-based).
func (t *Trainer) Epoch() int { return t.epoch }

// Steps returns the number of steps taken.
func (t *Trainer) Steps() int { return t.step }

// StepsPerEpoch returns the number of batches in one epoch.
func (t *Trainer) StepsPerEpoch() int { return (t.train.Rows + t.cfg.Batch - 1) / t.cfg.Batch }

// Err returns the divergence error that stopped training, if any.
func (t *Trainer) Err() error { return t.err }

// Done reports whether all epochs have run.
func (t *Trainer) Done() bool { return t.done }

// Snapshot returns a copy of the current model.
func (t *Trainer) Snapshot() *MFlow { return t.m.Clone() }

// Best returns a copy of the best-validation model so far (the current one before the first
// epoch ends).
func (t *Trainer) Best() *MFlow {
	if t.best == nil {
		return t.m.Clone()
	}
	return &MFlow{Arch: t.m.Arch, P: append([]float32(nil), t.best...)}
}

// FitD95 returns the current model's fit to the data: the 95th percentile of the projection
// distance |project(x) − x| over the validation rows (the training rows when none are held
// out), as stats.Percentile takes it (NaN projections count as infinitely far).
func (t *Trainer) FitD95() float64 {
	x := t.val
	if x.Rows == 0 {
		x = t.train
	}
	pr := t.m.Project(x)
	d := make([]float64, x.Rows)
	for i := range d {
		var s float64
		for j, v := range pr.Row(i) {
			e := float64(v - x.Row(i)[j])
			s += e * e
		}
		d[i] = math.Sqrt(s)
	}
	return stats.Percentile(d, 0.95)
}

// BestFit returns a copy of the weights of the best fit measurement so far (TrainConfig.FitEvery),
// its FitD95 and step; before the first measurement, a copy of the current model, +Inf and −1.
func (t *Trainer) BestFit() (*MFlow, float64, int) {
	if t.fit == nil {
		return t.m.Clone(), math.Inf(1), -1
	}
	return &MFlow{Arch: t.m.Arch, P: append([]float32(nil), t.fit...)}, t.fitD95, t.fitStep
}

func (t *Trainer) phase() Phase {
	switch t.cfg.Recipe {
	case RecipeJoint:
		return PhaseJoint
	case RecipeGeodesic:
		return t.geo.phase(t.step)
	}
	if t.epoch%2 == 1 {
		return PhaseDensity
	}
	return PhaseManifold
}

func (t *Trainer) lr() float64 {
	if t.geo != nil && t.cfg.JointLR > 0 && t.geo.phase(t.step) == PhaseJoint {
		return t.cfg.JointLR
	}
	if !t.cfg.Cosine {
		return t.cfg.LR
	}
	return nn.CosineLR(t.cfg.LR, t.epoch, t.cfg.Epochs)
}

// ValidationLoss returns the weighted loss of the current model on the validation rows
// (MSE part, NLL part, weighted total).
func (t *Trainer) ValidationLoss() (mse, nll, total float64) {
	if t.val.Rows == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	nll = math.NaN()
	if t.cfg.MSEWeight > 0 {
		pr := t.m.Project(t.val)
		var s float64
		for i, v := range pr.Data {
			d := float64(v - t.val.Data[i])
			s += d * d
		}
		mse = s / float64(len(pr.Data))
		total += t.cfg.MSEWeight * mse
	}
	if t.cfg.NLLWeight > 0 {
		lp := t.m.LogProbPIE(t.val, t.cfg.PIEEps)
		var s float64
		for _, v := range lp {
			s -= float64(v)
		}
		nll = s / float64(len(lp))
		total += t.cfg.NLLWeight * nll
	}
	return mse, nll, total
}

// Step runs one optimisation step. After the last epoch it restores the best-validation
// weights and reports Done; further calls return the same Done info without training. On
// divergence it returns an error wrapping ErrDiverged and leaves the weights unchanged.
func (t *Trainer) Step() (StepInfo, error) {
	info := StepInfo{Epoch: t.epoch, Step: t.step, MSE: math.NaN(), NLL: math.NaN(), ValLoss: math.NaN(), BestEpoch: t.bestEpoch}
	if t.err != nil {
		return info, t.err
	}
	if t.done {
		info.Done = true
		return info, nil
	}
	if t.ws == nil {
		t.ws = NewWorkspace(len(t.m.P))
	}
	t.ws.Serial = t.serial
	ph := t.phase()
	info.Phase, info.LR = ph, t.lr()
	if ph == PhaseDensity && t.cfg.NLLWeight == 0 {
		// the original spiral run: density epochs carry weight 0 and change nothing
		t.pos = len(t.order)
		info.Loss, info.GradNorm = math.NaN(), math.NaN()
	} else {
		n := min(t.cfg.Batch, len(t.order)-t.pos)
		if t.batch.Rows != n {
			t.batch = nn.NewMat(n, t.m.Cfg.N)
		}
		for i := 0; i < n; i++ {
			copy(t.batch.Row(i), t.train.Row(t.order[t.pos+i]))
		}
		batchRows := t.order[t.pos : t.pos+n]
		t.pos += n
		clear(t.grad)
		var loss float64
		if t.geo != nil {
			loss += t.geo.grad(t, ph, batchRows)
		}
		if ph.trainsProjection() && t.cfg.MSEWeight > 0 {
			info.MSE = t.m.MSEGrad(t.ws, t.batch, t.cfg.MSEWeight, t.grad)
			loss += t.cfg.MSEWeight * info.MSE
		}
		if (ph == PhaseDensity || ph == PhaseJoint) && t.cfg.NLLWeight > 0 {
			info.NLL = t.m.NLLGrad(t.ws, t.batch, t.cfg.PIEEps, t.cfg.NLLWeight, ph == PhaseDensity, t.grad)
			loss += t.cfg.NLLWeight * info.NLL
		}
		info.Loss = loss
		if ph == PhaseDensity {
			g := make([]float32, len(t.innerIdx))
			for i, j := range t.innerIdx {
				g[i] = t.grad[j]
			}
			info.GradNorm = nn.ClipNorm(g, t.cfg.Clip)
			if err := t.diverged(info); err != nil {
				return info, err
			}
			p := make([]float32, len(t.innerIdx))
			for i, j := range t.innerIdx {
				p[i] = t.m.P[j]
			}
			t.adamInner.Update(p, g, info.LR)
			for i, j := range t.innerIdx {
				t.m.P[j] = p[i]
			}
		} else {
			info.GradNorm = nn.ClipNorm(t.grad, t.cfg.Clip)
			if err := t.diverged(info); err != nil {
				return info, err
			}
			backup := t.ws.backup(t.m.P)
			t.adam.Update(t.m.P, t.grad, info.LR)
			if err := t.m.Layout.CheckFinite(t.m.P); err != nil {
				copy(t.m.P, backup)
				t.err = fmt.Errorf("%w at step %d (epoch %d): %v", ErrDiverged, t.step, t.epoch, err)
				return info, t.err
			}
		}
		t.step++
		info.Step = t.step
		if t.geo != nil {
			t.geo.afterStep(t)
		}
		if t.cfg.FitEvery > 0 && t.step%t.cfg.FitEvery == 0 {
			if d := t.FitD95(); d < t.fitD95 {
				t.fitD95, t.fitStep = d, t.step
				t.fit = append(t.fit[:0], t.m.P...)
			}
		}
	}
	if t.pos >= len(t.order) {
		info.EpochEnd = true
		_, _, info.ValLoss = t.ValidationLoss()
		if t.val.Rows == 0 {
			info.ValLoss = info.Loss
		}
		if info.ValLoss < t.bestLoss || t.best == nil {
			t.bestLoss, t.bestEpoch = info.ValLoss, t.epoch
			t.best = append(t.best[:0], t.m.P...)
		}
		info.BestEpoch = t.bestEpoch
		t.epoch++
		t.shuffle()
		if t.epoch >= t.cfg.Epochs {
			copy(t.m.P, t.best)
			t.done = true
			info.Done = true
		}
	}
	return info, nil
}

// trainsProjection reports whether a phase optimises the projection MSE.
func (p Phase) trainsProjection() bool { return p == PhaseManifold || p == PhaseJoint }

func (t *Trainer) diverged(info StepInfo) error {
	if finite(info.Loss) && finite(info.GradNorm) && info.GradNorm <= t.cfg.MaxNorm {
		return nil
	}
	t.err = fmt.Errorf("%w at step %d (epoch %d): loss %v, gradient norm %v", ErrDiverged, t.step, t.epoch, info.Loss, info.GradNorm)
	return t.err
}

// backup copies p into reusable workspace memory.
func (w *Workspace) backup(p []float32) []float32 {
	if len(w.saved) != len(p) {
		w.saved = make([]float32, len(p))
	}
	copy(w.saved, p)
	return w.saved
}
