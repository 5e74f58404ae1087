package imageflow

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// TrainConfig is an image M-Flow training recipe (spec 5.5 adapted to images): every epoch
// is a manifold pass (reconstruction MSE of the projection, conditioner parameters; Adam,
// cosine-annealed over all steps) followed by a density pass (the PIE likelihood of the
// chart coordinates, inner-transform parameters only). The parameters of the epoch with the
// lowest MSE on held-out training images are kept.
type TrainConfig struct {
	Epochs   int     // passes over the training images
	Batch    int     // images per step
	LR       float64 // Adam learning rate of the manifold phase, cosine-annealed to 0
	InnerLR  float64 // Adam learning rate of the density phase (constant)
	ValShare float64 // share of the training images held out for early stopping, in [0, 0.5]
	Seed     uint64  // validation split and batch order
}

// DefaultTrainConfig is the recipe measured in the README.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{Epochs: 12, Batch: 32, LR: 1e-3, InnerLR: 1e-2, ValShare: 1.0 / 16, Seed: 1}
}

// Validate reports absurd settings.
func (c TrainConfig) Validate() error {
	switch {
	case c.Epochs < 1 || c.Epochs > 100000:
		return fmt.Errorf("imageflow: epochs %d out of range [1, 100000]", c.Epochs)
	case c.Batch < 1 || c.Batch > 65536:
		return fmt.Errorf("imageflow: batch %d out of range [1, 65536]", c.Batch)
	case !(c.LR > 0 && c.LR <= 1), !(c.InnerLR > 0 && c.InnerLR <= 1):
		return fmt.Errorf("imageflow: learning rates %v, %v must be in (0, 1]", c.LR, c.InnerLR)
	case !(c.ValShare >= 0 && c.ValShare <= 0.5):
		return fmt.Errorf("imageflow: validation share %v must be in [0, 0.5]", c.ValShare)
	}
	return nil
}

// Progress is what Train reports after every step and at the end of every epoch.
type Progress struct {
	Epoch, Epochs int     // current epoch (1-based) and total
	Step, Steps   int     // manifold steps done and total
	Loss          float64 // mean reconstruction MSE of this epoch's steps so far
	EpochEnd      bool    // the epoch's passes and measurements are done
	ValMSE        float64 // projection MSE on the held-out training images (NaN before the first epoch ends or without them)
	EvalMSE       float64 // projection MSE on the evaluation images (NaN without them)
	NLLPerDim     float64 // density phase: negative log-likelihood of the chart coordinates per latent dimension (nats)
	ImagesPerSec  float64 // manifold-phase throughput
}

// MSE returns the mean squared difference between project(x) and x.
func (m *Model) MSE(x nn.Mat) float64 {
	p := m.Project(nn.Mat{}, x)
	var s float64
	for i, v := range p.Data {
		d := float64(v) - float64(x.Data[i])
		s += d * d
	}
	return s / float64(len(x.Data))
}

// Train fits the model to the training images x (rows of pixel values in [0, 1]); evalX (may
// have no rows) is only measured. It returns when done or when ctx is cancelled (then with
// ctx's error and the model at its last step). The same seed gives the same model on any
// number of cores.
func (m *Model) Train(ctx context.Context, x, evalX nn.Mat, cfg TrainConfig, progress func(Progress)) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	n := m.Cfg.N()
	if err := checkImages("training images", x, n); err != nil {
		return err
	}
	if evalX.Rows > 0 {
		if err := checkImages("evaluation images", evalX, n); err != nil {
			return err
		}
	}
	if progress == nil {
		progress = func(Progress) {}
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x747261696e))
	perm := rng.Perm(x.Rows)
	nv := int(math.Round(cfg.ValShare * float64(x.Rows)))
	if x.Rows-nv < 1 {
		return fmt.Errorf("imageflow: %d training images leave none after holding out %d", x.Rows, nv)
	}
	gather := func(idx []int) nn.Mat {
		out := nn.NewMat(len(idx), n)
		for i, r := range idx {
			copy(out.Row(i), x.Row(r))
		}
		return out
	}
	val, train := gather(perm[:nv]), gather(perm[nv:])
	rows := train.Rows
	batch := min(cfg.Batch, rows)
	perEpoch := rows / batch
	steps := cfg.Epochs * perEpoch
	netLen := m.Inner.Scale.Off // conditioner parameters come first in the layout
	inner := m.P[netLen:]
	adamNet, adamInner := nn.NewAdam(netLen), nn.NewAdam(len(inner))
	hM := m.Chart(train) // fixed: the coupling never changes the chart coordinates

	nan := math.NaN()
	info := Progress{Epochs: cfg.Epochs, Steps: steps, ValMSE: nan, EvalMSE: nan, NLLPerDim: nan}
	measure := func(s nn.Mat) float64 {
		if s.Rows == 0 {
			return nan
		}
		return m.MSE(s)
	}
	bestVal, bestEpoch := measure(val), 0
	best := append([]float32(nil), m.P...)
	chart := measure(evalX)
	start := time.Now()
	var trained time.Duration
	images := 0
	for e := 0; e < cfg.Epochs; e++ {
		info.Epoch, info.EpochEnd = e+1, false
		order := rng.Perm(rows)
		var sum float64
		if m.Coupling != nil {
			for s := 0; s < perEpoch; s++ {
				if err := ctx.Err(); err != nil {
					return err
				}
				t0 := time.Now()
				lr := nn.CosineLR(cfg.LR, e*perEpoch+s, steps)
				loss, grad := m.manifoldGrad(train, order[s*batch:(s+1)*batch])
				if !finite(loss) {
					return fmt.Errorf("imageflow: the reconstruction loss became %v at epoch %d step %d; nothing kept", loss, e+1, s+1)
				}
				adamNet.Update(m.P[:netLen], grad[:netLen], lr)
				m.Prepare()
				trained += time.Since(t0)
				images += batch
				sum += loss
				info.Step = e*perEpoch + s + 1
				info.Loss = sum / float64(s+1)
				info.ImagesPerSec = float64(images) / trained.Seconds()
				progress(info)
			}
		}
		info.NLLPerDim = m.densityPass(hM, order, batch, adamInner, cfg.InnerLR)
		if !finite(info.NLLPerDim) {
			return fmt.Errorf("imageflow: the density loss became %v at epoch %d; nothing kept", info.NLLPerDim, e+1)
		}
		if err := m.Layout.CheckFinite(m.P); err != nil {
			return fmt.Errorf("imageflow: epoch %d: %v; nothing kept", e+1, err)
		}
		info.ValMSE, info.EvalMSE = measure(val), measure(evalX)
		if val.Rows == 0 || info.ValMSE <= bestVal {
			bestVal, bestEpoch = info.ValMSE, e+1
			copy(best, m.P)
		} else {
			copy(best[netLen:], inner) // the density phase always keeps its latest state
		}
		info.EpochEnd = true
		progress(info)
	}
	copy(m.P, best)
	m.Prepare()
	m.Info = Info{Epochs: cfg.Epochs, Seed: cfg.Seed, TrainRows: x.Rows, Seconds: time.Since(start).Seconds(),
		ValMSE: bestVal, EvalMSE: measure(evalX), ChartMSE: chart, NLLPerDim: info.NLLPerDim, BestEpoch: bestEpoch,
		DataSource: m.Info.DataSource}
	return nil
}

// manifoldGrad returns the reconstruction MSE of the rows idx of x and its gradient with
// respect to P (conditioner part; the inner part is zero). The batch is cut into fixed
// chunks whose gradients are summed in chunk order, so the result does not depend on the
// number of cores.
func (m *Model) manifoldGrad(x nn.Mat, idx []int) (float64, []float32) {
	n := m.Cfg.N()
	chunks := (len(idx) + chunkRows - 1) / chunkRows
	grads := make([][]float32, chunks)
	losses := make([]float64, chunks)
	scale := 2 / float32(len(idx)*n)
	m.parallelChunks(chunks, func(a *nn.Arena, c int) {
		r0, r1 := c*chunkRows, min(len(idx), (c+1)*chunkRows)
		xb := a.RawMat(r1-r0, n)
		for i, r := range idx[r0:r1] {
			copy(xb.Row(i), x.Row(r))
		}
		out := a.RawMat(r1-r0, n)
		g := make([]float32, len(m.P))
		m.pass(a, xb, out, func(p nn.Mat) nn.Mat {
			gp := a.RawMat(p.Rows, n)
			var s float64
			for i, v := range p.Data {
				d := v - xb.Data[i]
				s += float64(d) * float64(d)
				gp.Data[i] = scale * d
			}
			losses[c] = s
			return gp
		}, nn.Mat{}, g)
		grads[c] = g
	})
	total := grads[0]
	var loss float64
	for c := range grads {
		loss += losses[c]
		if c > 0 {
			for i, v := range grads[c] {
				total[i] += v
			}
		}
	}
	return loss / float64(len(idx)*n), total
}

// densityPass runs one epoch of the density phase over the chart coordinates hM in the
// given order: Adam on the inner transform's scale a and shift b to minimise the mean
// negative log-likelihood −log N(u; 0, I) − Σ log(|a| + 1e-6), u = a·h + b (the other PIE
// terms do not depend on them). It returns the last batch's loss per latent dimension.
func (m *Model) densityPass(hM nn.Mat, order []int, batch int, adam *nn.Adam, lr float64) float64 {
	d := m.Cfg.D
	netLen := m.Inner.Scale.Off
	p := m.P[netLen:]
	a, b := p[:d], p[d:]
	grad := make([]float32, 2*d)
	ga, gb := grad[:d], grad[d:]
	const halfLog2Pi = 0.9189385332046727
	var last float64
	for s := 0; s+batch <= len(order); s += batch {
		clear(grad)
		var nll float64
		for _, r := range order[s : s+batch] {
			h := hM.Row(r)
			for j := 0; j < d; j++ {
				u := float64(a[j])*float64(h[j]) + float64(b[j])
				nll += u*u/2 + halfLog2Pi
				ga[j] += float32(u * float64(h[j]))
				gb[j] += float32(u)
			}
		}
		inv := 1 / float64(batch)
		var logdet float64
		for j := 0; j < d; j++ {
			aj := float64(a[j])
			logdet += math.Log(math.Abs(aj) + 1e-6)
			ga[j] = float32(float64(ga[j])*inv - math.Copysign(1, aj)/(math.Abs(aj)+1e-6))
			gb[j] = float32(float64(gb[j]) * inv)
		}
		last = (nll*inv - logdet) / float64(d)
		adam.Update(p, grad, lr)
	}
	return last
}

// EpochSeconds estimates how long one training epoch over the training images x takes on
// this machine, with evalRows evaluation images measured after it, from a few timed steps
// (the model is not changed). It is how a time budget becomes a number of epochs.
func (m *Model) EpochSeconds(x nn.Mat, evalRows int, cfg TrainConfig) float64 {
	nv := int(math.Round(cfg.ValShare * float64(x.Rows)))
	rows := max(x.Rows-nv, 1)
	batch := min(cfg.Batch, rows)
	idx := make([]int, batch)
	for i := range idx {
		idx[i] = i % x.Rows
	}
	var step float64
	if m.Coupling != nil {
		m.manifoldGrad(x, idx) // warm-up: arenas, caches
		t0 := time.Now()
		const timed = 2
		for i := 0; i < timed; i++ {
			m.manifoldGrad(x, idx)
		}
		step = time.Since(t0).Seconds() / timed
	}
	probe := x.Slice(0, min(x.Rows, 4*chunkRows))
	t0 := time.Now()
	m.Project(nn.Mat{}, probe)
	perRow := time.Since(t0).Seconds() / float64(probe.Rows)
	return float64(rows/batch)*step + float64(nv+evalRows)*perRow
}
