// Package atomicfile writes files all-or-nothing: content goes to a temporary file in the
// destination's folder, which is synced and renamed over the destination only on success.
//
// Temporaries are named ".NAME.tmp-PID-RANDOM" (plus an optional suffix) beside NAME, so
// that a process killed while writing leaves a temporary that can be told apart and
// traced to its writer: every new temporary for NAME first removes the stale ones, those
// whose writer PID is no longer running (CleanStale).
package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// Write calls fill with a buffered writer on a temporary file and, if fill and the write
// succeed, renames it to path. On any error the temporary file is removed, path is left as
// it was and the error names path.
func Write(path string, fill func(w io.Writer) error) (err error) {
	tmp, err := Create(path, "")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(tmp, 1<<16)
	if err = fill(bw); err == nil {
		err = bw.Flush()
	}
	if err != nil {
		Discard(tmp)
		return named(path, err)
	}
	return Commit(tmp, path)
}

// Create cleans up stale temporaries of path and returns a new, empty temporary file beside
// it whose name ends in suffix. Finish it with Commit or Discard.
func Create(path, suffix string) (*os.File, error) {
	CleanStale(path)
	for range 100 {
		f, err := os.OpenFile(tempName(path, suffix), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if os.IsExist(err) {
			continue
		}
		if err != nil {
			return nil, named(path, err)
		}
		return f, nil
	}
	return nil, fmt.Errorf("%s: could not create a temporary file beside it", path)
}

// Mkdir cleans up stale temporaries of path and returns the name of a new, empty temporary
// folder beside it, for outputs that are folders.
func Mkdir(path string) (string, error) {
	CleanStale(path)
	for range 100 {
		name := tempName(path, "")
		err := os.Mkdir(name, 0o755)
		if os.IsExist(err) {
			continue
		}
		if err != nil {
			return "", named(path, err)
		}
		return name, nil
	}
	return "", fmt.Errorf("%s: could not create a temporary folder beside it", path)
}

// Commit syncs and closes the temporary file f, makes it readable (0644) and renames it to
// path. On error it removes f and returns an error naming path.
func Commit(f *os.File, path string) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return named(path, err)
	}
	return nil
}

// Discard closes and removes the temporary file f.
func Discard(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

// named prefixes err with path unless its message already mentions path.
func named(path string, err error) error {
	if strings.Contains(err.Error(), path) {
		return err
	}
	return fmt.Errorf("%s: %w", path, err)
}
