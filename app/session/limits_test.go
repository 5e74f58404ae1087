package session

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeclaredSizesChecked: members whose headers claim sizes the file cannot hold are
// refused before they are read.
func TestDeclaredSizesChecked(t *testing.T) {
	for _, c := range []struct {
		method     uint16
		comp, size uint64
		want       string
	}{
		{zip.Deflate, 10, 1 << 29, "more than DEFLATE can expand"},
		{zip.Deflate, 10, 1 << 31, "more than the 1073741824 allowed"},
		{zip.Store, 10, 20, "stored uncompressed but claims 20 bytes in 10"},
	} {
		p := filepath.Join(t.TempDir(), "bomb.mflsession")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		zw := zip.NewWriter(f)
		w, err := zw.CreateRaw(&zip.FileHeader{Name: jsonName, Method: c.method, CompressedSize64: c.comp, UncompressedSize64: c.size})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(make([]byte, c.comp))
		zw.Close()
		f.Close()
		_, err = Load(p)
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming the file and %q", c, err, c.want)
		}
	}
}
