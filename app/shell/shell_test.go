package shell

import (
	"testing"
	"time"
)

func TestLimiterCoalescesCalls(t *testing.T) {
	calls := make(chan struct{}, 100)
	l := NewLimiter(func() { calls <- struct{}{} }, time.Hour)
	for range 10 {
		l.Call()
	}
	if n := len(calls); n != 1 {
		t.Fatalf("%d calls went through at once, want 1 (the rest trail)", n)
	}
	l2 := NewLimiter(func() { calls <- struct{}{} }, time.Millisecond)
	<-calls
	l2.Call()
	l2.Call() // inside the interval: trails
	<-calls
	<-calls // the trailing call arrives
}
