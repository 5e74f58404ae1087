package attack

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/testref"
)

func TestLinspace(t *testing.T) {
	e := Linspace(0, 0.3, 100)
	if len(e) != 100 || e[0] != 0 || e[99] != 0.3 {
		t.Fatalf("Linspace(0, 0.3, 100) = %v … %v (%d values)", e[0], e[len(e)-1], len(e))
	}
	// numpy.linspace(0, 0.3, 100)[30] and [97], printed as the CSV does.
	for i, want := range map[int]string{30: "0.090909", 97: "0.293939", 1: "0.003030"} {
		if got := fmt.Sprintf("%.6f", e[i]); got != want {
			t.Errorf("value %d = %s, want %s", i, got, want)
		}
	}
	if got := Linspace(0.2, 0.5, 1); len(got) != 1 || got[0] != 0.2 {
		t.Errorf("Linspace with one value = %v, want [0.2]", got)
	}
	if Linspace(0, 1, 0) != nil {
		t.Error("Linspace with no values is not empty")
	}
}

func TestSweepResultStats(t *testing.T) {
	r := &SweepResult{Eps: []float64{0, 0.1, 0.2, 0.3}, N: 100, Counts: [][4]int{
		{0, 100, 0, 0}, {30, 40, 20, 10}, {10, 30, 40, 20}, {40, 30, 10, 20},
	}}
	if j := r.EpsStar(); j != 1 {
		t.Errorf("EpsStar = %d, want 1 (first of the tied maxima A+C = 50)", j)
	}
	if v := r.AttackRate(1); v != 0.5 {
		t.Errorf("AttackRate = %v, want 0.5", v)
	}
	if v := r.UndoneShare(1); v != 0.6 {
		t.Errorf("UndoneShare = %v, want 0.6", v)
	}
	if v := r.UndoneShare(0); !math.IsNaN(v) {
		t.Errorf("UndoneShare without successful attacks = %v, want NaN", v)
	}
	if j := (&SweepResult{}).EpsStar(); j != -1 {
		t.Errorf("EpsStar of an empty sweep = %d, want -1", j)
	}
}

// checkSweepAgainstRun compares a sweep's counts with Run + Classify at every ε.
// FGSM stacks about batchRows adversarial points per projection.
func checkSweepAgainstRun(t *testing.T, clf Classifier, fl *flow.MFlow, x nn.Mat, y []int32, eps []float64, p Params, batchRows int) *SweepResult {
	t.Helper()
	var calls, lastDone int
	r, err := sweep(context.Background(), clf, fl, x, y, eps, p, func(done, total int) {
		calls++
		if total != x.Rows*len(eps) || done < lastDone || done > total {
			t.Fatalf("progress %d of %d after %d", done, total, lastDone)
		}
		lastDone = done
	}, batchRows)
	if err != nil {
		t.Fatal(err)
	}
	if lastDone != x.Rows*len(eps) || calls < 2 {
		t.Errorf("progress ended at %d of %d after %d calls", lastDone, x.Rows*len(eps), calls)
	}
	if r.N != x.Rows || len(r.Counts) != len(eps) {
		t.Fatalf("result has N = %d and %d counts", r.N, len(r.Counts))
	}
	for i, e := range eps {
		c := r.Counts[i]
		if c[0]+c[1]+c[2]+c[3] != x.Rows {
			t.Fatalf("ε = %v: A+B+C+D = %d, want %d", e, c[0]+c[1]+c[2]+c[3], x.Rows)
		}
		q := p
		q.Eps = e
		if q.Kind != FGSM && q.Alpha == 0 {
			q.Alpha = 2.5 * e / float64(q.Steps)
		}
		adv := x
		if e > 0 || q.Kind == FGSM {
			res, err := Run(clf, x, y, q)
			if err != nil {
				t.Fatal(err)
			}
			adv = res.Adv
		}
		var want [4]int
		for _, cs := range Classify(clf, fl, adv, y) {
			want[cs-CaseA]++
		}
		if want != c {
			t.Errorf("%v ε = %v: sweep counts %v, Run + Classify %v", p.Kind, e, c, want)
		}
	}
	return r
}

func TestSweepSmallModels(t *testing.T) {
	fl, clf := smallModels(t, 31)
	x := randPoints(500, 2, 32)
	y := clf.Predict(x)
	for i := 0; i < len(y); i += 7 {
		y[i] = 1 - y[i] // some clean points misclassified
	}
	wrong := 0
	for i, p := range clf.Predict(x) {
		if p != y[i] {
			wrong++
		}
	}
	eps := Linspace(0, 0.5, 6)
	for _, tc := range []struct {
		clf Classifier
		p   Params
	}{
		{clf, Params{Kind: FGSM}},
		{Defended{Clf: clf, Flow: fl}, Params{Kind: FGSM}},
		{clf, Params{Kind: PGD, Steps: 3, RandomStart: true, Seed: 5}},
		{clf, Params{Kind: PGDL2, Steps: 3, Alpha: 0.1}},
		{&Defended{Clf: clf, Flow: fl}, Params{Kind: PGD, Steps: 2}},
		{clf, Params{Kind: FGSM, Box: &Box{Min: []float64{-1, -2}, Max: []float64{1, 2}}}},
	} {
		r := checkSweepAgainstRun(t, tc.clf, fl, x, y, eps, tc.p, sweepRows)
		if c := r.Counts[0]; c[0]+c[2] != wrong {
			t.Errorf("%v: attack success at ε = 0 is %d, want the %d misclassified clean points", tc.p.Kind, c[0]+c[2], wrong)
		}
	}
	// Batches of two ε values (the last one alone) give the same counts.
	checkSweepAgainstRun(t, clf, fl, x, y, eps[:5], Params{Kind: FGSM}, 2*x.Rows+1)
}

func TestSweepBadInput(t *testing.T) {
	fl, clf := smallModels(t, 41)
	x := randPoints(10, 2, 42)
	y := make([]int32, x.Rows)
	ctx := context.Background()
	fl3, err := flow.New(flow.Config{N: 3, D: 1, Steps: 1, Hidden: 4, Blocks: 0, Bins: 2, TailBound: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]func() error{
		"no ε":       func() error { _, err := Sweep(ctx, clf, fl, x, y, nil, Params{}, nil); return err },
		"NaN ε":      func() error { _, err := Sweep(ctx, clf, fl, x, y, []float64{0, math.NaN()}, Params{}, nil); return err },
		"negative ε": func() error { _, err := Sweep(ctx, clf, fl, x, y, []float64{-0.1}, Params{}, nil); return err },
		"too many ε": func() error {
			_, err := Sweep(ctx, clf, fl, x, y, make([]float64, MaxSweepEps+1), Params{}, nil)
			return err
		},
		"bad label": func() error {
			_, err := Sweep(ctx, clf, fl, x, append(y[:9:9], 2), []float64{0}, Params{}, nil)
			return err
		},
		"no points": func() error {
			_, err := Sweep(ctx, clf, fl, nn.NewMat(0, 2), nil, []float64{0}, Params{}, nil)
			return err
		},
		"no flow":  func() error { _, err := Sweep(ctx, clf, nil, x, y, []float64{0}, Params{}, nil); return err },
		"3-D flow": func() error { _, err := Sweep(ctx, clf, fl3, x, y, []float64{0}, Params{}, nil); return err },
		"bad PGD":  func() error { _, err := Sweep(ctx, clf, fl, x, y, []float64{0.1}, Params{Kind: PGD}, nil); return err },
		"bad α": func() error {
			_, err := Sweep(ctx, clf, fl, x, y, []float64{0.1}, Params{Kind: PGD, Steps: 2, Alpha: -1}, nil)
			return err
		},
		"NaN point": func() error {
			xn := x.Clone()
			xn.Data[3] = float32(math.Inf(1))
			_, err := Sweep(ctx, clf, fl, xn, y, []float64{0}, Params{}, nil)
			return err
		},
		"bad box": func() error {
			_, err := Sweep(ctx, clf, fl, x, y, []float64{0}, Params{Box: &Box{Min: []float64{0, 0, 0}, Max: []float64{1, 1, 1}}}, nil)
			return err
		},
		"rand + FGSM": func() error {
			_, err := Sweep(ctx, clf, fl, x, y, []float64{0}, Params{RandomStart: true}, nil)
			return err
		},
	}
	for name, f := range bad {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestSweepCancel(t *testing.T) {
	fl, clf := smallModels(t, 51)
	x := randPoints(2000, 2, 52)
	y := clf.Predict(x)
	for _, p := range []Params{{Kind: FGSM}, {Kind: PGD, Steps: 5}} {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		r, err := Sweep(ctx, clf, fl, x, y, Linspace(0, 0.3, 100), p, func(done, total int) {
			calls++
			if calls == 2 {
				cancel()
			}
		})
		if !errors.Is(err, context.Canceled) || r != nil {
			t.Errorf("%v: cancelled sweep returned %v, %v", p.Kind, r, err)
		}
		if calls > 2 {
			t.Errorf("%v: the sweep went on for %d progress reports after cancellation", p.Kind, calls-2)
		}
		cancel()
	}
}

// refData is the original data set, read from its CSV copy.
func refData(t testing.TB) (nn.Mat, []int32) {
	t.Helper()
	path := testref.Path(t, "reference", "data", "spiral_dataset_20k.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var xs []float32
	var ys []int32
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if line == 1 {
			continue
		}
		fields := strings.Split(sc.Text(), ",")
		if len(fields) != 3 {
			t.Fatalf("%s:%d: %q", path, line, sc.Text())
		}
		for _, s := range fields[:2] {
			v, err := strconv.ParseFloat(s, 32)
			if err != nil {
				t.Fatalf("%s:%d: %v", path, line, err)
			}
			xs = append(xs, float32(v))
		}
		c, err := strconv.Atoi(fields[2])
		if err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		ys = append(ys, int32(c))
	}
	return nn.MatFrom(len(ys), 2, xs), ys
}

// refModels loads the original classifier and the original M-Flow A.
func refModels(t testing.TB) (*flow.MFlow, *classify.MLP) {
	t.Helper()
	fp := testref.Path(t, "reference", "checkpoints", "spiral_mflow_A.pt")
	cp := testref.Path(t, "reference", "checkpoints", "classifier_two_spirals.pt")
	fl, err := flow.ImportPyTorch(fp)
	if err != nil {
		t.Fatal(err)
	}
	clf, err := classify.LoadAny(cp)
	if err != nil {
		t.Fatal(err)
	}
	return fl, clf
}

func TestSweepReference(t *testing.T) {
	fl, clf := refModels(t)
	x, y := refData(t)
	// Every tenth point: 2000 points × 10 ε.
	xs, ys := nn.NewMat(2000, 2), make([]int32, 2000)
	for i := range ys {
		copy(xs.Row(i), x.Row(10*i))
		ys[i] = y[10*i]
	}
	r, err := Sweep(context.Background(), clf, fl, xs, ys, Linspace(0, 0.3, 10), Params{Kind: FGSM}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range r.Counts {
		if c[0]+c[1]+c[2]+c[3] != xs.Rows {
			t.Errorf("ε = %v: A+B+C+D = %d, want %d", r.Eps[i], c[0]+c[1]+c[2]+c[3], xs.Rows)
		}
	}
	// The last ε, attacked and judged point by point, gives the same counts.
	adv, err := Run(clf, xs, ys, Params{Kind: FGSM, Eps: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	var want [4]int
	for _, cs := range Classify(clf, fl, adv.Adv, ys) {
		want[cs-CaseA]++
	}
	if want != r.Counts[9] {
		t.Errorf("ε = 0.3: sweep counts %v, Run + Classify %v", r.Counts[9], want)
	}
	if c := r.Counts[0]; c[0]+c[2] != 0 {
		t.Errorf("ε = 0: %d successful attacks; the original classifier is 100 %% accurate", c[0]+c[2])
	}
	j := r.EpsStar()
	t.Logf("2000 points: ε* = %.4f, attack success %.4f, undone %.4f; counts %v", r.Eps[j], r.AttackRate(j), r.UndoneShare(j), r.Counts)
	// The attack gets stronger with ε, and most points are fooled at ε = 0.3 (the published
	// sweep: 89 % at ε* ≈ 0.27).
	if r.AttackRate(9) < 0.8 || r.AttackRate(5) > r.AttackRate(9) {
		t.Errorf("attack success %.3f at ε = %.3f and %.3f at ε = 0.3; want growth to over 0.8", r.AttackRate(5), r.Eps[5], r.AttackRate(9))
	}
}

func TestGoldenFGSM(t *testing.T) {
	path := testref.Path(t, "reference", "golden", "mflow_golden.json")
	_, clf := refModels(t)
	x, y := refData(t)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Points  [][2]float64            `json:"points"`
		Indices []int                   `json:"dataset_indices"`
		FGSM    map[string][][2]float64 `json:"fgsm"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	const n = 100
	pts, labels := nn.NewMat(n, 2), make([]int32, n)
	for i := 0; i < n; i++ {
		for j := 0; j < 2; j++ {
			pts.Set(i, j, float32(g.Points[i][j]))
			if pts.At(i, j) != x.At(g.Indices[i], j) {
				t.Fatalf("golden point %d is not data-set row %d", i, g.Indices[i])
			}
		}
		labels[i] = y[g.Indices[i]]
	}
	keys := make([]string, 0, len(g.FGSM))
	for k := range g.FGSM {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		t.Fatal("golden file has no fgsm entries")
	}
	for _, k := range keys {
		eps, err := strconv.ParseFloat(k, 64)
		if err != nil {
			t.Fatalf("fgsm key %q: %v", k, err)
		}
		res, err := Run(clf, pts, labels, Params{Kind: FGSM, Eps: eps})
		if err != nil {
			t.Fatal(err)
		}
		var maxErr float64
		for i := 0; i < n; i++ {
			for j := 0; j < 2; j++ {
				maxErr = math.Max(maxErr, math.Abs(float64(res.Adv.At(i, j))-g.FGSM[k][i][j]))
			}
		}
		t.Logf("fgsm ε = %s: max |ours − golden| = %.2e", k, maxErr)
		// Every coordinate moves by exactly ±ε in float32, so agreement is to rounding.
		if maxErr > 1e-6 {
			t.Errorf("fgsm ε = %s: max |ours − golden| = %.2e > 1e-6 (a sign differs)", k, maxErr)
		}
	}
}

// TestTorchCases compares the full original sweep (FGSM, ε = linspace(0, 0.3, 100), all 20 000
// points, M-Flow A) with the CSV written by the PyTorch yardstick:
//
//	/usr/bin/python3 ../shared/bench/torch_mflow.py sweep --threads 2 --out /tmp/torch_cases.csv
//	MFLOWLAB_TORCH_CASES=/tmp/torch_cases.csv go test -run TorchCases -v ./attack
func TestTorchCases(t *testing.T) {
	path := os.Getenv("MFLOWLAB_TORCH_CASES")
	if path == "" {
		t.Skip("MFLOWLAB_TORCH_CASES is not set (path of torch_mflow.py sweep's CSV): skipping")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) < 2 || lines[0] != "eps,A,B,C,D" {
		t.Fatalf("%s: not a cases CSV (header %q)", path, lines[0])
	}
	var eps []float64
	var want [][4]int
	for i, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) != 5 {
			t.Fatalf("%s:%d: %q", path, i+2, l)
		}
		e, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			t.Fatalf("%s:%d: %v", path, i+2, err)
		}
		eps = append(eps, e)
		var c [4]int
		for k := range c {
			if c[k], err = strconv.Atoi(f[k+1]); err != nil {
				t.Fatalf("%s:%d: %v", path, i+2, err)
			}
		}
		want = append(want, c)
	}
	// The CSV prints ε with 6 decimals; the sweep used numpy's linspace values.
	full := Linspace(0, 0.3, len(eps))
	for i := range eps {
		if fmt.Sprintf("%.6f", full[i]) != fmt.Sprintf("%.6f", eps[i]) {
			t.Fatalf("%s: ε values are not linspace(0, 0.3, %d)", path, len(eps))
		}
	}
	fl, clf := refModels(t)
	x, y := refData(t)
	r, err := Sweep(context.Background(), clf, fl, x, y, full, Params{Kind: FGSM}, nil)
	if err != nil {
		t.Fatal(err)
	}
	maxDiff, at := 0, 0
	for i := range eps {
		for k := 0; k < 4; k++ {
			if d := abs(r.Counts[i][k] - want[i][k]); d > maxDiff {
				maxDiff, at = d, i
			}
		}
	}
	j := r.EpsStar()
	t.Logf("max count difference %d (at ε = %.6f: ours %v, torch %v); ε* = %.4f attack success %.4f undone %.4f",
		maxDiff, eps[at], r.Counts[at], want[at], r.Eps[j], r.AttackRate(j), r.UndoneShare(j))
	if maxDiff > 5 {
		t.Errorf("counts differ from the PyTorch yardstick by up to %d points per ε (allowed: 5)", maxDiff)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
