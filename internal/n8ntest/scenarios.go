package n8ntest

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Scenario names: the path /webhook/<name>/chat selects one.
const (
	ScenarioStream            = "stream"              // begin, N items, end
	ScenarioMultiRun          = "multirun"            // two begin…end runs
	ScenarioKeepalive         = "keepalive"           // keepalive lines between items
	ScenarioErrorChunk        = "errorchunk"          // items, then an error chunk, then EOF
	ScenarioJSONOutput        = "json-output"         // {"output":AnswerText}
	ScenarioJSONText          = "json-text"           // {"text":AnswerText}
	ScenarioJSONMessage       = "json-message"        // {"message":{"type":"text","text":AnswerText}}
	ScenarioJSONArray         = "json-array"          // [{"output":AnswerText}]
	ScenarioJSONNoData        = "json-nodata"         // n8n's "no data was returned" body
	ScenarioText              = "text"                // text/plain AnswerText
	ScenarioSSE               = "sse"                 // text/event-stream, OpenAI-style deltas, [DONE]
	ScenarioStatus500         = "status500"           // {"message":"Error in workflow"}
	ScenarioStatus401         = "status401"           // Basic-auth style failure
	ScenarioStatus403         = "status403"           // Header-auth style failure
	ScenarioStatus404         = "status404"           // webhook not registered
	ScenarioStatus429         = "status429"           // with Retry-After: 7
	ScenarioRedirect          = "redirect"            // 302 to the stream scenario
	ScenarioHangBeforeHeaders = "hang-before-headers" // never answers
	ScenarioHangMidStream     = "hang-mid-stream"     // 3 items, then silence
	ScenarioResetMidStream    = "reset-mid-stream"    // 3 items, then a TCP reset
	ScenarioGarbage           = "garbage"             // binary junk labelled application/json
	ScenarioHTML              = "html"                // a proxy's HTML error page with status 200
	ScenarioOversized         = "oversized"           // streams items until 4 MiB
	ScenarioEmptyStream       = "empty-stream"        // stream headers, then EOF
	ScenarioSplit             = "split"               // the stream scenario written one byte per flush
	ScenarioEcho              = "echo"                // streams back chatInput (or message)
	ScenarioXSS               = "xss"                 // streams XSSCorpus
)

// Fixed texts of the scenarios.
const (
	AnswerText        = "Hello! How can I help you today?"
	MultiRunFirst     = "Let me check that for you."
	MultiRunSecond    = "Your order shipped yesterday."
	ErrorChunkMessage = "The service is receiving too many requests from you"
	MidStreamItems    = 3 // items sent by errorchunk, hang-mid-stream and reset-mid-stream before failing
)

type handler func(s *Server, w http.ResponseWriter, r *http.Request, rec Request)

// scenarios must not reference itself (initialisation cycle); handlers take what they need from s.
var scenarios = map[string]handler{
	ScenarioStream:            serveStream,
	ScenarioMultiRun:          serveMultiRun,
	ScenarioKeepalive:         serveKeepalive,
	ScenarioErrorChunk:        serveErrorChunk,
	ScenarioJSONOutput:        serveJSON(`{"output":%q}`),
	ScenarioJSONText:          serveJSON(`{"text":%q}`),
	ScenarioJSONMessage:       serveJSON(`{"message":{"type":"text","text":%q}}`),
	ScenarioJSONArray:         serveJSON(`[{"output":%q}]`),
	ScenarioJSONNoData:        serveBody(200, "application/json; charset=utf-8", `{"message":"Workflow executed successfully but no data was returned"}`),
	ScenarioText:              serveBody(200, "text/plain; charset=utf-8", AnswerText),
	ScenarioSSE:               serveSSE,
	ScenarioStatus500:         serveBody(500, "application/json; charset=utf-8", `{"message":"Error in workflow"}`),
	ScenarioStatus401:         serveAuthFailure(http.StatusUnauthorized, "Authorization is required!"),
	ScenarioStatus403:         serveAuthFailure(http.StatusForbidden, "Authorization data is wrong!"),
	ScenarioStatus404:         serveBody(404, "application/json; charset=utf-8", `{"code":404,"message":"The requested webhook is not registered."}`),
	ScenarioStatus429:         serveTooMany,
	ScenarioRedirect:          serveRedirect,
	ScenarioHangBeforeHeaders: func(s *Server, _ http.ResponseWriter, r *http.Request, _ Request) { s.hang(r) },
	ScenarioHangMidStream:     serveHangMidStream,
	ScenarioResetMidStream:    serveResetMidStream,
	ScenarioGarbage:           serveBody(200, "application/json; charset=utf-8", "\x00\x01garbage\xff\xfe not json {{{\n"),
	ScenarioHTML:              serveBody(200, "text/html; charset=utf-8", "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"),
	ScenarioOversized:         serveOversized,
	ScenarioEmptyStream:       func(_ *Server, w http.ResponseWriter, _ *http.Request, _ Request) { startStream(w) },
	ScenarioSplit:             serveSplit,
	ScenarioEcho:              serveEcho,
	ScenarioXSS:               serveXSS,
}

// itemCount is the "stream" item count: ?chunks=N overrides the server setting.
func itemCount(s *Server, r *http.Request) int {
	if n, err := strconv.Atoi(r.URL.Query().Get("chunks")); err == nil && n >= 0 {
		return n
	}
	return int(s.chunks.Load())
}

// pacer waits between the chunks of one request. A ?delay=10ms query overrides the server setting
// for the request; it is parsed once, not before every chunk.
type pacer struct {
	s     *Server
	r     *http.Request
	delay time.Duration // from the query; 0: use the server setting, read at each pause
}

func newPacer(s *Server, r *http.Request) pacer {
	p := pacer{s: s, r: r}
	if d, err := time.ParseDuration(r.URL.Query().Get("delay")); err == nil && d > 0 {
		p.delay = d
	}
	return p
}

// pause waits between chunks; false when the request or server ended meanwhile.
func (p pacer) pause() bool {
	if p.delay <= 0 {
		return p.s.pause(p.r)
	}
	t := time.NewTimer(p.delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.r.Context().Done():
		return false
	case <-p.s.closing:
		return false
	}
}

// streamItems writes begin, the items and end for one run, pausing between chunks.
func streamItems(p pacer, sw *streamWriter, run int, items []string) error {
	if err := sw.begin(run); err != nil {
		return err
	}
	for _, it := range items {
		if !p.pause() {
			return p.r.Context().Err()
		}
		if err := sw.item(run, it); err != nil {
			return err
		}
	}
	return sw.end(run)
}

func streamChunks(n int) []string {
	items := make([]string, n)
	for i := range items {
		items[i] = StreamChunk(i)
	}
	return items
}

func serveStream(s *Server, w http.ResponseWriter, r *http.Request, _ Request) {
	_ = streamItems(newPacer(s, r), startStream(w), 0, streamChunks(itemCount(s, r)))
}

func serveMultiRun(s *Server, w http.ResponseWriter, r *http.Request, _ Request) {
	sw, p := startStream(w), newPacer(s, r)
	if streamItems(p, sw, 0, []string{MultiRunFirst}) == nil {
		_ = streamItems(p, sw, 1, []string{MultiRunSecond})
	}
}

func serveKeepalive(_ *Server, w http.ResponseWriter, _ *http.Request, _ Request) {
	sw := startStream(w)
	_ = sw.keepalive()
	_ = sw.begin(0)
	for i := range 4 {
		_ = sw.item(0, StreamChunk(i))
		_ = sw.keepalive()
	}
	_ = sw.end(0)
}

func serveErrorChunk(_ *Server, w http.ResponseWriter, _ *http.Request, _ Request) {
	sw := startStream(w)
	_ = sw.begin(0)
	for i := range MidStreamItems {
		_ = sw.item(0, StreamChunk(i))
	}
	_ = sw.fail(0, ErrorChunkMessage) // then the stream just ends (docs/n8n-protocol.md, errors)
}

func serveJSON(format string) handler {
	return serveBody(200, "application/json; charset=utf-8", fmt.Sprintf(format, AnswerText))
}

func serveBody(status int, contentType, body string) handler {
	return func(_ *Server, w http.ResponseWriter, _ *http.Request, _ Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

func serveAuthFailure(status int, msg string) handler {
	return func(_ *Server, w http.ResponseWriter, _ *http.Request, _ Request) { authFailure(w, status, msg) }
}

func serveTooMany(_ *Server, w http.ResponseWriter, _ *http.Request, _ Request) {
	w.Header().Set("Retry-After", "7")
	http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
}

func serveRedirect(s *Server, w http.ResponseWriter, r *http.Request, _ Request) {
	http.Redirect(w, r, s.URLFor(ScenarioStream), http.StatusFound)
}

func serveSSE(_ *Server, w http.ResponseWriter, _ *http.Request, _ Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	for i, part := range []string{"Hello! ", "How can I help ", "you today?"} {
		_, _ = fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", part)
		if i == 0 {
			_, _ = w.Write([]byte(": ping\n\n"))
		}
		_ = rc.Flush()
	}
	_, _ = w.Write([]byte("data: [DONE]\n\n"))
}

func serveHangMidStream(s *Server, w http.ResponseWriter, r *http.Request, _ Request) {
	sw := startStream(w)
	_ = sw.begin(0)
	for i := range MidStreamItems {
		_ = sw.item(0, StreamChunk(i))
	}
	s.hang(r)
}

func serveResetMidStream(_ *Server, w http.ResponseWriter, _ *http.Request, _ Request) {
	sw := startStream(w)
	_ = sw.begin(0)
	for i := range MidStreamItems {
		_ = sw.item(0, StreamChunk(i))
	}
	conn, _, err := sw.rc.Hijack()
	if err != nil {
		return
	}
	resetConn(conn)
}

// resetConn closes with SO_LINGER 0, so the peer sees a TCP reset rather than a clean close.
func resetConn(conn net.Conn) {
	raw := conn
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		raw = nc.NetConn() // a TLS conn: reset the TCP socket under it, without close_notify
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = raw.Close()
}

func serveOversized(_ *Server, w http.ResponseWriter, _ *http.Request, _ Request) {
	sw := startStream(w)
	_ = sw.begin(0)
	item := strings.Repeat("x", 16<<10)
	for written := 0; written < 4<<20; written += len(item) {
		if sw.item(0, item) != nil {
			return
		}
	}
	_ = sw.end(0)
}

// serveSplit writes the stream scenario one byte per flush, so reads split lines anywhere,
// including inside multi-byte characters.
func serveSplit(s *Server, w http.ResponseWriter, r *http.Request, _ Request) {
	enc := newEncoder()
	all := append([]byte(nil), enc.encode(chunk{Type: "begin", Metadata: meta(0)})...)
	for i := range itemCount(s, r) {
		text := StreamChunk(i)
		all = append(all, enc.encode(chunk{Type: "item", Content: &text, Metadata: meta(0)})...)
	}
	all = append(all, enc.encode(chunk{Type: "end", Metadata: meta(0)})...)

	sw := startStream(w)
	for i := range all {
		if sw.raw(all[i:i+1]) != nil {
			return
		}
	}
}

func serveEcho(s *Server, w http.ResponseWriter, r *http.Request, rec Request) {
	text, _ := rec.JSON["chatInput"].(string)
	if text == "" {
		text, _ = rec.JSON["message"].(string)
	}
	_ = streamItems(newPacer(s, r), startStream(w), 0, []string{text})
}

func serveXSS(s *Server, w http.ResponseWriter, r *http.Request, _ Request) {
	_ = streamItems(newPacer(s, r), startStream(w), 0, XSSCorpus())
}
