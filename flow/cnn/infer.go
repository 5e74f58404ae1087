package cnn

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// groups returns the number of Group-image groups covering n images.
func groups(n int) int { return (n + Group - 1) / Group }

// workers returns how many goroutines run tasks units of work.
func (m *Model) workers(tasks int) int {
	w := m.Workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	return max(1, min(w, tasks))
}

// parallel runs fn(task) for task = 0 … tasks−1 on up to m.Workers goroutines, each with its
// own worker scratch (taken from and returned to the model's pool).
func (m *Model) parallel(tasks int, fn func(w *worker, task int)) {
	if tasks <= 0 {
		return
	}
	nw := m.workers(tasks)
	pool := m.works
	if pool == nil { // a Model not made by New, NewArch or Load: scratch for this call only
		pool = new(workPool)
	}
	var next atomic.Int64
	run := func() {
		w := pool.Get()
		for {
			t := int(next.Add(1) - 1)
			if t >= tasks {
				break
			}
			w.ws.Reset()
			fn(w, t)
		}
		pool.Put(w)
	}
	if nw == 1 {
		run()
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < nw; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run()
		}()
	}
	wg.Wait()
}

// checkInput panics unless x holds rows of Pixels values.
func checkInput(name string, x nn.Mat) {
	if x.Cols != Pixels || len(x.Data) != x.Rows*x.Cols {
		panic(fmt.Sprintf("cnn: %s on %d×%d values (%d stored); want rows of %d pixels", name, x.Rows, x.Cols, len(x.Data), Pixels))
	}
}

// eachGroup loads every group of x's rows into a worker and calls fn with the group's
// first row.
func (m *Model) eachGroup(pw *prepared, x nn.Mat, fn func(v *worker, r0 int)) {
	m.parallel(groups(x.Rows), func(w *worker, g int) {
		r0 := g * Group
		n := min(Group, x.Rows-r0)
		v := w.view(n)
		v.load(x.Data[r0*Pixels:(r0+n)*Pixels], nil)
		fn(v, r0)
	})
}

// Logits returns the n×10 logits of the rows of x (pixels in [0, 1], channel-major).
func (m *Model) Logits(x nn.Mat) nn.Mat {
	checkInput("logits", x)
	pw := m.prepared()
	out := nn.NewMat(x.Rows, Classes)
	m.eachGroup(pw, x, func(v *worker, r0 int) {
		m.forward(pw, v, false)
		copy(out.Data[r0*Classes:], v.logits)
	})
	return out
}

// Probs writes the class probabilities (softmax of the logits) of the rows of x into dst
// (x.Rows×10; nil allocates) and returns it.
func (m *Model) Probs(dst, x nn.Mat) nn.Mat {
	checkInput("probs", x)
	if dst.Data == nil {
		dst = nn.NewMat(x.Rows, Classes)
	}
	if dst.Rows != x.Rows || dst.Cols != Classes || len(dst.Data) != dst.Rows*Classes {
		panic(fmt.Sprintf("cnn: probs into %d×%d for %d rows", dst.Rows, dst.Cols, x.Rows))
	}
	z := m.Logits(x)
	for i := 0; i < x.Rows; i++ {
		softmaxCE(z.Row(i), -1, 1, nil, dst.Row(i))
	}
	return dst
}

// Predict returns the predicted class (the first largest logit) of each row of x.
func (m *Model) Predict(x nn.Mat) []int32 {
	z := m.Logits(x)
	out := make([]int32, x.Rows)
	for i := range out {
		out[i] = argmax(z.Row(i))
	}
	return out
}

func argmax(z []float32) int32 {
	best := 0
	for j, v := range z {
		if v > z[best] {
			best = j
		}
	}
	return int32(best)
}

// Accuracy returns the share of rows of x whose prediction equals y (NaN for no rows).
func (m *Model) Accuracy(x nn.Mat, y []int32) float64 {
	if len(y) != x.Rows {
		panic(fmt.Sprintf("cnn: accuracy of %d rows with %d labels", x.Rows, len(y)))
	}
	ok := 0
	for i, p := range m.Predict(x) {
		if p == y[i] {
			ok++
		}
	}
	return float64(ok) / float64(x.Rows)
}

// LossGrad returns each row's own cross-entropy for labels y and the gradient of that loss
// with respect to the row's pixels (attack.Classifier).
func (m *Model) LossGrad(x nn.Mat, y []int32) (loss []float32, gx nn.Mat) {
	checkInput("loss gradient", x)
	if len(y) != x.Rows {
		panic(fmt.Sprintf("cnn: loss gradient of %d rows with %d labels", x.Rows, len(y)))
	}
	for i, c := range y {
		if c < 0 || c >= Classes {
			panic(fmt.Sprintf("cnn: label %d of row %d out of range [0, %d)", c, i, Classes))
		}
	}
	pw := m.prepared()
	loss = make([]float32, x.Rows)
	gx = nn.NewMat(x.Rows, Pixels)
	m.eachGroup(pw, x, func(v *worker, r0 int) {
		m.forward(pw, v, true)
		for i := 0; i < v.a0.N; i++ {
			loss[r0+i] = float32(softmaxCE(v.logits[i*Classes:(i+1)*Classes], y[r0+i], 1, v.glogits[i*Classes:(i+1)*Classes], nil))
		}
		m.backward(pw, v, nil, true)
		v.inputGrad(gx.Data[r0*Pixels : (r0+v.a0.N)*Pixels])
	})
	return loss, gx
}
