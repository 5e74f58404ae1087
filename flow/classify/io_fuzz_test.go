package classify

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/mflowlab/mflowlab/internal/fuzzseed"
)

// savedBytes runs save on a path in a temporary folder and returns what it wrote.
func savedBytes(t testing.TB, name string, save func(path string) error) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := save(p); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzLoadAny feeds arbitrary bytes to LoadAny, which reads native .mfl classifiers and
// original PyTorch state_dicts. An error must name the file; a success must be a valid
// classifier with finite parameters that survives Save and Load unchanged.
func FuzzLoadAny(f *testing.F) {
	m, err := New(2, 3, 1, 2, 1)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(savedBytes(f, "a.mfl", m.Save))
	q := *m
	q.Output = SoftmaxQuirk
	f.Add(savedBytes(f, "b.mfl", q.Save))
	pt := savedBytes(f, "c.pt", func(p string) error { return ExportPyTorch(p, &q) })
	f.Add(pt)
	u, err := fuzzseed.Unchecked(pt) // lets mutations reach the pickle and the tensors
	if err != nil {
		f.Fatal(err)
	}
	f.Add(u)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzseed.Input(t, dir, "in.ckpt", data)
		got, err := LoadAny(p)
		if fuzzseed.Rejected(t, err, p) {
			return
		}
		if err := validate(got.In, got.Width, got.Depth, got.Classes); err != nil || len(got.P) != got.Layout.Len {
			t.Fatalf("loaded an invalid classifier: %v, %d parameters for %d", err, len(got.P), got.Layout.Len)
		}
		if err := got.Layout.CheckFinite(got.P); err != nil {
			t.Fatalf("loaded non-finite parameters: %v", err)
		}
		if got.Layout.Len > 1<<16 {
			return // keep the round trip cheap
		}
		rp := filepath.Join(dir, "round.mfl")
		if err := got.Save(rp); err != nil {
			t.Fatalf("re-saving: %v", err)
		}
		back, err := Load(rp)
		if err != nil {
			t.Fatalf("re-loading: %v", err)
		}
		if back.In != got.In || back.Width != got.Width || back.Depth != got.Depth || back.Classes != got.Classes ||
			back.Output != got.Output || len(back.P) != len(got.P) {
			t.Fatalf("round trip changed the classifier: %v → %v", got, back)
		}
		for i := range got.P {
			if math.Float32bits(got.P[i]) != math.Float32bits(back.P[i]) {
				t.Fatalf("parameter %d: %v became %v", i, got.P[i], back.P[i])
			}
		}
	})
}
