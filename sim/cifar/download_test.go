package cifar

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// randomArchive returns a synthetic official archive of about 370 KB of incompressible
// pixels (so a transfer takes several reads) and its MD5.
func randomArchive(t *testing.T) ([]byte, string) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 8))
	var ms []member
	for i := 1; i <= DataBatches+1; i++ {
		b := make([]byte, 20*RecordSize)
		for k := range b {
			b[k] = byte(r.Uint32())
		}
		for k := 0; k < len(b); k += RecordSize {
			b[k] %= NumClasses
		}
		name := TestBatch
		if i <= DataBatches {
			name = dataBatch(i)
		}
		ms = append(ms, member{name, b})
	}
	data := tarGz(t, ArchiveDir+"/", ms)
	sum := md5.Sum(data)
	return data, hex.EncodeToString(sum[:])
}

// server serves data like a file host, with faults on demand.
type server struct {
	data        []byte
	ignoreRange bool // always answer 200 with the whole file
	cut         int  // this many first requests are cut half-way
	stall       int  // this many first requests stop sending half-way
	status      int  // answer every request with this status

	mu     sync.Mutex
	ranges []string // the Range header of each request
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	n := len(s.ranges)
	s.mu.Unlock()
	if s.status != 0 {
		http.Error(w, http.StatusText(s.status), s.status)
		return
	}
	if n > s.cut && n > s.stall {
		if s.ignoreRange {
			w.Write(s.data)
		} else {
			http.ServeContent(w, r, ArchiveName, time.Time{}, bytes.NewReader(s.data))
		}
		return
	}
	start := 0
	if v, ok := strings.CutPrefix(r.Header.Get("Range"), "bytes="); ok && !s.ignoreRange {
		start, _ = strconv.Atoi(strings.TrimSuffix(v, "-"))
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, len(s.data)-1, len(s.data)))
		w.Header().Set("Content-Length", strconv.Itoa(len(s.data)-start))
		w.WriteHeader(http.StatusPartialContent)
	} else {
		w.Header().Set("Content-Length", strconv.Itoa(len(s.data)))
	}
	w.Write(s.data[start : start+(len(s.data)-start)/2])
	w.(http.Flusher).Flush()
	if n <= s.cut {
		panic(http.ErrAbortHandler) // drop the connection
	}
	select { // stall until the client gives up
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

func (s *server) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...)
}

// start serves s and returns a Download into a fresh folder with the archive's MD5.
func start(t *testing.T, s *server, sum string) (*Download, *[]Progress, *[]string) {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	var prog []Progress
	var logs []string
	d := &Download{
		Dir: filepath.Join(t.TempDir(), "data"), URL: ts.URL + "/" + ArchiveName, MD5: sum, Client: ts.Client(),
		Attempts: 1, RetryDelay: time.Millisecond, StallTimeout: 5 * time.Second,
		Progress: func(p Progress) { prog = append(prog, p) },
		Log:      func(m string) { logs = append(logs, m) },
	}
	return d, &prog, &logs
}

// checkDone checks that the archive is in place, whole, loadable, with no .part left.
func checkDone(t *testing.T, d *Download, res Result, data []byte) {
	t.Helper()
	got, err := os.ReadFile(res.Path)
	if err != nil || !bytes.Equal(got, data) || res.Size != int64(len(data)) {
		t.Fatalf("archive %s: %d bytes (%v), want %d", res.Path, len(got), err, len(data))
	}
	if _, err := os.Stat(res.Path + ".part"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf(".part left behind: %v", err)
	}
	s, err := Load(d.Dir, All)
	if err != nil || s.Len() != 120 {
		t.Fatalf("downloaded folder does not load: %v", err)
	}
}

// TestDownload: a clean download reports growing progress up to the total, leaves a
// loadable archive, and a second run finds it already there.
func TestDownload(t *testing.T) {
	data, sum := randomArchive(t)
	d, prog, _ := start(t, &server{data: data}, sum)
	res, err := d.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, d, res, data)
	if res.Already || res.Resumed || len(*prog) < 3 {
		t.Errorf("result %+v, %d progress reports", res, len(*prog))
	}
	last := int64(-1)
	for _, p := range *prog {
		if p.Done < last || p.Total != int64(len(data)) || p.Start != 0 || p.Attempt != 1 {
			t.Fatalf("progress %+v after %d", p, last)
		}
		last = p.Done
	}
	if last != int64(len(data)) {
		t.Errorf("last progress %d of %d", last, len(data))
	}
	again, err := d.Run(context.Background())
	if err != nil || !again.Already {
		t.Errorf("second run: %+v, %v", again, err)
	}
}

// TestDownloadResume: a transfer cut half-way keeps a .part file and says so; the next run
// resumes it with a Range request; within one run, retries resume by themselves.
func TestDownloadResume(t *testing.T) {
	data, sum := randomArchive(t)
	s := &server{data: data, cut: 1}
	d, prog, _ := start(t, s, sum)
	_, err := d.Run(context.Background())
	part := filepath.Join(d.Dir, ArchiveName+".part")
	have := fileSize(part)
	if err == nil || !strings.Contains(err.Error(), "run again to resume") || have == 0 || have >= int64(len(data)) {
		t.Fatalf("cut transfer: %v; .part holds %d bytes", err, have)
	}
	*prog = nil
	res, err := d.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, d, res, data)
	if got := s.requests(); len(got) != 2 || got[1] != fmt.Sprintf("bytes=%d-", have) || !res.Resumed {
		t.Errorf("requests %q, resumed %v; want the second from byte %d", got, res.Resumed, have)
	}
	if p := (*prog)[0]; p.Start != have || p.Done != have {
		t.Errorf("resumed progress starts %+v, want at %d", p, have)
	}

	s2 := &server{data: data, cut: 2}
	d2, _, logs := start(t, s2, sum)
	d2.Attempts = 3
	res, err = d2.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, d2, res, data)
	if got := s2.requests(); len(got) != 3 || got[1] == "" || got[2] == "" || len(*logs) == 0 {
		t.Errorf("requests %q, logs %q", got, *logs)
	}
}

// TestDownloadIgnoresRange: a server answering a resume with the whole file (200) is handled
// by starting over.
func TestDownloadIgnoresRange(t *testing.T) {
	data, sum := randomArchive(t)
	s := &server{data: data, cut: 1, ignoreRange: true}
	d, _, logs := start(t, s, sum)
	d.Attempts = 2
	res, err := d.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, d, res, data)
	if got := s.requests(); len(got) != 2 || got[1] == "" || !strings.Contains(strings.Join(*logs, "\n"), "ignored the request to resume") {
		t.Errorf("requests %q, logs %q", got, *logs)
	}
}

// TestDownloadCompletePart: a .part file that is already whole (the server answers 416 to
// the resume) is checked and renamed without downloading.
func TestDownloadCompletePart(t *testing.T) {
	data, sum := randomArchive(t)
	d, _, _ := start(t, &server{data: data}, sum)
	os.MkdirAll(d.Dir, 0o755)
	os.WriteFile(filepath.Join(d.Dir, ArchiveName+".part"), data, 0o644)
	res, err := d.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, d, res, data)
}

// TestDownloadBadChecksum: a file with the wrong MD5 is set aside as .bad (never loaded) and
// reported; an existing archive with the wrong MD5 is set aside and downloaded again.
func TestDownloadBadChecksum(t *testing.T) {
	data, sum := randomArchive(t)
	d, _, _ := start(t, &server{data: data}, strings.Repeat("0", 32))
	_, err := d.Run(context.Background())
	final := filepath.Join(d.Dir, ArchiveName)
	if err == nil || !strings.Contains(err.Error(), "MD5 "+sum+", not 000") || !strings.Contains(err.Error(), final+".bad") {
		t.Fatalf("bad checksum: %v", err)
	}
	for _, p := range []string{final, final + ".part"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after a bad checksum", p)
		}
	}
	if fileSize(final+".bad") != int64(len(data)) {
		t.Errorf(".bad file missing")
	}

	os.WriteFile(final, []byte("not the archive"), 0o644)
	d.MD5 = sum
	var logs []string
	d.Log = func(m string) { logs = append(logs, m) }
	res, err := d.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, d, res, data)
	if !strings.Contains(strings.Join(logs, "\n"), "renamed to "+final+".bad") {
		t.Errorf("logs %q", logs)
	}
}

// TestDownload404: a missing file is reported once (no retries) and leaves nothing behind.
func TestDownload404(t *testing.T) {
	s := &server{status: http.StatusNotFound}
	d, _, _ := start(t, s, MD5)
	d.Attempts = 3
	_, err := d.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "404 Not Found") || !strings.Contains(err.Error(), d.URL) {
		t.Fatalf("404: %v", err)
	}
	entries, _ := os.ReadDir(d.Dir)
	if len(entries) != 0 || len(s.requests()) != 1 {
		t.Errorf("left %d files after %d requests", len(entries), len(s.requests()))
	}
}

// TestDownloadCancelAndStall: cancelling (Ctrl-C) mid-transfer keeps a resumable .part and
// returns the context's error; a stalled transfer is abandoned and retried from where it
// stopped.
func TestDownloadCancelAndStall(t *testing.T) {
	data, sum := randomArchive(t)
	d, _, _ := start(t, &server{data: data, stall: 1}, sum)
	ctx, cancel := context.WithCancel(context.Background())
	d.Progress = func(p Progress) {
		if p.Done > 0 {
			cancel()
		}
	}
	_, err := d.Run(ctx)
	have := fileSize(filepath.Join(d.Dir, ArchiveName+".part"))
	if !errors.Is(err, context.Canceled) || have == 0 || !strings.Contains(err.Error(), "run again to resume") {
		t.Fatalf("cancel: %v; .part holds %d bytes", err, have)
	}

	s := &server{data: data, stall: 1}
	d, _, logs := start(t, s, sum)
	d.StallTimeout, d.Attempts = 100*time.Millisecond, 2
	res, err := d.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, d, res, data)
	if got := s.requests(); len(got) != 2 || got[1] == "" || !strings.Contains(strings.Join(*logs, "\n"), "stalled") {
		t.Errorf("requests %q, logs %q", got, *logs)
	}
}

func TestContentRange(t *testing.T) {
	for h, want := range map[string][3]int64{
		"bytes 100-199/200": {100, 200, 1}, "bytes */500": {0, 500, 1}, "bytes 5-9/*": {5, -1, 1},
		"items 1-2/3": {0, 0, 0}, "bytes 1-2": {0, 0, 0}, "bytes x-2/3": {0, 0, 0},
	} {
		first, size, ok := contentRange(h)
		if ok != (want[2] == 1) || (ok && (first != want[0] || size != want[1])) {
			t.Errorf("%q: %d %d %v", h, first, size, ok)
		}
	}
}
