package cli

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/internal/testref"
	"github.com/mflowlab/mflowlab/sim/study"
)

// tinyRuns are flags for a study that takes well under a second per run.
var tinyRuns = []string{"--steps-s", "2", "--hidden", "8", "--blocks", "1", "--bins", "4", "--batch", "64",
	"--n", "400", "--steps", "40", "--check-every", "20"}

func runCmd(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	err = runRuns(&Env{Ctx: ctx, Stdout: &out, Stderr: &errb}, args)
	return out.String(), errb.String(), err
}

// withoutTimes reads a runs CSV and blanks its wall-clock columns.
func withoutTimes(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := study.ReadCSV(f, path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		rows[i].Secs = 0
		if rows[i].LearnedStep >= 0 {
			rows[i].LearnedSecs = 0
		}
	}
	var b bytes.Buffer
	if err := study.WriteCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRunsWritesCSVGridAndWeights(t *testing.T) {
	dir := t.TempDir()
	out, grid, save := filepath.Join(dir, "runs.csv"), filepath.Join(dir, "runs.png"), filepath.Join(dir, "w")
	stdout, stderr, err := runCmd(context.Background(), append([]string{"--seeds", "2,5-6", "--out", out, "--grid", grid, "--save", save, "--jobs", "2"}, tinyRuns...)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !regexp.MustCompile(`^learned=\d/3 median_learned_secs=(NA|[0-9.]+)\n$`).MatchString(stdout) {
		t.Errorf("stdout %q, want one summary line", stdout)
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(text)), "\n")
	if len(lines) != 4 || lines[0] != strings.Join(study.Header, ",") || !strings.HasPrefix(lines[1], "2,live,geodesic,40,") || !strings.HasPrefix(lines[3], "6,") {
		t.Errorf("CSV:\n%s", text)
	}
	for _, seed := range []string{"2", "5", "6"} {
		ck, err := flow.LoadCheckpoint(filepath.Join(save, "seed-"+seed+".mfl"))
		if err != nil || ck.Info["weights"] != "last" || ck.Flow.Cfg.Hidden != 8 {
			t.Errorf("seed %s weights: %v, %v", seed, err, ck)
		}
	}
	f, err := os.Open(grid)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() < 600 {
		t.Errorf("grid PNG: %v, %v", err, img)
	}
}

func TestRunsShardsMergeToOneRun(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "all.csv")
	if _, stderr, err := runCmd(context.Background(), append([]string{"--seeds", "1-4,7", "--out", whole}, tinyRuns...)...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var parts []string
	for i := 0; i < 3; i++ {
		p := filepath.Join(dir, "part"+string(rune('0'+i))+".csv")
		if _, stderr, err := runCmd(context.Background(), append([]string{"--seeds", "1-4,7", "--shard", string(rune('0'+i)) + "/3", "--jobs", "1", "--out", p}, tinyRuns...)...); err != nil {
			t.Fatalf("shard %d: %v\n%s", i, err, stderr)
		}
		parts = append(parts, p)
	}
	merged := filepath.Join(dir, "merged.csv")
	var out, errb bytes.Buffer
	env := &Env{Ctx: context.Background(), Stdout: &out, Stderr: &errb}
	if err := runRuns(env, append([]string{"merge", parts[2], parts[0], "--out", merged}, parts[1])); err != nil {
		t.Fatalf("merge: %v\n%s", err, errb.String())
	}
	if a, b := withoutTimes(t, merged), withoutTimes(t, whole); a != b {
		t.Errorf("merged shards:\n%s\nunsharded:\n%s", a, b)
	}
	if !strings.HasPrefix(out.String(), "learned=") {
		t.Errorf("merge printed %q", out.String())
	}
	// a part named twice holds duplicate seeds
	err := runRuns(env, []string{"merge", parts[0], parts[0], "--out", filepath.Join(dir, "dup.csv")})
	if err == nil || !strings.Contains(err.Error(), "already in") {
		t.Errorf("duplicate parts: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dup.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed merge left dup.csv: %v", err)
	}
}

func TestRunsBadFlags(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r.csv")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--seeds", "1-x", "--out", out}, "--seeds"},
		{[]string{"--seeds", "5-1", "--out", out}, "backwards"},
		{[]string{"--shard", "3/3", "--out", out}, "0…2"},
		{[]string{"--steps", "-5", "--out", out}, "--steps -5"},
		{[]string{"--steps", "10", "--epochs", "2", "--out", out}, "both given"},
		{[]string{"--check-every", "-1", "--out", out}, "--check-every"},
		{[]string{"--jobs", "0", "--out", out}, "--jobs"},
		{[]string{"--recipe", "magic", "--out", out}, "default, geodesic, joint, original"},
		{[]string{"--config", "huge", "--out", out}, "live, original"},
		{[]string{"--data", filepath.Join(dir, "missing.csv"), "--out", out}, "missing.csv"},
		{[]string{"--grid", "g.gif", "--out", out}, "PNG"},
		{[]string{"--hidden", "0", "--out", out}, "hidden width"},
		{[]string{"--seeds", "1"}, "--out"},
		{[]string{"--seeds", "1", "--shard", "1/2", "--out", out}, "no seeds"},
	} {
		_, _, err := runCmd(context.Background(), c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("runs %v: %v, want an error mentioning %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed command wrote %s", out)
	}
	var b bytes.Buffer
	if err := runRunsMerge(&Env{Ctx: context.Background(), Stdout: &b, Stderr: &b}, []string{"--out", out, filepath.Join(dir, "nope.csv")}); err == nil || !strings.Contains(err.Error(), "nope.csv") {
		t.Errorf("merge of a missing part: %v", err)
	}
}

func TestRunsInterruptedWritesNothing(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out, grid := filepath.Join(dir, "r.csv"), filepath.Join(dir, "r.png")
	_, _, err := runCmd(ctx, append([]string{"--seeds", "1-3", "--out", out, "--grid", grid}, tinyRuns...)...)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("interrupted: %v, want context.Canceled", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("an interrupted study left %d files", len(entries))
	}
}

func TestRunsOriginalDataHasItsCurve(t *testing.T) {
	data := testref.Path(t, "reference", "data", "spiral_dataset_20k.csv")
	out := filepath.Join(t.TempDir(), "r.csv")
	_, stderr, err := runCmd(context.Background(), append([]string{"--seeds", "1", "--data", data, "--out", out},
		append(tinyRuns[:8:8], "--steps", "5", "--check-every", "0")...)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "against the noiseless spiral") || !strings.Contains(withoutTimes(t, out), ",spiral\n") {
		t.Errorf("the original data set was not measured against its curve:\n%s", stderr)
	}
}
