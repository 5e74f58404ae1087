package cnn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// TrainConfig is a training recipe. The defaults (DefaultTrainConfig) are the yardstick's:
// 15 epochs of Adam with lr 1e-3 on batches of 128, each augmented.
type TrainConfig struct {
	Epochs, Batch int
	LR            float64
	Seed          uint64 // shuffling and augmentation (initialise the model with New(seed))
	NoAugment     bool   // train on the images as they are
	// Adam continues from a saved optimiser state when non-nil (updated in place).
	Adam *nn.Adam
}

// DefaultTrainConfig returns the yardstick recipe of cifar.md section 2.
func DefaultTrainConfig() TrainConfig { return TrainConfig{Epochs: 15, Batch: 128, LR: 1e-3} }

// Validate reports absurd or non-finite settings.
func (c TrainConfig) Validate() error {
	switch {
	case c.Epochs < 1 || c.Epochs > 100_000:
		return fmt.Errorf("cnn: epochs %d out of range [1, 100000]", c.Epochs)
	case c.Batch < 1 || c.Batch > 1<<16:
		return fmt.Errorf("cnn: batch size %d out of range [1, %d]", c.Batch, 1<<16)
	case !(c.LR > 0) || c.LR > 10 || math.IsInf(c.LR, 0):
		return fmt.Errorf("cnn: learning rate %v must be positive, finite and at most 10", c.LR)
	}
	return nil
}

// Progress reports training: after every optimiser step, and once more at the end of each
// epoch with EpochDone set and the evaluation accuracy.
type Progress struct {
	Epoch, Epochs int     // 1-based epoch and the total
	Step, Steps   int     // optimiser steps done and the run's total
	Images        int     // training images processed so far
	Loss          float64 // mean per-image loss of the epoch so far
	EpochDone     bool
	EvalAccuracy  float64 // after the epoch (EpochDone); NaN without evaluation data
}

// CheckData returns an error naming the first problem with a labelled image set: wrong
// column count, a label count that differs from the rows, a non-finite pixel or a label out
// of range. what names the set in the message.
func CheckData(what string, x nn.Mat, y []int32) error {
	if x.Cols != Pixels || len(x.Data) != x.Rows*x.Cols {
		return fmt.Errorf("cnn: %s has %d×%d values; the model takes rows of %d pixels", what, x.Rows, x.Cols, Pixels)
	}
	if len(y) != x.Rows {
		return fmt.Errorf("cnn: %s has %d images but %d labels", what, x.Rows, len(y))
	}
	for i, v := range x.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("cnn: %s image %d value %d is %v", what, i/Pixels, i%Pixels, v)
		}
	}
	for i, c := range y {
		if c < 0 || c >= Classes {
			return fmt.Errorf("cnn: %s image %d has label %d, want 0…%d", what, i, c, Classes-1)
		}
	}
	return nil
}

// trainer holds one training run's buffers; a step allocates nothing.
type trainer struct {
	m      *Model
	pw     *prepared
	adam   *nn.Adam
	grad   []float32
	tg     [][]float32 // per group: the convolutions' transformed gradients
	tgSum  []float32   // their sum
	flat   []float32   // per image: f1's input, f1's output, its gradient, the logits' gradient
	h, gh  []float32
	gl     []float32
	loss   []float64
	crops  []crop
	rows   []int
	x      nn.Mat
	y      []int32
	chunks int // tasks of the reduction phase
}

func newTrainer(m *Model, x nn.Mat, y []int32, batch int, adam *nn.Adam) *trainer {
	t := &trainer{m: m, adam: adam, x: x, y: y, grad: make([]float32, len(m.P))}
	t.tg = make([][]float32, groups(batch))
	for i := range t.tg {
		t.tg[i] = make([]float32, m.tgLen())
	}
	t.tgSum = make([]float32, m.tgLen())
	t.flat = make([]float32, batch*flatLen)
	t.h, t.gh = make([]float32, batch*hidden), make([]float32, batch*hidden)
	t.gl = make([]float32, batch*Classes)
	t.loss = make([]float64, batch)
	t.crops = make([]crop, batch)
	t.chunks = 8
	t.pw = m.prepare(nil)
	return t
}

// step trains on the images rows (crops applied unless nil) and returns the batch's mean loss.
func (t *trainer) step(rows []int, crops []crop, lr float64) float64 {
	st := t.adam.Advance(lr)
	return t.gradient(rows, crops, &st)
}

// gradient computes the gradient of the batch's mean loss into t.grad and returns the loss.
// With a step it also applies Adam to every range of parameters as soon as that range's
// gradient is complete, and prepares the updated weights for the next step.
func (t *trainer) gradient(rows []int, crops []crop, st *nn.AdamStep) float64 {
	m, n := t.m, len(rows)
	scale := 1 / float64(n)
	// Phase 1, per group: forward, loss, backward through the convolutions.
	m.parallel(groups(n), func(w *worker, g int) {
		r0 := g * Group
		k := min(Group, n-r0)
		v := w.view(k)
		for b := 0; b < k; b++ {
			src := t.x.Row(rows[r0+b])
			copy(v.g0.Data[b*Pixels:(b+1)*Pixels], src) // g0 is not used in training: stage the rows
		}
		var cr []crop
		if crops != nil {
			cr = crops[r0 : r0+k]
		}
		v.load(v.g0.Data[:k*Pixels], cr)
		m.forward(t.pw, v, true)
		for b := 0; b < k; b++ {
			i := r0 + b
			t.loss[i] = softmaxCE(v.logits[b*Classes:(b+1)*Classes], t.y[rows[i]], scale, v.glogits[b*Classes:(b+1)*Classes], nil)
		}
		m.backward(t.pw, v, t.tg[g], false)
		copy(t.flat[r0*flatLen:], v.flat)
		copy(t.h[r0*hidden:], v.h)
		copy(t.gh[r0*hidden:], v.gh)
		copy(t.gl[r0*Classes:], v.glogits)
	})
	// Phase 2: the dense layers' gradients over the whole batch (f1's weight split by rows)
	// and the sum of the groups' transformed convolution gradients, each in one fixed order;
	// Adam on the dense layers' ranges.
	ng, tl := groups(n), m.tgLen()
	rowsPer := hidden / t.chunks
	update := func(lo, hi int) {
		if st != nil {
			t.adam.Apply(*st, m.P, t.grad, lo, hi)
		}
	}
	m.parallel(2*t.chunks+1, func(_ *worker, task int) {
		switch {
		case task < t.chunks:
			r0 := task * rowsPer
			off := m.F1.W.Off + r0*flatLen
			nn.Gemm(true, false, rowsPer, flatLen, n, 1, t.gh[r0:], hidden, t.flat, flatLen, 0, t.grad[off:], flatLen)
			update(off, off+rowsPer*flatLen)
			if st != nil {
				w := m.P[off : off+rowsPer*flatLen]
				for r := 0; r < rowsPer; r++ {
					for j, v := range w[r*flatLen : (r+1)*flatLen] {
						t.pw.w1t[j*hidden+r0+r] = v
					}
				}
			}
		case task < 2*t.chunks:
			c := task - t.chunks
			lo, hi := c*tl/t.chunks, (c+1)*tl/t.chunks
			dst := t.tgSum[lo:hi]
			copy(dst, t.tg[0][lo:hi])
			for g := 1; g < ng; g++ {
				for i, v := range t.tg[g][lo:hi] {
					dst[i] += v
				}
			}
		default:
			nn.Gemm(true, false, Classes, hidden, n, 1, t.gl, Classes, t.h, hidden, 0, m.F2.W.View(t.grad), hidden)
			colSums(m.F1.B.View(t.grad), t.gh[:n*hidden], hidden)
			colSums(m.F2.B.View(t.grad), t.gl[:n*Classes], Classes)
			update(m.F1.B.Off, len(m.P))
			if st != nil {
				t.pw.w2t = transpose(t.pw.w2t, m.F2.W.View(m.P), Classes, hidden)
			}
		}
	})
	// Phase 3, per convolution: convert the summed gradient, Adam, prepare the new weights.
	parts := m.tgParts(t.tgSum)
	m.parallel(3, func(_ *worker, l int) {
		c := [3]nn.Conv3{m.C1, m.C2, m.C3}[l]
		lo, hi := c.Weight.Off, c.Bias.Off+c.Bias.Size()
		clear(t.grad[lo:hi])
		c.AddTransformedGrad(t.grad, parts[l])
		if st == nil {
			return
		}
		update(lo, hi)
		pw := [3]**nn.Conv3Weights{&t.pw.c1, &t.pw.c2, &t.pw.c3}[l]
		*pw = c.Prepare(*pw, m.P)
	})
	var sum float64
	for _, l := range t.loss[:n] {
		sum += l
	}
	return sum / float64(n)
}

// colSums writes the column sums of the row-major matrix a (cols wide) into dst, adding the
// rows in order.
func colSums(dst, a []float32, cols int) {
	clear(dst)
	for i := 0; i+cols <= len(a); i += cols {
		for j, v := range a[i : i+cols] {
			dst[j] += v
		}
	}
}

// Train fits the model to (x, y) with Adam on shuffled mini-batches (the last one of an
// epoch may be smaller), each image augmented unless cfg.NoAugment, and evaluates on
// (evalX, evalY) after every epoch (an empty evaluation set is allowed). progress, when
// not nil, is called after every step and at the end of every epoch. It stops with ctx's
// error when ctx is cancelled and with an error naming the epoch and step when the loss
// becomes NaN or infinite.
func (m *Model) Train(ctx context.Context, x nn.Mat, y []int32, evalX nn.Mat, evalY []int32, cfg TrainConfig, progress func(Progress)) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if x.Rows == 0 {
		return fmt.Errorf("cnn: no training images")
	}
	if err := CheckData("training data", x, y); err != nil {
		return err
	}
	if evalX.Rows > 0 || len(evalY) > 0 {
		if err := CheckData("evaluation data", evalX, evalY); err != nil {
			return err
		}
	}
	adam := cfg.Adam
	if adam == nil {
		adam = nn.NewAdam(len(m.P))
	} else if len(adam.M) != len(m.P) || len(adam.V) != len(m.P) {
		return fmt.Errorf("cnn: optimiser state for %d parameters, model has %d", len(adam.M), len(m.P))
	}
	batch := min(cfg.Batch, x.Rows)
	t := newTrainer(m, x, y, batch, adam)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x747261696e)) // "train"
	order := make([]int, x.Rows)
	for i := range order {
		order[i] = i
	}
	perEpoch := (x.Rows + batch - 1) / batch
	p := Progress{Epochs: cfg.Epochs, Steps: cfg.Epochs * perEpoch}
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var sum float64
		done := 0
		for b, start := 0, 0; start < x.Rows; b, start = b+1, start+batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			rows := order[start:min(start+batch, x.Rows)]
			var crops []crop
			if !cfg.NoAugment {
				crops = t.crops[:len(rows)]
				for i := range crops {
					crops[i] = crop{Dy: int8(rng.IntN(9)), Dx: int8(rng.IntN(9)), Flip: rng.IntN(2) == 1}
				}
			}
			loss := t.step(rows, crops, cfg.LR)
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return fmt.Errorf("cnn: training diverged: loss %v at epoch %d, step %d of the epoch (lr %g)", loss, epoch, b+1, cfg.LR)
			}
			sum += loss * float64(len(rows))
			done += len(rows)
			p.Epoch, p.Step, p.Images, p.Loss, p.EpochDone = epoch, p.Step+1, p.Images+len(rows), sum/float64(done), false
			if progress != nil {
				progress(p)
			}
		}
		p.EpochDone, p.EvalAccuracy = true, math.NaN()
		if evalX.Rows > 0 {
			p.EvalAccuracy = m.Accuracy(evalX, evalY)
		}
		if progress != nil {
			progress(p)
		}
	}
	return nil
}
