package freelist

import (
	"sync"
	"testing"
)

func TestReuseAndBound(t *testing.T) {
	made := 0
	l := New(2, func() *int { made++; v := made; return &v })
	a, b, c := l.Get(), l.Get(), l.Get()
	if made != 3 || *a != 1 || *b != 2 || *c != 3 {
		t.Fatalf("made %d objects %d %d %d, want 3 new ones", made, *a, *b, *c)
	}
	l.Put(a)
	l.Put(b)
	l.Put(c) // beyond the bound: dropped
	if d, e := l.Get(), l.Get(); d != b || e != a {
		t.Fatal("idle objects are not handed out again, newest first")
	}
	if f := l.Get(); *f != 4 {
		t.Fatalf("got object %d after the idle ones, want a new one (4)", *f)
	}
}

func TestConcurrent(t *testing.T) {
	var mu sync.Mutex
	made := 0
	l := New(4, func() *[]int { mu.Lock(); made++; mu.Unlock(); s := make([]int, 8); return &s })
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				v := l.Get()
				(*v)[0]++
				l.Put(v)
			}
		}()
	}
	wg.Wait()
	if made > 8 {
		t.Fatalf("%d objects made for 8 goroutines", made)
	}
}
