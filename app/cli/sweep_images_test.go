package cli

import (
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/flow/imageflow"
	"github.com/mflowlab/mflowlab/sim/cifar"
)

// imageSweepFixtures writes 60 random CIFAR-10 records (12 eval images, 48 train) and a
// random CNN.
func imageSweepFixtures(t *testing.T) (data, ck string) {
	t.Helper()
	data = tinyCIFAR(t, 60)
	ck = filepath.Join(t.TempDir(), "cnn.mfl")
	if err := cnn.New(7).Save(ck, nil); err != nil {
		t.Fatal(err)
	}
	return data, ck
}

func TestSweepImagesCommand(t *testing.T) {
	data, ck := imageSweepFixtures(t)
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	csv, plot := filepath.Join(dir, "cases.csv"), filepath.Join(dir, "cases.png")
	for _, extra := range [][]string{
		{"--plot", plot},
		{"--attack", "pgd", "--steps", "2", "--adaptive", "--eps", "4/255"},
		{"--attack", "pgd-l2", "--steps", "2", "--alpha", "0.1", "--random-start=false", "--eps", "0:0.5:2", "--n", "5"},
	} {
		args := append([]string{"--images", data, "--classifier", ck, "--defence", "pca:8", "--eps", "0:8/255:3",
			"--pca-cache", cache, "--out", csv}, extra...)
		out, err := runCNNCmd(t, runSweep, args...)
		if err != nil {
			t.Fatalf("%v: %v", extra, err)
		}
		raw, err := os.ReadFile(csv)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		var accLines []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "eps=") {
				accLines = append(accLines, l)
			}
		}
		if lines[0] != "eps,A,B,C,D" || len(lines) < 2 || len(accLines) != len(lines)-1 {
			t.Fatalf("%v: CSV\n%s\noutput\n%s", extra, raw, out)
		}
		n := 12
		if len(extra) > 0 && extra[len(extra)-1] == "5" {
			n = 5
		}
		for i, l := range lines[1:] {
			f := strings.Split(l, ",")
			sum := 0
			for _, v := range f[1:] {
				c, err := strconv.Atoi(v)
				if err != nil {
					t.Fatalf("%q: %v", l, err)
				}
				sum += c
			}
			if sum != n {
				t.Errorf("%v: %q counts %d images, want %d", extra, l, sum, n)
			}
			for _, key := range []string{"clean_acc=", "attacked_acc=", "defended_acc="} {
				if !strings.Contains(accLines[i], key) {
					t.Errorf("line %q lacks %s", accLines[i], key)
				}
			}
		}
	}
	if !strings.HasPrefix(strings.Split(mustRead(t, csv), "\n")[1], "0.000000,") {
		t.Error("the last sweep does not start at ε = 0")
	}
	f, err := os.Open(plot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatalf("plot: %v", err)
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), "pca-") {
		t.Errorf("PCA cache holds %v, want one fit reused by all three sweeps", entries)
	}
}

func TestSweepImagesMFlowDefence(t *testing.T) {
	data, ck := imageSweepFixtures(t)
	train, err := cifar.Load(data, cifar.Train)
	if err != nil {
		t.Fatal(err)
	}
	cfg := imageflow.DefaultConfig(8)
	cfg.Hidden, cfg.Layers = 4, 2
	m, err := imageflow.New(cfg, train.Images, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	flowPath := filepath.Join(dir, "iflow.mfl")
	if err := m.Save(flowPath); err != nil {
		t.Fatal(err)
	}
	csv := filepath.Join(dir, "cases.csv")
	for _, extra := range [][]string{{"--attack", "fgsm"}, {"--attack", "pgd", "--steps", "2", "--adaptive"}} {
		args := append([]string{"--images", data, "--classifier", ck, "--defence", "mflow:" + flowPath, "--eps", "0:8/255:2", "--out", csv}, extra...)
		out, err := runCNNCmd(t, runSweep, args...)
		if err != nil {
			t.Fatalf("%v: %v", extra, err)
		}
		if strings.Count(out, "defended_acc=") != 2 || len(strings.Split(strings.TrimSpace(mustRead(t, csv)), "\n")) != 3 {
			t.Errorf("%v: output\n%s", extra, out)
		}
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSweepImagesErrors(t *testing.T) {
	data, ck := imageSweepFixtures(t)
	dir := t.TempDir()
	csv := filepath.Join(dir, "x.csv")
	base := []string{"--images", data, "--classifier", ck, "--pca-cache", filepath.Join(dir, "cache"), "--out", csv}
	corrupt := filepath.Join(dir, "bad.bin")
	if err := os.WriteFile(corrupt, make([]byte, 3073*2+5), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--defence", "pca:0"}, "pca:D needs"},
		{[]string{"--defence", "pca:x"}, "pca:D needs"},
		{[]string{"--defence", "pca:64"}, "want 1 to 47"}, // 48 training images
		{[]string{"--defence", "mflow:"}, "needs an image M-Flow checkpoint"},
		{[]string{"--defence", "mflow:" + filepath.Join(dir, "none.mfl")}, "none.mfl"},
		{[]string{"--defence", "mflow:" + ck}, "cnn.mfl"}, // a CNN, not an image M-Flow
		{[]string{"--defence", "zca:3"}, "want pca:D"},
		{[]string{"--eps", "0:8/0:3"}, "fraction like 8/255"},
		{[]string{"--eps", "8/255:0:3"}, "below start"},
		{[]string{"--eps", "0:1:0"}, "count"},
		{[]string{"--eps", "0:1"}, "start:stop:count"},
		{[]string{"--eps", "-1/255"}, "out of range"},
		{[]string{"--steps", "3"}, "not fgsm"},
		{[]string{"--attack", "pgd", "--alpha", "-1"}, "must be positive"},
		{[]string{"--attack", "cw"}, "unknown attack"},
		{[]string{"--n", "-2"}, "--n -2"},
		{[]string{"--plot", "x.svg"}, "only PNG"},
		{[]string{"--images", corrupt}, "bad.bin"},
		{[]string{"--classifier", corrupt}, "bad.bin"},
	} {
		args := append(append([]string{}, base...), c.args...)
		_, err := runCNNCmd(t, runSweep, args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(csv); err == nil {
		t.Error("a failed sweep wrote its CSV")
	}
	if _, err := runCNNCmd(t, runSweep, "--images", data, "--defence", "pca:3", "--out", csv); err == nil || !strings.Contains(err.Error(), "need --classifier") {
		t.Errorf("no classifier: %v", err)
	}
}
