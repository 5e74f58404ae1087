package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/flow/imageflow"
)

func TestTrainImageFlow(t *testing.T) {
	data := tinyCIFAR(t, 40)
	dir := t.TempDir()
	clf := filepath.Join(dir, "cnn.mfl")
	if err := cnn.New(1).Save(clf, nil); err != nil {
		t.Fatal(err)
	}
	ck := filepath.Join(dir, "iflow.mfl")
	args := []string{"--images", data, "--split", "all", "--eval-split", "all", "--latent", "4", "--hidden", "4", "--layers", "2",
		"--epochs", "1", "--batch", "16", "--classifier", clf, "--out", ck}
	out, err := runCNNCmd(t, runTrainImageFlow, args...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"eval_mse=", "chart_eval_mse=", "wrote " + ck, "d=4 clean_acc=", "mflow_acc=", "pca_acc="} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	m, err := imageflow.Load(ck)
	if err != nil {
		t.Fatal(err)
	}
	if m.Cfg.D != 4 || m.Info.Epochs != 1 {
		t.Errorf("checkpoint holds %+v, %+v", m.Cfg, m.Info)
	}
	out2 := filepath.Join(dir, "again.mfl")
	if _, err := runCNNCmd(t, runTrainImageFlow, append(args[:len(args)-1], out2)...); err != nil {
		t.Fatal(err)
	}
	m2, err := imageflow.Load(out2)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range m.P {
		if m2.P[i] != v {
			t.Fatal("the same seed trained different parameters")
		}
	}
	// a time budget becomes a number of epochs, and the run says which
	budget := filepath.Join(dir, "budget.mfl")
	var stderr strings.Builder
	env := &Env{Ctx: context.Background(), Stdout: &strings.Builder{}, Stderr: &stderr}
	if err := runTrainImageFlow(env, append(args[:len(args)-4], "--minutes", "0.05", "--out", budget)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "reproduces this run") {
		t.Errorf("--minutes does not say which --epochs reproduces the run:\n%s", stderr.String())
	}
	if mb, err := imageflow.Load(budget); err != nil || mb.Info.Epochs < 1 {
		t.Errorf("--minutes run: %v, %+v", err, mb)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--images", data, "--out", ck}, "need --latent"},
		{[]string{"--images", data, "--latent", "3072", "--out", ck}, "manifold dimension"},
		{[]string{"--images", data, "--latent", "8", "--layers", "1", "--out", ck}, "layers"},
		{[]string{"--images", data, "--latent", "8", "--minutes", "-1", "--out", ck}, "--minutes"},
		{[]string{"--images", filepath.Join(dir, "absent.bin"), "--latent", "8", "--out", ck}, "absent.bin"},
		{[]string{"--images", data, "--split", "all", "--latent", "60", "--out", ck}, "need more than d"},
	} {
		if _, err := runCNNCmd(t, runTrainImageFlow, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
}
