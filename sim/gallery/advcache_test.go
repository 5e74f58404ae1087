package gallery

import (
	"context"
	"slices"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
)

func TestAdvCacheDropsLeastRecentlyUsed(t *testing.T) {
	c := newAdvCache(3 * 4 * 10) // three 10-value blocks
	m := func(v float32) nn.Mat {
		x := nn.NewMat(2, 5)
		for i := range x.Data {
			x.Data[i] = v
		}
		return x
	}
	c.put("a", m(1))
	c.put("b", m(2))
	c.put("c", m(3))
	if _, ok := c.get("a"); !ok { // a is now the most recent
		t.Fatal("a missing")
	}
	c.put("d", m(4)) // drops b
	for key, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if x, ok := c.get(key); ok != want || (ok && x.Data[0] != map[string]float32{"a": 1, "c": 3, "d": 4}[key]) {
			t.Errorf("%s: present %v, want %v", key, ok, want)
		}
	}
	if c.size != 3*40 || c.order.Len() != 3 {
		t.Errorf("size %d bytes in %d blocks", c.size, c.order.Len())
	}
	var nilCache *advCache
	nilCache.put("x", m(1))
	if _, ok := nilCache.get("x"); ok {
		t.Error("a nil cache returned a block")
	}
}

func TestEngineReusesAttacksWhenSettingsComeBack(t *testing.T) {
	data := tinyCIFAR(t, 150)
	ck, _ := tinyCNN(t)
	e, ch := watch(t, "")
	a := Settings{Images: data, Classifier: ck, Defence: "pca:6", Attack: pgd(8, 2), Pool: 24, Seed: 3}
	b := a
	b.Defence = "pca:3"
	ready := func(s Settings) func(*Snapshot) bool {
		return func(snap *Snapshot) bool {
			return snap.Err != nil || (snap.Settings == Normalised(s) && len(snap.Samples) > 0 && snap.Done == len(snap.Samples))
		}
	}
	e.Apply(a)
	first := waitFor(t, e, ch, waitLong, "settings a", ready(a))
	e.Apply(b)
	other := waitFor(t, e, ch, waitLong, "settings b", ready(b))
	e.Apply(a)
	again := waitFor(t, e, ch, waitLong, "settings a again", ready(a))
	for _, s := range []*Snapshot{first, other, again} {
		if s.Err != nil {
			t.Fatal(s.Err)
		}
	}
	for i := range first.Samples {
		f, o, g := &first.Samples[i], &other.Samples[i], &again.Samples[i]
		// The non-adaptive attack does not see the defence.
		if !slices.Equal(f.Plain.Adv, o.Plain.Adv) {
			t.Fatalf("sample %d: the non-adaptive attack changed with the defence", i)
		}
		if !slices.Equal(f.Plain.Adv, g.Plain.Adv) || !slices.Equal(f.Adaptive.Adv, g.Adaptive.Adv) || f.Adaptive.ProjProbs != g.Adaptive.ProjProbs || f.Plain.Case != g.Plain.Case {
			t.Fatalf("sample %d differs when the settings come back", i)
		}
	}
	if first.Acc != again.Acc {
		t.Errorf("accuracy %+v, then %+v", first.Acc, again.Acc)
	}
	// Detail agrees with a recomputation without the cache.
	d, err := e.Detail(context.Background(), 5, 3.0/255, true)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := e.Detail(context.Background(), 5, 3.0/255, true) // from the cache
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	v := *e.view
	e.mu.Unlock()
	v.advs = nil
	d3, err := recompute(context.Background(), &v, 5, 3.0/255, true)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Adaptive.Adv, d2.Adaptive.Adv) || !slices.Equal(d.Adaptive.Adv, d3.Adaptive.Adv) || d.Plain.AdvProbs != d3.Plain.AdvProbs {
		t.Error("Detail from the cache differs from a fresh computation")
	}
}
