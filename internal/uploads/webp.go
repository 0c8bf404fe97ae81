package uploads

import (
	"encoding/binary"
	"io"
)

type riffChunk struct {
	fourCC string
	off    int64 // of the data
	size   int64 // of the data, without padding
}

// scrubWebP drops the EXIF and XMP chunks of a WebP file, clears their flags in VP8X and
// rewrites the RIFF size; bytes after the RIFF's declared end are a polyglot.
func scrubWebP(r io.ReaderAt, size int64, w io.Writer, maxPixels int64) error {
	var head [12]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return errBroken
	}
	riffEnd := int64(binary.LittleEndian.Uint32(head[4:8])) + 8
	if riffEnd > size || riffEnd < 12 {
		return errBroken
	}
	if err := onlyPadding(io.NewSectionReader(r, riffEnd, size-riffEnd)); err != nil {
		return err
	}
	var kept []riffChunk
	total := int64(4) // "WEBP"
	sized := false
	for off := int64(12); off < riffEnd; {
		var ch [8]byte
		if _, err := r.ReadAt(ch[:], off); err != nil {
			return errBroken
		}
		c := riffChunk{fourCC: string(ch[:4]), off: off + 8, size: int64(binary.LittleEndian.Uint32(ch[4:8]))}
		padded := c.size + c.size&1
		if c.off+c.size > riffEnd {
			return errBroken
		}
		off = c.off + padded
		if c.fourCC == "EXIF" || c.fourCC == "XMP " {
			continue
		}
		if !sized {
			wd, h, err := webpSize(r, c)
			if err != nil {
				return err
			}
			if wd > 0 {
				if err := checkPixels(wd, h, maxPixels); err != nil {
					return err
				}
				sized = true
			}
		}
		kept = append(kept, c)
		total += 8 + padded
	}
	if !sized {
		return errBroken
	}
	binary.LittleEndian.PutUint32(head[4:8], uint32(total))
	if _, err := w.Write(head[:]); err != nil {
		return err
	}
	for _, c := range kept {
		if err := writeRIFFChunk(r, c, w); err != nil {
			return err
		}
	}
	return nil
}

func writeRIFFChunk(r io.ReaderAt, c riffChunk, w io.Writer) error {
	var ch [8]byte
	copy(ch[:4], c.fourCC)
	binary.LittleEndian.PutUint32(ch[4:], uint32(c.size))
	if _, err := w.Write(ch[:]); err != nil {
		return err
	}
	sec := io.NewSectionReader(r, c.off, c.size+c.size&1)
	if c.fourCC == "VP8X" && c.size >= 10 {
		var x [10]byte
		if _, err := io.ReadFull(sec, x[:]); err != nil {
			return errBroken
		}
		x[0] &^= 0x08 | 0x04 // the EXIF and XMP flags
		if _, err := w.Write(x[:]); err != nil {
			return err
		}
	}
	_, err := io.Copy(w, sec)
	return err
}

// webpSize reads the canvas size from VP8X, VP8 or VP8L; 0 for other chunks.
func webpSize(r io.ReaderAt, c riffChunk) (int64, int64, error) {
	var b [10]byte
	switch c.fourCC {
	case "VP8X":
		if _, err := r.ReadAt(b[:10], c.off); err != nil {
			return 0, 0, errBroken
		}
		return int64(uint32(b[4])|uint32(b[5])<<8|uint32(b[6])<<16) + 1, int64(uint32(b[7])|uint32(b[8])<<8|uint32(b[9])<<16) + 1, nil
	case "VP8 ":
		if _, err := r.ReadAt(b[:10], c.off); err != nil || b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
			return 0, 0, errBroken
		}
		return int64(binary.LittleEndian.Uint16(b[6:8]) & 0x3fff), int64(binary.LittleEndian.Uint16(b[8:10]) & 0x3fff), nil
	case "VP8L":
		if _, err := r.ReadAt(b[:5], c.off); err != nil || b[0] != 0x2f {
			return 0, 0, errBroken
		}
		bits := binary.LittleEndian.Uint32(b[1:5])
		return int64(bits&0x3fff) + 1, int64(bits>>14&0x3fff) + 1, nil
	}
	return 0, 0, nil
}

// checkPDF copies a PDF unchanged, refusing one with data after its last %%EOF (a polyglot).
func checkPDF(r io.ReaderAt, size int64, w io.Writer) error {
	tail := min(size, 1024)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return errBroken
	}
	i := lastIndex(buf, []byte("%%EOF"))
	if i < 0 {
		return errBroken
	}
	for _, b := range buf[i+5:] {
		if b != '\r' && b != '\n' && b != ' ' && b != '\t' && b != 0 {
			return errPolyglot
		}
	}
	_, err := io.Copy(w, io.NewSectionReader(r, 0, size))
	return err
}

func lastIndex(b, sep []byte) int {
	for i := len(b) - len(sep); i >= 0; i-- {
		if string(b[i:i+len(sep)]) == string(sep) {
			return i
		}
	}
	return -1
}
