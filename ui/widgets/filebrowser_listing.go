package widgets

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Listing limits and timing.
const (
	maxListing  = 5000                   // entries read from one folder at most
	doubleClick = 400 * time.Millisecond // longest gap between the presses of a double-click
)

// fbEntry is one row of the browser: a folder, a file or the parent folder.
type fbEntry struct {
	name string
	dir  bool
	up   bool // the ".." row
	size int64
	mod  time.Time
}

// fbListing is what reading one folder found.
type fbListing struct {
	dir     string    // the folder
	entries []fbEntry // folders first, then files, each sorted by name
	capped  bool      // the folder holds more than the entries read
	pick    string    // the entry to select once shown
	err     error     // the folder could not be read (entries may still hold a part)
}

// readListing resolves path to a folder and reads at most limit of its entries. A path
// naming a file lists the file's folder with the file picked; with walkUp a missing path
// lists its nearest existing ancestor, picking the missing path's name.
func readListing(path, pick string, walkUp bool, limit int) fbListing {
	p := filepath.Clean(path)
	for {
		st, err := os.Stat(p)
		switch {
		case err == nil && st.IsDir():
			l := readFolder(p, limit)
			l.pick = pick
			return l
		case err == nil:
			p, pick = filepath.Dir(p), filepath.Base(p)
		case walkUp && filepath.Dir(p) != p:
			if pick == "" {
				pick = filepath.Base(p)
			}
			p = filepath.Dir(p)
		default:
			return fbListing{dir: p, err: err}
		}
	}
}

// readFolder reads at most limit entries of the folder dir and sorts them.
func readFolder(dir string, limit int) fbListing {
	l := fbListing{dir: dir}
	f, err := os.Open(dir)
	if err != nil {
		l.err = err
		return l
	}
	defer f.Close()
	for len(l.entries) < limit {
		des, err := f.ReadDir(min(256, limit-len(l.entries)))
		for _, de := range des {
			l.entries = append(l.entries, entryOf(dir, de))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			l.err = err
			break
		}
	}
	if len(l.entries) >= limit {
		more, _ := f.ReadDir(1)
		l.capped = len(more) > 0
	}
	slices.SortFunc(l.entries, compareEntries)
	return l
}

// entryOf describes de, a link by what it points to.
func entryOf(dir string, de fs.DirEntry) fbEntry {
	e := fbEntry{name: de.Name(), dir: de.IsDir()}
	var info fs.FileInfo
	if de.Type()&fs.ModeSymlink != 0 {
		info, _ = os.Stat(filepath.Join(dir, e.name))
	}
	if info == nil {
		info, _ = de.Info()
	}
	if info != nil {
		e.dir, e.mod = info.IsDir(), info.ModTime()
		if !e.dir {
			e.size = info.Size()
		}
	}
	return e
}

// compareEntries orders folders before files, then by name ignoring case.
func compareEntries(a, b fbEntry) int {
	if a.dir != b.dir {
		if a.dir {
			return -1
		}
		return 1
	}
	if c := strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)); c != 0 {
		return c
	}
	return strings.Compare(a.name, b.name)
}
