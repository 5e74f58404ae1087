// Package progress draws a one-line progress bar with rate and ETA on a terminal.
package progress

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Bar is a single-line progress display. It redraws at most ten times a second.
type Bar struct {
	w       io.Writer
	label   string
	total   float64
	start   time.Time
	last    time.Time
	lastLen int
	now     func() time.Time
}

// New returns a bar for total units of work written to w (typically os.Stderr).
func New(w io.Writer, label string, total float64) *Bar {
	b := &Bar{w: w, label: label, total: total, now: time.Now}
	b.start = b.now()
	return b
}

// Update shows done units out of total with an extra status text (losses, rates, …).
func (b *Bar) Update(done float64, status string) {
	t := b.now()
	if t.Sub(b.last) < 100*time.Millisecond && done < b.total {
		return
	}
	b.last = t
	frac := 0.0
	if b.total > 0 {
		frac = min(1, done/b.total)
	}
	const width = 24
	n := int(frac * width)
	bar := strings.Repeat("█", n) + strings.Repeat("░", width-n)
	eta := "--"
	if el := t.Sub(b.start); frac > 0 && frac < 1 {
		eta = (time.Duration(float64(el)/frac) - el).Round(time.Second).String()
	} else if frac >= 1 {
		eta = "0s"
	}
	line := fmt.Sprintf("\r%s %s %5.1f%% %s ETA %s", b.label, bar, 100*frac, status, eta)
	pad := ""
	if l := len([]rune(line)); l < b.lastLen {
		pad = strings.Repeat(" ", b.lastLen-l)
	}
	b.lastLen = len([]rune(line))
	fmt.Fprint(b.w, line+pad)
}

// Done finishes the line.
func (b *Bar) Done(status string) {
	b.last = time.Time{}
	b.Update(b.total, status)
	fmt.Fprintln(b.w)
}

// Elapsed returns the time since the bar was created.
func (b *Bar) Elapsed() time.Duration { return b.now().Sub(b.start) }
