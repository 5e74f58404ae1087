package cifar

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The official archive: where it is, its MD5 (cifar.md section 1) and its approximate size.
const (
	URL       = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
	MD5       = "c32a1d4ab5d03f1284b67883e8d87530"
	ArchiveMB = 162
)

// Progress is the state of a download, reported after every write.
type Progress struct {
	Done    int64 // bytes of the archive on disk so far
	Total   int64 // size of the whole archive, -1 when the server does not say
	Start   int64 // bytes already on disk when this attempt began (a resumed download)
	Attempt int   // 1-based attempt number
}

// Download fetches the official archive into a folder: it writes Dir/ArchiveName.part,
// resumes it with an HTTP Range request when it exists (starting over when the server ignores
// the range), retries broken transfers, checks the MD5 and only then renames the file to
// Dir/ArchiveName. An interrupted download leaves the .part file for the next run; a file
// with the wrong MD5 is renamed to ArchiveName.bad, which nothing reads.
type Download struct {
	Dir          string        // destination folder, created when missing (required)
	URL          string        // default URL
	MD5          string        // expected hex MD5; default MD5
	Client       *http.Client  // default http.DefaultClient
	Attempts     int           // transfers tried per Run before giving up; default 4
	RetryDelay   time.Duration // wait before the first retry, doubled each time; default 2 s
	StallTimeout time.Duration // abort an attempt that receives nothing for this long; default 60 s
	Progress     func(Progress)
	Log          func(msg string) // notes: resuming, starting over, a bad file renamed, retries
}

// Result describes a finished download.
type Result struct {
	Path    string // Dir/ArchiveName
	Size    int64
	Already bool // the archive was already there with the right MD5; nothing was downloaded
	Resumed bool // some of the bytes came from an earlier, interrupted run or attempt
}

// errStalled cancels an attempt that received nothing for StallTimeout.
var errStalled = errors.New("no data received (stalled)")

// permanentError is an HTTP answer that retrying will not change (404, 403, …).
type permanentError struct{ msg string }

func (e permanentError) Error() string { return e.msg }

// Run downloads (or resumes, or confirms) the archive. Cancelling ctx stops it and keeps the
// .part file; the returned error then wraps ctx's error.
func (d *Download) Run(ctx context.Context) (Result, error) {
	if d.Dir == "" {
		return Result{}, errors.New("cifar: download: no destination folder")
	}
	url, want := orDefault(d.URL, URL), strings.ToLower(orDefault(d.MD5, MD5))
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return Result{}, fmt.Errorf("cifar: %w", err)
	}
	final := filepath.Join(d.Dir, ArchiveName)
	part, bad := final+".part", final+".bad"
	if fi, err := os.Stat(final); err == nil {
		d.log("checking the MD5 of %s", final)
		sum, err := md5File(final)
		if err != nil {
			return Result{}, err
		}
		if sum == want {
			return Result{Path: final, Size: fi.Size(), Already: true}, nil
		}
		if err := os.Rename(final, bad); err != nil {
			return Result{}, fmt.Errorf("cifar: %w", err)
		}
		d.log("%s has MD5 %s, not %s: renamed to %s; downloading again", final, sum, want, bad)
	}
	resumed := false
	delay := orDefault(d.RetryDelay, 2*time.Second)
	attempts := max(d.Attempts, 1)
	if d.Attempts == 0 {
		attempts = 4
	}
	for a := 1; ; a++ {
		r, err := d.fetch(ctx, url, part, a)
		resumed = resumed || r
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("cifar: download interrupted; %s kept (%s): run again to resume: %w", part, sizeOf(part), ctx.Err())
		}
		var perm permanentError
		if errors.As(err, &perm) || a >= attempts {
			if size := fileSize(part); size > 0 {
				return Result{}, fmt.Errorf("cifar: download failed: %w (%s kept in %s: run again to resume)", err, sizeOf(part), part)
			}
			return Result{}, fmt.Errorf("cifar: download failed: %w", err)
		}
		d.log("attempt %d failed: %v; retrying in %s", a, err, delay)
		select {
		case <-ctx.Done():
			return Result{}, fmt.Errorf("cifar: download interrupted; %s kept (%s): run again to resume: %w", part, sizeOf(part), ctx.Err())
		case <-time.After(delay):
		}
		delay *= 2
	}
	d.log("checking the MD5 of %s", part)
	sum, err := md5File(part)
	if err != nil {
		return Result{}, err
	}
	if sum != want {
		if err := os.Rename(part, bad); err != nil {
			return Result{}, fmt.Errorf("cifar: %s has MD5 %s, not %s, and could not be set aside: %w", part, sum, want, err)
		}
		return Result{}, fmt.Errorf("cifar: downloaded file has MD5 %s, not %s (a corrupt or different file from %s): set aside as %s (never read; delete it), run again to download afresh", sum, want, url, bad)
	}
	if err := os.Rename(part, final); err != nil {
		return Result{}, fmt.Errorf("cifar: %w", err)
	}
	return Result{Path: final, Size: fileSize(final), Resumed: resumed}, nil
}

// fetch runs one transfer attempt into part, resuming it when it holds bytes. It reports
// whether it resumed, and returns nil once part holds the whole file.
func (d *Download) fetch(ctx context.Context, url, part string, attempt int) (resumed bool, err error) {
	stall := orDefault(d.StallTimeout, 60*time.Second)
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(stall, func() { cancel(errStalled) })
	defer timer.Stop()
	defer func() {
		if err != nil && context.Cause(actx) == errStalled && ctx.Err() == nil {
			err = fmt.Errorf("%w for %s", errStalled, stall)
		}
	}()

	have := fileSize(part)
	req, err := http.NewRequestWithContext(actx, http.MethodGet, url, nil)
	if err != nil {
		return false, permanentError{fmt.Sprintf("bad URL %q: %v", url, err)}
	}
	if have > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
	}
	client := d.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var dns *net.DNSError
		if errors.As(err, &dns) && dns.IsNotFound {
			return false, permanentError{err.Error() + " (no network, or a wrong --url?)"}
		}
		return false, err
	}
	defer resp.Body.Close()
	start, total := int64(0), resp.ContentLength
	switch {
	case resp.StatusCode == http.StatusOK:
		if have > 0 {
			d.log("the server ignored the request to resume at %s; starting over", mb(have))
		}
	case resp.StatusCode == http.StatusPartialContent && have > 0:
		first, size, ok := contentRange(resp.Header.Get("Content-Range"))
		if !ok || first != have {
			os.Remove(part)
			return false, fmt.Errorf("GET %s: resume answered with range %q for a request from byte %d; starting over", url, resp.Header.Get("Content-Range"), have)
		}
		start, total, resumed = have, size, true
		d.log("resuming at %s", mb(have))
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && have > 0:
		if _, size, ok := contentRange(resp.Header.Get("Content-Range")); ok && size == have {
			return true, nil // the .part file is already complete
		}
		os.Remove(part)
		return false, fmt.Errorf("GET %s: the server cannot resume at byte %d (%s); starting over", url, have, resp.Status)
	default:
		msg := fmt.Sprintf("GET %s: %s", url, resp.Status)
		if c := resp.StatusCode; c >= 400 && c < 500 && c != http.StatusRequestTimeout && c != http.StatusTooManyRequests {
			return false, permanentError{msg}
		}
		return false, errors.New(msg)
	}

	flags := os.O_WRONLY | os.O_CREATE
	if start == 0 {
		flags |= os.O_TRUNC
	} else {
		flags |= os.O_APPEND
	}
	f, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return resumed, fmt.Errorf("cifar: %w", err)
	}
	done, err := d.copy(f, resp.Body, timer, stall, Progress{Done: start, Total: total, Start: start, Attempt: attempt})
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("cifar: %w", cerr)
	}
	if err != nil {
		return resumed, err
	}
	if total >= 0 && done != total {
		return resumed, fmt.Errorf("GET %s: the transfer ended at %d of %d bytes", url, done, total)
	}
	return resumed, nil
}

// copy writes body to f, resetting the stall timer and reporting progress after each read.
// It returns the bytes on disk.
func (d *Download) copy(f *os.File, body io.Reader, timer *time.Timer, stall time.Duration, p Progress) (int64, error) {
	buf := make([]byte, 256<<10)
	if d.Progress != nil {
		d.Progress(p)
	}
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			timer.Reset(stall)
			if _, err := f.Write(buf[:n]); err != nil {
				return p.Done, fmt.Errorf("cifar: %w", err)
			}
			p.Done += int64(n)
			if d.Progress != nil {
				d.Progress(p)
			}
		}
		if rerr == io.EOF {
			return p.Done, f.Sync()
		}
		if rerr != nil {
			f.Sync()
			return p.Done, rerr
		}
	}
}

// contentRange parses "bytes FIRST-LAST/SIZE" or "bytes */SIZE"; size is -1 for "*".
func contentRange(h string) (first, size int64, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(h), "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, sz, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	size = -1
	if sz != "*" {
		var err error
		if size, err = strconv.ParseInt(sz, 10, 64); err != nil {
			return 0, 0, false
		}
	}
	if rng == "*" {
		return 0, size, true
	}
	a, _, found := strings.Cut(rng, "-")
	first, err := strconv.ParseInt(a, 10, 64)
	return first, size, found && err == nil
}

func (d *Download) log(format string, args ...any) {
	if d.Log != nil {
		d.Log(fmt.Sprintf(format, args...))
	}
}

// md5File returns the hex MD5 of a file.
func md5File(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("cifar: %w", err)
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("cifar: %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func sizeOf(p string) string { return mb(fileSize(p)) }

// mb formats a byte count in megabytes (2^20).
func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// orDefault returns v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
