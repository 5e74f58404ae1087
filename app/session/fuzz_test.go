package session

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/internal/fuzzseed"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// tinySession is a small valid session for fuzz seeds: a tiny flow and classifier and,
// with points, a four-point data set.
func tinySession(t testing.TB, points bool) *Session {
	t.Helper()
	f, err := flow.New(flow.Config{N: 2, D: 1, Steps: 1, Hidden: 2, Blocks: 0, Bins: 2, TailBound: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	c, err := classify.New(2, 2, 0, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	s := &Session{
		Settings: run.DefaultSettings(),
		Probes:   [][2]float64{{0.1, -0.2}},
		Attack:   attack.Params{Kind: attack.PGD, Eps: 0.2, Alpha: 0.01, Steps: 3, Seed: 9},
		Layers:   plane.LayerBoundary | plane.LayerProbes,
		View:     plane.Viewport{Center: [2]float64{0.25, -1}, Scale: 100, W: 64, H: 48},
		Flow:     f,
		FlowInfo: map[string]string{"step": "42"},
		Clf:      c,
		ClfName:  "tiny",
	}
	if points {
		s.Points = &spirals.Dataset{X: []float32{0.5, -1, 1.0 / 3, 2, 0, 0, -1, 1}, Y: []int32{0, 1, 1, 0}, Source: "p.csv"}
	} else {
		s.Gen = &DataGen{N: 100, Noise: 3, Rotations: 1.2, Seed: 1}
	}
	return s
}

// savedSession returns the bytes Save writes for s.
func savedSession(t testing.TB, s *Session) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "seed.mflsession")
	if err := Save(p, s); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameBits compares float32 slices bit for bit.
func sameBits(a, b []float32) bool {
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

// FuzzLoad feeds arbitrary bytes to Load. An error must name the file; a loaded session
// must save, and what it saves must load to the same weights and save to the same bytes.
func FuzzLoad(f *testing.F) {
	for _, points := range []bool{false, true} {
		b := savedSession(f, tinySession(f, points))
		f.Add(b)
		u, err := fuzzseed.Unchecked(b) // lets mutations reach session.json and the members
		if err != nil {
			f.Fatal(err)
		}
		f.Add(u)
	}
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzseed.Input(t, dir, "in.mflsession", data)
		s, err := Load(p)
		if fuzzseed.Rejected(t, err, p) {
			return
		}
		if len(s.Flow.P) > 1<<16 || s.Points != nil && s.Points.N() > 1<<14 {
			return // keep the round trip cheap
		}
		if s.Gen == nil && s.Points == nil {
			t.Fatal("loaded a session without data")
		}
		r1, r2 := filepath.Join(dir, "r1.mflsession"), filepath.Join(dir, "r2.mflsession")
		if err := Save(r1, s); err != nil {
			t.Fatalf("re-saving: %v", err)
		}
		back, err := Load(r1)
		if err != nil {
			t.Fatalf("re-loading: %v", err)
		}
		if !sameBits(back.Flow.P, s.Flow.P) || !sameBits(back.Clf.P, s.Clf.P) {
			t.Fatal("round trip changed the weights")
		}
		if err := Save(r2, back); err != nil {
			t.Fatalf("saving the re-loaded session: %v", err)
		}
		b1, _ := os.ReadFile(r1)
		b2, _ := os.ReadFile(r2)
		if !bytes.Equal(b1, b2) {
			t.Fatal("saving a re-loaded session gives other bytes")
		}
	})
}
