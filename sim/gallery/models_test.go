package gallery

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/sim/cifar"
)

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
	truncatedData := filepath.Join(dir, "short.bin")
	if raw, err := os.ReadFile(data); err != nil || os.WriteFile(truncatedData, raw[:len(raw)-100], 0o644) != nil {
		t.Fatal("cannot write the truncated data file")
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
		{"truncated data", func(s *Settings) { s.Images = truncatedData }, "short.bin"},
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
			snap := waitFor(t, e, ch, waitLong, "an error", func(s *Snapshot) bool { return s.Err != nil || final(s) })
			if snap.Err == nil || !strings.Contains(snap.Err.Error(), c.want) || snap.Stage != "error" {
				t.Fatalf("stage %q, error %v; want one naming %q", snap.Stage, snap.Err, c.want)
			}
			// The same settings again are tried again (and fail again).
			v := snap.Version
			e.Apply(s)
			snap = waitFor(t, e, ch, waitLong, "the error again", func(s *Snapshot) bool { return s.Version > v && s.Err != nil })
			if !strings.Contains(snap.Err.Error(), c.want) {
				t.Fatalf("retried: %v", snap.Err)
			}
			// The error is not sticky: good settings recover.
			e.Apply(base)
			if snap := waitFor(t, e, ch, waitLong, "recovery", func(s *Snapshot) bool {
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
	snap := waitFor(t, e, ch, waitLong, "an error", func(s *Snapshot) bool { return s.Err != nil })
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

func TestEngineRetriesWhenTheDataArrives(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cifar10")
	ck, _ := tinyCNN(t)
	e, ch := watch(t, "")
	s := Settings{Images: dir, Classifier: ck, Defence: "pca:4", Attack: pgd(8, 1), Pool: 6}
	e.Apply(s)
	snap := waitFor(t, e, ch, waitLong, "an error", func(s *Snapshot) bool { return s.Err != nil })
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
	// The snapshot before the retry still carries the first error: wait past it.
	stale := snap.Err.Error()
	snap = waitFor(t, e, ch, waitLong, "the gallery", func(s *Snapshot) bool {
		return (s.Err != nil && s.Err.Error() != stale) || (len(s.Samples) == 6 && s.Done == 6)
	})
	if snap.Err != nil {
		t.Fatal(snap.Err)
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
		snap := waitFor(t, e, ch, waitLong, "the gallery", func(s *Snapshot) bool { return s.Err != nil || (len(s.Samples) == 6 && s.Done == 6) })
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
