package torchpt

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestDeclaredSizesChecked: a record whose header claims more bytes than DEFLATE could
// expand its compressed data to is refused before anything is allocated for it.
func TestDeclaredSizesChecked(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "a/data.pkl", Method: zip.Deflate,
		CompressedSize64: 10, UncompressedSize64: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(make([]byte, 10))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = decodeBytes(buf.Bytes())
	if err == nil || !strings.Contains(err.Error(), "claims 1048576 bytes from 10 compressed bytes") {
		t.Fatalf("error %v", err)
	}
}

// TestLongIntegersRefused: integers whose conversion would take quadratic time (a LONG of
// a million digits, a LONG4 of a million bytes; compressed, either fits in a few KB) are
// refused at once.
func TestLongIntegersRefused(t *testing.T) {
	digits := append([]byte{0x80, 0x02, 'L'}, bytes.Repeat([]byte("7"), 1<<20)...)
	digits = append(digits, '\n', '.')
	long4 := append([]byte{0x80, 0x02, 0x8b, 0, 0, 0x10, 0}, bytes.Repeat([]byte{0x55}, 1<<20)...)
	long4 = append(long4, '.')
	for name, pkl := range map[string][]byte{"LONG": digits, "LONG4": long4} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: "a/data.pkl", Method: zip.Deflate})
		w.Write(pkl)
		zw.Close()
		start := time.Now()
		_, err := decodeBytes(buf.Bytes())
		if err == nil || !strings.Contains(err.Error(), "more than the 4096 allowed") {
			t.Errorf("%s (%d bytes compressed): error %v", name, buf.Len(), err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s took %v", name, d)
		}
	}
}
