// Package session saves and loads the lab's whole state as one file: the workspace shown,
// the Two Spirals plane's training settings, data (its generator's parameters, or the
// points), probes, attack, layers and viewport, flow and classifier weights, and the other
// workspaces' parts as JSON. A session file is a zip archive holding session.json,
// flow.mfl, classifier.mfl and, for data loaded from a file, data.csv.
package session

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/ckpt"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/internal/atomicfile"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// Version is the session format this package writes and the newest it reads. Version 2
// added the workspace shown and the other workspaces' parts; version 1 files load with
// neither.
const Version = 2

// maxParts bounds the number of workspace parts a session may hold.
const maxParts = 16

// Names of the archive's members.
const (
	jsonName = "session.json"
	flowName = "flow.mfl"
	clfName  = "classifier.mfl"
	dataName = "data.csv"
)

// DataGen are the Two Spirals generator's parameters.
type DataGen struct {
	N         int     `json:"n"`
	Noise     float64 `json:"noise"`
	Rotations float64 `json:"rotations"`
	Seed      uint64  `json:"seed"`
}

// Session is the lab's state. Exactly one of Gen and Points describes the data: Gen when
// the points come from the generator, Points when they were loaded from a file.
type Session struct {
	Settings run.Settings      // training settings, seed included
	Gen      *DataGen          // data generator parameters, or nil
	Points   *spirals.Dataset  // the points themselves, or nil
	Probes   [][2]float64      // clean probe positions in data coordinates
	Attack   attack.Params     // attack run on every probe
	Adaptive bool              // the attack goes through the projection defence
	Layers   plane.LayerMask   // plane layers shown
	View     plane.Viewport    // plane viewport
	Flow     *flow.MFlow       // the flow shown (required)
	FlowInfo map[string]string // provenance of the flow (step, seed, source)
	Clf      *classify.MLP     // the classifier (required)
	ClfName  string            // where the classifier came from

	// Workspace is the name of the workspace shown ("" in version 1 files: the plane).
	Workspace string
	// Parts are the other workspaces' states by workspace name, each a JSON value that
	// its workspace writes and checks.
	Parts map[string]json.RawMessage
}

// header is session.json.
type header struct {
	Version    int                        `json:"version"`
	Settings   run.Settings               `json:"settings"`
	Gen        *DataGen                   `json:"data_generator,omitempty"`
	DataSource string                     `json:"data_source,omitempty"`
	Probes     [][2]float64               `json:"probes"`
	Attack     attackJSON                 `json:"attack"`
	Adaptive   bool                       `json:"adaptive"`
	Layers     uint32                     `json:"layers"`
	View       plane.Viewport             `json:"viewport"`
	FlowInfo   map[string]string          `json:"flow_info,omitempty"`
	ClfName    string                     `json:"classifier_source,omitempty"`
	Workspace  string                     `json:"workspace,omitempty"`
	Parts      map[string]json.RawMessage `json:"workspaces,omitempty"`
}

// attackJSON is attack.Params with the kind spelled out.
type attackJSON struct {
	Kind        string      `json:"kind"`
	Eps         float64     `json:"eps"`
	Alpha       float64     `json:"alpha"`
	Steps       int         `json:"steps"`
	Targeted    bool        `json:"targeted"`
	Target      int32       `json:"target"`
	RandomStart bool        `json:"random_start"`
	Box         *attack.Box `json:"box,omitempty"`
	Seed        uint64      `json:"seed"`
}

// versionOnly reads just the version, before the rest is trusted.
type versionOnly struct {
	Version *int `json:"version"`
}

// Save writes s to path atomically. Errors name the file and the problem.
func Save(path string, s *Session) error {
	if err := s.check(); err != nil {
		return fmt.Errorf("session %s: %w", path, err)
	}
	h := header{
		Version: Version, Settings: s.Settings, Gen: s.Gen, Probes: s.Probes, Adaptive: s.Adaptive,
		Layers: uint32(s.Layers), View: s.View, FlowInfo: s.FlowInfo, ClfName: s.ClfName,
		Workspace: s.Workspace, Parts: s.Parts,
		Attack: attackJSON{Kind: s.Attack.Kind.String(), Eps: s.Attack.Eps, Alpha: s.Attack.Alpha,
			Steps: s.Attack.Steps, Targeted: s.Attack.Targeted, Target: s.Attack.Target,
			RandomStart: s.Attack.RandomStart, Box: s.Attack.Box, Seed: s.Attack.Seed},
	}
	if h.Probes == nil {
		h.Probes = [][2]float64{}
	}
	if s.Points != nil {
		h.DataSource = s.Points.Source
	}
	js, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return fmt.Errorf("session %s: %w", path, err)
	}
	err = atomicfile.Write(path, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		put := func(name string, fill func(w io.Writer) error) error {
			f, err := zw.Create(name)
			if err != nil {
				return err
			}
			if err := fill(f); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		}
		if err := put(jsonName, func(w io.Writer) error { _, err := w.Write(js); return err }); err != nil {
			return err
		}
		if err := put(flowName, (&flow.Checkpoint{Flow: s.Flow, Info: s.FlowInfo}).Encode); err != nil {
			return err
		}
		if err := put(clfName, s.Clf.Encode); err != nil {
			return err
		}
		if s.Points != nil {
			if err := put(dataName, func(w io.Writer) error { _, err := w.Write(csvOf(s.Points)); return err }); err != nil {
				return err
			}
		}
		return zw.Close()
	})
	if err != nil {
		return fmt.Errorf("session %w", err) // atomicfile's errors start with the path
	}
	return nil
}

// check reports what makes s unsavable.
func (s *Session) check() error {
	switch {
	case s.Flow == nil:
		return errors.New("no flow to save")
	case s.Clf == nil:
		return errors.New("no classifier to save")
	case (s.Gen == nil) == (s.Points == nil):
		return errors.New("the data needs either generator parameters or points")
	}
	return checkParts(s.Parts)
}

// checkParts reports workspace parts that cannot be saved or were not saved by Save: too
// many, a bad name, or a value that is not JSON.
func checkParts(parts map[string]json.RawMessage) error {
	if len(parts) > maxParts {
		return fmt.Errorf("%d workspace parts, at most %d", len(parts), maxParts)
	}
	for name, p := range parts {
		if name == "" || len(name) > 32 {
			return fmt.Errorf("workspace part name %q is not valid", name)
		}
		if !json.Valid(p) {
			return fmt.Errorf("workspace part %q is not valid JSON", name)
		}
	}
	return nil
}

// csvOf writes d as x,y,label rows with a header; float32 values round-trip exactly.
func csvOf(d *spirals.Dataset) []byte {
	var b bytes.Buffer
	b.WriteString("x,y,label\n")
	for i := range d.Y {
		b.WriteString(strconv.FormatFloat(float64(d.X[2*i]), 'g', -1, 32))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(float64(d.X[2*i+1]), 'g', -1, 32))
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(int(d.Y[i])))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Load reads a session file written by Save. Errors name the file and the problem: not a
// session file, a missing or corrupt member, a format version newer than this program's.
// Load does not generate data: a session with Gen set has Points nil.
func Load(path string) (*Session, error) {
	s, err := load(path)
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", path, err)
	}
	return s, nil
}

func load(path string) (*Session, error) {
	file, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("no such file")
		}
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, errors.New("is a folder, not a session file")
	}
	fileSize := fi.Size()
	zr, err := zip.NewReader(file, fileSize)
	if err != nil {
		return nil, fmt.Errorf("truncated, or not a session file (%v)", err)
	}
	members := map[string]*zip.File{}
	for _, f := range zr.File {
		if _, dup := members[f.Name]; dup {
			return nil, fmt.Errorf("%s occurs twice in the archive", f.Name)
		}
		members[f.Name] = f
	}
	read := func(name string) ([]byte, error) {
		f := members[name]
		if f == nil {
			return nil, fmt.Errorf("%s is missing (not a session file?)", name)
		}
		if err := checkMemberSize(f, fileSize); err != nil {
			return nil, err
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
		if err != nil {
			return nil, fmt.Errorf("%s is corrupt: %v", name, err)
		}
		if uint64(len(b)) != f.UncompressedSize64 {
			return nil, fmt.Errorf("%s is corrupt: %d bytes, its header says %d", name, len(b), f.UncompressedSize64)
		}
		return b, nil
	}
	js, err := read(jsonName)
	if err != nil {
		return nil, err
	}
	var v versionOnly
	if err := json.Unmarshal(js, &v); err != nil {
		return nil, fmt.Errorf("%s: %v", jsonName, err)
	}
	switch {
	case v.Version == nil:
		return nil, fmt.Errorf("%s has no format version", jsonName)
	case *v.Version > Version:
		return nil, fmt.Errorf("session format version %d is newer than this mflowlab (%d)", *v.Version, Version)
	case *v.Version < 1:
		return nil, fmt.Errorf("session format version %d is not valid", *v.Version)
	}
	var h header
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("%s: %v", jsonName, err)
	}
	kind, err := attack.ParseKind(h.Attack.Kind)
	if err != nil {
		return nil, fmt.Errorf("%s: attack: %v", jsonName, err)
	}
	s := &Session{
		Settings: h.Settings, Gen: h.Gen, Probes: h.Probes, Adaptive: h.Adaptive,
		Layers: plane.LayerMask(h.Layers), View: h.View, FlowInfo: h.FlowInfo, ClfName: h.ClfName,
		Workspace: h.Workspace, Parts: h.Parts,
		Attack: attack.Params{Kind: kind, Eps: h.Attack.Eps, Alpha: h.Attack.Alpha, Steps: h.Attack.Steps,
			Targeted: h.Attack.Targeted, Target: h.Attack.Target, RandomStart: h.Attack.RandomStart,
			Box: h.Attack.Box, Seed: h.Attack.Seed},
	}
	if err := s.Settings.Validate(); err != nil {
		return nil, fmt.Errorf("%s: settings: %v", jsonName, err)
	}
	if err := s.Attack.Validate(); err != nil {
		return nil, fmt.Errorf("%s: attack: %v", jsonName, err)
	}
	if v := s.View; !(v.Scale > 0) || math.IsInf(v.Scale, 0) || !finite(v.Center[:]...) || v.W < 0 || v.H < 0 {
		return nil, fmt.Errorf("%s: viewport %+v is not valid", jsonName, v)
	}
	for i, p := range s.Probes {
		if !finite(p[:]...) {
			return nil, fmt.Errorf("%s: probe %d at %v is not finite", jsonName, i+1, p)
		}
	}
	if g := s.Gen; g != nil && (g.N <= 0 || !finite(g.Noise, g.Rotations)) {
		return nil, fmt.Errorf("%s: data generator %+v is not valid", jsonName, *g)
	}
	if err := checkParts(s.Parts); err != nil {
		return nil, fmt.Errorf("%s: %v", jsonName, err)
	}
	for name, p := range s.Parts { // as its workspace wrote it, without session.json's indentation
		var b bytes.Buffer
		if err := json.Compact(&b, p); err != nil {
			return nil, fmt.Errorf("%s: workspace part %q: %v", jsonName, name, err)
		}
		s.Parts[name] = b.Bytes()
	}
	if len(s.Workspace) > 32 {
		return nil, fmt.Errorf("%s: workspace name of %d bytes", jsonName, len(s.Workspace))
	}

	fb, err := read(flowName)
	if err != nil {
		return nil, err
	}
	if len(fb) < len(ckpt.Magic) || string(fb[:len(ckpt.Magic)]) != ckpt.Magic {
		return nil, fmt.Errorf("%s is not a native flow checkpoint (corrupt?)", flowName)
	}
	c, err := flow.ParseCheckpoint(flowName, fb)
	if err != nil {
		return nil, err
	}
	s.Flow = c.Flow
	cb, err := read(clfName)
	if err != nil {
		return nil, err
	}
	if s.Clf, err = classify.Parse(clfName, cb); err != nil {
		return nil, err
	}
	if s.Gen == nil {
		db, err := read(dataName)
		if err != nil {
			return nil, err
		}
		d, err := spirals.ReadCSV(dataName, bytes.NewReader(db))
		if err != nil {
			return nil, err
		}
		d.Source = h.DataSource
		s.Points = d
	} else if members[dataName] != nil {
		return nil, fmt.Errorf("%s holds both generator parameters and %s", jsonName, dataName)
	}
	return s, nil
}

func finite(v ...float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
