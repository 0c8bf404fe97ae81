// Package uploadstest makes files for upload tests: metadata, bombs.
//
// The files are built in memory with the standard library's encoders, then given what a
// camera or an attacker would add (an EXIF segment with GPS, a huge declared size).
package uploadstest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// JPEGWithGPS is a small JPEG carrying an EXIF segment with GPS coordinates.
func JPEGWithGPS(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 8))
	for x := 0; x < 16; x++ {
		img.Set(x, 3, color.RGBA{200, 10, 10, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	exif := []byte("Exif\x00\x00MM\x00*GPSLatitude=59.9139N GPSLongitude=10.7522E\x00")
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(exif)+2))
	out := append(append([]byte{}, raw[:2]...), seg...)
	out = append(out, exif...)
	return append(out, raw[2:]...)
}

// PNGBomb is a valid-looking PNG of a few hundred bytes that declares 100,000 × 100,000
// pixels (40 GB once decoded).
func PNGBomb(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	out := b.Bytes()
	binary.BigEndian.PutUint32(out[16:20], 100000)
	binary.BigEndian.PutUint32(out[20:24], 100000)
	binary.BigEndian.PutUint32(out[29:33], crc32.ChecksumIEEE(out[12:29]))
	return out
}
