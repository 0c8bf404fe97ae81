// Package demoagent is the built-in agent that answers in demo mode.
//
// It is an in-process stand-in for an n8n Chat Trigger in streaming mode. It answers in n8n's
// exact NDJSON wire format (status 200, application/json, one {"type","content","metadata"}
// object per line), so the demo exercises the same upstream parser, reply buffer and SSE relay
// as a real deployment.
package demoagent

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Scheme is the URL scheme the demo site's webhook uses ("demo://agent/…").
const Scheme = "demo"

// Agent answers chat requests with a labelled canned answer.
type Agent struct {
	// Delay between streamed tokens, so the demo visibly streams.
	Delay time.Duration
}

type chunkMeta struct {
	NodeID    string `json:"nodeId"`
	NodeName  string `json:"nodeName"`
	ItemIndex int    `json:"itemIndex"`
	RunIndex  int    `json:"runIndex"`
	Timestamp int64  `json:"timestamp,omitempty"`
}

type chunk struct {
	Type     string    `json:"type"`
	Content  *string   `json:"content,omitempty"`
	Metadata chunkMeta `json:"metadata"`
}

// ServeHTTP reads a Chat Trigger body and streams the answer.
func (a Agent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ChatInput string `json:"chatInput"`
		Message   string `json:"message"`
	}
	_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body)
	input := body.ChatInput
	if input == "" {
		input = body.Message
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	flush()
	enc := json.NewEncoder(w)
	meta := func() chunkMeta {
		return chunkMeta{NodeID: "demo-agent-node", NodeName: "AI Agent", Timestamp: time.Now().UnixMilli()}
	}
	_ = enc.Encode(chunk{Type: "begin", Metadata: meta()})
	flush()
	for _, tok := range tokens(Answer(input)) {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(a.Delay):
		}
		t := tok
		_ = enc.Encode(chunk{Type: "item", Content: &t, Metadata: meta()})
		flush()
	}
	_ = enc.Encode(chunk{Type: "end", Metadata: meta()})
	flush()
}

// Answer is the canned, clearly labelled reply to input.
func Answer(input string) string {
	q := strings.TrimSpace(input)
	if len([]rune(q)) > 80 {
		q = string([]rune(q)[:80]) + "…"
	}
	return fmt.Sprintf("**[Demo agent]** You asked: _%s_\n\n"+
		"This answer is streamed by chatproxy's built-in demo agent in n8n's NDJSON format. "+
		"Point `N8N_WEBHOOK_URL` (or a site in `CHATPROXY_SITES_FILE`) at your n8n workflow "+
		"to get real answers. See the README for the n8n setup.", q)
}

// tokens splits text into word-sized pieces, keeping the spaces, like an LLM stream.
func tokens(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if r == ' ' && i > start {
			out = append(out, s[start:i])
			start = i
		}
	}
	return append(out, s[start:])
}

// Transport answers requests for host in-process with the agent and sends everything else to
// Next. The demo therefore needs no listener and no network.
type Transport struct {
	Host  string
	Agent http.Handler
	Next  http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != t.Host {
		return t.Next.RoundTrip(req)
	}
	pr, pw := io.Pipe()
	rw := &pipeWriter{header: http.Header{}, pw: pw, ready: make(chan struct{})}
	go func() {
		defer func() { rw.writeHeaderOnce(http.StatusOK); _ = pw.Close() }()
		t.Agent.ServeHTTP(rw, req)
	}()
	select {
	case <-rw.ready:
	case <-req.Context().Done():
		_ = pr.CloseWithError(req.Context().Err())
		return nil, req.Context().Err()
	}
	return &http.Response{
		StatusCode: rw.status, Status: http.StatusText(rw.status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: rw.header, Body: pr, ContentLength: -1, Request: req,
	}, nil
}

type pipeWriter struct {
	header http.Header
	pw     *io.PipeWriter
	status int
	ready  chan struct{}
}

func (w *pipeWriter) Header() http.Header { return w.header }

func (w *pipeWriter) writeHeaderOnce(code int) {
	if w.status == 0 {
		w.status = code
		w.header = w.header.Clone()
		close(w.ready)
	}
}

func (w *pipeWriter) WriteHeader(code int) { w.writeHeaderOnce(code) }

func (w *pipeWriter) Write(b []byte) (int, error) {
	w.writeHeaderOnce(http.StatusOK)
	return w.pw.Write(b)
}

func (w *pipeWriter) Flush() {}
