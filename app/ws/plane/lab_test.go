package plane

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
)

// TestSaveFlowAndClassifierAsPyTorch saves the shown flow and the default classifier in the
// original .pt format from the lab and reads them back with the importers.
func TestSaveFlowAndClassifierAsPyTorch(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	fp, cp := filepath.Join(dir, "flow.pt"), filepath.Join(dir, "clf.pt")
	f, _ := h.p.lab.Flow()
	h.p.lab.SaveFlow(fp)
	waitStatus(t, h, "saved the flow to "+fp)
	got, err := flow.ImportPyTorch(fp)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cfg != f.Cfg || len(got.P) != len(f.P) {
		t.Fatalf("read back %v with %d weights, saved %v with %d", got.Cfg, len(got.P), f.Cfg, len(f.P))
	}
	for i := range f.P {
		if got.P[i] != f.P[i] {
			t.Fatalf("weight %d: read back %v, saved %v", i, got.P[i], f.P[i])
		}
	}
	clf := h.p.lab.clf
	h.p.lab.SaveClassifier(cp)
	if clf.Output == classify.Logits {
		// The native recipe has no original form: the user is told to save as .mfl.
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) && !h.statusErr() {
			h.Frame()
			time.Sleep(5 * time.Millisecond)
		}
		if !h.statusErr() || !strings.Contains(h.statusText(), ".mfl") {
			t.Fatalf("saving a native classifier as .pt: status %q, want an error pointing to .mfl", h.statusText())
		}
		return
	}
	waitStatus(t, h, "saved the classifier to "+cp)
	back, err := classify.LoadAny(cp)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.P) != len(clf.P) {
		t.Fatalf("read back %d classifier weights, saved %d", len(back.P), len(clf.P))
	}
}
