package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/sim/cifar"
)

// smallArchive returns a synthetic official archive: six batches of 5 records each.
func smallArchive(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for i := 1; i <= 6; i++ {
		name := fmt.Sprintf("data_batch_%d.bin", i)
		if i == 6 {
			name = cifar.TestBatch
		}
		b := make([]byte, 5*cifar.RecordSize)
		for k := range b {
			b[k] = byte(k * i)
		}
		for k := 0; k < len(b); k += cifar.RecordSize {
			b[k] %= 10
		}
		tw.WriteHeader(&tar.Header{Name: cifar.ArchiveDir + "/" + name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// TestDataCIFAR10: the command downloads from a local server with a progress bar, checks the
// MD5, loads the result, reports an archive already there, and refuses a bad checksum.
func TestDataCIFAR10(t *testing.T) {
	data := smallArchive(t)
	h := md5.Sum(data)
	sum := hex.EncodeToString(h[:])
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, cifar.ArchiveName, time.Time{}, bytes.NewReader(data))
	}))
	defer ts.Close()
	dir := filepath.Join(t.TempDir(), "c10")
	run := func(args ...string) (string, string, error) {
		var out, errb bytes.Buffer
		err := runData(&Env{Ctx: context.Background(), Stdout: &out, Stderr: &errb}, args)
		return out.String(), errb.String(), err
	}
	out, stderr, err := run("cifar10", "--dir", dir, "--url", ts.URL, "--md5", sum)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(out, "downloaded") || !strings.Contains(out, "MD5 ok") || !strings.Contains(out, "5 images") ||
		!strings.Contains(stderr, "MB/s") || !strings.Contains(stderr, "100.0%") {
		t.Errorf("stdout %q\nstderr %q", out, stderr)
	}
	if s, err := cifar.Load(dir, cifar.Train); err != nil || s.Len() != 25 {
		t.Fatalf("downloaded data: %v", err)
	}
	if out, _, err = run("cifar10", "--dir", dir, "--url", ts.URL, "--md5", sum); err != nil || !strings.Contains(out, "already there") {
		t.Errorf("second run: %q, %v", out, err)
	}
	other := filepath.Join(t.TempDir(), "bad")
	_, _, err = run("cifar10", "--dir", other, "--url", ts.URL)
	if err == nil || !strings.Contains(err.Error(), "not "+cifar.MD5) {
		t.Errorf("bad checksum: %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, cifar.ArchiveName)); err == nil {
		t.Error("archive with a bad checksum kept under its real name")
	}
	if _, _, err = run("mnist"); err == nil || !strings.Contains(err.Error(), "unknown data set") {
		t.Errorf("unknown data set: %v", err)
	}
}
