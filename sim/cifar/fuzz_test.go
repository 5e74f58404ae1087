package cifar

import (
	"testing"

	"github.com/mflowlab/mflowlab/internal/fuzzseed"
)

// FuzzLoadBin feeds arbitrary bytes to Load as a single .bin file: an error must name the
// file; a success must hold every record, byte for byte (label, pixels = byte/255, index),
// and its eval split must be the records with i%5 == 4.
func FuzzLoadBin(f *testing.F) {
	f.Add(batch(1, 0))
	f.Add(batch(6, 3))
	f.Add(batch(2, 1)[:RecordSize+7])
	bad := batch(2, 5)
	bad[RecordSize] = 10
	f.Add(bad)
	f.Add([]byte{})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzseed.Input(t, dir, "in.bin", data)
		s, err := Load(p, All)
		if fuzzseed.Rejected(t, err, p) {
			return
		}
		n := len(data) / RecordSize
		if len(data) != n*RecordSize || s.Len() != n || s.Images.Rows != n || s.Images.Cols != Pixels || len(s.Classes) != NumClasses {
			t.Fatalf("accepted %d bytes as %d images (%d×%d)", len(data), s.Len(), s.Images.Rows, s.Images.Cols)
		}
		for i := range n {
			rec := data[i*RecordSize : (i+1)*RecordSize]
			if s.Index[i] != i || s.Labels[i] != int32(rec[0]) || rec[0] > 9 {
				t.Fatalf("record %d: index %d label %d (byte %d)", i, s.Index[i], s.Labels[i], rec[0])
			}
			for c, b := range rec[1:] {
				if s.Images.Data[i*Pixels+c] != float32(b)/255 {
					t.Fatalf("record %d pixel %d differs", i, c)
				}
			}
		}
		e, err := Load(p, Eval)
		if err != nil || e.Len() != n/5 {
			t.Fatalf("eval split: %v, %d images of %d", err, e.Len(), n)
		}
		for k, i := range e.Index {
			if i != 5*k+4 {
				t.Fatalf("eval image %d is record %d", k, i)
			}
		}
	})
}

// FuzzLoadArchive feeds arbitrary bytes to Load as a .tar.gz: an error must name the file, a
// success must be a complete official set (train and eval both non-empty, labels in range).
func FuzzLoadArchive(f *testing.F) {
	f.Add(tarGz(f, ArchiveDir+"/", officialMembers()))
	f.Add(tarGz(f, ArchiveDir+"/", officialMembers()[:3]))
	f.Add(tarGz(f, "other/", officialMembers()[:1]))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzseed.Input(t, dir, ArchiveName, data)
		s, err := Load(p, All)
		if fuzzseed.Rejected(t, err, p) {
			return
		}
		if s.Len() < DataBatches+1 || len(s.Classes) != NumClasses {
			t.Fatalf("accepted an archive with %d images", s.Len())
		}
		for _, l := range s.Labels {
			if l < 0 || l > 9 {
				t.Fatalf("label %d", l)
			}
		}
	})
}
