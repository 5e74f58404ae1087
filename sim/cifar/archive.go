package cifar

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// ArchiveName is the file name of the official archive.
const ArchiveName = "cifar-10-binary.tar.gz"

// maxMemberBytes bounds one batch member of the archive (the official ones hold 30 730 000
// bytes); larger claims are refused before anything is read.
const maxMemberBytes = 1 << 30

// loadArchive streams the official cifar-10-binary.tar.gz: members under
// cifar-10-batches-bin/ are read into memory as raw bytes (one byte per pixel) when the split
// needs them and decoded once all are seen; other members are skipped. The gzip checksum is
// verified by reading the stream to its end.
func loadArchive(file string, split Split) (*Set, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("cifar: %w", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("cifar: %s: not a gzip archive (want the official %s): %v", file, ArchiveName, err)
	}
	tr := tar.NewReader(gz)
	const nfiles = DataBatches + 1 // data batches, then the test batch at index DataBatches
	var (
		raw     [nfiles][]byte
		seen    [nfiles]bool
		meta    []byte
		members int
	)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cifar: %s: corrupt or truncated tar.gz (want the official %s): %v", file, ArchiveName, err)
		}
		dir, base := path.Split(path.Clean(strings.TrimPrefix(hdr.Name, "./")))
		if dir != ArchiveDir+"/" || (hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeRegA) {
			continue
		}
		name := fmt.Sprintf("%s: member %s", file, hdr.Name)
		if base == MetaFile {
			members++
			if hdr.Size > maxMetaBytes {
				return nil, fmt.Errorf("cifar: %s: %d bytes is too large for a class-name list", name, hdr.Size)
			}
			if meta, err = readMember(tr, name, hdr.Size); err != nil {
				return nil, err
			}
			continue
		}
		slot := -1
		for i := 1; i <= DataBatches; i++ {
			if base == dataBatch(i) {
				slot = i - 1
			}
		}
		if base == TestBatch {
			slot = DataBatches
		}
		if slot < 0 {
			continue
		}
		members++
		if seen[slot] {
			return nil, fmt.Errorf("cifar: %s: appears twice in the archive", name)
		}
		seen[slot] = true
		if _, err := countRecords(name, hdr.Size); err != nil {
			return nil, err
		}
		if hdr.Size > maxMemberBytes {
			return nil, fmt.Errorf("cifar: %s: %d bytes is too large for a batch file", name, hdr.Size)
		}
		isTest := slot == DataBatches
		if split == All || (split == Eval) == isTest {
			if raw[slot], err = readMember(tr, name, hdr.Size); err != nil {
				return nil, err
			}
		}
	}
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return nil, fmt.Errorf("cifar: %s: corrupt archive: %v", file, err)
	}
	if members == 0 {
		return nil, fmt.Errorf("cifar: %s: not the CIFAR-10 binary archive (no %s/ batch files in it)", file, ArchiveDir)
	}
	var missing []string
	for i, ok := range seen {
		if !ok {
			if i == DataBatches {
				missing = append(missing, TestBatch)
			} else {
				missing = append(missing, dataBatch(i+1))
			}
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("cifar: %s: incomplete archive: %s/ lacks %s", file, ArchiveDir, strings.Join(missing, ", "))
	}
	classes := StandardClasses()
	if meta != nil {
		if classes, err = parseMeta(file+": member "+ArchiveDir+"/"+MetaFile, meta); err != nil {
			return nil, err
		}
	}
	var parts []part
	for i, b := range raw {
		if b != nil {
			name := fmt.Sprintf("%s: member %s/%s", file, ArchiveDir, dataBatch(i+1))
			if i == DataBatches {
				name = fmt.Sprintf("%s: member %s/%s", file, ArchiveDir, TestBatch)
			}
			parts = append(parts, bytesPart(name, b))
		}
	}
	return assemble(parts, classes)
}

// readMember reads the size bytes of the current tar member, growing the buffer only as
// data arrives (a forged size costs nothing).
func readMember(r io.Reader, name string, size int64) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(int(min(size, 32<<20)))
	n, err := io.CopyN(&buf, r, size)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("cifar: %s: truncated: %d of %d bytes", name, n, size)
		}
		return nil, fmt.Errorf("cifar: %s: %v", name, err)
	}
	return buf.Bytes(), nil
}
