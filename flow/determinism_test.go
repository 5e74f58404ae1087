package flow

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// goldenTrainHash is the SHA-256 of the weights, the projections and the PIE densities after
// trainFingerprint's 40 joint and 40 original-recipe steps, in a cgo build. It is the same at
// every SIMD level, on any core count and any x86-64 machine; a deliberate change to the
// numerics updates it (the test prints the new value).
const goldenTrainHash = "a3d99850f30bcc9da24bd68958b8941ff50dbce3ae78d81af7f03fc10648e306"

// trainFingerprint trains two small flows deterministically and hashes everything a user
// would see: the weights, projections of a grid and PIE log-densities.
func trainFingerprint(t *testing.T) string {
	t.Helper()
	data := nn.NewMat(600, 2)
	for i := 0; i < data.Rows; i++ {
		s := float64(i) / float64(data.Rows)
		r := 0.3 + 2*s
		a := 7 * s
		if i%2 == 1 {
			a += math.Pi
		}
		data.Data[2*i] = float32(r*math.Cos(a) + 0.05*math.Sin(float64(i)*12.9898))
		data.Data[2*i+1] = float32(r*math.Sin(a) + 0.05*math.Cos(float64(i)*78.233))
	}
	h := sha256.New()
	put := func(v []float32) {
		var b [4]byte
		for _, x := range v {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
			h.Write(b[:])
		}
	}
	for _, rc := range []TrainConfig{
		{Recipe: RecipeJoint, Epochs: 1000, Batch: 128, LR: 2e-3, ValFrac: 0.1, MSEWeight: 100, NLLWeight: 0.01, PIEEps: DefaultPIEEps, Seed: 3},
		{Recipe: RecipeOriginal, Epochs: 8, Batch: 64, LR: 1e-3, ValFrac: 0.25, MSEWeight: 100, NLLWeight: 1, PIEEps: DefaultPIEEps, Cosine: true, Seed: 4},
	} {
		m, err := New(LiveConfig(), 7)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := NewTrainer(m, data, rc)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 40; i++ {
			if _, err := tr.Step(); err != nil {
				t.Fatalf("%s step %d: %v", rc.Recipe, i, err)
			}
		}
		put(m.P)
		put(m.Project(data).Data)
		put(m.LogProbPIE(data, DefaultPIEEps))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestTrainingSameEverywhere trains in a fresh process at every SIMD level the CPU has and
// with one and with several cores, and requires the same bits each time; in cgo builds the
// result must also equal goldenTrainHash, the value on every other machine.
func TestTrainingSameEverywhere(t *testing.T) {
	if os.Getenv("MFLOWLAB_FINGERPRINT_CHILD") == "1" {
		os.Stdout.WriteString("fingerprint=" + trainFingerprint(t) + "\n")
		return
	}
	if testing.Short() {
		t.Skip("short mode: skipping the per-level training fingerprint")
	}
	seen := map[string]string{}
	var levels []string
	for l := nn.LevelGeneric; l <= nn.HardwareSIMD(); l++ {
		levels = append(levels, nn.LevelName(l))
	}
	for _, lvl := range levels {
		for _, procs := range []string{"1", "2"} {
			cmd := exec.Command(os.Args[0], "-test.run=^TestTrainingSameEverywhere$", "-test.v")
			cmd.Env = append(os.Environ(), "MFLOWLAB_FINGERPRINT_CHILD=1", "MFLOWLAB_SIMD="+lvl, "GOMAXPROCS="+procs)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child at %s, GOMAXPROCS=%s: %v\n%s", lvl, procs, err, out)
			}
			s := string(out)
			i := strings.Index(s, "fingerprint=")
			if i < 0 {
				t.Fatalf("child at %s printed no fingerprint:\n%s", lvl, s)
			}
			seen[lvl+"/"+procs] = strings.TrimSpace(s[i+len("fingerprint=") : i+len("fingerprint=")+64])
		}
	}
	ref := seen[levels[0]+"/1"]
	for k, v := range seen {
		if v != ref {
			t.Fatalf("training differs between settings: %v", seen)
		}
		_ = k
	}
	if fastBackend == "c" && ref != goldenTrainHash {
		t.Fatalf("cgo training fingerprint %s, want %s (the value on every machine); if the numerics changed on purpose, update goldenTrainHash", ref, goldenTrainHash)
	}
	t.Logf("%s build: fingerprint %s at levels %v with 1 and 2 cores", fastBackend, ref, levels)
}
