package classify

import (
	"fmt"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// InputGrad returns, for each row of x, the vector-Jacobian product of the model's scores
// (what Scores returns) with an upstream gradient: gScores is called once per row with the
// global row index, that row's scores and a zeroed slice g to fill with dL/dscores. The
// result is dL/dx (rows×In). Rows are independent, so this is each sample's own gradient.
// gScores is called concurrently from several goroutines, for different rows.
func (m *MLP) InputGrad(x nn.Mat, gScores func(row int, scores, g []float32)) nn.Mat {
	m.checkBatch("InputGrad", x)
	gx := nn.NewMat(x.Rows, m.In)
	eachChunk(x.Rows, func(s *workerState, r0, r1 int) {
		copy(gx.Slice(r0, r1).Data, m.inputGradChunk(s, x.Slice(r0, r1), r0, gScores).Data)
	})
	return gx
}

// inputGradChunk computes one chunk of InputGrad; the result lives in the worker's arena.
func (m *MLP) inputGradChunk(s *workerState, xs nn.Mat, r0 int, gScores func(row int, scores, g []float32)) nn.Mat {
	a := s.arena
	logits := m.forward(a, xs, &s.tape)
	scores := logits
	if m.Output == SoftmaxQuirk {
		scores = a.RawMat(xs.Rows, m.Classes)
		for i := 0; i < xs.Rows; i++ {
			softmaxRow(scores.Row(i), logits.Row(i))
		}
	}
	g := a.Mat(xs.Rows, m.Classes)
	for i := 0; i < xs.Rows; i++ {
		gScores(r0+i, scores.Row(i), g.Row(i))
		if m.Output == SoftmaxQuirk {
			softmaxBackwardRow(g.Row(i), scores.Row(i))
		}
	}
	return m.backward(a, &s.tape, g, nil, true)
}

// LossGrad returns each sample's cross-entropy as the model's recipe defines it (textbook
// for Logits; applied to the probabilities as if logits for SoftmaxQuirk) and the gradient of
// each sample's own loss with respect to its input (the sum reduction, so batching never
// changes a sign). With target labels in y, x − ε·sign(gx) is the targeted FGSM step.
// It panics when len(y) differs from x.Rows or a label is out of range.
func (m *MLP) LossGrad(x nn.Mat, y []int32) (loss []float32, gx nn.Mat) {
	m.checkBatch("LossGrad", x)
	m.checkLabels("LossGrad", x.Rows, y)
	loss = make([]float32, x.Rows)
	gx = m.InputGrad(x, func(row int, scores, g []float32) {
		loss[row] = crossEntropyRow(scores, int(y[row]), 1, g)
	})
	return loss, gx
}

// Losses returns each sample's cross-entropy as the model's recipe defines it, without
// gradients. It panics when len(y) differs from x.Rows or a label is out of range.
func (m *MLP) Losses(x nn.Mat, y []int32) []float32 {
	m.checkBatch("Losses", x)
	m.checkLabels("Losses", x.Rows, y)
	loss := make([]float32, x.Rows)
	eachChunk(x.Rows, func(s *workerState, r0, r1 int) {
		z := m.forward(s.arena, x.Slice(r0, r1), nil)
		m.headScores(z)
		g := make([]float32, m.Classes)
		for i := 0; i < z.Rows; i++ {
			clear(g)
			loss[r0+i] = crossEntropyRow(z.Row(i), int(y[r0+i]), 1, g)
		}
	})
	return loss
}

// ParamGrad returns the mean cross-entropy of the batch (per the model's recipe) and adds its
// gradient with respect to the parameters into grad. The batch is cut into fixed chunks whose
// gradients are summed in a fixed order, so the result does not depend on the number of
// cores. ws may be nil.
func (m *MLP) ParamGrad(ws *Workspace, x nn.Mat, y []int32, grad []float32) float64 {
	m.checkBatch("ParamGrad", x)
	m.checkLabels("ParamGrad", x.Rows, y)
	if len(grad) != len(m.P) {
		panic(fmt.Sprintf("classify: ParamGrad gradient has %d values for %d parameters", len(grad), len(m.P)))
	}
	if x.Rows == 0 {
		return 0
	}
	if ws == nil {
		ws = NewWorkspace()
	}
	chunks := ws.prepare(x.Rows, len(m.P))
	w := 1 / float32(x.Rows)
	parallel(len(chunks), ws.workers(len(chunks)), func(_, c int) {
		ch := chunks[c]
		a := &ch.arena
		xs := x.Slice(ch.r0, ch.r1)
		logits := m.forward(a, xs, &ch.tape)
		scores := logits
		if m.Output == SoftmaxQuirk {
			scores = a.RawMat(xs.Rows, m.Classes)
			for i := 0; i < xs.Rows; i++ {
				softmaxRow(scores.Row(i), logits.Row(i))
			}
		}
		g := a.Mat(xs.Rows, m.Classes)
		var sum float64
		for i := 0; i < xs.Rows; i++ {
			sum += float64(crossEntropyRow(scores.Row(i), int(y[ch.r0+i]), w, g.Row(i)))
			if m.Output == SoftmaxQuirk {
				softmaxBackwardRow(g.Row(i), scores.Row(i))
			}
		}
		ch.loss = sum
		m.backward(a, &ch.tape, g, ch.grad, false)
	})
	var total float64
	for _, ch := range chunks {
		total += ch.loss
		for i, v := range ch.grad {
			grad[i] += v
		}
	}
	return total / float64(x.Rows)
}
