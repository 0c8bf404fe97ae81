package upstream

import (
	"bufio"
	"io"
	"testing"
	"unicode/utf8"
)

// fuzzContentTypes are the Content-Type values a response can carry; the fuzzer picks one.
var fuzzContentTypes = [...]string{
	"application/json; charset=utf-8", "text/plain", "text/event-stream", "", "text/html", "application/octet-stream",
}

// FuzzParseStream feeds arbitrary bodies, split into reads of arbitrary size, to the response
// parser. It must never panic, never emit invalid UTF-8, and only fail with an *Error (or the
// reader's own error, which the fuzz reader never produces).
func FuzzParseStream(f *testing.F) {
	f.Add([]byte(`{"type":"begin","metadata":{"nodeId":"a","runIndex":0}}`+"\n"+`{"type":"item","content":"Hi"}`+"\n"), uint8(0), uint8(1))
	f.Add([]byte(`{"output":"Hello"}`), uint8(0), uint8(3))
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\ndata: [DONE]\n\n"), uint8(2), uint8(2))
	f.Add([]byte("Привет \xff 世界"), uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, body []byte, ctIndex, readSize uint8) {
		ct := fuzzContentTypes[int(ctIndex)%len(fuzzContentTypes)]
		var r io.Reader = &chunkedReader{data: body, size: int(readSize%7) + 1}
		r = &cappedReader{r: r, remaining: 1 << 16}
		textSeen := false
		emit := func(c Chunk) {
			if !utf8.ValidString(c.Text) {
				t.Fatalf("invalid UTF-8 emitted: %q", c.Text)
			}
			if c.Kind == ChunkText && c.Text == "" {
				t.Fatal("empty text chunk emitted")
			}
			if c.Kind == ChunkRunStart && !textSeen {
				t.Fatal("run start before any text")
			}
			textSeen = textSeen || c.Kind == ChunkText
		}
		seen, err := parseBody(bufio.NewReaderSize(r, 16), ct, 1<<16, emit)
		if seen != textSeen {
			t.Fatalf("textSeen = %v but text emitted = %v", seen, textSeen)
		}
		if err == nil && !seen {
			t.Fatal("success without text")
		}
		if e, ok := AsError(err); err != nil && (!ok || e.Partial != seen) {
			t.Fatalf("error %v (Partial wrong or not *Error)", err)
		}
	})
}

// chunkedReader returns data in reads of at most size bytes, so lines split anywhere.
type chunkedReader struct {
	data []byte
	size int
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.size)], c.data)
	c.data = c.data[n:]
	return n, nil
}
