package classify

import (
	"fmt"
	"runtime"

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
	m.eachChunk(x.Rows, func(s *workerState, r0, r1 int) {
		copy(gx.Slice(r0, r1).Data, m.inputGradChunk(s, x.Slice(r0, r1), r0, gScores).Data)
	})
	return gx
}

// inputGradChunk computes one chunk of InputGrad; the result lives in the worker's arena.
func (m *MLP) inputGradChunk(s *workerState, xs nn.Mat, r0 int, gScores func(row int, scores, g []float32)) nn.Mat {
	a := s.recArena()
	t := &s.tape
	t.alloc(a, m, xs)
	rows := xs.Rows
	m.forwardRows(t, 0, rows)
	gs := t.gz[len(m.Layers)-1]
	clear(gs.Data)
	for i := 0; i < rows; i++ {
		gScores(r0+i, t.scores.Row(i), gs.Row(i))
	}
	gx := a.RawMat(rows, m.In)
	m.backwardRows(t, 0, rows, gx)
	return gx
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
	m.eachChunk(x.Rows, func(s *workerState, r0, r1 int) {
		z := m.forward(s, x.Slice(r0, r1))
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
// gradient with respect to the parameters into grad. The batch is cut into fixed chunks of
// rows that run forward and backward in parallel; each layer's weight gradient is then one
// matrix product over the whole batch, so the result does not depend on the number of cores.
// ws may be nil.
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
	ws.arena.Reset()
	t := &ws.tape
	t.alloc(&ws.arena, m, x)
	last := len(m.Layers) - 1
	chunks := (x.Rows + trainChunkRows - 1) / trainChunkRows
	if cap(ws.loss) < chunks {
		ws.loss = make([]float64, chunks)
	}
	loss := ws.loss[:chunks]
	w := 1 / float32(x.Rows)
	parallel(chunks, min(runtime.GOMAXPROCS(0), runtime.NumCPU(), chunks), func(_, c int) {
		r0, r1 := c*trainChunkRows, min(x.Rows, (c+1)*trainChunkRows)
		m.forwardRows(t, r0, r1)
		gs := t.gz[last].Slice(r0, r1)
		clear(gs.Data)
		var sum float64
		for i := r0; i < r1; i++ {
			sum += float64(crossEntropyRow(t.scores.Row(i), int(y[i]), w, t.gz[last].Row(i)))
		}
		loss[c] = sum
		m.backwardRows(t, r0, r1, nn.Mat{})
	})
	ones := ws.arena.Uninit(x.Rows)
	for i := range ones {
		ones[i] = 1
	}
	layers := len(m.Layers)
	parallel(layers, min(runtime.GOMAXPROCS(0), runtime.NumCPU(), layers), func(_, l int) {
		m.paramGrads(t, l, ones, grad)
	})
	var total float64
	for _, v := range loss {
		total += v
	}
	return total / float64(x.Rows)
}
