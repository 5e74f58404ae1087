package app

import (
	"bytes"
	"context"
	"image"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/app/cli"
	"github.com/mflowlab/mflowlab/app/shell"
)

func testEnv() (*cli.Env, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &cli.Env{Ctx: context.Background(), Stdout: &out, Stderr: &errb}, &out
}

func TestBenchLearnFlags(t *testing.T) {
	env, _ := testEnv()
	f, err := parseLearnFlags(env, nil)
	if err != nil || len(f.seeds) != 10 || f.seeds[0] != 1 || f.timeout != time.Minute || f.size != image.Pt(1280, 800) {
		t.Fatalf("defaults: %+v, %v", f, err)
	}
	f, err = parseLearnFlags(env, []string{"--seeds", "3,5-6", "--timeout", "40s", "--size", "800x600"})
	if err != nil || len(f.seeds) != 3 || f.seeds[2] != 6 || f.timeout != 40*time.Second || f.size != image.Pt(800, 600) {
		t.Fatalf("flags: %+v, %v", f, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--seeds", "5-1"}, "--seeds"},
		{[]string{"--seeds", ""}, "--seeds"},
		{[]string{"--timeout", "0s"}, "--timeout"},
		{[]string{"--timeout", "soon"}, "timeout"},
		{[]string{"--size", "10x10"}, "--size"},
		{[]string{"extra"}, "unexpected"},
	} {
		if _, err := parseLearnFlags(env, c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one naming %s", c.args, err, c.want)
		}
	}
}

// TestBenchLearnTinyRun runs one seed for a few seconds in the headless window and checks
// the output's shape (whether it learns in that time does not matter).
func TestBenchLearnTinyRun(t *testing.T) {
	if testing.Short() {
		t.Skip("headless window run skipped in -short mode")
	}
	if o, err := shell.NewOffscreen(image.Pt(800, 500)); err != nil {
		t.Skipf("no headless GPU (EGL): %v", err)
	} else {
		o.Close()
	}
	env, out := testEnv()
	if err := runBenchLearn(env, []string{"--seeds", "2", "--timeout", "4s", "--size", "800x500"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	seed := regexp.MustCompile(`^seed=2 (learned_secs=[0-9.]+ learned_step=\d+|not learned within 4s: steps=\d+)( verdict=\w+ d2m95=[0-9.]+ m2d95core=[0-9.]+)?$`)
	sum := regexp.MustCompile(`^learn_secs_median=(NA|[0-9.]+) learned=[01]/1 frame_ms=[0-9.]+$`)
	if len(lines) != 2 || !seed.MatchString(lines[0]) || !sum.MatchString(lines[1]) {
		t.Fatalf("output:\n%s", out)
	}
}
