package app

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"

	"github.com/mflowlab/mflowlab/app/ws/runs"
)

// benchGrid returns the Runs setup of bench --frame --grid ROWSxCOLS: the default grid's
// recipes row by row in turn, seeds 1 to ROWS·COLS.
func benchGrid(s string) (*runs.Setup, error) {
	r, c, ok := strings.Cut(strings.ToLower(s), "x")
	rows, err1 := strconv.Atoi(r)
	cols, err2 := strconv.Atoi(c)
	if !ok || err1 != nil || err2 != nil {
		return nil, fmt.Errorf("--grid %q: want ROWSxCOLS, e.g. 4x4", s)
	}
	setup := runs.DefaultSetup()
	recipes := setup.Rows
	setup.Rows = nil
	for i := range max(0, min(rows, 64)) {
		setup.Rows = append(setup.Rows, recipes[i%len(recipes)])
	}
	setup.Cols = cols
	setup.Seeds = fmt.Sprintf("1-%d", max(1, rows*cols))
	if err := setup.Check(); err != nil {
		return nil, fmt.Errorf("--grid %q: %w", s, err)
	}
	return &setup, nil
}

// memoryReport returns the process's memory at the end of a benchmark: resident now and at
// its peak (Linux; "NaN" elsewhere) and the Go heap's live bytes after the last collection.
func memoryReport() string {
	rss, peak := procStatusMB("VmRSS"), procStatusMB("VmHWM")
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	live := float64(-1)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		live = float64(sample[0].Value.Uint64()) / (1 << 20)
	}
	return fmt.Sprintf(" rss_mb=%.0f peak_rss_mb=%.0f heap_live_mb=%.0f", rss, peak, live)
}

// procStatusMB reads a kB field of /proc/self/status in MiB; NaN when it cannot.
func procStatusMB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return math.NaN()
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
		if err != nil {
			return math.NaN()
		}
		return kb / 1024
	}
	return math.NaN()
}
