package gallery

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/flow/imageflow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/flow/pca"
	"github.com/mflowlab/mflowlab/sim/cifar"
)

// direct computes the pool's results the long way: attack.Run per block (seed Seed+k),
// attack.ClassifyWith for the cases, cnn.Predict for the accuracies.
func direct(t *testing.T, m *cnn.Model, proj attack.Projector, pool []Sample, p attack.Params, seed uint64) (plain, adaptive []attack.Case, acc Accuracy) {
	t.Helper()
	x, y := poolMat(pool)
	advP, advA := nn.NewMat(x.Rows, x.Cols), nn.NewMat(x.Rows, x.Cols)
	for k := 0; k*BlockSize < x.Rows; k++ {
		r0, r1 := k*BlockSize, min(x.Rows, (k+1)*BlockSize)
		q := AttackParams(p, p.Eps)
		q.Seed = seed + uint64(k)
		for _, c := range []struct {
			clf attack.Classifier
			dst nn.Mat
		}{{m, advP}, {attack.Defended{Clf: m, Proj: proj}, advA}} {
			r, err := attack.Run(c.clf, x.Slice(r0, r1), y[r0:r1], q)
			if err != nil {
				t.Fatal(err)
			}
			copy(c.dst.Slice(r0, r1).Data, r.Adv.Data)
		}
	}
	plain = attack.ClassifyWith(m, proj, advP, y)
	adaptive = attack.ClassifyWith(m, proj, advA, y)
	share := func(x nn.Mat) float64 {
		ok := 0
		for i, c := range m.Predict(x) {
			if c == y[i] {
				ok++
			}
		}
		return float64(ok) / float64(len(y))
	}
	acc = Accuracy{N: len(y), Clean: share(x), CleanDefended: share(proj.Project(nn.Mat{}, x)),
		Attacked: share(advP), Defended: share(proj.Project(nn.Mat{}, advP)),
		AttackedAdaptive: share(advA), DefendedAdaptive: share(proj.Project(nn.Mat{}, advA))}
	return plain, adaptive, acc
}

func TestEngineMatchesDirectComputation(t *testing.T) {
	data := tinyCIFAR(t, 150) // 30 eval images: blocks of 12, 12, 6
	ck, m := tinyCNN(t)
	cache := testCache
	e, ch := watch(t, cache)
	s := Settings{Images: data, Classifier: ck, Defence: "pca:6", Attack: pgd(8, 2), Pool: 30, Seed: 5}
	e.Page(24, 6) // the last block first: the order must not matter
	e.Apply(s)
	snap := waitFor(t, e, ch, waitLong, "the gallery and its curve", final)
	if snap.Err != nil {
		t.Fatal(snap.Err)
	}
	if snap.Data != data || !strings.Contains(snap.Models, "PCA d = 6") || len(snap.Classes) != 10 {
		t.Errorf("data %q, models %q, classes %v", snap.Data, snap.Models, snap.Classes)
	}

	// The pool: the seeded shuffle of the eval split.
	eval, err := cifar.Load(data, cifar.Eval)
	if err != nil {
		t.Fatal(err)
	}
	train, err := cifar.Load(data, cifar.Train)
	if err != nil {
		t.Fatal(err)
	}
	rows := PickImages(eval.Len(), 30, 5)
	for i, s := range snap.Samples {
		r := rows[i]
		if s.Index != eval.Index[r] || s.Label != eval.Labels[r] || !slices.Equal(s.Orig, eval.Images.Row(r)) {
			t.Fatalf("sample %d is not eval row %d", i, r)
		}
	}
	b, _, err := pca.Cached(filepath.Join(cache, "pca"), train.Images, 6, nil)
	if err != nil {
		t.Fatal(err)
	}
	proj, err := b.Projection(6)
	if err != nil {
		t.Fatal(err)
	}
	plain, adaptive, acc := direct(t, m, proj, snap.Samples, s.Attack, s.Seed)
	for i, smp := range snap.Samples {
		if !smp.Ready || smp.Plain.Case != plain[i] || smp.Adaptive.Case != adaptive[i] {
			t.Errorf("sample %d: ready %v, cases %v/%v, direct %v/%v", i, smp.Ready, smp.Plain.Case, smp.Adaptive.Case, plain[i], adaptive[i])
		}
	}
	if snap.Acc != acc {
		t.Errorf("accuracy\n got %+v\nwant %+v", snap.Acc, acc)
	}
	// Probabilities agree with the model's own.
	x, _ := poolMat(snap.Samples[:1])
	pr := m.Probs(nn.Mat{}, x)
	for j := range 10 {
		if d := pr.At(0, j) - snap.Samples[0].OrigProbs[j]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("probability %d: %v, model %v", j, snap.Samples[0].OrigProbs[j], pr.At(0, j))
		}
	}

	// The curve: its middle ε is the gallery's; every ε counts the whole pool.
	c := snap.Cases
	mid := (CurvePoints - 1) / 2
	if c.Eps[mid] != s.Attack.Eps || c.Done != c.Total || c.Total != CurvePoints*3 {
		t.Errorf("curve eps %v (want %v in the middle), done %d/%d", c.Eps, s.Attack.Eps, c.Done, c.Total)
	}
	var wantP, wantA [4]int
	for i := range plain {
		wantP[plain[i]-attack.CaseA]++
		wantA[adaptive[i]-attack.CaseA]++
	}
	if c.Plain[mid] != wantP || c.Adaptive[mid] != wantA {
		t.Errorf("curve at ε: %v / %v, want %v / %v", c.Plain[mid], c.Adaptive[mid], wantP, wantA)
	}
	for i, n := range c.N {
		if n != 30 {
			t.Errorf("curve point %d counts %d images", i, n)
		}
	}
	// ε = 0: no attack, the cases are those of the clean images.
	var zero [4]int
	for _, smp := range snap.Samples {
		zero[attack.CaseOf(smp.OrigPred != smp.Label, smp.ProjPred == smp.Label)-attack.CaseA]++
	}
	if c.Plain[0] != zero || c.Adaptive[0] != zero {
		t.Errorf("curve at ε = 0: %v / %v, want %v", c.Plain[0], c.Adaptive[0], zero)
	}
	// A point of another ε equals a direct sweep point.
	other := AttackParams(s.Attack, c.Eps[2])
	p2, a2, _ := direct(t, m, proj, snap.Samples, other, s.Seed)
	var w2p, w2a [4]int
	for i := range p2 {
		w2p[p2[i]-attack.CaseA]++
		w2a[a2[i]-attack.CaseA]++
	}
	if c.Plain[2] != w2p || c.Adaptive[2] != w2a {
		t.Errorf("curve at ε = %v: %v / %v, want %v / %v", c.Eps[2], c.Plain[2], c.Adaptive[2], w2p, w2a)
	}

	// Detail at the settings' ε is the tile; at another ε it is that ε's attack.
	d, err := e.Detail(context.Background(), 13, s.Attack.Eps, true)
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	v := e.view
	e.mu.Unlock()
	r, err := recompute(context.Background(), v, 13, s.Attack.Eps, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []*Sample{d, r} {
		if !slices.Equal(got.Plain.Adv, snap.Samples[13].Plain.Adv) || !slices.Equal(got.Adaptive.Proj, snap.Samples[13].Adaptive.Proj) ||
			got.Adaptive.ProjProbs != snap.Samples[13].Adaptive.ProjProbs {
			t.Error("Detail at the gallery's ε (kept or recomputed) differs from the gallery's sample")
		}
	}
	d2, err := e.Detail(context.Background(), 13, 2.0/255, false)
	if err != nil {
		t.Fatal(err)
	}
	if d2.Adaptive.Adv != nil || slices.Equal(d2.Plain.Adv, d.Plain.Adv) {
		t.Error("Detail at 2/255 without adaptive: want a new non-adaptive image and no adaptive one")
	}
	for j, v := range d2.Plain.Adv {
		if o := d2.Orig[j]; v-o > 2.0/255+1e-6 || o-v > 2.0/255+1e-6 {
			t.Fatalf("Detail at 2/255 moved pixel %d by %v", j, v-o)
		}
	}
	if _, err := e.Detail(context.Background(), 30, s.Attack.Eps, false); err == nil {
		t.Error("Detail of sample 30 of 30: no error")
	}
}

func TestEngineKeepsModelsAndCancelsStaleWork(t *testing.T) {
	data := tinyCIFAR(t, 150)
	ck, _ := tinyCNN(t)
	e, ch := watch(t, "")
	slow := Settings{Images: data, Classifier: ck, Defence: "pca:6", Attack: pgd(8, MaxSteps), Pool: 30, Seed: 1}
	e.Apply(slow)
	waitFor(t, e, ch, waitLong, "the slow attack to start", func(s *Snapshot) bool {
		return s.Err != nil || strings.HasPrefix(s.Stage, "attacking") || s.Stage == "models ready"
	})
	fast := slow
	fast.Attack = pgd(4, 1)
	start := time.Now()
	e.Apply(fast)
	snap := waitFor(t, e, ch, waitLong, "the fast attack", func(s *Snapshot) bool {
		return s.Err != nil || (s.Settings.Attack.Steps == 1 && s.Done == len(s.Samples) && len(s.Samples) == 30)
	})
	if snap.Err != nil {
		t.Fatal(snap.Err)
	}
	t.Logf("MaxSteps-step attack replaced by a 1-step one: all 30 ready %v after Apply", time.Since(start))
	for _, s := range snap.Samples {
		for j, v := range s.Plain.Adv {
			if o := s.Orig[j]; v-o > 4.0/255+1e-6 || o-v > 4.0/255+1e-6 {
				t.Fatalf("a sample holds an image of the old ε (pixel %d moved %v)", j, v-o)
			}
		}
	}
	// Same settings again: nothing happens.
	v := e.Snapshot().Version
	e.Apply(fast)
	if e.Snapshot().Version != v {
		t.Error("applying the same settings published a snapshot")
	}
	// Close stops everything promptly, even mid-attack.
	before := runtime.NumGoroutine()
	e.Apply(slow)
	waitFor(t, e, ch, waitLong, "the slow attack again", func(s *Snapshot) bool { return strings.HasPrefix(s.Stage, "attacking") || s.Err != nil })
	start = time.Now()
	e.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
	time.Sleep(50 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines after Close, %d before the last Apply", after, before)
	}
}

func TestFilter(t *testing.T) {
	mk := func(label, advPred, projPred int32, ready bool) Sample {
		a := Attacked{Adv: []float32{0}, AdvPred: advPred, ProjPred: projPred, Case: attack.CaseOf(advPred != label, projPred == label)}
		return Sample{Label: label, Ready: ready, Plain: a, Adaptive: Attacked{Adv: []float32{0}, AdvPred: label, ProjPred: label, Case: attack.CaseB}}
	}
	s := []Sample{
		mk(0, 1, 0, true), // A, succeeded, changed
		mk(1, 1, 1, true), // B
		mk(2, 3, 3, true), // C, succeeded
		mk(3, 3, 5, true), // D, changed
		mk(0, 1, 0, false),
	}
	for _, c := range []struct {
		f    FilterSpec
		want []int
	}{
		{FilterSpec{}, []int{0, 1, 2, 3, 4}},
		{FilterSpec{Class: 1}, []int{0, 4}},
		{FilterSpec{Case: attack.CaseA}, []int{0}},
		{FilterSpec{Case: attack.CaseD}, []int{3}},
		{FilterSpec{Succeeded: true}, []int{0, 2}},
		{FilterSpec{Changed: true}, []int{0, 3}},
		{FilterSpec{Succeeded: true, Changed: true}, []int{0}},
		{FilterSpec{Class: 1, Succeeded: true}, []int{0}},
		{FilterSpec{Case: attack.CaseB, Adaptive: true}, []int{0, 1, 2, 3}},
		{FilterSpec{Succeeded: true, Adaptive: true}, []int{}},
	} {
		if got := Filter(s, c.f); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.f, got, c.want)
		}
	}
}

func TestCancellableAttackStops(t *testing.T) {
	_, m := tinyCNN(t)
	x := nn.NewMat(2, cnn.Pixels)
	for i := range x.Data {
		x.Data[i] = 0.5
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_, err := runAttack(ctx, m, x, []int32{0, 1}, AttackParams(pgd(8, MaxSteps), 8.0/255))
	if !errors.Is(err, context.Canceled) || time.Since(start) > 10*time.Second {
		t.Errorf("cancelled attack of MaxSteps steps: %v after %v", err, time.Since(start))
	}
}

func TestVisiblePageFirstSameNumbers(t *testing.T) {
	data := tinyCIFAR(t, 180) // 36 eval images: blocks 0, 1, 2
	ck, _ := tinyCNN(t)
	s := Settings{Images: data, Classifier: ck, Defence: "pca:5", Attack: pgd(6, 2), Pool: 36, Seed: 9}

	// On one core the blocks run one at a time: the page's block first, then pool order.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	e, ch := watch(t, "")
	e.Page(30, 6)
	var order []int
	seen := map[int]bool{}
	e.Apply(s)
	snap := waitFor(t, e, ch, waitLong, "the pool", func(s *Snapshot) bool {
		for i, smp := range s.Samples {
			if smp.Ready && !seen[i/BlockSize] {
				seen[i/BlockSize] = true
				order = append(order, i/BlockSize)
			}
		}
		return s.Err != nil || (len(s.Samples) > 0 && s.Done == len(s.Samples))
	})
	if snap.Err != nil {
		t.Fatal(snap.Err)
	}
	if !slices.Equal(order, []int{2, 0, 1}) {
		t.Errorf("blocks finished in the order %v, want [2 0 1]", order)
	}

	// On two cores without a hint: the same numbers.
	runtime.GOMAXPROCS(2)
	e2, ch2 := watch(t, "")
	e2.Apply(s)
	snap2 := waitFor(t, e2, ch2, time.Minute, "the pool", func(s *Snapshot) bool {
		return s.Err != nil || (len(s.Samples) > 0 && s.Done == len(s.Samples))
	})
	for i := range snap.Samples {
		a, b := &snap.Samples[i], &snap2.Samples[i]
		if !slices.Equal(a.Plain.Adv, b.Plain.Adv) || !slices.Equal(a.Adaptive.Proj, b.Adaptive.Proj) || a.Plain.AdvProbs != b.Plain.AdvProbs {
			t.Fatalf("sample %d differs between one core with the last page first and two cores in pool order", i)
		}
	}
}

func TestEngineOtherAttacksMatchDirect(t *testing.T) {
	data := tinyCIFAR(t, 150)
	ck, m := tinyCNN(t)
	train, err := cifar.Load(data, cifar.Train)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := pca.Cached(filepath.Join(testCache, "pca"), train.Images, 6, nil)
	if err != nil {
		t.Fatal(err)
	}
	proj, _ := b.Projection(6)
	for _, p := range []attack.Params{
		{Kind: attack.FGSM, Eps: 4.0 / 255, Targeted: true, Target: 3},
		{Kind: attack.PGDL2, Eps: 0.5, Steps: 2, Alpha: 0.2, RandomStart: true},
	} {
		e, ch := watch(t, "")
		s := Settings{Images: data, Classifier: ck, Defence: "pca:6", Attack: p, Pool: 14, Seed: 2}
		e.Apply(s)
		snap := waitFor(t, e, ch, waitLong, p.Kind.String(), func(s *Snapshot) bool {
			return s.Err != nil || (len(s.Samples) > 0 && s.Done == len(s.Samples))
		})
		if snap.Err != nil {
			t.Fatal(snap.Err)
		}
		plain, adaptive, acc := direct(t, m, proj, snap.Samples, s.Attack, s.Seed)
		for i, smp := range snap.Samples {
			if smp.Plain.Case != plain[i] || smp.Adaptive.Case != adaptive[i] {
				t.Errorf("%v sample %d: cases %v/%v, direct %v/%v", p.Kind, i, smp.Plain.Case, smp.Adaptive.Case, plain[i], adaptive[i])
			}
		}
		if snap.Acc != acc {
			t.Errorf("%v accuracy\n got %+v\nwant %+v", p.Kind, snap.Acc, acc)
		}
	}
}

func TestEngineImageMFlowDefence(t *testing.T) {
	data := tinyCIFAR(t, 150)
	ck, m := tinyCNN(t)
	train, err := cifar.Load(data, cifar.Train)
	if err != nil {
		t.Fatal(err)
	}
	cfg := imageflow.Config{Channels: 3, Height: 32, Width: 32, D: 5, Alpha: 0.05, Hidden: 8, Layers: 2, Shuffle: 2}
	fl, err := imageflow.New(cfg, train.Images, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "flow.mfl")
	if err := fl.Save(path); err != nil {
		t.Fatal(err)
	}
	e, ch := watch(t, "")
	s := Settings{Images: data, Classifier: ck, Defence: "mflow:" + path, Attack: pgd(8, 2), Pool: 14, Seed: 4}
	e.Apply(s)
	snap := waitFor(t, e, ch, waitLong, "the M-Flow gallery", func(s *Snapshot) bool {
		return s.Err != nil || (len(s.Samples) > 0 && s.Done == len(s.Samples))
	})
	if snap.Err != nil {
		t.Fatal(snap.Err)
	}
	if !strings.Contains(snap.Models, "image M-Flow d = 5 (flow.mfl)") {
		t.Errorf("models %q", snap.Models)
	}
	loaded, err := imageflow.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	plain, adaptive, acc := direct(t, m, loaded, snap.Samples, s.Attack, s.Seed)
	for i, smp := range snap.Samples {
		if smp.Plain.Case != plain[i] || smp.Adaptive.Case != adaptive[i] {
			t.Errorf("sample %d: cases %v/%v, direct %v/%v", i, smp.Plain.Case, smp.Adaptive.Case, plain[i], adaptive[i])
		}
	}
	if snap.Acc != acc {
		t.Errorf("accuracy\n got %+v\nwant %+v", snap.Acc, acc)
	}
}

func TestCurveEpsAndAttackParams(t *testing.T) {
	eps := CurveEps(8.0 / 255)
	if len(eps) != CurvePoints || eps[0] != 0 || eps[(CurvePoints-1)/2] != 8.0/255 || eps[CurvePoints-1] != 16.0/255 {
		t.Errorf("CurveEps(8/255) = %v", eps)
	}
	if z := CurveEps(0); z[0] != 0 || z[CurvePoints-1] != 16.0/255 {
		t.Errorf("CurveEps(0) = %v", z)
	}
	base := attack.Params{Kind: attack.PGD, Eps: 8.0 / 255, Steps: 10, Alpha: 2.0 / 255, RandomStart: true}
	if p := AttackParams(base, 4.0/255); p.Alpha != 1.0/255 || p.Eps != 4.0/255 || p.Box == nil || p.Validate() != nil {
		t.Errorf("α scaled with ε: %+v", p)
	}
	base.Alpha = 0
	if p := AttackParams(base, 4.0/255); p.Alpha != 2.5*4.0/255/10 {
		t.Errorf("default α: %v", p.Alpha)
	}
	if p := AttackParams(base, 0); p.Validate() != nil {
		t.Errorf("ε = 0: %v", p.Validate())
	}
	f := AttackParams(attack.Params{Kind: attack.FGSM, Eps: 0.1, Steps: 10, Alpha: 1, RandomStart: true}, 0.05)
	if f.Validate() != nil || f.RandomStart || f.Eps != 0.05 {
		t.Errorf("FGSM: %+v, %v", f, f.Validate())
	}
}

func TestApplyKeepsStaleResultsUntilRecomputed(t *testing.T) {
	data := tinyCIFAR(t, 50)
	ck, _ := tinyCNN(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan struct{}, 1)
	e := New(ctx, testCache, func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	})
	defer e.Close()
	a := Settings{Images: data, Classifier: ck, Defence: "pca:4", Attack: pgd(8, 1), Pool: 10}
	e.Apply(a)
	waitFor(t, e, ch, waitLong, "the pool", func(s *Snapshot) bool { return s.Err != nil || (len(s.Samples) == 10 && s.Done == 10) })
	cancel() // nothing more is computed: what Apply publishes stays
	b := a
	b.Attack = pgd(2, 1)
	e.Apply(b)
	time.Sleep(50 * time.Millisecond)
	s := e.Snapshot()
	if s.Settings != Normalised(b) || s.Done != 0 || len(s.Samples) != 10 || s.Acc.N != 0 {
		t.Fatalf("after Apply: settings b %v, %d done of %d, accuracy over %d", s.Settings == Normalised(b), s.Done, len(s.Samples), s.Acc.N)
	}
	for i, smp := range s.Samples {
		if smp.Ready || smp.Plain.Adv == nil || smp.Orig == nil {
			t.Fatalf("sample %d: ready %v, old adversarial kept %v", i, smp.Ready, smp.Plain.Adv != nil)
		}
	}
	b.Seed = 99 // another pool: nothing to keep
	e.Apply(b)
	if s := e.Snapshot(); len(s.Samples) != 0 {
		t.Errorf("a new pool keeps %d old samples", len(s.Samples))
	}
}
