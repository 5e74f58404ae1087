// Package ckpt reads and writes mflowlab's native checkpoint container: a versioned header
// (kind + JSON metadata + array directory), raw little-endian float32 arrays and a CRC-32C
// checksum over everything before it. Files are written atomically.
package ckpt

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/mflowlab/mflowlab/internal/atomicfile"
)

// Magic starts every native checkpoint.
const Magic = "MFLOWLAB\n"

// Version is the newest container version this code reads and the one it writes.
const Version = 1

// maxHeader bounds the JSON header so a corrupt length cannot allocate gigabytes.
const maxHeader = 64 << 20

// Array is one named float32 array.
type Array struct {
	Name string
	Data []float32
}

// File is the content of a checkpoint: a kind ("mflow", "classifier", …), free-form JSON
// metadata owned by that kind, and named arrays.
type File struct {
	Kind   string
	Meta   json.RawMessage
	Arrays []Array
}

// Get returns the array called name.
func (f *File) Get(name string) ([]float32, bool) {
	for _, a := range f.Arrays {
		if a.Name == name {
			return a.Data, true
		}
	}
	return nil, false
}

type header struct {
	Kind   string          `json:"kind"`
	Meta   json.RawMessage `json:"meta"`
	Arrays []arrayEntry    `json:"arrays"`
}

type arrayEntry struct {
	Name string `json:"name"`
	Len  int    `json:"len"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// IsNative reports whether the file at path starts with the native magic.
func IsNative(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, len(Magic))
	_, err = io.ReadFull(f, b)
	return err == nil && string(b) == Magic
}

// Write stores f at path atomically (internal/atomicfile): a temporary file in the same
// folder is synced and renamed over path, so path never holds a half-written checkpoint.
func Write(path string, f *File) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		if err := Encode(w, f); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	})
}

// Encode writes f to w in the checkpoint format: magic, version, header length, JSON
// header, the arrays' float32 values and a CRC-32C of everything before it.
func Encode(w io.Writer, f *File) error {
	h := header{Kind: f.Kind, Meta: f.Meta}
	if len(h.Meta) == 0 {
		h.Meta = json.RawMessage("{}")
	}
	for _, a := range f.Arrays {
		h.Arrays = append(h.Arrays, arrayEntry{a.Name, len(a.Data)})
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encoding header: %w", err)
	}
	if len(hj) > maxHeader {
		return fmt.Errorf("header of %d bytes is larger than %d", len(hj), maxHeader)
	}
	crc := crc32.New(castagnoli)
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 1<<16)
	bw.WriteString(Magic)
	var u32 [4]byte
	binary.LittleEndian.PutUint32(u32[:], Version)
	bw.Write(u32[:])
	binary.LittleEndian.PutUint32(u32[:], uint32(len(hj)))
	bw.Write(u32[:])
	bw.Write(hj)
	for _, a := range f.Arrays {
		for _, v := range a.Data {
			binary.LittleEndian.PutUint32(u32[:], math.Float32bits(v))
			bw.Write(u32[:])
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	binary.LittleEndian.PutUint32(u32[:], crc.Sum32())
	if _, err := w.Write(u32[:]); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	return nil
}

// Read loads and verifies a checkpoint. Errors name the file and the problem: not a native
// checkpoint, a newer version, truncation, a checksum mismatch or a malformed header.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse decodes a checkpoint held in memory; name is used in error messages.
func Parse(name string, data []byte) (*File, error) {
	fail := func(format string, a ...any) (*File, error) {
		return nil, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, a...))
	}
	if len(data) < len(Magic) || string(data[:len(Magic)]) != Magic {
		if bytes.HasPrefix(data, []byte("PK")) {
			return fail("a PyTorch (zip) checkpoint, not a native mflowlab checkpoint")
		}
		return fail("not an mflowlab checkpoint (bad magic)")
	}
	rest := data[len(Magic):]
	if len(rest) < 12 {
		return fail("truncated (%d bytes)", len(data))
	}
	version := binary.LittleEndian.Uint32(rest)
	if version > Version {
		return fail("checkpoint format version %d is newer than this mflowlab understands (%d); upgrade mflowlab", version, Version)
	}
	if version == 0 {
		return fail("invalid format version 0")
	}
	hl := int(binary.LittleEndian.Uint32(rest[4:]))
	if hl > maxHeader || 8+hl+4 > len(rest) {
		return fail("truncated or corrupt header (length %d, file %d bytes)", hl, len(data))
	}
	body := data[:len(data)-4]
	want := binary.LittleEndian.Uint32(data[len(data)-4:])
	var h header
	if err := json.Unmarshal(rest[8:8+hl], &h); err != nil {
		if crc32.Checksum(body, castagnoli) != want {
			return fail("checksum mismatch: the file is corrupt or truncated")
		}
		return fail("malformed header: %v", err)
	}
	total := 0
	for _, a := range h.Arrays {
		if a.Len < 0 || a.Len > 1<<31 {
			return fail("array %q has invalid length %d", a.Name, a.Len)
		}
		total += a.Len
	}
	payload := rest[8+hl:]
	if len(payload) != 4*total+4 {
		return fail("truncated: %d bytes of array data, header promises %d", len(payload)-4, 4*total)
	}
	if got := crc32.Checksum(body, castagnoli); got != want {
		return fail("checksum mismatch (stored %08x, computed %08x): the file is corrupt", want, got)
	}
	f := &File{Kind: h.Kind, Meta: h.Meta}
	off := 0
	for _, a := range h.Arrays {
		v := make([]float32, a.Len)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(payload[off:]))
			off += 4
		}
		f.Arrays = append(f.Arrays, Array{Name: a.Name, Data: v})
	}
	return f, nil
}

// ErrKind is returned (wrapped) when a checkpoint holds another kind of model.
var ErrKind = errors.New("wrong checkpoint kind")
