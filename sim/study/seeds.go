package study

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxSeeds bounds the number of seeds one list may name.
const MaxSeeds = 1_000_000

// ParseSeeds parses a seed list such as "1-10,20,30-32": comma-separated seeds and inclusive
// ranges lo-hi, in the order given. Errors name the offending item; an empty list, a
// reversed range or a seed named twice is an error.
func ParseSeeds(s string) ([]uint64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty seed list (want e.g. 1-10,20,30-32)")
	}
	var out []uint64
	seen := make(map[uint64]bool)
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		lo, hi, isRange := strings.Cut(item, "-")
		a, err := parseSeed(lo, item)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = parseSeed(hi, item); err != nil {
				return nil, err
			}
			if b < a {
				return nil, fmt.Errorf("seed range %q runs backwards", item)
			}
		}
		if b-a >= MaxSeeds || len(out)+int(b-a+1) > MaxSeeds {
			return nil, fmt.Errorf("seed list %q names more than %d seeds", s, MaxSeeds)
		}
		for v := a; ; v++ {
			if seen[v] {
				return nil, fmt.Errorf("seed %d is named twice in %q", v, s)
			}
			seen[v] = true
			out = append(out, v)
			if v == b {
				break
			}
		}
	}
	return out, nil
}

func parseSeed(s, item string) (uint64, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("seed list item %q: %q is not a non-negative integer", item, s)
	}
	return v, nil
}

// Shard is one of Count deterministic shares of a seed list: the k-th seed of the list
// (0-based) belongs to shard k mod Count.
type Shard struct{ Index, Count int }

// All is the shard that holds every seed.
var All = Shard{0, 1}

// ParseShard parses "i/N" with 0 ≤ i < N (for example a Slurm array index or a Kubernetes
// completion index and the number of tasks).
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want i/N, e.g. 0/4", s)
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case err1 != nil || err2 != nil:
		return Shard{}, fmt.Errorf("shard %q: want i/N with integers, e.g. 0/4", s)
	case n < 1:
		return Shard{}, fmt.Errorf("shard %q: N must be at least 1", s)
	case i < 0 || i >= n:
		return Shard{}, fmt.Errorf("shard %q: i must be in 0…%d (shards are numbered from 0)", s, n-1)
	}
	return Shard{i, n}, nil
}

// String returns "i/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Pick returns the seeds of the list that belong to the shard, in list order.
func (s Shard) Pick(seeds []uint64) []uint64 {
	var out []uint64
	for k, v := range seeds {
		if k%s.Count == s.Index {
			out = append(out, v)
		}
	}
	return out
}
