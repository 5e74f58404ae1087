package cli

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestGalleryCommand(t *testing.T) {
	data, ck := imageSweepFixtures(t) // 12 eval images
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	base := []string{"--images", data, "--classifier", ck, "--defence", "pca:8", "--pca-cache", cache}
	counts := regexp.MustCompile(`images=(\d+) .*A=(\d+) B=(\d+) C=(\d+) D=(\d+)`)
	var first []byte
	for i, extra := range [][]string{
		{"--attack", "pgd", "--steps", "2", "--n", "5", "--acc-n", "8", "--columns", "2", "--scale", "2"},
		{"--attack", "pgd", "--steps", "2", "--n", "5", "--acc-n", "8", "--columns", "2", "--scale", "2"}, // same again
		{"--attack", "fgsm", "--adaptive", "--n", "4", "--acc-n", "0", "--offset", "10"},                  // only 2 left
	} {
		out := filepath.Join(dir, "sheet"+strconv.Itoa(i)+".png")
		stdout, err := runCNNCmd(t, runGallery, append(append([]string{}, base...), append(extra, "--out", out)...)...)
		if err != nil {
			t.Fatalf("%v: %v", extra, err)
		}
		m := counts.FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("%v: output lacks the accuracy line:\n%s", extra, stdout)
		}
		n, _ := strconv.Atoi(m[1])
		sum := 0
		for _, s := range m[2:] {
			c, _ := strconv.Atoi(s)
			sum += c
		}
		want := 8
		if i == 2 {
			want = 2
		}
		if n != want || sum != want {
			t.Errorf("%v: images=%d, cases sum to %d, want %d", extra, n, sum, want)
		}
		raw, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%v: %v", extra, err)
		}
		if b := img.Bounds(); b.Dx() < 2*4*64 || b.Dy() < 3*64 {
			t.Errorf("%v: sheet %v too small for 2 columns of 4 tiles at scale 2", extra, b)
		}
		switch i {
		case 0:
			first = raw
		case 1:
			if !bytes.Equal(raw, first) {
				t.Error("the same seed drew a different sheet")
			}
		}
	}
}

func TestGalleryErrors(t *testing.T) {
	data, ck := imageSweepFixtures(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "g.png")
	base := []string{"--images", data, "--classifier", ck, "--defence", "pca:8", "--pca-cache", filepath.Join(dir, "cache"), "--out", out}
	corrupt := filepath.Join(dir, "bad.bin")
	if err := os.WriteFile(corrupt, make([]byte, 3073*2+5), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", filepath.Join(dir, "g.svg")}, "only PNG"},
		{[]string{"--n", "0"}, "--n 0"},
		{[]string{"--acc-n", "-1"}, "--acc-n -1"},
		{[]string{"--offset", "12"}, "only 12 images"},
		{[]string{"--offset", "-1"}, "--offset -1"},
		{[]string{"--scale", "0"}, "--scale 0"},
		{[]string{"--columns", "0"}, "--columns 0"},
		{[]string{"--attack", "fgsm", "--steps", "3"}, "not fgsm"},
		{[]string{"--attack", "cw"}, "unknown attack"},
		{[]string{"--eps", "8/0"}, "fraction like 8/255"},
		{[]string{"--defence", "zca:3"}, "want pca:D"},
		{[]string{"--images", corrupt}, "bad.bin"},
		{[]string{"--classifier", corrupt}, "bad.bin"},
	} {
		args := append(append([]string{}, base...), c.args...)
		_, err := runCNNCmd(t, runGallery, args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed run left %s behind", out)
	}
}
