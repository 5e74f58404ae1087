package cli

import (
	"bytes"
	"context"
	"errors"
	"image/gif"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/app/record"
	"github.com/mflowlab/mflowlab/internal/testref"
)

// runRec runs `mflowlab record` with args and returns its error and output.
func runRec(ctx context.Context, args ...string) (string, error) {
	var out bytes.Buffer
	env := &Env{Ctx: ctx, Stdout: &out, Stderr: &out}
	err := runRecord(env, args)
	return out.String(), err
}

func TestRecordBadFlags(t *testing.T) {
	dir := t.TempDir()
	gifOut := filepath.Join(dir, "a.gif")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--scene", "training"}, "usage"},
		{[]string{"--out", gifOut, "--scene", "nosuch"}, `--scene "nosuch"`},
		{[]string{"--out", gifOut, "--frames", "-5"}, "--frames -5 out of range"},
		{[]string{"--out", gifOut, "--frames", "0"}, "--frames 0 out of range"},
		{[]string{"--out", gifOut, "--fps", "0"}, "--fps 0 out of range"},
		{[]string{"--out", gifOut, "--fps", "60"}, "GIF plays at most 50"},
		{[]string{"--out", gifOut, "--size", "0x0"}, "each side must be between"},
		{[]string{"--out", gifOut, "--size", "100000x100000"}, "each side must be between"},
		{[]string{"--out", gifOut, "--size", "800"}, "want WIDTHxHEIGHT"},
		{[]string{"--out", gifOut, "--steps", "-1"}, "--steps -1 out of range"},
		{[]string{"--out", gifOut, "--scene", "training", "--flow", "x.pt"}, "--flow: the training scene trains its own model"},
		{[]string{"--out", gifOut, "--scene", "levelset", "--flow", filepath.Join(dir, "missing.pt")}, "missing.pt"},
		{[]string{"--out", gifOut, "--classifier", filepath.Join(dir, "missing.ckpt")}, "missing.ckpt"},
		{[]string{"--out", filepath.Join(dir, "nodir", "a.gif"), "--size", "32x32", "--frames", "1", "--steps", "1"}, "does not exist"},
		{[]string{"--out", gifOut, "extra"}, "unexpected arguments"},
		{[]string{"--out", gifOut, "--scene", "levelset", "--range", "0"}, `--range "0"`},
		{[]string{"--out", gifOut, "--scene", "levelset", "--range", "wide"}, `--range "wide"`},
		{[]string{"--out", gifOut, "--scene", "training", "--range", "auto"}, "--range applies to the levelset scene only"},
	} {
		_, err := runRec(context.Background(), c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("record %s: %v, want an error with %q", strings.Join(c.args, " "), err, c.want)
		}
	}
	if got, _ := os.ReadDir(dir); len(got) != 0 {
		t.Errorf("failed commands left %d files behind", len(got))
	}
}

// TestRecordIsDeterministic records the same small scenes twice, as a GIF and as a PNG
// folder, and compares the bytes.
func TestRecordIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--scene", "training", "--size", "48x40", "--frames", "5", "--fps", "20", "--steps", "8", "--seed", "3"}
	for _, out := range []string{"a.gif", "frames"} {
		var outs [2]string
		for k := range outs {
			outs[k] = filepath.Join(dir, string(rune('1'+k))+out)
			msg, err := runRec(context.Background(), append(common, "--out", outs[k])...)
			if err != nil {
				t.Fatalf("%s: %v\n%s", out, err, msg)
			}
			if !strings.Contains(msg, "wrote "+outs[k]) {
				t.Errorf("output does not report the file: %q", msg)
			}
		}
		if out == "a.gif" {
			a, _ := os.ReadFile(outs[0])
			b, _ := os.ReadFile(outs[1])
			if len(a) == 0 || !bytes.Equal(a, b) {
				t.Errorf("two GIF recordings differ (%d and %d bytes)", len(a), len(b))
			}
			g, err := gif.DecodeAll(bytes.NewReader(a))
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Image) != 5 || g.Config.Width != 48 || g.Config.Height != 40 || g.Delay[0] != 5 || g.LoopCount != 0 {
				t.Errorf("GIF: %d frames %d×%d, delay %d, loop %d; want 5 frames 48×40, delay 5, loop 0",
					len(g.Image), g.Config.Width, g.Config.Height, g.Delay[0], g.LoopCount)
			}
			continue
		}
		for i := 0; i < 5; i++ {
			a, err := os.ReadFile(filepath.Join(outs[0], record.FrameName(i)))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(filepath.Join(outs[1], record.FrameName(i)))
			if !bytes.Equal(a, b) {
				t.Errorf("PNG frame %d differs between two recordings", i)
			}
		}
		if ents, _ := os.ReadDir(outs[0]); len(ents) != 5 {
			t.Errorf("PNG folder holds %d files, want 5", len(ents))
		}
	}
}

func TestRecordWithFlowAndCancel(t *testing.T) {
	flowPath, clfPath, _ := sweepFixtures(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "p.gif")
	msg, err := runRec(context.Background(), "--scene", "projection", "--flow", flowPath, "--classifier", clfPath,
		"--size", "40x40", "--frames", "3", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
	// A cancelled context (Ctrl-C) stops the recording and leaves nothing behind.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out2 := filepath.Join(dir, "q.gif")
	_, err = runRec(ctx, "--scene", "levelset", "--flow", flowPath, "--size", "40x40", "--frames", "3", "--out", out2)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled recording: %v, want context.Canceled", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("after the cancelled recording the folder holds %d entries, want only p.gif", len(ents))
	}
}

func TestFindReference(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "reference", "checkpoints")
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(p, "spiral_mflow_D.pt"), []byte("x"), 0o644)
	t.Setenv(testref.EnvVar, dir)
	if got := findReference(referenceFlow); got != filepath.Join(p, "spiral_mflow_D.pt") {
		t.Errorf("findReference = %q", got)
	}
	t.Setenv(testref.EnvVar, t.TempDir())
	if got := findReference(referenceFlow); got != "" && strings.HasPrefix(got, os.Getenv(testref.EnvVar)) {
		t.Errorf("findReference found %q in an empty folder", got)
	}
}

// TestRecordLevelSetRange checks --range: the default sweeps v = c over ±2.2 (the same
// frames as --range 2.2), auto picks the flow's own range.
func TestRecordLevelSetRange(t *testing.T) {
	flowPath, _, _ := sweepFixtures(t)
	dir := t.TempDir()
	var files [3][]byte
	for i, extra := range [][]string{nil, {"--range", "2.2"}, {"--range", "auto"}} {
		out := filepath.Join(dir, string(rune('a'+i))+".gif")
		args := append([]string{"--scene", "levelset", "--flow", flowPath, "--size", "40x40", "--frames", "4", "--out", out}, extra...)
		if msg, err := runRec(context.Background(), args...); err != nil {
			t.Fatalf("%v\n%s", err, msg)
		}
		files[i], _ = os.ReadFile(out)
	}
	if len(files[0]) == 0 || !bytes.Equal(files[0], files[1]) {
		t.Error("the default levelset differs from --range 2.2")
	}
	if bytes.Equal(files[0], files[2]) {
		t.Error("--range auto gives the same GIF as ±2.2")
	}
}
