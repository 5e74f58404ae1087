package study

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/flow"
)

func TestThroughputCountsEveryRunsSteps(t *testing.T) {
	spec := tinySpec(t, "geodesic")
	one, err := Throughput(context.Background(), spec, []uint64{1}, nil, 5, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	m, err := flow.New(spec.Settings.Flow, 9)
	if err != nil {
		t.Fatal(err)
	}
	two, err := Throughput(context.Background(), spec, []uint64{1, 2}, []*flow.MFlow{m, m}, 5, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	// a tiny flow's step takes well under a millisecond
	if one < 100 || two < 100 {
		t.Fatalf("throughput %.0f (one run), %.0f (two runs) steps/s: too slow to be counting steps", one, two)
	}
}

func TestThroughputRejectsWhatCannotBeMeasured(t *testing.T) {
	spec := tinySpec(t, "original") // its epochs end after a few dozen steps
	spec.Settings.Train.Epochs = 1
	for _, c := range []struct {
		seeds []uint64
		skip  int
		d     time.Duration
		want  string
	}{
		{nil, 0, time.Second, "throughput of 0 runs"},
		{[]uint64{1}, -1, time.Second, "skip"},
		{[]uint64{1}, 0, 0, "positive time"},
		{[]uint64{1, 2}, 10_000, time.Second, "finished its epochs"},
	} {
		_, err := Throughput(context.Background(), spec, c.seeds, nil, c.skip, c.d)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("seeds %v skip %d for %v: error %v, want one saying %q", c.seeds, c.skip, c.d, err, c.want)
		}
	}
	m, err := flow.New(spec.Settings.Flow, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Throughput(context.Background(), spec, []uint64{1, 2}, []*flow.MFlow{m}, 0, time.Second); err == nil || !strings.Contains(err.Error(), "from 1 flows") {
		t.Errorf("two runs from one flow: error %v", err)
	}
	other := spec.Settings.Flow
	other.Hidden++
	if m2, err := flow.New(other, 3); err != nil {
		t.Fatal(err)
	} else if _, err := Throughput(context.Background(), spec, []uint64{1}, []*flow.MFlow{m2}, 0, time.Second); err == nil || !strings.Contains(err.Error(), "architecture") {
		t.Errorf("a flow of another architecture: error %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Throughput(ctx, tinySpec(t, "geodesic"), []uint64{1}, nil, 0, time.Second); err == nil {
		t.Error("a cancelled context gave no error")
	}
}
