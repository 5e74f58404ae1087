package osprio

import (
	"runtime"
	"syscall"
	"testing"
)

func TestGoRunsOnABackgroundThread(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("thread priorities are only changed on Linux")
	}
	niceOf := func(tid int) int {
		p, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
		if err != nil {
			t.Fatal(err)
		}
		return 20 - p
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	mine := niceOf(syscall.Gettid())
	got := make(chan [2]int)
	Go(func() {
		tid := syscall.Gettid()
		got <- [2]int{tid, niceOf(tid)}
	})
	r := <-got
	if want := Nice; r[1] != want {
		t.Errorf("nice in Go = %d, want %d", r[1], want)
	}
	if n := niceOf(syscall.Gettid()); n != mine {
		t.Errorf("the caller's nice changed from %d to %d", mine, n)
	}
}
