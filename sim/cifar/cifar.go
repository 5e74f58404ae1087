// Package cifar reads CIFAR-10 in the official "binary version" layout: a folder with
// data_batch_1.bin … data_batch_5.bin and test_batch.bin, a single .bin file, or the official
// cifar-10-binary.tar.gz read directly (streamed, never unpacked to disk). It also knows the
// fixed train/eval split of the project's spec (cifar.md section 1), where the data is looked
// for, and how to download the official archive (download.go).
package cifar

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// Image geometry and record layout: one label byte, then 1 024 red, 1 024 green and 1 024
// blue bytes, each plane 32×32 row-major.
const (
	Width      = 32
	Height     = 32
	Channels   = 3
	Pixels     = Channels * Width * Height // 3 072 values per image
	RecordSize = 1 + Pixels                // 3 073 bytes per record
	NumClasses = 10
)

// Official file names inside a data folder or under ArchiveDir in the archive.
const (
	TestBatch  = "test_batch.bin"
	MetaFile   = "batches.meta.txt"
	ArchiveDir = "cifar-10-batches-bin"
)

// DataBatches is the number of official training batches (data_batch_1.bin … _5.bin).
const DataBatches = 5

// dataBatch returns the name of official training batch i (1-based).
func dataBatch(i int) string { return fmt.Sprintf("data_batch_%d.bin", i) }

// StandardClasses returns the ten CIFAR-10 class names in label order, used when no
// batches.meta.txt is present.
func StandardClasses() []string {
	return []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
}

// Split selects which records Load returns.
type Split int

// The splits: for the official data set, train is the five data batches and eval the test
// batch; for a single file, record i is eval when i%5 == 4 and train otherwise. All is
// every record (train first, then the test batch, for the official set).
const (
	All Split = iota
	Train
	Eval
)

// String returns the split's name as ParseSplit accepts it.
func (s Split) String() string {
	switch s {
	case All:
		return "all"
	case Train:
		return "train"
	case Eval:
		return "eval"
	}
	return fmt.Sprintf("Split(%d)", int(s))
}

// ParseSplit reads "train", "eval" or "all".
func ParseSplit(s string) (Split, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "all":
		return All, nil
	case "train":
		return Train, nil
	case "eval":
		return Eval, nil
	}
	return 0, fmt.Errorf("cifar: unknown split %q (want train, eval or all)", s)
}

// InSingleFileEval reports whether record i of a single file belongs to the eval split
// (the fixed rule of cifar.md: i % 5 == 4).
func InSingleFileEval(i int) bool { return i%5 == 4 }

// Set is a loaded selection of CIFAR-10 images.
type Set struct {
	Images  nn.Mat   // N×3072, byte/255, in (channel, row, column) order
	Labels  []int32  // class of each image, 0…9
	Index   []int    // each record's index in the file it came from
	Classes []string // the ten class names in label order
	Source  string   // the path it was loaded from, with the split, for messages
}

// Len returns the number of images.
func (s *Set) Len() int { return len(s.Labels) }

// Load reads the split of the CIFAR-10 data at path: a folder (the official batch files,
// or a lone test_batch.bin, or a cifar-10-batches-bin/ subfolder or the official archive
// inside it), a single .bin file, or the official cifar-10-binary.tar.gz. Bad data gives an
// error naming the file and the problem.
func Load(path string, split Split) (*Set, error) {
	if split != All && split != Train && split != Eval {
		return nil, fmt.Errorf("cifar: %s: unknown split %d", path, int(split))
	}
	src, err := resolve(path)
	if err != nil {
		return nil, err
	}
	var s *Set
	switch src.kind {
	case kindArchive:
		s, err = loadArchive(src.path, split)
	case kindOfficial:
		s, err = loadOfficial(src, split)
	default:
		s, err = loadSingle(src, split)
	}
	if err != nil {
		return nil, err
	}
	s.Source = fmt.Sprintf("%s (%s)", src.path, split)
	return s, nil
}

// source is a resolved data location.
type source struct {
	kind  int
	path  string   // the archive, the single file, or the folder holding the batch files
	files []string // batch files in load order (official: data batches then test batch)
	meta  string   // batches.meta.txt beside the files, "" when absent
}

const (
	kindSingle = iota
	kindOfficial
	kindArchive
)

// resolve works out what path holds, checking that the files exist but not reading them.
func resolve(path string) (source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return source{}, fmt.Errorf("cifar: %w", err)
	}
	if !fi.IsDir() {
		if isArchive(path) {
			return source{kind: kindArchive, path: path}, nil
		}
		return source{kind: kindSingle, path: path, files: []string{path}, meta: metaBeside(path)}, nil
	}
	if src, ok, err := resolveFolder(path); ok || err != nil {
		return src, err
	}
	if sub := filepath.Join(path, ArchiveDir); isDir(sub) {
		if src, ok, err := resolveFolder(sub); ok || err != nil {
			return src, err
		}
	}
	if a := filepath.Join(path, ArchiveName); isFile(a) {
		return source{kind: kindArchive, path: a}, nil
	}
	return source{}, fmt.Errorf("cifar: %s: no CIFAR-10 data here (looked for data_batch_1…%d.bin with %s, a lone %s, a %s/ folder and %s)",
		path, DataBatches, TestBatch, TestBatch, ArchiveDir, ArchiveName)
}

// resolveFolder reports the batch files in dir: ok is false when there are none at all, and
// an error names the missing files of an incomplete official set.
func resolveFolder(dir string) (source, bool, error) {
	var have, missing []string
	for i := 1; i <= DataBatches; i++ {
		p := filepath.Join(dir, dataBatch(i))
		if isFile(p) {
			have = append(have, p)
		} else {
			missing = append(missing, dataBatch(i))
		}
	}
	test := filepath.Join(dir, TestBatch)
	meta := filepath.Join(dir, MetaFile)
	if !isFile(meta) {
		meta = ""
	}
	switch {
	case len(have) == 0 && isFile(test):
		return source{kind: kindSingle, path: test, files: []string{test}, meta: meta}, true, nil
	case len(have) == 0:
		return source{}, false, nil
	case !isFile(test):
		missing = append(missing, TestBatch)
	}
	if len(missing) > 0 {
		return source{}, true, fmt.Errorf("cifar: %s: incomplete official data set: missing %s (or point to a single .bin file)",
			dir, strings.Join(missing, ", "))
	}
	return source{kind: kindOfficial, path: dir, files: append(have, test), meta: meta}, true, nil
}

// metaBeside returns batches.meta.txt in the folder of file, or "".
func metaBeside(file string) string {
	p := filepath.Join(filepath.Dir(file), MetaFile)
	if isFile(p) {
		return p
	}
	return ""
}

// isArchive reports whether path looks like a gzip archive: by its name (.tar.gz, .tgz) or
// by the gzip magic bytes.
func isArchive(path string) bool {
	low := strings.ToLower(path)
	if strings.HasSuffix(low, ".tar.gz") || strings.HasSuffix(low, ".tgz") {
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [2]byte
	n, _ := f.Read(magic[:])
	return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
