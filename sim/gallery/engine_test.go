package gallery

import (
	"context"
	"errors"
	"os"
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
	snap := waitFor(t, e, ch, time.Minute, "the gallery and its curve", final)
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
	waitFor(t, e, ch, time.Minute, "the slow attack to start", func(s *Snapshot) bool {
		return s.Err != nil || strings.HasPrefix(s.Stage, "attacking") || s.Stage == "models ready"
	})
	fast := slow
	fast.Attack = pgd(4, 1)
	start := time.Now()
	e.Apply(fast)
	snap := waitFor(t, e, ch, time.Minute, "the fast attack", func(s *Snapshot) bool {
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
	waitFor(t, e, ch, time.Minute, "the slow attack again", func(s *Snapshot) bool { return strings.HasPrefix(s.Stage, "attacking") || s.Err != nil })
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

func TestEngineErrors(t *testing.T) {
	data := tinyCIFAR(t, 50)
	ck, _ := tinyCNN(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.mfl")
	if err := os.WriteFile(bad, []byte("MFLOWLAB garbage, not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.mfl")
	raw, err := os.ReadFile(ck)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truncated, raw[:len(raw)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	base := Settings{Images: data, Classifier: ck, Defence: "pca:4", Attack: pgd(8, 1), Pool: 10}
	for _, c := range []struct {
		name string
		edit func(*Settings)
		want string
	}{
		{"garbage classifier", func(s *Settings) { s.Classifier = bad }, bad},
		{"truncated classifier", func(s *Settings) { s.Classifier = truncated }, truncated},
		{"missing classifier", func(s *Settings) { s.Classifier = filepath.Join(dir, "none.mfl") }, "none.mfl"},
		{"missing data", func(s *Settings) { s.Images = filepath.Join(dir, "nodata") }, "nodata"},
		{"defence spec", func(s *Settings) { s.Defence = "pca:0" }, "pca:0"},
		{"too many components", func(s *Settings) { s.Defence = "pca:3000" }, "3000"},
		{"flow is a CNN", func(s *Settings) { s.Defence = "mflow:" + ck }, ck},
		{"attack", func(s *Settings) { s.Attack.Steps = 0 }, "steps"},
		{"too many steps", func(s *Settings) { s.Attack.Steps = MaxSteps + 1 }, "steps"},
		{"target", func(s *Settings) { s.Attack.Targeted, s.Attack.Target = true, 12 }, "target"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, ch := watch(t, "")
			s := base
			c.edit(&s)
			e.Apply(s)
			snap := waitFor(t, e, ch, time.Minute, "an error", func(s *Snapshot) bool { return s.Err != nil || final(s) })
			if snap.Err == nil || !strings.Contains(snap.Err.Error(), c.want) || snap.Stage != "error" {
				t.Fatalf("stage %q, error %v; want one naming %q", snap.Stage, snap.Err, c.want)
			}
			// The same settings again are tried again (and fail again).
			v := snap.Version
			e.Apply(s)
			snap = waitFor(t, e, ch, time.Minute, "the error again", func(s *Snapshot) bool { return s.Version > v && s.Err != nil })
			if !strings.Contains(snap.Err.Error(), c.want) {
				t.Fatalf("retried: %v", snap.Err)
			}
			// The error is not sticky: good settings recover.
			e.Apply(base)
			if snap := waitFor(t, e, ch, time.Minute, "recovery", func(s *Snapshot) bool {
				return s.Err != nil || (len(s.Samples) > 0 && s.Done == len(s.Samples))
			}); snap.Err != nil {
				t.Fatalf("after the error, good settings fail: %v", snap.Err)
			}
		})
	}
}

func TestEngineNoDataSaysWhereItLooked(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("MFLOWLAB_SHARED", filepath.Join(t.TempDir(), "noshared"))
	e, ch := watch(t, "")
	e.Apply(Settings{Attack: pgd(8, 1)})
	snap := waitFor(t, e, ch, time.Minute, "an error", func(s *Snapshot) bool { return s.Err != nil })
	if len(snap.Looked) == 0 || !strings.Contains(snap.Err.Error(), snap.Looked[0]) {
		t.Errorf("looked %v, error %v", snap.Looked, snap.Err)
	}
}

func TestDefaultCNNTrainedCachedAndRetrained(t *testing.T) {
	data := tinyCIFAR(t, 40) // 32 training images: 15 one-batch epochs
	cache := testCache
	s := Settings{Images: data, Defence: "pca:4", Attack: pgd(8, 1), Pool: 8}
	run := func() *Snapshot {
		e, ch := watch(t, cache)
		e.Apply(s)
		var training bool
		snap := waitFor(t, e, ch, 5*time.Minute, "the default CNN", func(s *Snapshot) bool {
			training = training || strings.HasPrefix(s.Stage, "training CNN epoch")
			return final(s)
		})
		if snap.Err != nil {
			t.Fatal(snap.Err)
		}
		snap.Stage = map[bool]string{true: "trained", false: "loaded"}[training]
		return snap
	}
	train, err := cifar.Load(data, cifar.Train)
	if err != nil {
		t.Fatal(err)
	}
	path := DefaultCNNPath(cache, train)
	os.Remove(path) // from an earlier -count
	first := run()
	if first.Stage != "trained" {
		t.Error("the first run did not train the default CNN")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the default CNN is not cached: %v", err)
	}
	if len(first.CNNLog) != 15 || !first.CNNLog[14].EpochDone || first.CNNLog[14].Epoch != 15 {
		t.Fatalf("training log: %d entries, last %+v", len(first.CNNLog), first.CNNLog[len(first.CNNLog)-1])
	}
	// The cached model is the one trained with the recipe.
	m := cnn.New(1)
	eval, _ := cifar.Load(data, cifar.Eval)
	if err := m.Train(context.Background(), train.Images, train.Labels, eval.Images, eval.Labels, DefaultCNNConfig(), nil); err != nil {
		t.Fatal(err)
	}
	cached, err := cnn.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cached.P, m.P) {
		t.Error("the cached default CNN differs from cnn.New(1) trained with DefaultCNNConfig")
	}

	second := run()
	if second.Stage != "loaded" || len(second.CNNLog) != 15 || second.CNNLog[14].Loss != first.CNNLog[14].Loss || second.Acc != first.Acc {
		t.Errorf("second run: %s, log %d entries, acc %+v vs %+v", second.Stage, len(second.CNNLog), second.Acc, first.Acc)
	}

	if err := os.WriteFile(path, []byte("corrupt"), 0o644); err != nil {
		t.Fatal(err)
	}
	third := run()
	if third.Stage != "trained" || !strings.Contains(third.Message, "retraining") || !strings.Contains(third.Message, path) {
		t.Errorf("corrupt cache: %s, message %q", third.Stage, third.Message)
	}
	if third.Acc != first.Acc {
		t.Errorf("retrained model gives %+v, first %+v", third.Acc, first.Acc)
	}
	if _, err := cnn.Load(path); err != nil {
		t.Errorf("the retrained model was not cached: %v", err)
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

func TestParseDefence(t *testing.T) {
	for in, want := range map[string]Defence{"pca:64": {Kind: "pca", D: 64}, " pca: 8 ": {Kind: "pca", D: 8}, "mflow:/a/b.mfl": {Kind: "mflow", Path: "/a/b.mfl"}} {
		got, err := ParseDefence(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v, %v", in, got, err)
		}
		if again, err := ParseDefence(got.String()); err != nil || again != got {
			t.Errorf("%q does not round-trip: %+v, %v", got.String(), again, err)
		}
	}
	for _, in := range []string{"", "pca", "pca:", "pca:0", "pca:3073", "pca:x", "mflow:", "svd:3"} {
		if _, err := ParseDefence(in); err == nil {
			t.Errorf("%q: no error", in)
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
	snap := waitFor(t, e, ch, time.Minute, "the pool", func(s *Snapshot) bool {
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
		snap := waitFor(t, e, ch, time.Minute, p.Kind.String(), func(s *Snapshot) bool {
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
	snap := waitFor(t, e, ch, time.Minute, "the M-Flow gallery", func(s *Snapshot) bool {
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

func TestEngineRetriesWhenTheDataArrives(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cifar10")
	ck, _ := tinyCNN(t)
	e, ch := watch(t, "")
	s := Settings{Images: dir, Classifier: ck, Defence: "pca:4", Attack: pgd(8, 1), Pool: 6}
	e.Apply(s)
	snap := waitFor(t, e, ch, time.Minute, "an error", func(s *Snapshot) bool { return s.Err != nil })
	if !strings.Contains(snap.Err.Error(), dir) {
		t.Errorf("error %v does not name %s", snap.Err, dir)
	}
	// The data arrives (a download finished): the same settings now work.
	raw, err := os.ReadFile(tinyCIFAR(t, 50))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, cifar.TestBatch), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	e.Apply(s)
	snap = waitFor(t, e, ch, time.Minute, "the gallery", func(s *Snapshot) bool {
		return s.Err != nil || (len(s.Samples) == 6 && s.Done == 6)
	})
	if snap.Err != nil {
		t.Fatal(snap.Err)
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
	waitFor(t, e, ch, time.Minute, "the pool", func(s *Snapshot) bool { return s.Err != nil || (len(s.Samples) == 10 && s.Done == 10) })
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

func TestCorruptPCAFitIsRefitted(t *testing.T) {
	data := tinyCIFAR(t, 50)
	ck, _ := tinyCNN(t)
	cache := t.TempDir()
	s := Settings{Images: data, Classifier: ck, Defence: "pca:4", Attack: pgd(8, 1), Pool: 6}
	run := func() *Snapshot {
		e, ch := watch(t, cache)
		e.Apply(s)
		snap := waitFor(t, e, ch, time.Minute, "the gallery", func(s *Snapshot) bool { return s.Err != nil || (len(s.Samples) == 6 && s.Done == 6) })
		if snap.Err != nil {
			t.Fatal(snap.Err)
		}
		return snap
	}
	first := run()
	files, _ := filepath.Glob(filepath.Join(cache, "pca", "pca-*.mfl"))
	if len(files) != 1 {
		t.Fatalf("PCA cache files: %v", files)
	}
	raw, _ := os.ReadFile(files[0])
	if err := os.WriteFile(files[0], raw[:len(raw)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	second := run()
	if !strings.Contains(second.Message, "set aside") || second.Acc != first.Acc {
		t.Errorf("message %q; accuracy %+v, first %+v", second.Message, second.Acc, first.Acc)
	}
	if _, err := os.Stat(files[0] + ".bad"); err != nil {
		t.Errorf("the corrupt fit was not set aside: %v", err)
	}
	if third := run(); third.Message != "" {
		t.Errorf("the refitted cache gives the message %q", third.Message)
	}
}
