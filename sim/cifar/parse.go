package cifar

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// chunkRecords is how many records one read fetches (about 3 MB, the one reused buffer).
const chunkRecords = 1024

// maxMetaBytes bounds batches.meta.txt (the official one has 61 bytes).
const maxMetaBytes = 64 << 10

// part is one batch file to decode: n records, of which those with keep(i) (all when keep is
// nil) go into the set.
type part struct {
	name string // for messages: the file, or "archive: member"
	n    int
	open func() (io.ReadCloser, error)
	keep func(i int) bool
}

// countRecords returns how many records a batch file of size bytes holds, or an error
// naming it when the size is not a whole number of records.
func countRecords(name string, size int64) (int, error) {
	if size == 0 {
		return 0, fmt.Errorf("cifar: %s: empty file (no records)", name)
	}
	if size%RecordSize != 0 {
		whole := size / RecordSize
		return 0, fmt.Errorf("cifar: %s: size %d bytes is not a multiple of the record size %d: record %d is truncated (%d of %d bytes after %d whole records)",
			name, size, RecordSize, whole, size%RecordSize, RecordSize, whole)
	}
	return int(size / RecordSize), nil
}

// kept returns how many of n records keep selects.
func kept(n int, keep func(int) bool) int {
	if keep == nil {
		return n
	}
	c := 0
	for i := range n {
		if keep(i) {
			c++
		}
	}
	return c
}

// assemble allocates the set for parts and decodes them into it in order, reusing one read
// buffer.
func assemble(parts []part, classes []string) (*Set, error) {
	total := 0
	for _, p := range parts {
		total += kept(p.n, p.keep)
	}
	s := &Set{
		Images:  nn.NewMat(total, Pixels),
		Labels:  make([]int32, total),
		Index:   make([]int, total),
		Classes: classes,
	}
	most := 0
	for _, p := range parts {
		most = max(most, p.n)
	}
	d := newDecoder(min(most, chunkRecords))
	k := 0
	for _, p := range parts {
		rc, err := p.open()
		if err != nil {
			return nil, err
		}
		k, err = d.decode(s, k, rc, p)
		rc.Close()
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// decoder turns records into pixels and labels with one reusable buffer.
type decoder struct {
	buf []byte
	lut [256]float32 // byte/255 rounded to float32, as PyTorch's x.float()/255
}

// newDecoder returns a decoder whose buffer holds chunk records.
func newDecoder(chunk int) *decoder {
	d := &decoder{buf: make([]byte, chunk*RecordSize)}
	for b := range d.lut {
		d.lut[b] = float32(b) / 255
	}
	return d
}

// decode reads p.n records from r, checks every label and writes the kept records into s
// from row k on. It returns the next free row.
func (d *decoder) decode(s *Set, k int, r io.Reader, p part) (int, error) {
	for i := 0; i < p.n; {
		m := min(len(d.buf)/RecordSize, p.n-i)
		got, err := io.ReadFull(r, d.buf[:m*RecordSize])
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				at := i + got/RecordSize
				return k, fmt.Errorf("cifar: %s: truncated: record %d has %d of %d bytes (the data ends after %d whole records, %d expected)",
					p.name, at, got%RecordSize, RecordSize, at, p.n)
			}
			return k, fmt.Errorf("cifar: %s: %w", p.name, err)
		}
		for j := range m {
			rec := d.buf[j*RecordSize : (j+1)*RecordSize]
			if rec[0] >= NumClasses {
				return k, fmt.Errorf("cifar: %s: record %d (byte offset %d): label %d > %d",
					p.name, i+j, int64(i+j)*RecordSize, rec[0], NumClasses-1)
			}
			if p.keep != nil && !p.keep(i+j) {
				continue
			}
			row := s.Images.Data[k*Pixels : (k+1)*Pixels]
			for c, b := range rec[1:] {
				row[c] = d.lut[b]
			}
			s.Labels[k] = int32(rec[0])
			s.Index[k] = i + j
			k++
		}
		i += m
	}
	return k, nil
}

// parseMeta reads the class names of batches.meta.txt: exactly ten non-empty lines (blank
// lines and surrounding spaces are ignored).
func parseMeta(name string, data []byte) ([]string, error) {
	if len(data) > maxMetaBytes {
		return nil, fmt.Errorf("cifar: %s: %d bytes is too large for a class-name list", name, len(data))
	}
	var names []string
	for line := range strings.SplitSeq(string(data), "\n") {
		if t := strings.TrimSpace(line); t != "" {
			names = append(names, t)
		}
	}
	if len(names) != NumClasses {
		return nil, fmt.Errorf("cifar: %s: %d class names, want %d (one per line)", name, len(names), NumClasses)
	}
	return names, nil
}

// readMeta returns the class names in file, or the standard names when file is "".
func readMeta(file string) ([]string, error) {
	if file == "" {
		return StandardClasses(), nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("cifar: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxMetaBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cifar: %s: %w", file, err)
	}
	return parseMeta(file, data)
}

// filePart describes a batch file on disk, checking its size.
func filePart(file string, keep func(int) bool) (part, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return part{}, fmt.Errorf("cifar: %w", err)
	}
	n, err := countRecords(file, fi.Size())
	if err != nil {
		return part{}, err
	}
	open := func() (io.ReadCloser, error) {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("cifar: %w", err)
		}
		return f, nil
	}
	return part{name: file, n: n, open: open, keep: keep}, nil
}

// bytesPart describes a batch held in memory (an archive member).
func bytesPart(name string, data []byte) part {
	return part{name: name, n: len(data) / RecordSize, open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}

// loadSingle reads one batch file with the i%5 split rule.
func loadSingle(src source, split Split) (*Set, error) {
	var keep func(int) bool
	switch split {
	case Train:
		keep = func(i int) bool { return !InSingleFileEval(i) }
	case Eval:
		keep = InSingleFileEval
	}
	p, err := filePart(src.path, keep)
	if err != nil {
		return nil, err
	}
	classes, err := readMeta(src.meta)
	if err != nil {
		return nil, err
	}
	return assemble([]part{p}, classes)
}

// loadOfficial reads the official folder layout: train = the data batches, eval = the test
// batch. Every file's size is checked, whichever split is read.
func loadOfficial(src source, split Split) (*Set, error) {
	var parts []part
	for i, f := range src.files {
		p, err := filePart(f, nil)
		if err != nil {
			return nil, err
		}
		isTest := i == len(src.files)-1
		if split == All || (split == Eval) == isTest {
			parts = append(parts, p)
		}
	}
	classes, err := readMeta(src.meta)
	if err != nil {
		return nil, err
	}
	return assemble(parts, classes)
}
