package flow

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/fuzzseed"
)

// tinyFlow is a small M-Flow for seeds: a few hundred parameters.
func tinyFlow(t testing.TB) *MFlow {
	t.Helper()
	m, err := New(Config{N: 2, D: 1, Steps: 2, Hidden: 3, Blocks: 1, Bins: 2, TailBound: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fileBytes runs save on a path in a temporary folder and returns what it wrote.
func fileBytes(t testing.TB, name string, save func(path string) error) []byte {
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

// sameFloats compares bit for bit.
func sameFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// FuzzLoadCheckpoint feeds arbitrary bytes to LoadCheckpoint, which reads native .mfl files
// and original PyTorch state_dicts. An error must name the file; a success must be a valid
// M-Flow with finite parameters that survives Save and LoadCheckpoint unchanged.
func FuzzLoadCheckpoint(f *testing.F) {
	m := tinyFlow(f)
	adam := nn.NewAdam(len(m.P))
	adam.Step = 3
	f.Add(fileBytes(f, "a.mfl", (&Checkpoint{Flow: m, Adam: adam, Info: map[string]string{"seed": "1"}}).Save))
	f.Add(fileBytes(f, "b.mfl", (&Checkpoint{Flow: m}).Save))
	pt := fileBytes(f, "c.pt", func(p string) error { return ExportPyTorch(p, m) })
	f.Add(pt)
	u, err := fuzzseed.Unchecked(pt) // lets mutations reach the pickle and the tensors
	if err != nil {
		f.Fatal(err)
	}
	f.Add(u)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzseed.Input(t, dir, "in.ckpt", data)
		c, err := LoadCheckpoint(p)
		if fuzzseed.Rejected(t, err, p) {
			return
		}
		if err := c.Flow.Cfg.Validate(); err != nil || len(c.Flow.P) != c.Flow.Layout.Len {
			t.Fatalf("loaded an invalid flow: %v, %d parameters for %d", err, len(c.Flow.P), c.Flow.Layout.Len)
		}
		if err := c.Flow.Layout.CheckFinite(c.Flow.P); err != nil {
			t.Fatalf("loaded non-finite parameters: %v", err)
		}
		if c.Flow.Layout.Len > 1<<16 {
			return // keep the round trip cheap
		}
		rp := filepath.Join(dir, "round.mfl")
		if err := c.Save(rp); err != nil {
			t.Fatalf("re-saving: %v", err)
		}
		back, err := LoadCheckpoint(rp)
		if err != nil {
			t.Fatalf("re-loading: %v", err)
		}
		if back.Flow.Cfg != c.Flow.Cfg || !sameFloats(back.Flow.P, c.Flow.P) {
			t.Fatalf("round trip changed the flow")
		}
		for i := range c.Flow.Perms {
			if !reflect.DeepEqual(back.Flow.Perms[i].P, c.Flow.Perms[i].P) {
				t.Fatalf("round trip changed permutation %d", i)
			}
		}
		if (back.Adam == nil) != (c.Adam == nil) || c.Adam != nil && (back.Adam.Step != c.Adam.Step ||
			!sameFloats(back.Adam.M, c.Adam.M) || !sameFloats(back.Adam.V, c.Adam.V)) {
			t.Fatalf("round trip changed the optimiser state")
		}
	})
}
