package study

import (
	"bytes"
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

func TestParseSeeds(t *testing.T) {
	got, err := ParseSeeds("1-3, 20,30-32")
	if want := []uint64{1, 2, 3, 20, 30, 31, 32}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseSeeds = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", "1,,2", "a", "-3", "5-2", "1-3,2", "1-2-3", "0-99999999999"} {
		if _, err := ParseSeeds(bad); err == nil {
			t.Errorf("ParseSeeds(%q) gave no error", bad)
		}
	}
}

func TestShard(t *testing.T) {
	s, err := ParseShard("1/3")
	if err != nil || s != (Shard{1, 3}) {
		t.Fatalf("ParseShard(1/3) = %v, %v", s, err)
	}
	if got := s.Pick([]uint64{10, 11, 12, 13, 14, 15, 16}); !reflect.DeepEqual(got, []uint64{11, 14}) {
		t.Errorf("Pick = %v", got)
	}
	for _, bad := range []string{"3/3", "-1/3", "0/0", "1", "a/b", ""} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) gave no error", bad)
		}
	}
}

// tinySpec is a study small enough to train in well under a second per run.
func tinySpec(t *testing.T, recipe string) *Spec {
	t.Helper()
	s, err := run.RecipeSettings("live", recipe)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := run.LookupRecipe("live", recipe)
	s.Flow = flow.Config{N: 2, D: 1, Steps: 2, Hidden: 8, Blocks: 1, Bins: 4, TailBound: 3}
	s.Train.Batch = 64
	d, err := spirals.Generate(400, 3, quality.SpiralRotations, 1)
	if err != nil {
		t.Fatal(err)
	}
	curve, err := quality.SpiralCurve(quality.SpiralRotations, 2000)
	if err != nil {
		t.Fatal(err)
	}
	return &Spec{Config: "live", Recipe: r.Name, Settings: s, Weights: r.Weights, Steps: 60, CheckEvery: 20,
		Data: nn.MatFrom(400, 2, d.X), Curve: quality.NewIndex(curve)}
}

// stripTimes clears the wall-clock columns.
func stripTimes(rows []Row) []Row {
	out := append([]Row(nil), rows...)
	for i := range out {
		out[i].Secs = 0
		if !math.IsNaN(out[i].LearnedSecs) {
			out[i].LearnedSecs = 0
		}
	}
	return out
}

func rowsOf(spec *Spec, res []Result) []Row {
	var rows []Row
	for i := range res {
		rows = append(rows, res[i].Row(spec))
	}
	return rows
}

func TestRunDoesNotDependOnJobs(t *testing.T) {
	spec := tinySpec(t, "joint")
	seeds := []uint64{3, 1, 2}
	var c Counter
	var mu sync.Mutex
	models := map[uint64]*flow.MFlow{}
	r1, err := Run(context.Background(), spec, seeds, 1, &c, func(r Result, m *flow.MFlow) error {
		mu.Lock()
		models[r.Seed] = m
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Done.Load() != 3 || c.Steps.Load() != 3*60 {
		t.Errorf("counter: %d done, %d steps; want 3 and 180", c.Done.Load(), c.Steps.Load())
	}
	r3, err := Run(context.Background(), spec, seeds, 3, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := stripTimes(rowsOf(spec, r1)), stripTimes(rowsOf(spec, r3))
	if !reflect.DeepEqual(fmtRows(a), fmtRows(b)) {
		t.Errorf("jobs 1 and 3 differ:\n%v\n%v", fmtRows(a), fmtRows(b))
	}
	for i, r := range r1 {
		if r.Seed != seeds[i] || r.Steps != 60 || r.Verdict > quality.Diverged || math.IsNaN(r.Quality.D2M95) || math.IsNaN(r.BestVal) {
			t.Errorf("run %d: %+v", i, r)
		}
		// the handed-over model is the one measured
		if q := quality.NewMeterIndex(spec.Curve).Measure(models[r.Seed], spec.Data); q != r.Quality {
			t.Errorf("seed %d: model measures %v, result says %v", r.Seed, q, r.Quality)
		}
	}
}

func fmtRows(rows []Row) string {
	var b bytes.Buffer
	if err := WriteCSV(&b, rows); err != nil {
		panic(err)
	}
	return b.String()
}

func TestOriginalRecipeEvaluatesBestWeights(t *testing.T) {
	spec := tinySpec(t, "original")
	spec.Steps, spec.Epochs = 0, 4
	r, m, err := One(context.Background(), spec, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 300 training rows, batch 64: 5 steps per manifold epoch; density epochs take none
	if r.Steps != 10 || r.Verdict > quality.Diverged {
		t.Errorf("%+v, want 10 steps", r)
	}
	if q := quality.Measure(m, spec.Data, nil); q.D2M95 != r.Quality.D2M95 {
		t.Errorf("the model measures d2m95 %v, the result says %v", q.D2M95, r.Quality.D2M95)
	}
}

func TestShardsMergeToTheUnshardedStudy(t *testing.T) {
	spec := tinySpec(t, "joint")
	seeds, _ := ParseSeeds("1-5,9")
	all, err := Run(context.Background(), spec, seeds, 2, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var parts [][]Row
	for i := 0; i < 3; i++ {
		sh := Shard{i, 3}
		res, err := Run(context.Background(), spec, sh.Pick(seeds), 1, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		// through the CSV text, as the files would go
		rows, err := ReadCSV(strings.NewReader(fmtRows(rowsOf(spec, res))), sh.String())
		if err != nil {
			t.Fatal(err)
		}
		names, parts = append(names, sh.String()), append(parts, rows)
	}
	merged, err := Merge(names, parts)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := fmtRows(stripTimes(merged)), fmtRows(stripTimes(rowsOf(spec, all))); a != b {
		t.Errorf("merged shards:\n%s\nunsharded:\n%s", a, b)
	}
	if _, err := Merge([]string{"a", "b"}, [][]Row{parts[0], parts[0]}); err == nil || !strings.Contains(err.Error(), "already in a") {
		t.Errorf("duplicate rows: %v", err)
	}
	if s := Summarize(merged); s.Runs != 6 || !strings.HasPrefix(s.String(), "learned=") {
		t.Errorf("summary %v", s)
	}
}

func TestCSVRoundTripAndErrors(t *testing.T) {
	rows := []Row{
		{Seed: 2, Config: "live", Recipe: "joint", Steps: 4000, Secs: 12.345, D2M95: 0.0213, M2D95Core: 0.0301, BestVal: 0.00473,
			Verdict: quality.Learned, LearnedStep: 2750, LearnedSecs: 8.5, Curve: "spiral"},
		{Seed: 3, Config: "live", Recipe: "joint", Steps: 17, Secs: 1, D2M95: 0.4, M2D95Core: math.NaN(), BestVal: math.NaN(),
			Verdict: quality.Diverged, LearnedStep: -1, LearnedSecs: math.NaN(), Curve: "none"},
	}
	text := fmtRows(rows)
	back, err := ReadCSV(strings.NewReader(text), "x.csv")
	if err != nil {
		t.Fatal(err)
	}
	if fmtRows(back) != text {
		t.Errorf("round trip:\n%s\n%s", fmtRows(back), text)
	}
	if s := Summarize(back).String(); s != "learned=1/2 median_learned_secs=8.50" {
		t.Errorf("summary %q", s)
	}
	for _, c := range []struct{ text, want string }{
		{"", "x.csv: empty file"},
		{"seed,config\n", "x.csv: header"},
		{strings.Join(Header, ",") + "\n1,live,joint,10,1.0,abc,,,learned,,,spiral\n", "x.csv:2: d2m95 = \"abc\""},
		{strings.Join(Header, ",") + "\n1,live,joint,10,1.0,0.1,,,great,,,spiral\n", "x.csv:2: quality: unknown verdict"},
	} {
		if _, err := ReadCSV(strings.NewReader(c.text), "x.csv"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadCSV(%q): %v, want %q", c.text, err, c.want)
		}
	}
}

func TestRunStopsOnCancelAndCallbackError(t *testing.T) {
	spec := tinySpec(t, "joint")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, spec, []uint64{1, 2}, 2, nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	boom := errors.New("disk full")
	if _, err := Run(context.Background(), spec, []uint64{1, 2, 3}, 2, nil, func(Result, *flow.MFlow) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("callback error: %v", err)
	}
	bad := *spec
	bad.Steps = -1
	if _, err := Run(context.Background(), &bad, []uint64{1}, 1, nil, nil); err == nil {
		t.Error("negative steps gave no error")
	}
}

func TestEpochBudgetOfALiveRecipeKeepsTheLastWeights(t *testing.T) {
	spec := tinySpec(t, "joint")
	spec.Steps, spec.Epochs = 0, 2
	r, m, err := One(context.Background(), spec, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 360 training rows, batch 64: 6 steps per epoch; the trainer never reaches its end, so
	// it does not swap in the best-validation weights
	if r.Steps != 12 {
		t.Errorf("%d steps, want 12", r.Steps)
	}
	ref, err := flow.New(spec.Settings.Flow, 4)
	if err != nil {
		t.Fatal(err)
	}
	tc := spec.Settings.Train
	tc.Seed, tc.Epochs = 4, 3
	tr, err := flow.NewTrainer(ref, spec.Data, tc)
	if err != nil {
		t.Fatal(err)
	}
	for tr.Steps() < 12 {
		if _, err := tr.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(ref.P, m.P) {
		t.Error("the evaluated weights are not the last weights after 12 steps")
	}
}

// TestBestFitWeightsAreHandedOver checks that a best-fit study evaluates and returns the
// trainer's best fit measurement, taken every DefaultFitEvery steps when the recipe sets none.
func TestBestFitWeightsAreHandedOver(t *testing.T) {
	spec := tinySpec(t, "joint")
	spec.Weights, spec.Steps, spec.Settings.Train.LR = run.WeightsBestFit, 2*DefaultFitEvery+10, 2e-2
	r, m, err := One(context.Background(), spec, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := flow.New(spec.Settings.Flow, 5)
	if err != nil {
		t.Fatal(err)
	}
	tc := spec.Settings.Train
	tc.Seed, tc.FitEvery = 5, DefaultFitEvery
	tr, err := flow.NewTrainer(ref, spec.Data, tc)
	if err != nil {
		t.Fatal(err)
	}
	for tr.Steps() < spec.Steps {
		if _, err := tr.Step(); err != nil {
			t.Fatal(err)
		}
	}
	want, _, step := tr.BestFit()
	if step != DefaultFitEvery && step != 2*DefaultFitEvery {
		t.Fatalf("best fit at step %d", step)
	}
	if !reflect.DeepEqual(want.P, m.P) {
		t.Error("the handed-over weights are not the best fit measurement's")
	}
	if r.Steps != spec.Steps {
		t.Errorf("%d steps, want %d", r.Steps, spec.Steps)
	}
}
