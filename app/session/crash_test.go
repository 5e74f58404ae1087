package session

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/internal/crashtest"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

// round returns the session the crash-test writer saves in round i: the sample session
// with 50 000 points (a few MB to write) and round i in its probes and flow info.
func round(t *testing.T, i int) *Session {
	t.Helper()
	s := sample(t, true)
	d, err := spirals.Generate(50_000, 3, 1.2, 5)
	if err != nil {
		t.Fatal(err)
	}
	d.Source = "big.csv"
	s.Points = d
	s.Probes = [][2]float64{{float64(i), -float64(i)}}
	s.FlowInfo = map[string]string{"round": strconv.Itoa(i)}
	return s
}

// TestHelperSessionWriter is the child of TestKillWhileSavingSession: it saves the session
// round after round until it is killed.
func TestHelperSessionWriter(t *testing.T) {
	dir := crashtest.ChildDir()
	if dir == "" {
		t.Skip("runs only as the child of TestKillWhileSavingSession")
	}
	crashtest.Ready()
	for i := 1; ; i++ {
		if err := Save(filepath.Join(dir, "lab.mflsession"), round(t, i)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestKillWhileSavingSession kills a process in the middle of saving a session: the file
// must still load as one complete earlier save, and the next save must remove the
// temporary file the killed writer left.
func TestKillWhileSavingSession(t *testing.T) {
	if crashtest.ChildDir() != "" {
		t.Skip("not in the child")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "lab.mflsession")
	if err := Save(path, round(t, 0)); err != nil {
		t.Fatal(err)
	}
	for try := range 3 {
		crashtest.KillWhileWriting(t, "TestHelperSessionWriter", dir, crashtest.After(time.Duration(try)*60*time.Millisecond, dir))
		got, err := Load(path)
		if err != nil {
			t.Fatalf("try %d: the session is damaged after the kill: %v", try, err)
		}
		k, err := strconv.Atoi(got.FlowInfo["round"])
		if err != nil {
			t.Fatalf("try %d: flow info %v", try, got.FlowInfo)
		}
		want := round(t, k)
		if !reflect.DeepEqual(got.Probes, want.Probes) || !reflect.DeepEqual(got.Points.Y, want.Points.Y) ||
			!sameBits(got.Points.X, want.Points.X) || !sameBits(got.Flow.P, want.Flow.P) || !sameBits(got.Clf.P, want.Clf.P) {
			t.Fatalf("try %d: the session mixes round %d with other content", try, k)
		}
		left := crashtest.Temporaries(t, dir)
		t.Logf("try %d: killed after %d complete saves; %d temporary file(s) left: %v", try, k, len(left), left)
		if err := Save(path, round(t, 0)); err != nil {
			t.Fatal(err)
		}
		if left := crashtest.Temporaries(t, dir); len(left) != 0 {
			t.Fatalf("the next save left the killed writer's temporaries: %v", left)
		}
	}
}

// TestFullDisk saves a session larger than a 64 KiB file system: the error names the file
// and the cause, the earlier session survives, and no temporary is left.
func TestFullDisk(t *testing.T) {
	dir := crashtest.SmallDisk(t, "64k")
	path := filepath.Join(dir, "lab.mflsession")
	small := tinySession(t, false)
	if err := Save(path, small); err != nil {
		t.Fatal(err)
	}
	err := Save(path, round(t, 1))
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("error %v, want one naming %s and \"no space left on device\"", err, path)
	}
	t.Logf("full disk: %v", err)
	got, lerr := Load(path)
	if lerr != nil || !sameBits(got.Flow.P, small.Flow.P) || *got.Gen != *small.Gen {
		t.Fatalf("the earlier session did not survive: %v", lerr)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("files left on the full disk: %v", ents)
	}
}
