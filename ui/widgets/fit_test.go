package widgets

import (
	"strings"
	"testing"
)

func TestFitStartKeepsTheEnd(t *testing.T) {
	fc := NewFonts().Face(Mono, 12)
	s := "/home/someone/projects/mflowlab/data/spirals"
	if got := fc.FitStart(s, fc.Measure(s)); got != s {
		t.Fatalf("FitStart shortened a string that fits: %q", got)
	}
	w := fc.Measure("…/data/spirals")
	got := fc.FitStart(s, w)
	if got != "…/data/spirals" {
		t.Fatalf("FitStart(%d px) = %q, want %q", w, got, "…/data/spirals")
	}
	if half := fc.FitStart(s, w/2); !strings.HasPrefix(half, "…") || !strings.HasSuffix(s, strings.TrimPrefix(half, "…")) || fc.Measure(half) > w/2 {
		t.Fatalf("FitStart(%d px) = %q, want a leading ellipsis and the end of the path", w/2, half)
	}
	if got := fc.FitStart(s, 1); got != "" {
		t.Fatalf("FitStart into 1 px = %q, want empty", got)
	}
}
