package cifar

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// batch returns n synthetic records: label (seed+i)%10, pixel c = (seed·7 + i·13 + c) mod 256.
func batch(n, seed int) []byte {
	b := make([]byte, n*RecordSize)
	for i := range n {
		rec := b[i*RecordSize:]
		rec[0] = byte((seed + i) % NumClasses)
		for c := range Pixels {
			rec[1+c] = byte(seed*7 + i*13 + c)
		}
	}
	return b
}

// member is one file of a synthetic folder or archive.
type member struct {
	name string
	data []byte
}

// officialMembers returns a small official-layout set: batch sizes 3, 4, 2, 5, 1 and a test
// batch of 7, plus a meta file with custom names.
func officialMembers() []member {
	ms := []member{}
	for i, n := range []int{3, 4, 2, 5, 1} {
		ms = append(ms, member{dataBatch(i + 1), batch(n, i+1)})
	}
	ms = append(ms, member{TestBatch, batch(7, 9)})
	ms = append(ms, member{MetaFile, []byte("c0\nc1\nc2\nc3\nc4\nc5\nc6\nc7\nc8\nc9\n\n")})
	return ms
}

func writeFolder(t *testing.T, dir string, ms []member) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if err := os.WriteFile(filepath.Join(dir, m.name), m.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tarGz packs members under prefix (e.g. "cifar-10-batches-bin/") into a tar.gz.
func tarGz(t testing.TB, prefix string, ms []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if prefix != "" {
		tw.WriteHeader(&tar.Header{Name: prefix, Typeflag: tar.TypeDir, Mode: 0o755})
	}
	for _, m := range ms {
		if err := tw.WriteHeader(&tar.Header{Name: prefix + m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(m.data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	gz.Close()
	return buf.Bytes()
}

// checkAgainst verifies that s holds exactly the records of the files in order (with keep).
func checkAgainst(t *testing.T, s *Set, files [][]byte, keep func(int) bool) {
	t.Helper()
	k := 0
	for _, f := range files {
		for i := range len(f) / RecordSize {
			if keep != nil && !keep(i) {
				continue
			}
			if k >= s.Len() {
				t.Fatalf("%s: only %d images", s.Source, s.Len())
			}
			rec := f[i*RecordSize:]
			if s.Index[k] != i || s.Labels[k] != int32(rec[0]) {
				t.Fatalf("%s: image %d: index %d label %d, want %d, %d", s.Source, k, s.Index[k], s.Labels[k], i, rec[0])
			}
			for c := range Pixels {
				if s.Images.Data[k*Pixels+c] != float32(rec[1+c])/255 {
					t.Fatalf("%s: image %d pixel %d differs", s.Source, k, c)
				}
			}
			k++
		}
	}
	if k != s.Len() {
		t.Fatalf("%s: %d images, want %d", s.Source, s.Len(), k)
	}
}

// TestSyntheticOfficial: a folder, a folder with a cifar-10-batches-bin/ subfolder, a folder
// holding the archive and the archive itself (members shuffled, extra files) all give the
// official split: train = the data batches in order, eval = the test batch.
func TestSyntheticOfficial(t *testing.T) {
	ms := officialMembers()
	var data [][]byte
	for _, m := range ms[:DataBatches] {
		data = append(data, m.data)
	}
	test := ms[DataBatches].data
	root := t.TempDir()
	folder := writeFolder(t, filepath.Join(root, "flat"), ms)
	writeFolder(t, filepath.Join(root, "nested", ArchiveDir), ms)
	shuffled := []member{ms[6], ms[5], {"readme.html", []byte("<html>")}, ms[3], ms[0], ms[4], ms[2], ms[1]}
	arch := filepath.Join(root, "withArchive", ArchiveName)
	writeFolder(t, filepath.Dir(arch), []member{{ArchiveName, tarGz(t, ArchiveDir+"/", shuffled)}})
	for _, p := range []string{folder, filepath.Join(root, "nested"), filepath.Dir(arch), arch} {
		for split, files := range map[Split][][]byte{Train: data, Eval: {test}, All: append(slices.Clone(data), test)} {
			s, err := Load(p, split)
			if err != nil {
				t.Fatalf("%s %s: %v", p, split, err)
			}
			checkAgainst(t, s, files, nil)
			if s.Classes[3] != "c3" {
				t.Errorf("%s: classes %v", p, s.Classes)
			}
		}
	}
}

// TestSyntheticSingle: any single .bin uses the i%5 rule, standard names without a meta file.
func TestSyntheticSingle(t *testing.T) {
	b := batch(23, 4)
	p := filepath.Join(t.TempDir(), "mine.bin")
	writeFolder(t, filepath.Dir(p), []member{{"mine.bin", b}})
	for split, keep := range map[Split]func(int) bool{All: nil, Train: func(i int) bool { return i%5 != 4 }, Eval: func(i int) bool { return i%5 == 4 }} {
		s, err := Load(p, split)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainst(t, s, [][]byte{b}, keep)
		if !slices.Equal(s.Classes, StandardClasses()) {
			t.Errorf("classes %v", s.Classes)
		}
	}
}

// TestErrors: every kind of bad input gives an error naming the file and the problem.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	badLabel := batch(3, 0)
	badLabel[RecordSize] = 12
	ms := officialMembers()
	noTest := slices.Clone(ms[:DataBatches])
	cut := tarGz(t, ArchiveDir+"/", ms)
	cut = cut[:len(cut)/2]
	cases := []struct {
		name string
		make func(p string) string // returns the path to load
		want string
	}{
		{"truncated", file(batch(3, 0)[:2*RecordSize+100]), "record 2 is truncated (100 of 3073 bytes"},
		{"label", file(badLabel), "record 1 (byte offset 3073): label 12 > 9"},
		{"empty file", file(nil), "empty file"},
		{"bad meta", func(p string) string {
			writeFolder(t, p, []member{{TestBatch, batch(5, 0)}, {MetaFile, []byte("a\nb\nc\n")}})
			return p
		}, "3 class names, want 10"},
		{"missing", func(p string) string {
			writeFolder(t, p, []member{ms[0], ms[2], ms[5]})
			return p
		}, "missing data_batch_2.bin, data_batch_4.bin, data_batch_5.bin"},
		{"missing test", func(p string) string { writeFolder(t, p, noTest); return p }, "missing test_batch.bin"},
		{"empty folder", func(p string) string { writeFolder(t, p, nil); return p }, "no CIFAR-10 data here"},
		{"absent", func(p string) string { return p }, "no such file"},
		{"not gzip", archive([]byte("this is not an archive")), "not a gzip archive"},
		{"gzip not tar", archive(gzipped("hello, not a tar file, hello, not a tar file")), "corrupt or truncated tar.gz"},
		{"other archive", archive(tarGz(t, "photos/", []member{{"a.jpg", []byte("jpeg")}})), "not the CIFAR-10 binary archive"},
		{"incomplete archive", archive(tarGz(t, ArchiveDir+"/", noTest)), "lacks test_batch.bin"},
		{"member size", archive(tarGz(t, ArchiveDir+"/", []member{ms[0], ms[1], ms[2], ms[3], ms[4], {TestBatch, batch(2, 0)[:5000]}})),
			"member cifar-10-batches-bin/test_batch.bin: size 5000 bytes is not a multiple"},
		{"member label", archive(tarGz(t, ArchiveDir+"/", []member{{TestBatch, badLabel}, ms[0], ms[1], ms[2], ms[3], ms[4]})),
			"member cifar-10-batches-bin/test_batch.bin: record 1 (byte offset 3073): label 12 > 9"},
		{"cut archive", archive(cut), "cifar-10-binary.tar.gz"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.make(filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")))
			for _, split := range []Split{All, Eval} {
				_, err := Load(p, split)
				if err == nil {
					t.Fatalf("%s: accepted", p)
				}
				t.Log(err)
				if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("error %q\nwant the path and %q", err, c.want)
				}
			}
		})
	}
}

// file returns a maker writing data to p/data.bin.
func file(data []byte) func(string) string {
	return func(p string) string {
		os.MkdirAll(p, 0o755)
		f := filepath.Join(p, "data.bin")
		os.WriteFile(f, data, 0o644)
		return f
	}
}

// archive returns a maker writing data to p/cifar-10-binary.tar.gz.
func archive(data []byte) func(string) string {
	return func(p string) string {
		os.MkdirAll(p, 0o755)
		f := filepath.Join(p, ArchiveName)
		os.WriteFile(f, data, 0o644)
		return f
	}
}

func gzipped(s string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	io.WriteString(gz, s)
	gz.Close()
	return buf.Bytes()
}

// TestDecodeTruncated: data ending early while reading (a file shrinking under us) names the
// record and its byte count.
func TestDecodeTruncated(t *testing.T) {
	b := batch(3, 0)[:2*RecordSize+1536]
	p := bytesPart("x.bin", b)
	p.n = 3
	_, err := assemble([]part{p}, StandardClasses())
	if err == nil || !strings.Contains(err.Error(), "x.bin: truncated: record 2 has 1536 of 3073 bytes") {
		t.Fatalf("got %v", err)
	}
}
