package ckpt

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/internal/crashtest"
)

// version returns the checkpoint the crash-test writer stores in round i: 2^19 values
// (2 MB) that depend on i, so that any mix of two rounds is detected.
func version(i int) *File {
	v := make([]float32, 1<<19)
	for j := range v {
		v[j] = float32(i*31+j%1000) / 7
	}
	return &File{Kind: "mflow", Meta: json.RawMessage(fmt.Sprintf(`{"round":%d}`, i)), Arrays: []Array{{"params", v}}}
}

// TestHelperCheckpointWriter is the child of TestKillWhileWritingCheckpoint: it rewrites
// the checkpoint round after round until it is killed.
func TestHelperCheckpointWriter(t *testing.T) {
	dir := crashtest.ChildDir()
	if dir == "" {
		t.Skip("runs only as the child of TestKillWhileWritingCheckpoint")
	}
	crashtest.Ready()
	for i := 1; ; i++ {
		if err := Write(filepath.Join(dir, "model.mfl"), version(i)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestKillWhileWritingCheckpoint kills a process in the middle of rewriting a checkpoint:
// the file must still hold one complete earlier version, and the next write must remove
// the temporary file the killed writer left.
func TestKillWhileWritingCheckpoint(t *testing.T) {
	if crashtest.ChildDir() != "" {
		t.Skip("not in the child")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "model.mfl")
	if err := Write(path, version(0)); err != nil {
		t.Fatal(err)
	}
	for try := range 3 {
		// Kill later on each try: in the first round, then after a few more.
		crashtest.KillWhileWriting(t, "TestHelperCheckpointWriter", dir, crashtest.After(time.Duration(try)*30*time.Millisecond, dir))
		got, err := Read(path)
		if err != nil {
			t.Fatalf("try %d: the checkpoint is damaged after the kill: %v", try, err)
		}
		var meta struct{ Round int }
		if err := json.Unmarshal(got.Meta, &meta); err != nil {
			t.Fatal(err)
		}
		if !sameFile(got, version(meta.Round)) {
			t.Fatalf("try %d: the checkpoint holds round %d's header with other values", try, meta.Round)
		}
		left := crashtest.Temporaries(t, dir)
		t.Logf("try %d: killed after %d complete rounds; %d temporary file(s) left: %v", try, meta.Round, len(left), left)
		if err := Write(path, version(0)); err != nil {
			t.Fatal(err)
		}
		if left := crashtest.Temporaries(t, dir); len(left) != 0 {
			t.Fatalf("the next write left the killed writer's temporaries: %v", left)
		}
	}
}

// TestFullDisk writes a checkpoint larger than a 64 KiB file system: the error names the
// file and the cause, and neither a partial file nor a temporary is left.
func TestFullDisk(t *testing.T) {
	dir := crashtest.SmallDisk(t, "64k")
	path := filepath.Join(dir, "model.mfl")
	small := &File{Kind: "mflow", Meta: json.RawMessage("{}"), Arrays: []Array{{"params", []float32{1, 2, 3}}}}
	if err := Write(path, small); err != nil {
		t.Fatal(err)
	}
	err := Write(path, version(1)) // 2 MB
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("error %v, want one naming %s and \"no space left on device\"", err, path)
	}
	t.Logf("full disk: %v", err)
	got, rerr := Read(path)
	if rerr != nil || !sameFile(got, small) {
		t.Fatalf("the earlier checkpoint did not survive: %v", rerr)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("files left on the full disk: %v", ents)
	}
	os.Remove(path)
	if err := Write(path, version(2)); err == nil {
		t.Fatal("a 2 MB write to a 64 KiB disk succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a failed first write left %v", ents)
	}
}
