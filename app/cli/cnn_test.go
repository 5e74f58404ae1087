package cli

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/flow/nn"
)

// tinyCIFAR writes n random records in the official binary layout.
func tinyCIFAR(t *testing.T, n int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n*(1+cnn.Pixels))
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	for i := 0; i < n; i++ {
		b[i*(1+cnn.Pixels)] = byte(i % 10)
	}
	p := filepath.Join(t.TempDir(), "tiny.bin")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runCNNCmd(t *testing.T, f func(*Env, []string) error, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Ctx: context.Background(), Stdout: &out, Stderr: &errOut}
	err := f(env, args)
	return out.String(), err
}

func TestTrainAndEvalCNN(t *testing.T) {
	data := tinyCIFAR(t, 40)
	dir := t.TempDir()
	for _, name := range []string{"cnn.mfl", "cnn.pt"} {
		ck := filepath.Join(dir, name)
		out, err := runCNNCmd(t, runTrainCNN, "--images", data, "--split", "all", "--eval-split", "all", "--epochs", "1", "--batch", "16", "--out", ck)
		if err != nil {
			t.Fatalf("train-cnn --out %s: %v", name, err)
		}
		if !strings.Contains(out, "eval_acc=") || !strings.Contains(out, "wrote "+ck) {
			t.Fatalf("train-cnn output:\n%s", out)
		}
		m, err := cnn.Load(ck)
		if err != nil {
			t.Fatal(err)
		}
		csv := filepath.Join(dir, "preds.csv")
		for _, attackArgs := range [][]string{nil, {"--attack", "fgsm", "--eps", "8/255"}, {"--attack", "pgd", "--eps", "4/255", "--steps", "2"}} {
			args := append([]string{"--classifier", ck, "--images", data, "--split", "all", "--out", csv}, attackArgs...)
			out, err := runCNNCmd(t, runEval, args...)
			if err != nil {
				t.Fatalf("eval %v: %v", attackArgs, err)
			}
			if !strings.HasPrefix(out, "accuracy=") || (attackArgs != nil && !strings.Contains(out, "clean_accuracy=")) {
				t.Fatalf("eval %v output: %s", attackArgs, out)
			}
			raw, err := os.ReadFile(csv)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
			if len(lines) != 41 || lines[0] != "i,label,pred,prob" || !strings.HasPrefix(lines[1], "0,0,") || !strings.HasPrefix(lines[40], "39,9,") {
				t.Fatalf("eval %v CSV (%d lines):\n%s", attackArgs, len(lines), raw)
			}
			if attackArgs == nil {
				pred := m.Predict(loadTiny(t, data))
				for i, l := range lines[1:] {
					if f := strings.Split(l, ","); f[2] != string(rune('0'+pred[i])) {
						t.Fatalf("row %d: %q, model predicts %d", i, l, pred[i])
					}
				}
			}
		}
	}
}

func loadTiny(t *testing.T, path string) nn.Mat {
	t.Helper()
	s, err := loadImages(path, "all")
	if err != nil {
		t.Fatal(err)
	}
	return s.Images
}

func TestCNNCommandErrors(t *testing.T) {
	data := tinyCIFAR(t, 10)
	dir := t.TempDir()
	ck := filepath.Join(dir, "cnn.mfl")
	if err := cnn.New(1).Save(ck, nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "x.csv")
	for _, c := range []struct {
		f    func(*Env, []string) error
		args []string
		want string
	}{
		{runTrainCNN, []string{"--images", data}, "need --out"},
		{runTrainCNN, []string{"--images", data, "--epochs", "0", "--out", ck}, "epochs 0"},
		{runTrainCNN, []string{"--images", data, "--split", "some", "--out", ck}, "some"},
		{runTrainCNN, []string{"--images", filepath.Join(dir, "none.bin"), "--out", ck}, "none.bin"},
		{runEval, []string{"--images", data, "--out", out}, "need --classifier"},
		{runEval, []string{"--images", data, "--classifier", ck, "--out", out, "--attack", "bim"}, "bim"},
		{runEval, []string{"--images", data, "--classifier", ck, "--out", out, "--attack", "pgd", "--eps", "1/0"}, "--eps"},
		{runEval, []string{"--images", data, "--classifier", ck, "--out", out, "--attack", "pgd", "--steps", "0"}, "steps"},
		{runEval, []string{"--images", data, "--classifier", data, "--out", out}, "tiny.bin"},
	} {
		_, err := runCNNCmd(t, c.f, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed eval wrote %s", out)
	}
}

func TestParsePixelValue(t *testing.T) {
	for s, want := range map[string]float64{"8/255": 8.0 / 255, "0.5": 0.5, " 2 / 4 ": 0.5, "0": 0} {
		if got, err := parsePixelValue("eps", s); err != nil || got != want {
			t.Errorf("%q: %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "a", "1/0", "1/x", "NaN", "Inf"} {
		if _, err := parsePixelValue("eps", s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestBenchCNN(t *testing.T) {
	out, err := runCNNCmd(t, runBench, "--cnn", "--steps", "1", "--iters", "1", "--batch", "16")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"layer=c1 ", "layer=c3 ", "layer=total ", "config=cnn step_ms=", "images_per_s="} {
		if !strings.Contains(out, want) {
			t.Errorf("bench --cnn output lacks %q:\n%s", want, out)
		}
	}
}
