package torchpt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/mflowlab/mflowlab/internal/atomicfile"
)

// Module is one entry of a state_dict's _metadata, the record of the submodules that
// model.state_dict() attaches to the dict: Name is the submodule's dotted prefix ("" for
// the root module) and Version its _version (1 for the standard layers).
type Module struct {
	Name    string
	Version int
}

// Write saves tensors to path, in the given order, as torch.save(model.state_dict()) does:
// a zip of the pickled OrderedDict (protocol 2), one record per tensor storage aligned to 64
// bytes, byteorder and version records. Each tensor must be "float32" with F32 or "int64"
// with I64 holding its values in row-major order, len equal to the product of Shape.
// modules, when not nil, become the dict's _metadata; nil writes a plain OrderedDict. The
// file is written atomically; errors name the file and, for a bad tensor, the tensor.
func Write(path string, tensors []Tensor, modules []Module) error {
	if err := checkTensors(tensors); err != nil {
		return fmt.Errorf("torchpt: %s: %w", path, err)
	}
	seen := make(map[string]bool, len(modules))
	for _, m := range modules {
		if seen[m.Name] {
			return fmt.Errorf("torchpt: %s: module %q listed twice in the metadata", path, m.Name)
		}
		seen[m.Name] = true
	}
	err := atomicfile.Write(path, func(w io.Writer) error {
		if err := encode(w, archiveName(path), tensors, modules); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("torchpt: %w", err)
	}
	return nil
}

// checkTensors reports the first tensor Write cannot save.
func checkTensors(tensors []Tensor) error {
	if len(tensors) == 0 {
		return errors.New("no tensors to save")
	}
	names := make(map[string]bool, len(tensors))
	for i := range tensors {
		t := &tensors[i]
		if t.Name == "" {
			return fmt.Errorf("tensor %d has an empty name", i)
		}
		if names[t.Name] {
			return fmt.Errorf("tensor name %q occurs twice", t.Name)
		}
		names[t.Name] = true
		n := 1
		for _, d := range t.Shape {
			if d < 0 {
				return fmt.Errorf("tensor %q: negative size in shape %v", t.Name, t.Shape)
			}
			if d != 0 && n > maxElements/d {
				return fmt.Errorf("tensor %q: shape %v has more than %d elements", t.Name, t.Shape, maxElements)
			}
			n *= d
		}
		var have int
		switch t.DType {
		case "float32":
			if t.I64 != nil {
				return fmt.Errorf("tensor %q: float32 tensor with integer values set", t.Name)
			}
			have = len(t.F32)
		case "int64":
			if t.F32 != nil {
				return fmt.Errorf("tensor %q: int64 tensor with float values set", t.Name)
			}
			have = len(t.I64)
		default:
			return fmt.Errorf("tensor %q: dtype %q cannot be written (float32 and int64 only)", t.Name, t.DType)
		}
		if have != n {
			return fmt.Errorf("tensor %q: %d values for shape %v (%d elements)", t.Name, have, t.Shape, n)
		}
	}
	return nil
}

// archiveName is the folder torch.save puts the records in: the file's name up to its last
// dot, or "archive" when that is empty or the path is not ASCII (torch then writes through
// a Python stream, which uses that name).
func archiveName(path string) string {
	base := filepath.Base(path)
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	if base == "" || base == "." || base == string(filepath.Separator) {
		return "archive"
	}
	for i := 0; i < len(path); i++ {
		if path[i] >= 0x80 {
			return "archive"
		}
	}
	return base
}

// Layout constants of the zip records torch.save writes (caffe2 PyTorchStreamWriter over
// miniz): records are stored uncompressed, their data starts on a 64-byte boundary (padded
// with an "FB" extra field), their CRC and sizes follow in a data descriptor, and the
// archive always ends with zip64 end records.
const (
	fieldAlignment = 64
	localHeaderLen = 30
	flagsDescUTF8  = 0x0808    // bit 3: data descriptor follows; bit 11: UTF-8 names
	maxArchive     = 1<<32 - 1 // zip64 records (needed past 4 GiB) are not written
	fileVersion    = "3\n"     // the version record of current torch.save files
)

// zipRecord is what the central directory needs to know about a written record.
type zipRecord struct {
	name   string
	offset uint64
	size   uint64
	crc    uint32
}

// zipWriter writes the records of a torch.save archive in order and tracks their offsets.
type zipWriter struct {
	w       io.Writer
	off     uint64
	prefix  string // archive folder with trailing "/"
	records []zipRecord
	// serialization id ingredients, as PyTorchStreamWriter computes them
	crcHash uint64
}

func (z *zipWriter) write(b []byte) error {
	if z.off+uint64(len(b)) > maxArchive {
		return fmt.Errorf("checkpoint would exceed %d bytes, the size limit without zip64", uint64(maxArchive))
	}
	n, err := z.w.Write(b)
	z.off += uint64(n)
	return err
}

// record writes one stored record of size bytes whose content fill produces through emit.
func (z *zipWriter) record(name string, size uint64, fill func(emit func([]byte) error) error) error {
	full := z.prefix + name
	if len(full) > math.MaxUint16 {
		return fmt.Errorf("record name %q is too long", full)
	}
	if z.off+localHeaderLen+uint64(len(full))+4+fieldAlignment+size+16 > maxArchive {
		return fmt.Errorf("checkpoint would exceed %d bytes, the size limit without zip64", uint64(maxArchive))
	}
	start := z.off
	// Padding makes the data start on a boundary; the extra field is "FB", its length, then 'Z's.
	dataAt := start + localHeaderLen + uint64(len(full)) + 4
	pad := (fieldAlignment - dataAt%fieldAlignment) % fieldAlignment
	h := make([]byte, 0, localHeaderLen+len(full)+4+int(pad))
	h = binary.LittleEndian.AppendUint32(h, 0x04034b50)
	h = binary.LittleEndian.AppendUint16(h, 0) // version needed
	h = binary.LittleEndian.AppendUint16(h, flagsDescUTF8)
	h = binary.LittleEndian.AppendUint16(h, 0) // method: stored
	h = binary.LittleEndian.AppendUint32(h, 0) // time and date
	h = binary.LittleEndian.AppendUint32(h, 0) // CRC, in the descriptor
	h = binary.LittleEndian.AppendUint32(h, 0) // compressed size, in the descriptor
	h = binary.LittleEndian.AppendUint32(h, 0) // size, in the descriptor
	h = binary.LittleEndian.AppendUint16(h, uint16(len(full)))
	h = binary.LittleEndian.AppendUint16(h, uint16(4+pad))
	h = append(h, full...)
	h = append(h, 'F', 'B')
	h = binary.LittleEndian.AppendUint16(h, uint16(pad))
	for range pad {
		h = append(h, 'Z')
	}
	if err := z.write(h); err != nil {
		return err
	}
	crc := crc32.NewIEEE()
	var n uint64
	err := fill(func(b []byte) error {
		crc.Write(b)
		n += uint64(len(b))
		return z.write(b)
	})
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("internal error: record %s has %d bytes, announced %d", name, n, size)
	}
	sum := crc.Sum32()
	d := make([]byte, 0, 16)
	d = binary.LittleEndian.AppendUint32(d, 0x08074b50)
	d = binary.LittleEndian.AppendUint32(d, sum)
	d = binary.LittleEndian.AppendUint32(d, uint32(size))
	d = binary.LittleEndian.AppendUint32(d, uint32(size))
	if err := z.write(d); err != nil {
		return err
	}
	z.records = append(z.records, zipRecord{name: name, offset: start, size: size, crc: sum})
	z.crcHash = hashCombine(z.crcHash, uint64(sum))
	return nil
}

// bytesRecord writes a record holding b.
func (z *zipWriter) bytesRecord(name string, b []byte) error {
	return z.record(name, uint64(len(b)), func(emit func([]byte) error) error { return emit(b) })
}

// finish writes the serialization id record, the central directory and the zip64 and
// classic end records.
func (z *zipWriter) finish() error {
	names := make([]string, len(z.records))
	for i, r := range z.records {
		names[i] = r.name
	}
	if err := z.bytesRecord(".data/serialization_id", []byte(serializationID(names, z.crcHash))); err != nil {
		return err
	}
	cdStart := z.off
	var cd []byte
	for _, r := range z.records {
		full := z.prefix + r.name
		cd = binary.LittleEndian.AppendUint32(cd, 0x02014b50)
		cd = binary.LittleEndian.AppendUint16(cd, 0) // version made by
		cd = binary.LittleEndian.AppendUint16(cd, 0) // version needed
		cd = binary.LittleEndian.AppendUint16(cd, flagsDescUTF8)
		cd = binary.LittleEndian.AppendUint16(cd, 0) // stored
		cd = binary.LittleEndian.AppendUint32(cd, 0) // time and date
		cd = binary.LittleEndian.AppendUint32(cd, r.crc)
		cd = binary.LittleEndian.AppendUint32(cd, uint32(r.size))
		cd = binary.LittleEndian.AppendUint32(cd, uint32(r.size))
		cd = binary.LittleEndian.AppendUint16(cd, uint16(len(full)))
		cd = binary.LittleEndian.AppendUint16(cd, 0) // extra
		cd = binary.LittleEndian.AppendUint16(cd, 0) // comment
		cd = binary.LittleEndian.AppendUint16(cd, 0) // disk
		cd = binary.LittleEndian.AppendUint16(cd, 0) // internal attributes
		cd = binary.LittleEndian.AppendUint32(cd, 0) // external attributes
		cd = binary.LittleEndian.AppendUint32(cd, uint32(r.offset))
		cd = append(cd, full...)
	}
	if err := z.write(cd); err != nil {
		return err
	}
	n := uint64(len(z.records))
	cdSize := uint64(len(cd))
	end64 := z.off
	var e []byte
	e = binary.LittleEndian.AppendUint32(e, 0x06064b50) // zip64 end of central directory
	e = binary.LittleEndian.AppendUint64(e, 44)         // size of the rest of this record
	e = binary.LittleEndian.AppendUint16(e, 0x031e)     // made by: Unix, zip 3.0
	e = binary.LittleEndian.AppendUint16(e, 45)         // needed: zip64
	e = binary.LittleEndian.AppendUint32(e, 0)          // this disk
	e = binary.LittleEndian.AppendUint32(e, 0)          // disk of the central directory
	e = binary.LittleEndian.AppendUint64(e, n)
	e = binary.LittleEndian.AppendUint64(e, n)
	e = binary.LittleEndian.AppendUint64(e, cdSize)
	e = binary.LittleEndian.AppendUint64(e, cdStart)
	e = binary.LittleEndian.AppendUint32(e, 0x07064b50) // zip64 end locator
	e = binary.LittleEndian.AppendUint32(e, 0)
	e = binary.LittleEndian.AppendUint64(e, end64)
	e = binary.LittleEndian.AppendUint32(e, 1) // total disks
	e = binary.LittleEndian.AppendUint32(e, 0x06054b50)
	e = binary.LittleEndian.AppendUint16(e, 0)
	e = binary.LittleEndian.AppendUint16(e, 0)
	e = binary.LittleEndian.AppendUint16(e, uint16(min(n, math.MaxUint16)))
	e = binary.LittleEndian.AppendUint16(e, uint16(min(n, math.MaxUint16)))
	e = binary.LittleEndian.AppendUint32(e, uint32(cdSize))
	e = binary.LittleEndian.AppendUint32(e, uint32(cdStart))
	e = binary.LittleEndian.AppendUint16(e, 0) // comment length
	return z.write(e)
}

// encode writes the archive for tensors (already checked) to w.
func encode(w io.Writer, archive string, tensors []Tensor, modules []Module) error {
	z := &zipWriter{w: w, prefix: archive + "/"}
	if err := z.bytesRecord("data.pkl", pickleStateDict(tensors, modules)); err != nil {
		return err
	}
	if err := z.bytesRecord("byteorder", []byte("little")); err != nil {
		return err
	}
	// Storage keys are the tensors' indices; torch.save writes them sorted as strings.
	keys := make([]string, len(tensors))
	for i := range keys {
		keys[i] = strconv.Itoa(i)
	}
	order := make([]int, len(tensors))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return keys[order[a]] < keys[order[b]] })
	buf := make([]byte, 1<<16)
	for _, i := range order {
		t := &tensors[i]
		var size uint64
		if t.DType == "float32" {
			size = 4 * uint64(len(t.F32))
		} else {
			size = 8 * uint64(len(t.I64))
		}
		err := z.record("data/"+keys[i], size, func(emit func([]byte) error) error {
			return emitValues(t, buf, emit)
		})
		if err != nil {
			return err
		}
	}
	if err := z.bytesRecord("version", []byte(fileVersion)); err != nil {
		return err
	}
	return z.finish()
}

// emitValues passes t's values as little-endian bytes to emit, a buffer at a time.
func emitValues(t *Tensor, buf []byte, emit func([]byte) error) error {
	if t.DType == "float32" {
		for v := t.F32; len(v) > 0; {
			n := min(len(v), len(buf)/4)
			for i, x := range v[:n] {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
			}
			if err := emit(buf[:4*n]); err != nil {
				return err
			}
			v = v[n:]
		}
		return nil
	}
	for v := t.I64; len(v) > 0; {
		n := min(len(v), len(buf)/8)
		for i, x := range v[:n] {
			binary.LittleEndian.PutUint64(buf[8*i:], uint64(x))
		}
		if err := emit(buf[:8*n]); err != nil {
			return err
		}
		v = v[n:]
	}
	return nil
}

// hashCombine is c10::hash_combine, with which PyTorchStreamWriter folds hashes together.
func hashCombine(seed, value uint64) uint64 {
	return seed ^ (value + 0x9e3779b9 + seed<<6 + seed>>2)
}

// serializationID is the content of .data/serialization_id: twenty digits of combined record
// name hashes, then twenty of the combined record CRCs. torch combines the CRCs in write
// order, as here, but hashes the names with its C++ library's std::hash in the iteration
// order of a std::unordered_set, which differs between platforms; this uses libstdc++'s
// std::hash over the names in sorted order, so the id is deterministic. torch.load does not
// check it.
func serializationID(names []string, crcHash uint64) string {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	var h uint64
	for _, n := range sorted {
		h = hashCombine(h, stdHash([]byte(n)))
	}
	return fmt.Sprintf("%020d%020d", h, crcHash)
}

// stdHash is libstdc++'s std::hash<std::string> on 64-bit platforms (_Hash_bytes, a
// MurmurHash2 variant, with seed 0xc70f6907).
func stdHash(b []byte) uint64 {
	const mul = 0xc6a4a793<<32 + 0x5bd1e995
	shiftMix := func(v uint64) uint64 { return v ^ v>>47 }
	n := len(b)
	h := uint64(0xc70f6907) ^ uint64(n)*mul
	aligned := n &^ 7
	for p := 0; p < aligned; p += 8 {
		d := shiftMix(binary.LittleEndian.Uint64(b[p:])*mul) * mul
		h ^= d
		h *= mul
	}
	if n&7 != 0 {
		var d uint64
		for i := n - 1; i >= aligned; i-- {
			d = d<<8 | uint64(b[i])
		}
		h ^= d
		h *= mul
	}
	h = shiftMix(h) * mul
	return shiftMix(h)
}
