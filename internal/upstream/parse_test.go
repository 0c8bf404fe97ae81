package upstream

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// collected is what a parse produced, flattened for comparison: text chunks are joined, and run
// starts and keepalives appear as "|" and "~".
type collected struct {
	out  string
	err  error
	text bool
}

func collect(r io.Reader, contentType string, limit int64) collected {
	var b strings.Builder
	emit := func(c Chunk) {
		switch c.Kind {
		case ChunkText:
			b.WriteString(c.Text)
		case ChunkRunStart:
			b.WriteString("|")
		case ChunkKeepalive:
			b.WriteString("~")
		}
	}
	if limit > 0 {
		r = &cappedReader{r: r, remaining: limit}
	}
	br := bufio.NewReaderSize(r, 16)
	textSeen, err := parseBody(br, contentType, 1<<20, emit)
	return collected{out: b.String(), err: err, text: textSeen}
}

func errCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := AsError(err); ok {
		return e.Code
	}
	return "raw:" + err.Error()
}

const (
	jsonCT = "application/json; charset=utf-8"
	meta0  = `"metadata":{"nodeId":"a","nodeName":"AI Agent","itemIndex":0,"runIndex":0,"timestamp":1}`
	meta1  = `"metadata":{"nodeId":"a","nodeName":"AI Agent","itemIndex":0,"runIndex":1,"timestamp":1}`
	metaB  = `"metadata":{"nodeId":"b","nodeName":"Other","itemIndex":0,"runIndex":0,"timestamp":1}`
)

func TestParseShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, ct, body string
		want, code     string
		partial        bool
	}{
		{"ndjson", jsonCT, `{"type":"begin",` + meta0 + "}\n" +
			`{"type":"item","content":"Hel",` + meta0 + "}\n" +
			`{"type":"item","content":"lo",` + meta0 + "}\n" +
			`{"type":"end",` + meta0 + "}\n", "Hello", "", false},
		{"ndjson without trailing newline", jsonCT, `{"type":"item","content":"a"}` + "\n" + `{"type":"item","content":"b"}`, "ab", "", false},
		{"ndjson crlf and blank lines", "", "\r\n" + `{"type":"item","content":"a"}` + "\r\n\r\n" + `{"type":"item","content":"b"}` + "\r\n", "ab", "", false},
		{"empty item ignored", jsonCT, `{"type":"item","content":"",` + meta0 + "}\n" + `{"type":"item","content":"x",` + meta0 + "}\n", "x", "", false},
		{"object content stringified", jsonCT, `{"type":"item","content":{"a":1}}` + "\n", `{"a":1}`, "", false},
		{"unknown type ignored", jsonCT, `{"type":"item","content":"a"}` + "\n" + `{"type":"progress","content":"zzz"}` + "\n", "a", "", false},
		{"keepalive", jsonCT, `{"type":"keepalive"}` + "\n" + `{"type":"item","content":"a"}` + "\n" + `{"type":"keepalive"}` + "\n", "~a~", "", false},
		{"two runs same node", jsonCT,
			`{"type":"begin",` + meta0 + "}\n" + `{"type":"item","content":"one",` + meta0 + "}\n" + `{"type":"end",` + meta0 + "}\n" +
				`{"type":"begin",` + meta1 + "}\n" + `{"type":"item","content":"two",` + meta1 + "}\n" + `{"type":"end",` + meta1 + "}\n",
			"one|two", "", false},
		{"two nodes", jsonCT, `{"type":"item","content":"one",` + meta0 + "}\n" + `{"type":"item","content":"two",` + metaB + "}\n" + `{"type":"item","content":"!",` + metaB + "}\n", "one|two!", "", false},
		{"run without text adds no separator", jsonCT, `{"type":"begin",` + meta0 + "}\n" + `{"type":"end",` + meta0 + "}\n" + `{"type":"item","content":"x",` + meta1 + "}\n", "x", "", false},
		{"error chunk after text", jsonCT, `{"type":"item","content":"par",` + meta0 + "}\n" + `{"type":"error","content":"boom","metadata":{"nodeId":"a","nodeName":"AI Agent","runIndex":0,"itemIndex":0}}` + "\n" + `{"type":"item","content":"never"}` + "\n", "par", CodeAgentError, true},
		{"error chunk first", jsonCT, `{"type":"error"}` + "\n", "", CodeAgentError, false},
		{"garbage line mid-stream", jsonCT, `{"type":"item","content":"a"}` + "\nnot json\n", "a", CodeBadResponse, true},
		{"stream without text", jsonCT, `{"type":"begin",` + meta0 + "}\n" + `{"type":"end",` + meta0 + "}\n", "", CodeEmpty, false},
		{"only keepalives", jsonCT, `{"type":"keepalive"}` + "\n", "~", CodeEmpty, false},
		{"json output", jsonCT, `{"output":"Hi there"}`, "Hi there", "", false},
		{"json text", jsonCT, `{"text":"Hi"}`, "Hi", "", false},
		{"json output wins over text", jsonCT, `{"text":"no","output":"yes"}`, "yes", "", false},
		{"json message string", jsonCT, `{"message":"Hi"}`, "Hi", "", false},
		{"json message object", jsonCT, `{"message":{"type":"text","text":"Hi"}}`, "Hi", "", false},
		{"json pretty printed", jsonCT, "{\n  \"output\": \"Hi\"\n}\n", "Hi", "", false},
		{"json no data", jsonCT, `{"message":"Workflow executed successfully but no data was returned"}`, "", CodeEmpty, false},
		{"json execution started", jsonCT, `{"executionStarted":true,"executionId":"1"}`, "", CodeEmpty, false},
		{"json array", jsonCT, `[{"output":"a"},{"output":"b"}]`, "a\n\nb", "", false},
		{"json array skips empty", jsonCT, `[{"x":1},{"text":"b"}]`, "b", "", false},
		{"json string", jsonCT, `"just text"`, "just text", "", false},
		{"json invalid", jsonCT, `{"output":"a"`, "", CodeBadResponse, false},
		{"json number", jsonCT, `42`, "", CodeBadResponse, false},
		{"plain text", "text/plain; charset=utf-8", "Hello, world", "Hello, world", "", false},
		{"plain text starting with brace-less html-ish", "text/plain", "<3 you", "<3 you", "", false},
		{"plain text empty", "text/plain", "   \n", "", CodeEmpty, false},
		{"html by type", "text/html", "<p>hi</p>", "", CodeBadResponse, false},
		{"html by content", jsonCT, "\n<!DOCTYPE html><html></html>", "", CodeBadResponse, false},
		{"html by content as text", "text/plain", "<HTML><body>502</body></HTML>", "", CodeBadResponse, false},
		{"garbage", jsonCT, "\x00\x01\xff junk", "", CodeBadResponse, false},
		{"octet stream", "application/octet-stream", "hello", "", CodeBadResponse, false},
		{"empty body", jsonCT, "", "", CodeEmpty, false},
		{"bom then ndjson", jsonCT, "\xEF\xBB\xBF" + `{"type":"item","content":"a"}`, "a", "", false},
		{"sse openai", "text/event-stream", "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n: ping\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\ndata: [DONE]\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"never\"}}]}\n\n", "Hel~lo", "", false},
		{"sse n8n chunks", "text/event-stream", "data: {\"type\":\"item\",\"content\":\"a\"}\n\ndata: {\"type\":\"item\",\"content\":\"b\"}\n\n", "ab", "", false},
		{"sse type content", "text/event-stream", "data: {\"type\":\"text\",\"content\":\"a\"}\n\n", "a", "", false},
		{"sse output object", "text/event-stream", "data: {\"output\":\"a\"}\n\n", "a", "", false},
		{"sse raw text multi data", "text/event-stream", "data: line1\ndata: line2\n\n", "line1\nline2", "", false},
		{"sse unterminated last event", "text/event-stream", "data: tail", "tail", "", false},
		{"sse error event", "text/event-stream", "data: a\n\nevent: error\ndata: boom\n\n", "a", CodeAgentError, true},
		{"sse sniffed without type", "", "data: {\"type\":\"item\",\"content\":\"a\"}\n\n", "a", "", false},
		{"sse only done", "text/event-stream", "data: [DONE]\n\n", "", CodeEmpty, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, split := range []bool{false, true} {
				var r io.Reader = strings.NewReader(tt.body)
				if split {
					r = iotest.OneByteReader(r)
				}
				got := collect(r, tt.ct, 0)
				if got.out != tt.want || errCode(got.err) != tt.code {
					t.Fatalf("split=%v: got %q, %s; want %q, %q", split, got.out, errCode(got.err), tt.want, tt.code)
				}
				if e, ok := AsError(got.err); ok && (e.Partial != tt.partial || !e.Sent) {
					t.Fatalf("split=%v: Partial=%v Sent=%v; want Partial=%v Sent=true", split, e.Partial, e.Sent, tt.partial)
				}
			}
		})
	}
}

// TestParseMultiByteAcrossReads splits every NDJSON and text body at every byte, including inside
// 2-, 3- and 4-byte characters, and checks the text comes out whole.
func TestParseMultiByteAcrossReads(t *testing.T) {
	t.Parallel()
	text := "Привет 世界 👋 ok"
	ndjson := `{"type":"item","content":"` + text + `"}` + "\n"
	for _, body := range []struct{ ct, body string }{{jsonCT, ndjson}, {"text/plain", text}} {
		got := collect(iotest.OneByteReader(strings.NewReader(body.body)), body.ct, 0)
		if got.err != nil || got.out != text {
			t.Fatalf("%s: got %q, %v", body.ct, got.out, got.err)
		}
	}
	// Split at every position into two reads.
	for i := range len(ndjson) {
		r := io.MultiReader(strings.NewReader(ndjson[:i]), strings.NewReader(ndjson[i:]))
		if got := collect(r, jsonCT, 0); got.out != text || got.err != nil {
			t.Fatalf("split at %d: got %q, %v", i, got.out, got.err)
		}
	}
}

func TestParseInvalidUTF8Replaced(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ ct, body string }{
		{"text/plain", "ok \xff\xfe bad \xe4\xb8"}, // stray bytes and a truncated 3-byte character at EOF
		{jsonCT, `{"type":"item","content":"ok ` + "\xff" + `"}`},
		{jsonCT, `{"output":"ok ` + "\xc3" + `"}`},
		{"text/event-stream", "data: ok \xff\n\n"},
	} {
		var chunks []string
		emit := func(c Chunk) { chunks = append(chunks, c.Text) }
		_, err := parseBody(bufio.NewReader(iotest.OneByteReader(strings.NewReader(tt.body))), tt.ct, 1<<20, emit)
		if err != nil {
			t.Fatalf("%q: %v", tt.body, err)
		}
		joined := strings.Join(chunks, "")
		if !utf8.ValidString(joined) || !strings.Contains(joined, "\uFFFD") || !strings.HasPrefix(joined, "ok ") {
			t.Fatalf("%q: emitted %q", tt.body, joined)
		}
	}
}

func TestParseSizeCaps(t *testing.T) {
	t.Parallel()
	line := `{"type":"item","content":"` + strings.Repeat("x", 100) + `"}` + "\n"
	body := strings.Repeat(line, 50)

	got := collect(strings.NewReader(body), jsonCT, int64(len(body)))
	if got.err != nil || len(got.out) != 5000 {
		t.Fatalf("exactly at the cap: got %d bytes, %v", len(got.out), got.err)
	}
	got = collect(strings.NewReader(body), jsonCT, int64(len(body))-1)
	e, ok := AsError(got.err)
	if !ok || e.Code != CodeBadResponse || !e.Partial || !errors.Is(e, errTooLarge) {
		t.Fatalf("one byte over the cap: %v", got.err)
	}
	got = collect(strings.NewReader(`{"output":"`+strings.Repeat("y", 5000)+`"}`), jsonCT, 1000)
	if e, ok := AsError(got.err); !ok || e.Code != CodeBadResponse || e.Partial || got.out != "" {
		t.Fatalf("oversized document: %q, %v", got.out, got.err)
	}

	// A single line longer than the line cap fails even below the body cap.
	var out []Chunk
	_, err := parseBody(bufio.NewReaderSize(strings.NewReader(line+line), 16), jsonCT, 50, func(c Chunk) { out = append(out, c) })
	if e, ok := AsError(err); !ok || e.Code != CodeBadResponse || !errors.Is(e, errLineTooLong) {
		t.Fatalf("long line: %v", err)
	}
}

// TestParseReadErrorPassesThrough checks that I/O errors reach the caller unchanged, so it can
// tell timeouts and resets apart, and that text read before the error was emitted.
func TestParseReadErrorPassesThrough(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader(`{"type":"item","content":"a"}`+"\n"+`{"type":"item","con`), iotest.ErrReader(boom))
	got := collect(r, jsonCT, 0)
	if !errors.Is(got.err, boom) || got.out != "a" || !got.text {
		t.Fatalf("got %q, %v, text=%v", got.out, got.err, got.text)
	}
	got = collect(io.MultiReader(strings.NewReader("partial text "), iotest.ErrReader(boom)), "text/plain", 0)
	if !errors.Is(got.err, boom) || got.out != "partial text " {
		t.Fatalf("text: got %q, %v", got.out, got.err)
	}
}
