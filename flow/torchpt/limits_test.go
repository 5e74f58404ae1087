package torchpt

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
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
