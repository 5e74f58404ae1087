package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestBar(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "train", 10)
	clock := b.start
	b.now = func() time.Time { return clock }
	clock = clock.Add(time.Second)
	b.Update(5, "loss=1")
	if !strings.Contains(buf.String(), " 50.0% loss=1 ETA 1s") {
		t.Errorf("half-way line: %q", buf.String())
	}
	b.Done("ok")
	if !strings.Contains(buf.String(), "100.0% ok ETA 0s") || !strings.HasSuffix(buf.String(), "\n") {
		t.Errorf("final line: %q", buf.String())
	}
}
