package fuzzseed

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"
)

// TestUncheckedReadsBack: the repacked archive reads back the same members, and a changed
// byte in a member is not reported as a checksum error.
func TestUncheckedReadsBack(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("a/data.pkl")
	w.Write([]byte("hello, members"))
	zw.Close()
	u, err := Unchecked(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(u, []byte("hello"))
	u[i] = 'j'
	zr, err := zip.NewReader(bytes.NewReader(u), int64(len(u)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	if err != nil || string(b) != "jello, members" {
		t.Fatalf("read %q, %v", b, err)
	}
}
