package plane

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gioui.org/f32"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
)

// TestBrowseButtonsOpenTheBrowser checks that the Data and Models sections' Browse buttons
// open the shell's file browser for their path fields, and that the browser covers the
// plane: no shortcut and no click reaches it while it is open.
func TestBrowseButtonsOpenTheBrowser(t *testing.T) {
	h := newHarness(t)
	h.Size.X, h.Size.Y = 1200, 800
	h.Frame()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "b.csv"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	h.p.panel.data.path.SetText(dir)
	h.p.panel.data.browse.Click()
	h.Frame()
	h.Frame()
	fb := h.U.Browser()
	if !fb.Shown() || fb.Target() != &h.p.panel.data.path || fb.Kind().Title != browseData.Title || fb.Dir() != dir {
		t.Fatalf("Data › Browse: shown %v in %q (want %q)", fb.Shown(), fb.Dir(), dir)
	}
	if !slices.Contains(fb.Rows(), "b.csv") {
		t.Fatalf("rows %q: want b.csv", fb.Rows())
	}
	sel, layers := h.p.pv.probes.selected, h.p.pv.layers
	for _, k := range []key.Name{"6", key.NameDeleteForward} {
		h.press(k) // shortcuts are off while the browser is open
	}
	if h.p.pv.layers != layers || h.p.pv.probes.selected != sel || len(h.p.pv.probes.list) != 4 {
		t.Fatal("a shortcut reached the plane through the open browser")
	}
	h.pointer(pointer.Press, f32.Pt(20, 300), pointer.ButtonPrimary)
	h.pointer(pointer.Release, f32.Pt(20, 300), 0)
	h.Frame()
	if n := len(h.p.pv.probes.list); n != 4 || !fb.Shown() {
		t.Fatalf("a click beside the card: %d probes, shown %v", n, fb.Shown())
	}
	h.press(key.NameEscape)
	h.Frame()
	if fb.Shown() || h.p.pv.probes.selected != sel {
		t.Fatalf("Escape: shown %v, probe selection %d (want %d kept)", fb.Shown(), h.p.pv.probes.selected, sel)
	}
	h.press("6")
	if h.p.pv.layers == layers {
		t.Fatal("shortcuts stay off after the browser closed")
	}
	h.p.panel.models.browse.Click()
	h.Frame()
	if !fb.Shown() || fb.Target() != &h.p.panel.models.path || fb.Kind().Title != browseModels.Title {
		t.Fatalf("Models › Browse: shown %v, kind %q", fb.Shown(), fb.Kind().Title)
	}
}
