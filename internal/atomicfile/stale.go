package atomicfile

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// oldSuffix marks a previous output moved aside while a folder output replaces it.
const oldSuffix = ".old"

// tempPrefix is the start of every temporary name of path: ".NAME.tmp-".
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

// tempName returns a fresh temporary name beside path: ".NAME.tmp-PID-RANDOM" + suffix.
func tempName(path, suffix string) string {
	return filepath.Join(filepath.Dir(path),
		fmt.Sprintf("%s%d-%016x%s", tempPrefix(path), os.Getpid(), rand.Uint64(), suffix))
}

// OldName returns the name under which a folder output's previous version is kept while the
// new one, the temporary folder tmp (from Mkdir), is renamed into place.
func OldName(tmp string) string { return tmp + oldSuffix }

// writerPID returns the PID in a temporary name of path, or false when name is not one.
func writerPID(path, name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, tempPrefix(path))
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(digits)
	if !ok || err != nil || pid <= 0 || strconv.Itoa(pid) != digits {
		return 0, false
	}
	return pid, true
}

// CleanStale removes the temporaries of path left by processes that are no longer running
// (killed while writing), files and folders alike, and returns how many it removed. A
// previous folder output that such a process had moved aside (OldName) while path is missing
// is renamed back to path instead. Temporaries of running processes, this one included, are
// left alone.
func CleanStale(path string) int {
	dir := filepath.Dir(path)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range ents {
		pid, ok := writerPID(path, e.Name())
		if !ok || pid == os.Getpid() || alive(pid) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		if strings.HasSuffix(e.Name(), oldSuffix) {
			if _, err := os.Lstat(path); os.IsNotExist(err) && os.Rename(name, path) == nil {
				n++
				continue
			}
		}
		if os.RemoveAll(name) == nil {
			n++
		}
	}
	return n
}
