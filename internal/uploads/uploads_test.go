package uploads

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"testing"
)

// TestJPEG returns a small JPEG with an EXIF segment holding GPS data and a comment.
func testJPEG(t testing.TB) []byte {
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
	exif := append([]byte("Exif\x00\x00MM\x00*GPSLatitude=59.9139N GPSLongitude=10.7522E"), 0)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(exif)+2))
	com := []byte("\xFF\xFE\x00\x0Dsecret comm")
	out := append([]byte{}, raw[:2]...)
	out = append(out, seg...)
	out = append(out, exif...)
	out = append(out, com...)
	return append(out, raw[2:]...)
}

func testPNG(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	text := pngChunk("tEXt", []byte("Comment\x00GPS 59.9N"))
	return append(append(append([]byte{}, raw[:33]...), text...), raw[33:]...) // after IHDR
}

func pngChunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

func runScrub(typ string, in []byte) ([]byte, error) {
	var out bytes.Buffer
	err := scrub(typ, bytes.NewReader(in), int64(len(in)), &out, 50_000_000)
	return out.Bytes(), err
}

// TestScrubRemovesMetadata: EXIF with GPS and comments leave JPEGs, text chunks leave PNGs,
// and the images still decode to the same size.
func TestScrubRemovesMetadata(t *testing.T) {
	for _, c := range []struct {
		typ string
		in  []byte
	}{{"image/jpeg", testJPEG(t)}, {"image/png", testPNG(t)}} {
		if got := Sniff(c.in); got != c.typ {
			t.Fatalf("Sniff = %q, want %q", got, c.typ)
		}
		if !bytes.Contains(c.in, []byte("GPS")) {
			t.Fatal("test image has no GPS data to strip")
		}
		out, err := runScrub(c.typ, c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.typ, err)
		}
		for _, leak := range []string{"GPS", "Exif", "secret", "Comment"} {
			if bytes.Contains(out, []byte(leak)) {
				t.Errorf("%s: %q left in the cleaned file", c.typ, leak)
			}
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(out))
		if err != nil || cfg.Width == 0 {
			t.Errorf("%s: cleaned file does not decode: %v", c.typ, err)
		}
		if _, _, err := image.Decode(bytes.NewReader(out)); err != nil {
			t.Errorf("%s: cleaned image: %v", c.typ, err)
		}
	}
}

// TestScrubRefusals: polyglots (a ZIP after the image's end), decompression bombs (a tiny
// PNG declaring 100,000 × 100,000 pixels), broken files and a PDF with data after %%EOF.
func TestScrubRefusals(t *testing.T) {
	zip := []byte("PK\x03\x04\x14\x00payload.html<script>alert(1)</script>")
	bomb := testPNG(t)
	ihdr := bomb[16:24]
	binary.BigEndian.PutUint32(ihdr[0:4], 100000)
	binary.BigEndian.PutUint32(ihdr[4:8], 100000)
	cases := []struct {
		name, typ string
		in        []byte
		want      error
	}{
		{"jpeg+zip", "image/jpeg", append(testJPEG(t), zip...), errPolyglot},
		{"png+zip", "image/png", append(testPNG(t), zip...), errPolyglot},
		{"png bomb", "image/png", bomb, errBomb},
		{"truncated jpeg", "image/jpeg", testJPEG(t)[:40], errBroken},
		{"pdf+html", "application/pdf", []byte("%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n<html><script>x</script>"), errPolyglot},
		{"pdf without end", "application/pdf", []byte("%PDF-1.4\n1 0 obj"), errBroken},
	}
	for _, c := range cases {
		if _, err := runScrub(c.typ, c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	if out, err := runScrub("application/pdf", []byte("%PDF-1.4\n%%EOF\r\n")); err != nil || len(out) == 0 {
		t.Errorf("a plain PDF: %v", err)
	}
}

// TestEnvelope: objects of every boundary size open back; a flipped byte, a cut-off end or
// another upload's id does not open.
func TestEnvelope(t *testing.T) {
	key := newDataKey()
	for _, n := range []int{0, 1, segSize - 1, segSize, segSize + 1, 3*segSize + 17} {
		plain := bytes.Repeat([]byte{byte(n)}, n)
		var sealed bytes.Buffer
		if err := encrypt(key, "id-1", bytes.NewReader(plain), int64(n), &sealed); err != nil {
			t.Fatal(err)
		}
		if int64(sealed.Len()) != sealedSize(int64(n)) {
			t.Fatalf("n=%d: sealed %d bytes, sealedSize says %d", n, sealed.Len(), sealedSize(int64(n)))
		}
		open := func(b []byte, id string) ([]byte, error) {
			r, err := decrypt(key, id, bytes.NewReader(b))
			if err != nil {
				return nil, err
			}
			return io.ReadAll(r)
		}
		if got, err := open(sealed.Bytes(), "id-1"); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("n=%d: open: %v", n, err)
		}
		if _, err := open(sealed.Bytes(), "id-2"); err == nil {
			t.Errorf("n=%d: opened under another id", n)
		}
		flipped := append([]byte{}, sealed.Bytes()...)
		flipped[len(flipped)-1] ^= 1
		if _, err := open(flipped, "id-1"); err == nil {
			t.Errorf("n=%d: a flipped byte opened", n)
		}
		if n >= segSize {
			if _, err := open(sealed.Bytes()[:headSize+segSize+tagSize], "id-1"); err == nil {
				t.Errorf("n=%d: a cut-off object opened", n)
			}
		}
	}
}

func TestCleanName(t *testing.T) {
	for _, bad := range []string{"", "../etc/passwd", `..\boot.ini`, "a/b.png", "/abs.png", "x\x00.png", "evil\u202egnp.exe", "..", "a\nb.png"} {
		if _, err := CleanName(bad); err == nil {
			t.Errorf("CleanName(%q) accepted", bad)
		}
	}
	for _, good := range []string{"photo.jpg", "Счёт №5.pdf", "damaged item (1).png"} {
		if _, err := CleanName(good); err != nil {
			t.Errorf("CleanName(%q): %v", good, err)
		}
	}
}
