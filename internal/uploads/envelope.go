package uploads

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
)

// Objects are envelope-encrypted: each has its own random 256-bit data key (sealed with the
// keyring and kept in the upload's row, so rotating or losing keyring keys works like for
// every other sealed field, and deleting the row shreds the object), and the object is
// AES-256-GCM in segments of segSize bytes, so it is written and read as a stream in constant
// memory. Layout: "CPU1", 4 random nonce-prefix bytes, then each segment's ciphertext and tag.
// A segment's nonce is the prefix and its index; its additional data names the upload, the
// index and whether it is the last, so segments cannot be reordered, dropped or cut off.
const (
	segSize  = 64 << 10
	tagSize  = 16
	headSize = 8
)

var errCorrupt = errors.New("uploads: object does not open with its key")

// sealedSize is the size of an object holding n bytes.
func sealedSize(n int64) int64 {
	segs := n/segSize + 1 // the last segment may be empty
	return headSize + n + segs*tagSize
}

func newDataKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

func segAD(id string, i uint64, last bool) []byte {
	ad := append([]byte(id), 0)
	ad = binary.BigEndian.AppendUint64(ad, i)
	if last {
		return append(ad, 1)
	}
	return append(ad, 0)
}

func segNonce(prefix []byte, i uint64) []byte {
	n := make([]byte, 12)
	copy(n, prefix)
	binary.BigEndian.PutUint64(n[4:], i)
	return n
}

func gcm(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// encrypt writes the sealed form of the n bytes of r to w.
func encrypt(key []byte, id string, r io.Reader, n int64, w io.Writer) error {
	aead, err := gcm(key)
	if err != nil {
		return err
	}
	head := []byte("CPU1\x00\x00\x00\x00")
	_, _ = rand.Read(head[4:])
	if _, err := w.Write(head); err != nil {
		return err
	}
	buf := make([]byte, segSize, segSize+tagSize)
	for i := uint64(0); ; i++ {
		m := min(n, segSize)
		if _, err := io.ReadFull(r, buf[:m]); err != nil {
			return err
		}
		n -= m
		last := n == 0 && m < segSize
		out := aead.Seal(buf[:0], segNonce(head[4:], i), buf[:m], segAD(id, i, last))
		if _, err := w.Write(out); err != nil {
			return err
		}
		if last {
			return nil
		}
		buf = buf[:segSize]
	}
}

// decrypter reads the plaintext of a sealed object.
type decrypter struct {
	aead   cipher.AEAD
	id     string
	src    io.Reader
	prefix []byte
	i      uint64
	seg    []byte // ciphertext buffer
	plain  []byte // unread plaintext of the current segment
	done   bool
}

func decrypt(key []byte, id string, src io.Reader) (io.Reader, error) {
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	head := make([]byte, headSize)
	if _, err := io.ReadFull(src, head); err != nil || string(head[:4]) != "CPU1" {
		return nil, errCorrupt
	}
	return &decrypter{aead: aead, id: id, src: src, prefix: head[4:], seg: make([]byte, segSize+tagSize+1)}, nil
}

func (d *decrypter) Read(p []byte) (int, error) {
	for len(d.plain) == 0 {
		if d.done {
			return 0, io.EOF
		}
		if err := d.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, d.plain)
	d.plain = d.plain[n:]
	return n, nil
}

// next opens the next segment. A full segment is followed by at least one more (possibly
// empty), so reading one byte past it tells whether it is the last.
func (d *decrypter) next() error {
	n, err := io.ReadFull(d.src, d.seg[:segSize+tagSize])
	if err != nil && err != io.ErrUnexpectedEOF {
		return errCorrupt
	}
	last := n < segSize+tagSize
	if !last {
		var one [1]byte
		if m, _ := d.src.Read(one[:]); m == 1 {
			d.seg[n] = one[0]
			defer func() { d.pending(one[0]) }()
		} else {
			return errCorrupt // a full segment is never the last
		}
	}
	plain, err := d.aead.Open(d.seg[:0], segNonce(d.prefix, d.i), d.seg[:n], segAD(d.id, d.i, last))
	if err != nil {
		return errCorrupt
	}
	d.plain, d.done = plain, last
	d.i++
	return nil
}

// pending puts a byte read ahead back in front of the source.
func (d *decrypter) pending(b byte) {
	d.src = io.MultiReader(bytesReader([]byte{b}), d.src)
}
