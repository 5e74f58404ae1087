package cifar

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mflowlab/mflowlab/internal/testref"
)

// TestSharedTestBatch: the shared real file splits 8 000 / 2 000 with 200 eval images per
// class, and pixels, labels and indices match the file's bytes. (All is covered by the
// synthetic tests; loading it here too would double the test's time under -race.)
func TestSharedTestBatch(t *testing.T) {
	p := testref.Path(t, "cifar10", "test_batch.bin")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[Split]int{Train: 8000, Eval: 2000}
	seen := make([]bool, 10000)
	for _, split := range []Split{Train, Eval} {
		s, err := Load(p, split)
		if err != nil {
			t.Fatal(err)
		}
		if s.Len() != want[split] || s.Images.Rows != want[split] || s.Images.Cols != Pixels || len(s.Index) != want[split] {
			t.Fatalf("%s: %d images (%d×%d), want %d", split, s.Len(), s.Images.Rows, s.Images.Cols, want[split])
		}
		if !slices.Equal(s.Classes, StandardClasses()) {
			t.Errorf("%s: classes %v", split, s.Classes)
		}
		perClass := make([]int, NumClasses)
		for k, i := range s.Index {
			seen[i] = true
			if (split == Eval) != InSingleFileEval(i) {
				t.Fatalf("%s: record %d in the wrong split", split, i)
			}
			if k > 0 && i <= s.Index[k-1] {
				t.Fatalf("%s: indices not increasing at %d", split, k)
			}
			rec := raw[i*RecordSize : (i+1)*RecordSize]
			if s.Labels[k] != int32(rec[0]) {
				t.Fatalf("%s: image %d (record %d): label %d, file says %d", split, k, i, s.Labels[k], rec[0])
			}
			perClass[rec[0]]++
			// Every pixel of a few images, the first and last pixel of all.
			row := s.Images.Data[k*Pixels : (k+1)*Pixels]
			check := []int{0, 1, 1023, 1024, 2048, Pixels - 1}
			if k < 3 || k == len(s.Index)-1 {
				check = check[:0]
				for c := range Pixels {
					check = append(check, c)
				}
			}
			for _, c := range check {
				if row[c] != float32(rec[1+c])/255 {
					t.Fatalf("%s: image %d pixel %d = %v, file byte %d", split, k, c, row[c], rec[1+c])
				}
			}
		}
		if split == Eval {
			for c, n := range perClass {
				if n != 200 {
					t.Errorf("eval: class %d has %d images, want 200", c, n)
				}
			}
		}
	}
	if i := slices.Index(seen, false); i >= 0 {
		t.Errorf("record %d in neither split", i)
	}
	// The shared folder (test_batch.bin + batches.meta.txt) reads as the same single file.
	s, err := Load(filepath.Dir(p), Eval)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 2000 || s.Index[0] != 4 || s.Classes[9] != "truck" {
		t.Errorf("shared folder: %d images, first index %d, classes %v", s.Len(), s.Index[0], s.Classes)
	}
}

func TestParseSplit(t *testing.T) {
	for _, s := range []Split{All, Train, Eval} {
		got, err := ParseSplit(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSplit(%q) = %v, %v", s.String(), got, err)
		}
	}
	if _, err := ParseSplit("test"); err == nil {
		t.Error("ParseSplit(test) accepted")
	}
}

// BenchmarkLoadShared measures loading the shared 10 000-image file (all records).
func BenchmarkLoadShared(b *testing.B) {
	p := testref.Path(b, "cifar10", "test_batch.bin")
	b.SetBytes(10000 * RecordSize)
	for b.Loop() {
		if _, err := Load(p, All); err != nil {
			b.Fatal(err)
		}
	}
}
