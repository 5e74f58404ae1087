package cli

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

func TestParseEpsRange(t *testing.T) {
	e, err := parseEpsRange("0:0.3:100")
	if err != nil || len(e) != 100 || e[0] != 0 || e[99] != 0.3 {
		t.Fatalf("0:0.3:100 gives %d values, %v", len(e), err)
	}
	if e, err := parseEpsRange(" 0.1 : 0.1 : 1 "); err != nil || len(e) != 1 || e[0] != 0.1 {
		t.Fatalf("0.1:0.1:1 gives %v, %v", e, err)
	}
	for _, s := range []string{"", "0:0.3", "0:0.3:10:1", "a:0.3:10", "0:0.3:0", "0:0.3:x", "0:0.3:2.5",
		"0.3:0:10", "-1:0:3", "0:NaN:3", "0:inf:3", "0:0.3:1000000", "0:5000:3"} {
		if _, err := parseEpsRange(s); err == nil {
			t.Errorf("--eps %q accepted", s)
		}
	}
}

// sweepFixtures writes a small flow, a small classifier and a Two Spirals CSV into a temporary
// folder and returns their paths.
func sweepFixtures(t *testing.T) (flowPath, clfPath, dataPath string) {
	t.Helper()
	dir := t.TempDir()
	fl, err := flow.New(flow.Config{N: 2, D: 1, Steps: 2, Hidden: 8, Blocks: 1, Bins: 4, TailBound: 3}, 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range fl.P {
		fl.P[i] += float32(0.3 * rng.NormFloat64())
	}
	flowPath = filepath.Join(dir, "flow.mflow")
	if err := (&flow.Checkpoint{Flow: fl}).Save(flowPath); err != nil {
		t.Fatal(err)
	}
	clf, err := classify.New(2, 16, 1, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	clfPath = filepath.Join(dir, "clf.ckpt")
	if err := clf.Save(clfPath); err != nil {
		t.Fatal(err)
	}
	ds, err := spirals.Generate(300, 3, 1.2, 5)
	if err != nil {
		t.Fatal(err)
	}
	dataPath = filepath.Join(dir, "data.csv")
	if err := spirals.SaveCSV(dataPath, ds); err != nil {
		t.Fatal(err)
	}
	return flowPath, clfPath, dataPath
}

func TestSweepCommand(t *testing.T) {
	fp, cp, dp := sweepFixtures(t)
	dir := t.TempDir()
	for _, extra := range [][]string{
		{"--plot", filepath.Join(dir, "cases.png")},
		{"--attack", "pgd", "--steps", "2", "--adaptive"},
		{"--attack", "pgd-l2", "--steps", "2", "--alpha", "0.05", "--random-start=false"},
	} {
		out := filepath.Join(dir, "cases.csv")
		var stdout, stderr bytes.Buffer
		env := &Env{Ctx: context.Background(), Stdout: &stdout, Stderr: &stderr}
		args := append([]string{"--flow", fp, "--classifier", cp, "--data", dp, "--eps", "0:0.5:6", "--out", out}, extra...)
		if err := runSweep(env, args); err != nil {
			t.Fatalf("%v: %v\n%s", extra, err, stderr.String())
		}
		raw, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		if len(lines) != 7 || lines[0] != "eps,A,B,C,D" || !strings.HasPrefix(lines[1], "0.000000,") || !strings.HasPrefix(lines[6], "0.500000,") {
			t.Fatalf("%v: CSV\n%s", extra, raw)
		}
		for _, l := range lines[1:] {
			sum := 0
			for _, f := range strings.Split(l, ",")[1:] {
				v, err := strconv.Atoi(f)
				if err != nil {
					t.Fatalf("%v: row %q: %v", extra, l, err)
				}
				sum += v
			}
			if sum != 300 {
				t.Errorf("%v: row %q sums to %d, want 300", extra, l, sum)
			}
		}
		for _, want := range []string{"eps*=", "attack_success=", "defence_undid=", "total "} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("%v: output lacks %q:\n%s", extra, want, stdout.String())
			}
		}
	}
	f, err := os.Open(filepath.Join(dir, "cases.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 750 {
		t.Errorf("chart is %v, want 1200×750 (8×5 in at 150 dpi)", b)
	}
}

func TestSweepCommandErrors(t *testing.T) {
	fp, cp, dp := sweepFixtures(t)
	out := filepath.Join(t.TempDir(), "cases.csv")
	base := []string{"--flow", fp, "--classifier", cp, "--data", dp, "--out", out}
	for name, args := range map[string][]string{
		"no flow":        {"--classifier", cp, "--out", out},
		"no out":         {"--flow", fp, "--classifier", cp},
		"steps and fgsm": append(base, "--steps", "3"),
		"alpha and fgsm": append(base, "--alpha", "0.1"),
		"unknown attack": append(base, "--attack", "cw"),
		"bad eps":        append(base, "--eps", "0:0.3"),
		"bad alpha":      append(base, "--attack", "pgd", "--alpha", "-1"),
		"bad steps":      append(base, "--attack", "pgd", "--steps", "0"),
		"svg plot":       append(base, "--plot", "cases.svg"),
		"missing flow":   {"--flow", fp + ".nope", "--classifier", cp, "--data", dp, "--out", out},
		"flow as clf":    {"--flow", fp, "--classifier", fp, "--data", dp, "--out", out},
	} {
		var buf bytes.Buffer
		env := &Env{Ctx: context.Background(), Stdout: &buf, Stderr: &buf}
		if err := runSweep(env, args); err == nil {
			t.Errorf("%s: no error", name)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s: wrote %s", name, out)
		}
	}
}

func TestSweepCommandCancelled(t *testing.T) {
	fp, cp, dp := sweepFixtures(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "cases.csv")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	env := &Env{Ctx: ctx, Stdout: &buf, Stderr: &buf}
	err := runSweep(env, []string{"--flow", fp, "--classifier", cp, "--data", dp, "--out", out, "--plot", filepath.Join(dir, "c.png")})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled sweep: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("cancelled sweep left %d files, e.g. %s", len(entries), entries[0].Name())
	}
}

func TestCasesPlotTicks(t *testing.T) {
	var labels []string
	for _, tk := range (stepTicks{}).Ticks(0, 0.3) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "0.00 0.05 0.10 0.15 0.20 0.25 0.30" {
		t.Errorf("ticks on [0, 0.3]: %s", got)
	}
	// Image sweeps: the axis reads in grey levels (k/255), ε* as a fraction of 255.
	ax := newEpsAxis(true)
	labels = labels[:0]
	for _, tk := range (stepTicks{}).Ticks(0, ax.scale*16/255) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "0 2 4 6 8 10 12 14 16" {
		t.Errorf("pixel ticks on [0, 16/255]: %s", got)
	}
	if got := ax.text(8.0 / 255); got != "8/255" {
		t.Errorf("ε* at 8/255 reads %q", got)
	}
	if got := newEpsAxis(false).text(0.1); got != "0.100" {
		t.Errorf("Two Spirals ε* at 0.1 reads %q", got)
	}
	r := &attack.SweepResult{Eps: []float64{0.1}, N: 4, Counts: [][4]int{{1, 1, 1, 1}}}
	for _, pixel := range []bool{false, true} {
		if err := writeCasesPlot(filepath.Join(t.TempDir(), "one.png"), r, "one ε", pixel); err != nil {
			t.Errorf("chart of a single ε (pixel %v): %v", pixel, err)
		}
	}
}
