package attack

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/flow/pca"
)

// imageWidth is a CIFAR-10 image flattened; tests through a PCA use narrower "images"
// (3×16×16) to stay fast.
const imageWidth, smallWidth = 3072, 768

// imageClf is a linear softmax classifier on 3 072 inputs (10 classes), logits = x·Wᵀ + b
// with nn.Gemm, standing in for the CNN.
type imageClf struct {
	w nn.Mat // 10 × 3 072
	b []float32
}

func (c imageClf) NumClasses() int { return 10 }

func (c imageClf) logits(x nn.Mat) nn.Mat {
	z := nn.NewMat(x.Rows, 10)
	nn.Gemm(false, true, x.Rows, 10, x.Cols, 1, x.Data, x.Cols, c.w.Data, x.Cols, 0, z.Data, 10)
	for i := 0; i < z.Rows; i++ {
		for k := range c.b {
			z.Row(i)[k] += c.b[k]
		}
	}
	return z
}

func (c imageClf) Predict(x nn.Mat) []int32 {
	z := c.logits(x)
	out := make([]int32, x.Rows)
	for i := range out {
		for k, v := range z.Row(i) {
			if v > z.Row(i)[out[i]] {
				out[i] = int32(k)
			}
		}
	}
	return out
}

func (c imageClf) LossGrad(x nn.Mat, y []int32) ([]float32, nn.Mat) {
	z := c.logits(x)
	loss := make([]float32, x.Rows)
	for i := range loss {
		r := z.Row(i)
		mx := r[0]
		for _, v := range r {
			mx = max(mx, v)
		}
		var s float64
		for _, v := range r {
			s += math.Exp(float64(v - mx))
		}
		loss[i] = float32(math.Log(s) - float64(r[y[i]]-mx))
		for k, v := range r {
			r[k] = float32(math.Exp(float64(v-mx)) / s)
		}
		r[y[i]]--
	}
	g := nn.NewMat(x.Rows, x.Cols)
	nn.Gemm(false, false, x.Rows, x.Cols, 10, 1, z.Data, 10, c.w.Data, x.Cols, 0, g.Data, x.Cols)
	return loss, g
}

// imageStub returns the stand-in classifier and images in [0, 1] drawn around per-class
// templates, so that it is right on most of them but small ε moves many across.
func imageStub(rows int, seed uint64) (imageClf, nn.Mat, []int32) {
	return imageStubW(rows, imageWidth, seed)
}

// imageStubW is imageStub with rows of width values.
func imageStubW(rows, width int, seed uint64) (imageClf, nn.Mat, []int32) {
	rng := rand.New(rand.NewPCG(seed, 11))
	clf := imageClf{w: nn.NewMat(10, width), b: make([]float32, 10)}
	templates := nn.NewMat(10, width)
	for i := range templates.Data {
		templates.Data[i] = float32(0.45 + 0.1*rng.Float64())
		clf.w.Data[i] = 0.05 * (templates.Data[i] - 0.5)
	}
	x := nn.NewMat(rows, width)
	y := make([]int32, rows)
	for i := range y {
		y[i] = int32(rng.IntN(10))
		for j := range x.Row(i) {
			x.Row(i)[j] = float32(min(max(float64(templates.Row(int(y[i]))[j])+0.5*rng.NormFloat64(), 0), 1))
		}
	}
	return clf, x, y
}

// plainProjector hides a projector's ProjectGrad, forcing Defended's generic path.
type plainProjector struct{ p Projector }

func (q plainProjector) Project(dst, x nn.Mat) nn.Mat       { return q.p.Project(dst, x) }
func (q plainProjector) ProjectVJP(dst, x, g nn.Mat) nn.Mat { return q.p.ProjectVJP(dst, x, g) }

func imagePCA(t *testing.T, x nn.Mat, d int) *pca.Projection {
	t.Helper()
	b, err := pca.Fit(x, pca.Options{Components: d})
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Projection(d)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImageAttacksChunkedAndBoxed(t *testing.T) {
	clf, x, y := imageStub(200, 1)
	box := &Box{Min: []float64{0}, Max: []float64{1}}
	const eps = 8.0 / 255
	for _, p := range []Params{
		{Kind: FGSM, Eps: eps, Box: box},
		{Kind: PGD, Eps: eps, Alpha: eps / 4, Steps: 3, Box: box, RandomStart: true, Seed: 4},
		{Kind: PGDL2, Eps: 0.5, Alpha: 0.2, Steps: 3, Box: box},
		{Kind: PGD, Eps: eps, Alpha: eps / 4, Steps: 2, Box: box, Targeted: true, Target: 3},
	} {
		full, err := Run(clf, x, y, p) // one batch: 200 rows of 3 072 are below chunkRows
		if err != nil {
			t.Fatal(err)
		}
		// Rows are independent: batches of 64 rows give the same points and trajectory.
		var lastShare float64
		chunked, err := run(context.Background(), clf, x, y, p, true, func(f float64) {
			if f < lastShare || f > 1 {
				t.Fatalf("progress share %v after %v", f, lastShare)
			}
			lastShare = f
		}, 64)
		if err != nil {
			t.Fatal(err)
		}
		if lastShare != 1 {
			t.Errorf("%v: progress ended at %v", p.Kind, lastShare)
		}
		for k := range full.Path {
			for i, v := range full.Path[k].Data {
				if v != chunked.Path[k].Data[i] {
					t.Fatalf("%v: iterate %d value %d is %v in one batch, %v in chunks", p.Kind, k, i, v, chunked.Path[k].Data[i])
				}
			}
		}
		if len(full.Path) != max(p.Steps, 1)+1 {
			t.Errorf("%v: path of %d iterates", p.Kind, len(full.Path))
		}
		var moved float64
		for i, v := range full.Adv.Data {
			if v < 0 || v > 1 {
				t.Fatalf("%v: value %d = %v leaves the [0, 1] box", p.Kind, i, v)
			}
			d := math.Abs(float64(v - x.Data[i]))
			moved = max(moved, d)
			if p.Kind != PGDL2 && d > eps+1e-6 {
				t.Fatalf("%v: value %d moved %v > ε", p.Kind, i, d)
			}
		}
		if moved == 0 {
			t.Errorf("%v: nothing moved", p.Kind)
		}
		acc := func(m nn.Mat) float64 {
			ok := 0
			for i, c := range clf.Predict(m) {
				if c == y[i] {
					ok++
				}
			}
			return float64(ok) / float64(m.Rows)
		}
		if !p.Targeted && acc(full.Adv) >= acc(x) {
			t.Errorf("%v: accuracy %v → %v; the attack did not hurt", p.Kind, acc(x), acc(full.Adv))
		}
	}
}

func TestDefendedThroughPCA(t *testing.T) {
	clf, x, y := imageStubW(60, smallWidth, 2)
	proj := imagePCA(t, x, 8)
	fused := Defended{Clf: clf, Proj: proj}
	plain := Defended{Clf: clf, Proj: plainProjector{proj}}
	l1, g1 := fused.LossGrad(x, y)
	l2, g2 := plain.LossGrad(x, y)
	for i := range l1 {
		if l1[i] != l2[i] {
			t.Fatalf("loss %d: fused %v, plain %v", i, l1[i], l2[i])
		}
	}
	for i := range g1.Data {
		if g1.Data[i] != g2.Data[i] {
			t.Fatalf("gradient %d: fused %v, plain %v", i, g1.Data[i], g2.Data[i])
		}
	}
	// Directional derivatives of each row's defended loss match the gradient.
	rng := rand.New(rand.NewPCG(3, 3))
	u := nn.NewMat(x.Rows, x.Cols)
	for i := range u.Data {
		u.Data[i] = float32(rng.NormFloat64())
	}
	const h = 1e-3
	shift := func(s float32) []float32 {
		xs := x.Clone()
		for i := range xs.Data {
			xs.Data[i] += s * u.Data[i]
		}
		l, _ := fused.LossGrad(xs, y)
		return l
	}
	lp, lm := shift(h), shift(-h)
	bad := 0
	for i := 0; i < x.Rows; i++ {
		var dir float64
		for j, v := range g1.Row(i) {
			dir += float64(v) * float64(u.Row(i)[j])
		}
		fd := (float64(lp[i]) - float64(lm[i])) / (2 * h)
		if math.Abs(fd-dir) > 2e-2*(1+math.Abs(dir)) {
			bad++ // a clamp kink within reach, or float32 rounding of the loss
		}
	}
	if bad > x.Rows/10 {
		t.Errorf("%d of %d rows: directional derivative disagrees with the adaptive gradient", bad, x.Rows)
	}
	// Predict classifies the projection.
	want := clf.Predict(proj.Project(nn.Mat{}, x))
	for i, c := range fused.Predict(x) {
		if c != want[i] {
			t.Fatalf("row %d: Defended predicts %d, classifier at projection %d", i, c, want[i])
		}
	}
}

func TestSweepWithImages(t *testing.T) {
	clf, x, y := imageStubW(300, smallWidth, 4)
	proj := imagePCA(t, x.Slice(0, 150), 12)
	box := &Box{Min: []float64{0}, Max: []float64{1}}
	eps := []float64{0, 2.0 / 255, 8.0 / 255}
	for _, c := range []struct {
		target Classifier
		p      Params
	}{
		{clf, Params{Kind: FGSM, Box: box}},
		{clf, Params{Kind: PGD, Steps: 2, RandomStart: true, Seed: 5, Box: box}},
		{Defended{Clf: clf, Proj: proj}, Params{Kind: PGD, Steps: 2, Box: box}},
	} {
		var calls, last int
		// Batches of 64 rows for the classifier and the projection.
		r, err := sweepWith(context.Background(), c.target, proj, x, y, eps, c.p, func(done, total int) {
			if done < last || total != x.Rows*len(eps) {
				t.Fatalf("progress %d of %d after %d", done, total, last)
			}
			calls, last = calls+1, done
		}, sweepRows, 64)
		if err != nil {
			t.Fatal(err)
		}
		if last != x.Rows*len(eps) || (c.p.Kind == PGD && calls < 2*len(eps)) {
			t.Errorf("%v: %d progress reports ending at %d", c.p.Kind, calls, last)
		}
		for i, e := range eps {
			q := c.p
			q.Eps = e
			if q.Kind == PGD {
				q.Alpha = 2.5 * e / float64(q.Steps)
			}
			adv := x
			if e > 0 || q.Kind == FGSM {
				res, err := Run(c.target, x, y, q)
				if err != nil {
					t.Fatal(err)
				}
				adv = res.Adv
			}
			var want [4]int
			for _, cs := range ClassifyWith(c.target, proj, adv, y) {
				want[cs-CaseA]++
			}
			if want != r.Counts[i] {
				t.Errorf("%v ε = %v: sweep %v, Run + ClassifyWith %v", q.Kind, e, r.Counts[i], want)
			}
		}
	}
	if _, err := SweepWith(context.Background(), clf, proj, nn.NewMat(2, 100), []int32{0, 1}, eps, Params{}, nil); err == nil {
		t.Error("100-column data with a 768-dimensional projection: no error")
	}
	if _, err := SweepWith(context.Background(), clf, nil, x, y, eps, Params{}, nil); err == nil {
		t.Error("nil projection: no error")
	}
}

func TestFlowProjectorAndDefendedFields(t *testing.T) {
	fl, clf := smallModels(t, 21)
	x := randPoints(30, 2, 22)
	y := clf.Predict(x)
	fp := FlowProjector{Flow: fl}
	want := fl.Project(x)
	dst := nn.NewMat(x.Rows, 2)
	got := fp.Project(dst, x)
	g := randPoints(30, 2, 23)
	_, wantGX := fl.ProjectVJP(x, g)
	gotGX := fp.ProjectVJP(nn.Mat{}, x, g)
	for i := range want.Data {
		if got.Data[i] != want.Data[i] || dst.Data[i] != want.Data[i] || gotGX.Data[i] != wantGX.Data[i] {
			t.Fatalf("value %d differs from the flow's", i)
		}
	}
	// The same defence through Flow, through Proj, and through the generic path.
	l1, g1 := Defended{Clf: clf, Flow: fl}.LossGrad(x, y)
	l2, g2 := Defended{Clf: clf, Proj: fp}.LossGrad(x, y)
	l3, g3 := Defended{Clf: clf, Proj: plainProjector{fp}}.LossGrad(x, y)
	for i := range l1 {
		if l1[i] != l2[i] || math.Abs(float64(l1[i]-l3[i])) > 1e-6 {
			t.Fatalf("loss %d: %v %v %v", i, l1[i], l2[i], l3[i])
		}
	}
	for i := range g1.Data {
		if g1.Data[i] != g2.Data[i] || math.Abs(float64(g1.Data[i]-g3.Data[i])) > 1e-5 {
			t.Fatalf("gradient %d: %v %v %v", i, g1.Data[i], g2.Data[i], g3.Data[i])
		}
	}
	for name, d := range map[string]Defended{
		"neither": {Clf: clf},
		"both":    {Clf: clf, Flow: fl, Proj: fp},
		"no clf":  {Proj: fp},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			d.Predict(x)
		}()
	}
}
