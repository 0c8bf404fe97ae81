package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/app"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
	"github.com/chatproxy/chatproxy/internal/tracing"
	"github.com/chatproxy/chatproxy/internal/tracing/tracingtest"
)

// tracedApp is a running app that exports its spans to a test receiver and logs JSON to a file.
type tracedApp struct {
	base    string
	spans   *tracingtest.Receiver
	n8n     *n8ntest.Server
	logPath string
	stop    func() // shuts the app down and flushes its spans
}

// startTracedApp wires an app from variables (plus the OTLP endpoint of a fresh receiver and
// the given extra ones) with sites "shop" (answers) and "broken" (n8n fails with a 500).
func startTracedApp(t *testing.T, extra map[string]string) *tracedApp {
	t.Helper()
	ta := &tracedApp{spans: tracingtest.NewReceiver(), n8n: n8ntest.NewServer()}
	t.Cleanup(ta.spans.Close)
	t.Cleanup(ta.n8n.Close)
	dir := t.TempDir()
	sites := `sites:
  - id: shop
    allowed_origins: ["https://shop.example"]
    n8n_webhook_url: "` + ta.n8n.URLFor(n8ntest.ScenarioStream) + `"
    abuse: {min_first_message_delay_ms: -1}
  - id: broken
    allowed_origins: ["https://broken.example"]
    n8n_webhook_url: "` + ta.n8n.URLFor(n8ntest.ScenarioStatus500) + `"
    abuse: {min_first_message_delay_ms: -1}
`
	sitesFile := filepath.Join(dir, "sites.yaml")
	if err := os.WriteFile(sitesFile, []byte(sites), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"CHATPROXY_DATA_DIR": dir, "CHATPROXY_ADDR": "127.0.0.1:0", "CHATPROXY_METRICS_ADDR": "off",
		"CHATPROXY_SITES_FILE": sitesFile, "JWT_SECRET_KEY": "session-token-secret-0123456789abcdef",
		"SESSION_SECRET_KEY":          sessionSecret,
		"CHATPROXY_ENCRYPTION_KEYS":   "t1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
		"OTEL_EXPORTER_OTLP_ENDPOINT": ta.spans.URL(), "LOG_LEVEL": "debug",
	}
	for k, v := range extra {
		vars[k] = v
	}
	c, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	ta.logPath = filepath.Join(dir, "log.json")
	logFile, err := os.Create(ta.logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logFile.Close() })
	a, err := app.New(t.Context(), c, app.NewLogger(c, logFile))
	if err != nil {
		t.Fatal(err)
	}
	l, err := a.Listen()
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, l) }()
	ta.base = "http://" + l.Public.Addr().String()
	stopped := false
	ta.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
		a.Close()
	}
	t.Cleanup(ta.stop)
	return ta
}

// logLines are the JSON log lines written so far.
func (ta *tracedApp) logLines(t *testing.T) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(ta.logPath)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Text())
		}
		out = append(out, line)
	}
	return out
}

// traceparent splits a W3C traceparent header into its trace and parent span ids.
func traceparent(t *testing.T, h string) (traceID, spanID string) {
	t.Helper()
	parts := strings.Split(h, "-")
	if len(parts) != 4 || parts[0] != "00" || len(parts[1]) != 32 || len(parts[2]) != 16 {
		t.Fatalf("traceparent %q is not version 00 with 32+16 hex ids", h)
	}
	return parts[1], parts[2]
}

// spanTree indexes the spans of one trace.
type spanTree struct {
	byID  map[string]tracingtest.Span
	spans []tracingtest.Span
}

func treeOf(spans []tracingtest.Span, traceID string) spanTree {
	tr := spanTree{byID: map[string]tracingtest.Span{}}
	for _, s := range spans {
		if s.TraceID == traceID {
			tr.byID[s.SpanID] = s
			tr.spans = append(tr.spans, s)
		}
	}
	return tr
}

// child returns the one span named name whose parent is parent.
func (tr spanTree) child(t *testing.T, parent tracingtest.Span, name string) tracingtest.Span {
	t.Helper()
	var found []tracingtest.Span
	for _, s := range tr.spans {
		if s.Name == name && s.ParentID == parent.SpanID {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans %q under %q, want 1; the trace: %s", len(found), name, parent.Name, tr)
	}
	return found[0]
}

func (tr spanTree) String() string {
	var b strings.Builder
	for _, s := range tr.spans {
		b.WriteString("\n  " + s.Name + " (" + s.SpanID + " under " + s.ParentID + ")")
	}
	return b.String()
}

// TestTracesFollowAnExchange runs a visitor's session start and one exchange through an app
// that exports to a local OTLP receiver, on both engines. The receiver must get one trace per
// request: the message's server span (named after its route) with the authentication, the
// stored message, the n8n call (with its first-token event) and the relay as children, the
// stored answer too; the fake n8n must get a traceparent naming that trace and the n8n call's
// span; PostgreSQL's group commit puts a batch span under the write it carried. No span holds
// the message text, the token, the query string or n8n's address.
func TestTracesFollowAnExchange(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			extra := map[string]string{}
			if engine == "postgres" {
				extra["DATABASE_URL"] = storetest.NewPostgresURL(t)
			}
			ta := startTracedApp(t, extra)
			const origin, text = "https://shop.example", "my parcel number is 4711-secret"
			token := createSession(t, ta.base, origin, "shop")
			stream := post(t, ta.base+"/api/v1/chat/message", origin, token, `{"message":"`+text+`"}`)
			if !strings.Contains(stream, "event: end") && !strings.Contains(stream, `"end"`) {
				t.Fatalf("the exchange did not end: %s", stream)
			}
			getStream(t, ta.base+"/api/v1/chat/stream?message="+url.QueryEscape("query-text-0815"), origin, token)
			ta.stop() // flushes the spans
			rec, ok := ta.n8n.Last()
			if !ok {
				t.Fatal("n8n got no request")
			}
			first := ta.n8n.Requests()[0]
			traceID, callSpanID := traceparent(t, first.Header.Get("Traceparent"))
			if rec.Header.Get("Traceparent") == first.Header.Get("Traceparent") {
				t.Error("two exchanges sent the same traceparent")
			}
			tr := treeOf(ta.spans.Spans(), traceID)
			checkExchangeTrace(t, tr, callSpanID, engine)
			checkSessionTrace(t, ta.spans.Spans())
			checkNothingPrivate(t, ta.spans.Spans(), text, token, "query-text-0815", "127.0.0.1:"+ta.n8n.Port(), "/webhook/")
		})
	}
}

func checkExchangeTrace(t *testing.T, tr spanTree, callSpanID, engine string) {
	t.Helper()
	var request tracingtest.Span
	for _, s := range tr.spans {
		if s.ParentID == "" {
			request = s
		}
	}
	if request.Name != "POST /api/v1/chat/message" || request.Kind != "server" {
		t.Fatalf("the trace's root is %q (%s), want the server span POST /api/v1/chat/message; the trace: %s", request.Name, request.Kind, tr)
	}
	for k, want := range map[string]string{"http.route": "/api/v1/chat/message", "http.request.method": "POST", "http.response.status_code": "200"} {
		if got := request.Attrs[k]; got != want {
			t.Errorf("request span %s = %q, want %q", k, got, want)
		}
	}
	if request.Resource["service.name"] != tracing.DefaultServiceName {
		t.Errorf("service.name %q, want %q", request.Resource["service.name"], tracing.DefaultServiceName)
	}
	auth := tr.child(t, request, "session.authenticate")
	if auth.Attrs["chatproxy.site_id"] != "shop" {
		t.Errorf("authentication span attributes %v lack the site", auth.Attrs)
	}
	insert := tr.child(t, request, tracing.SpanAddUserMessage)
	if insert.Attrs["db.system.name"] != map[string]string{"sqlite": "sqlite", "postgres": "postgresql"}[engine] {
		t.Errorf("store span's db.system.name %q on %s", insert.Attrs["db.system.name"], engine)
	}
	call := tr.child(t, request, "n8n.call")
	if call.SpanID != callSpanID {
		t.Errorf("n8n got traceparent span %s, want the n8n call's span %s", callSpanID, call.SpanID)
	}
	if call.Kind != "client" || !contains(call.Events, tracing.EventFirstToken) || call.Attrs["chatproxy.first_token_ms"] == "" {
		t.Errorf("n8n call span: kind %s, events %v, attributes %v; want a client span with the first token", call.Kind, call.Events, call.Attrs)
	}
	tr.child(t, request, "sse.relay")
	answer := tr.child(t, request, tracing.SpanAddMessage)
	if answer.Attrs["chatproxy.role"] != "assistant" || answer.Start.Before(call.End) {
		t.Errorf("the answer's store span (%v) should follow the n8n call", answer.Attrs)
	}
	if engine == "postgres" {
		tr.child(t, insert, tracing.SpanCommitBatch)
		tr.child(t, answer, tracing.SpanCommitBatch)
	}
}

// checkSessionTrace finds the session start's request and its store write.
func checkSessionTrace(t *testing.T, spans []tracingtest.Span) {
	t.Helper()
	for _, s := range spans {
		if s.Name == "POST /api/v1/session/create" {
			treeOf(spans, s.TraceID).child(t, s, tracing.SpanStartSession)
			return
		}
	}
	t.Error("no span for POST /api/v1/session/create")
}

// checkNothingPrivate looks for each secret in every name, attribute, event and status.
func checkNothingPrivate(t *testing.T, spans []tracingtest.Span, secrets ...string) {
	t.Helper()
	for _, s := range spans {
		all := s.Name + " " + s.StatusMessage + " " + strings.Join(s.Events, " ")
		for k, v := range s.Attrs {
			all += " " + k + "=" + v
		}
		for _, secret := range secrets {
			if strings.Contains(all, secret) {
				t.Errorf("span %q holds %q: %s", s.Name, secret, all)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// getStream opens the EventSource form of the stream and reads it to the end.
func getStream(t *testing.T, u, origin, token string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET stream: %d %s", resp.StatusCode, b.String())
	}
	return b.String()
}

// TestLogLinesCarryTheTraceID: with tracing on, the lines logged about a request carry its
// trace_id and the span_id of the span they were logged in (the access line: the request's;
// the failed reply's line: the n8n call's), and lines about no request carry none.
func TestLogLinesCarryTheTraceID(t *testing.T) {
	ta := startTracedApp(t, nil)
	const origin = "https://broken.example"
	token := createSession(t, ta.base, origin, "broken")
	stream := post(t, ta.base+"/api/v1/chat/message", origin, token, `{"message":"hello"}`)
	if !strings.Contains(stream, "upstream_") {
		t.Fatalf("want an upstream error event, got %s", stream)
	}
	ta.stop()
	traceID, callSpanID := traceparent(t, ta.n8n.Requests()[0].Header.Get("Traceparent"))
	var request tracingtest.Span
	for _, s := range ta.spans.Spans() {
		if s.TraceID == traceID && s.ParentID == "" {
			request = s
		}
	}
	if request.SpanID == "" {
		t.Fatalf("no request span in trace %s", traceID)
	}
	want := map[string]string{"reply failed": callSpanID, "request": request.SpanID}
	for _, line := range ta.logLines(t) {
		msg, _ := line["msg"].(string)
		if msg == "chatproxy listening" && line[tracing.LogTraceID] != nil {
			t.Errorf("a line about no request carries a trace id: %v", line)
		}
		if line["route"] != nil && line["route"] != "POST /api/v1/chat/message" {
			continue
		}
		spanID, ok := want[msg]
		if !ok {
			continue
		}
		if line[tracing.LogTraceID] != traceID || line[tracing.LogSpanID] != spanID {
			t.Errorf("%q: trace_id %v span_id %v, want %s %s", msg, line[tracing.LogTraceID], line[tracing.LogSpanID], traceID, spanID)
		}
		delete(want, msg)
	}
	for msg := range want {
		t.Errorf("no %q line about the exchange", msg)
	}
}

// TestTraceparentOnlyFromTrustedProxies: a visitor's traceparent is ignored (the request starts
// a trace of its own), while one from a proxy in TRUSTED_PROXIES continues the proxy's trace.
func TestTraceparentOnlyFromTrustedProxies(t *testing.T) {
	const outside = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	for _, trusted := range []bool{false, true} {
		extra := map[string]string{}
		if trusted {
			extra["TRUSTED_PROXIES"] = "127.0.0.1/32"
		}
		ta := startTracedApp(t, extra)
		req, err := http.NewRequest(http.MethodGet, ta.base+"/health/live", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Traceparent", outside)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		ta.stop()
		var live tracingtest.Span
		for _, s := range ta.spans.Spans() {
			if s.Name == "GET /health/live" {
				live = s
			}
		}
		continued := live.TraceID == "0af7651916cd43dd8448eb211c80319c" && live.ParentID == "b7ad6b7169203331"
		if live.SpanID == "" || continued != trusted {
			t.Errorf("trusted proxy %v: span %+v; want the outside trace continued only from a trusted proxy", trusted, live)
		}
	}
}
