// Package fuzzseed builds seed inputs for fuzz targets.
package fuzzseed

import (
	"archive/zip"
	"bytes"
	"io"
)

// Unchecked repacks the zip archive b with every member stored uncompressed and a CRC-32 of
// zero, which archive/zip takes for "no checksum": a fuzzer mutating such a seed reaches
// the members' parsers instead of failing every checksum.
func Unchecked(b []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Store,
			CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data))})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
