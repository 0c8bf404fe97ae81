package uploads

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
)

// Why a file is refused by its content.
var (
	errType     = errors.New("uploads: not an allowed type")
	errPolyglot = errors.New("uploads: data after the end of the file's format")
	errBomb     = errors.New("uploads: image dimensions too large")
	errBroken   = errors.New("uploads: malformed file")
)

// Sniff names the type of a file by its first bytes, never by its name or header.
func Sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return "image/webp"
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "application/pdf"
	}
	return ""
}

// scrub copies a file of type typ from r to w without its metadata (EXIF, GPS, XMP, IPTC,
// comments, text chunks), refusing data after the format's end (a polyglot: the file is also
// another format, e.g. a ZIP appended to a JPEG) and images over maxPixels (a decompression
// bomb: a small file that decodes to gigabytes). size is r's length.
func scrub(typ string, r io.ReaderAt, size int64, w io.Writer, maxPixels int64) error {
	switch typ {
	case "image/jpeg":
		return scrubJPEG(bufio.NewReader(io.NewSectionReader(r, 0, size)), w, maxPixels)
	case "image/png":
		return scrubPNG(bufio.NewReader(io.NewSectionReader(r, 0, size)), w, maxPixels)
	case "image/webp":
		return scrubWebP(r, size, w, maxPixels)
	case "application/pdf":
		return checkPDF(r, size, w)
	}
	return errType
}

func checkPixels(width, height, maxPixels int64) error {
	if width <= 0 || height <= 0 {
		return errBroken
	}
	if width*height > maxPixels {
		return errBomb
	}
	return nil
}

// onlyPadding reports whether the rest of r is empty or zero bytes (some encoders pad).
func onlyPadding(r io.Reader) error {
	var buf [4096]byte
	for {
		n, err := r.Read(buf[:])
		for _, b := range buf[:n] {
			if b != 0 {
				return errPolyglot
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// JPEG segments kept: the ones that decide how the image looks. APP0 (JFIF), APP2 (ICC
// profile) and APP14 (Adobe colour transform); every other APPn (APP1 holds EXIF with GPS and
// XMP, APP13 IPTC) and COM are dropped.
func keepJPEGSegment(marker byte) bool {
	switch {
	case marker >= 0xE0 && marker <= 0xEF:
		return marker == 0xE0 || marker == 0xE2 || marker == 0xEE
	case marker == 0xFE:
		return false
	}
	return true
}

func scrubJPEG(r *bufio.Reader, w io.Writer, maxPixels int64) error {
	var soi [2]byte
	if _, err := io.ReadFull(r, soi[:]); err != nil || soi != [2]byte{0xFF, 0xD8} {
		return errBroken
	}
	if _, err := w.Write(soi[:]); err != nil {
		return err
	}
	sized := false
	for {
		marker, err := nextMarker(r)
		if err != nil {
			return errBroken
		}
		switch {
		case marker == 0xD9: // EOI
			if !sized {
				return errBroken
			}
			if _, err := w.Write([]byte{0xFF, 0xD9}); err != nil {
				return err
			}
			return onlyPadding(r)
		case marker >= 0xD0 && marker <= 0xD7, marker == 0x01:
			if _, err := w.Write([]byte{0xFF, marker}); err != nil {
				return err
			}
			continue
		}
		var lenb [2]byte
		if _, err := io.ReadFull(r, lenb[:]); err != nil {
			return errBroken
		}
		n := int64(binary.BigEndian.Uint16(lenb[:])) - 2
		if n < 0 {
			return errBroken
		}
		if isSOF(marker) {
			head, err := r.Peek(5)
			if err != nil {
				return errBroken
			}
			h, wd := int64(binary.BigEndian.Uint16(head[1:3])), int64(binary.BigEndian.Uint16(head[3:5]))
			if err := checkPixels(wd, h, maxPixels); err != nil {
				return err
			}
			sized = true
		}
		if !keepJPEGSegment(marker) {
			if _, err := r.Discard(int(n)); err != nil {
				return errBroken
			}
			continue
		}
		if _, err := w.Write([]byte{0xFF, marker, lenb[0], lenb[1]}); err != nil {
			return err
		}
		if _, err := io.CopyN(w, r, n); err != nil {
			return errBroken
		}
		if marker == 0xDA { // start of scan: entropy-coded data follows
			if err := copyScan(r, w); err != nil {
				return err
			}
		}
	}
}

func isSOF(m byte) bool { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC }

// nextMarker reads the next "FF xx" marker (fill bytes FF allowed).
func nextMarker(r *bufio.Reader) (byte, error) {
	b, err := r.ReadByte()
	if err != nil || b != 0xFF {
		return 0, errBroken
	}
	for {
		if b, err = r.ReadByte(); err != nil {
			return 0, err
		}
		if b != 0xFF {
			return b, nil
		}
	}
}

// copyScan copies entropy-coded data up to (not including) the next marker that is not a
// stuffed byte or a restart marker, which it leaves unread.
func copyScan(r *bufio.Reader, w io.Writer) error {
	bw := bufio.NewWriter(w)
	for {
		two, err := r.Peek(2)
		if err != nil {
			return errBroken
		}
		if two[0] != 0xFF {
			_ = bw.WriteByte(two[0])
			_, _ = r.Discard(1)
			continue
		}
		if two[1] != 0x00 && (two[1] < 0xD0 || two[1] > 0xD7) {
			return bw.Flush() // a marker: the segment loop reads it
		}
		if _, err := bw.Write(two); err != nil {
			return err
		}
		_, _ = r.Discard(2)
	}
}

// PNG chunks dropped: text (tEXt, zTXt, iTXt), EXIF (eXIf) and the modification time.
var pngDropped = map[string]bool{"tEXt": true, "zTXt": true, "iTXt": true, "eXIf": true, "tIME": true}

func scrubPNG(r *bufio.Reader, w io.Writer, maxPixels int64) error {
	var sig [8]byte
	if _, err := io.ReadFull(r, sig[:]); err != nil {
		return errBroken
	}
	if _, err := w.Write(sig[:]); err != nil {
		return err
	}
	first := true
	for {
		var head [8]byte
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return errBroken
		}
		n := int64(binary.BigEndian.Uint32(head[:4]))
		typ := string(head[4:8])
		if n > 1<<30 {
			return errBroken
		}
		if first {
			if typ != "IHDR" || n != 13 {
				return errBroken
			}
			dims, err := r.Peek(8)
			if err != nil {
				return errBroken
			}
			if err := checkPixels(int64(binary.BigEndian.Uint32(dims[:4])), int64(binary.BigEndian.Uint32(dims[4:8])), maxPixels); err != nil {
				return err
			}
			first = false
		}
		if pngDropped[typ] {
			if _, err := r.Discard(int(n + 4)); err != nil {
				return errBroken
			}
			continue
		}
		if _, err := w.Write(head[:]); err != nil {
			return err
		}
		if _, err := io.CopyN(w, r, n+4); err != nil {
			return errBroken
		}
		if typ == "IEND" {
			return onlyPadding(r)
		}
	}
}
