package upstream

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

var (
	errTooLarge    = errors.New("response body exceeds the size cap")
	errLineTooLong = errors.New("response line exceeds the size cap")
)

// cappedReader fails with errTooLarge once more than max bytes have been read, instead of
// silently truncating like io.LimitReader: a truncated answer must be reported as such.
type cappedReader struct {
	r         io.Reader
	remaining int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.remaining < 0 {
		return 0, errTooLarge
	}
	// Read one byte past the cap so "exactly max bytes" and "more" can be told apart.
	if int64(len(p)) > c.remaining+1 {
		p = p[:c.remaining+1]
	}
	n, err := c.r.Read(p)
	c.remaining -= int64(n)
	if c.remaining < 0 {
		return n + int(c.remaining), errTooLarge
	}
	return n, err
}

// lineReader splits a stream into lines however the bytes arrive (a line may span many reads,
// including the middle of a multi-byte character), with a cap on line length.
type lineReader struct {
	br  *bufio.Reader
	buf []byte
	max int
}

// next returns the next line without its "\n" or "\r\n". The slice is only valid until the next
// call. A last line without a newline is returned with a nil error; the call after it returns io.EOF.
// On any other read error a partial line is dropped.
func (lr *lineReader) next() ([]byte, error) {
	lr.buf = lr.buf[:0]
	for {
		frag, err := lr.br.ReadSlice('\n')
		switch {
		case err == nil && len(lr.buf) == 0:
			return trimEOL(frag), nil // common case: the whole line was buffered, no copy
		case err == nil:
			lr.buf = append(lr.buf, frag...)
			return trimEOL(lr.buf), nil
		case errors.Is(err, bufio.ErrBufferFull):
			lr.buf = append(lr.buf, frag...)
			if len(lr.buf) > lr.max {
				return nil, errLineTooLong
			}
		case errors.Is(err, io.EOF):
			lr.buf = append(lr.buf, frag...)
			if len(lr.buf) == 0 {
				return nil, io.EOF
			}
			return trimEOL(lr.buf), nil
		default:
			return nil, err
		}
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// skipLeadingSpace drops whitespace and a UTF-8 byte-order mark before the first real byte.
// It returns io.EOF when nothing else is left.
func skipLeadingSpace(br *bufio.Reader) error {
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
	}
	for {
		b, err := br.ReadByte()
		if err != nil {
			return err
		}
		if b != ' ' && b != '\t' && b != '\r' && b != '\n' {
			return br.UnreadByte()
		}
	}
}

// peekUpTo returns up to n upcoming bytes without consuming them (fewer at the end of the body).
func peekUpTo(br *bufio.Reader, n int) []byte {
	b, _ := br.Peek(n)
	return b
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

// looksHTML recognises error pages from proxies and load balancers in front of n8n.
func looksHTML(b []byte) bool {
	return hasPrefixFold(b, "<!doctype") || hasPrefixFold(b, "<html") ||
		hasPrefixFold(b, "<head") || hasPrefixFold(b, "<body")
}

// incompleteTail returns how many bytes at the end of b start a UTF-8 sequence that is not yet
// complete, so text can be cut between reads without splitting a character.
func incompleteTail(b []byte) int {
	for k := 1; k <= utf8.UTFMax-1 && k <= len(b); k++ {
		if utf8.RuneStart(b[len(b)-k]) {
			if utf8.FullRune(b[len(b)-k:]) {
				return 0
			}
			return k
		}
	}
	return 0
}

// validText turns bytes into a string with invalid UTF-8 replaced by U+FFFD.
func validText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// validString is validText for strings.
func validString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
