// Package tracingtest is an OTLP/HTTP trace receiver for tests and benchmarks.
//
// A Receiver listens on loopback like a collector's OTLP/HTTP port: it accepts
// ExportTraceServiceRequest bodies (protobuf, gzip or not) on /v1/traces, decodes them with the
// official OTLP protobuf types and keeps the spans for assertions. A sink (NewSink) decodes
// and counts them but keeps nothing, so a benchmark's memory stays flat.
package tracingtest

import (
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"
)

// Span is one received span in a form easy to assert on (ids in lower-case hex).
type Span struct {
	Name, TraceID, SpanID, ParentID string
	Kind                            string // "server", "client", "internal", …
	StatusCode, StatusMessage       string // "ok", "error" or "unset"
	Attrs                           map[string]string
	Events                          []string
	Links                           []string // span ids
	Resource                        map[string]string
	Scope                           string
	Start, End                      time.Time
}

// Receiver is a fake OTLP/HTTP collector.
type Receiver struct {
	srv      *httptest.Server
	keepAll  bool
	requests atomic.Int64
	bytes    atomic.Int64
	count    atomic.Int64
	mu       sync.Mutex
	spans    []Span
	header   http.Header
}

// NewReceiver starts a receiver that keeps every span it is sent.
func NewReceiver() *Receiver { return start(true) }

// NewSink starts a receiver that counts the spans it is sent and keeps none.
func NewSink() *Receiver { return start(false) }

func start(keepAll bool) *Receiver {
	r := &Receiver{keepAll: keepAll}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	return r
}

// URL is the base URL to give as OTEL_EXPORTER_OTLP_ENDPOINT.
func (r *Receiver) URL() string { return r.srv.URL }

// Close stops the receiver.
func (r *Receiver) Close() { r.srv.Close() }

// Requests and Bytes count the exports received and their (compressed) body sizes.
func (r *Receiver) Requests() int64 { return r.requests.Load() }

// Bytes counts the body bytes received.
func (r *Receiver) Bytes() int64 { return r.bytes.Load() }

// Count is the number of spans received.
func (r *Receiver) Count() int64 { return r.count.Load() }

// Spans returns a copy of the spans received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Header returns the headers of the last export.
func (r *Receiver) Header() http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.header.Clone()
}

// Wait polls until done reports true for the spans received, or timeout passes; it returns
// the spans it saw last either way.
func (r *Receiver) Wait(timeout time.Duration, done func([]Span) bool) ([]Span, bool) {
	deadline := time.Now().Add(timeout)
	for {
		spans := r.Spans()
		if done(spans) {
			return spans, true
		}
		if time.Now().After(deadline) {
			return spans, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" {
		http.Error(w, "want POST /v1/traces", http.StatusNotFound)
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	r.requests.Add(1)
	b, err := io.ReadAll(body)
	r.bytes.Add(int64(len(b)))
	var msg coltracepb.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(b, &msg)
	}
	if err != nil {
		http.Error(w, fmt.Sprintf("not an ExportTraceServiceRequest: %v", err), http.StatusBadRequest)
		return
	}
	if r.keepAll {
		r.keep(&msg, req.Header)
	}
	r.count.Add(int64(countSpans(&msg)))
	writeResponse(w)
}

func writeResponse(w http.ResponseWriter) {
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (r *Receiver) keep(msg *coltracepb.ExportTraceServiceRequest, h http.Header) {
	var got []Span
	for _, rs := range msg.GetResourceSpans() {
		res := attrs(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				sp := Span{
					Name: s.GetName(), TraceID: hex.EncodeToString(s.GetTraceId()), SpanID: hex.EncodeToString(s.GetSpanId()),
					ParentID: hex.EncodeToString(s.GetParentSpanId()), Kind: kindName(int32(s.GetKind())),
					StatusCode: statusName(int32(s.GetStatus().GetCode())), StatusMessage: s.GetStatus().GetMessage(),
					Attrs: attrs(s.GetAttributes()), Resource: res, Scope: ss.GetScope().GetName(),
					Start: time.Unix(0, int64(s.GetStartTimeUnixNano())), End: time.Unix(0, int64(s.GetEndTimeUnixNano())),
				}
				for _, e := range s.GetEvents() {
					sp.Events = append(sp.Events, e.GetName())
				}
				for _, l := range s.GetLinks() {
					sp.Links = append(sp.Links, hex.EncodeToString(l.GetSpanId()))
				}
				got = append(got, sp)
			}
		}
	}
	r.mu.Lock()
	r.spans = append(r.spans, got...)
	r.header = h.Clone()
	r.mu.Unlock()
}

func attrs(kvs []*commonpb.KeyValue) map[string]string {
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		v := kv.GetValue()
		switch x := v.GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			out[kv.GetKey()] = x.StringValue
		case *commonpb.AnyValue_IntValue:
			out[kv.GetKey()] = strconv.FormatInt(x.IntValue, 10)
		case *commonpb.AnyValue_DoubleValue:
			out[kv.GetKey()] = strconv.FormatFloat(x.DoubleValue, 'f', -1, 64)
		case *commonpb.AnyValue_BoolValue:
			out[kv.GetKey()] = strconv.FormatBool(x.BoolValue)
		default:
			out[kv.GetKey()] = v.String()
		}
	}
	return out
}

func kindName(k int32) string {
	return map[int32]string{1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}[k]
}

func statusName(c int32) string {
	return map[int32]string{0: "unset", 1: "ok", 2: "error"}[c]
}

func countSpans(msg *coltracepb.ExportTraceServiceRequest) int {
	n := 0
	for _, rs := range msg.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	return n
}
