package upstream_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

func newFake(t *testing.T, opts ...n8ntest.Option) *n8ntest.Server {
	t.Helper()
	s := n8ntest.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

func newClient(t *testing.T, opts upstream.Options) *upstream.Client {
	t.Helper()
	c, err := upstream.NewClient(withBase(opts))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func trustedTarget(url string) upstream.Target {
	return upstream.Target{SiteID: "shop-a", URL: url, Format: upstream.FormatChatTrigger, Trusted: true}
}

// outcome is a call's result flattened: text with "|" for run starts, keepalive count, error.
type outcome struct {
	text       string
	keepalives int
	err        *upstream.Error
}

func call(ctx context.Context, c *upstream.Client, target upstream.Target, req upstream.Request) outcome {
	var o outcome
	var b strings.Builder
	err := c.Call(ctx, target, req, func(ch upstream.Chunk) {
		switch ch.Kind {
		case upstream.ChunkText:
			b.WriteString(ch.Text)
		case upstream.ChunkRunStart:
			b.WriteString("|")
		case upstream.ChunkKeepalive:
			o.keepalives++
		}
	})
	o.text = b.String()
	if err != nil {
		e, ok := upstream.AsError(err)
		if !ok {
			panic("Call returned a non-*Error: " + err.Error())
		}
		o.err = e
	}
	return o
}

func code(e *upstream.Error) string {
	if e == nil {
		return ""
	}
	return e.Code
}

var shortTimeouts = upstream.Options{FirstByteTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond}

// TestCallScenarios runs every fake scenario once and checks the normalised answer, the error
// code, Partial/Sent, that exactly one request was made, and that no error mentions the URL.
func TestCallScenarios(t *testing.T) {
	t.Parallel()
	corpus := strings.Join(n8ntest.XSSCorpus(), "")
	tests := []struct {
		scenario   string
		opts       upstream.Options
		text, code string
		partial    bool
		status     int
	}{
		{scenario: n8ntest.ScenarioStream, text: n8ntest.StreamText(20)},
		{scenario: n8ntest.ScenarioSplit, text: n8ntest.StreamText(20)},
		{scenario: n8ntest.ScenarioMultiRun, text: n8ntest.MultiRunFirst + "|" + n8ntest.MultiRunSecond},
		{scenario: n8ntest.ScenarioKeepalive, text: n8ntest.StreamText(4)},
		{scenario: n8ntest.ScenarioErrorChunk, text: n8ntest.StreamText(3), code: upstream.CodeAgentError, partial: true},
		{scenario: n8ntest.ScenarioJSONOutput, text: n8ntest.AnswerText},
		{scenario: n8ntest.ScenarioJSONText, text: n8ntest.AnswerText},
		{scenario: n8ntest.ScenarioJSONMessage, text: n8ntest.AnswerText},
		{scenario: n8ntest.ScenarioJSONArray, text: n8ntest.AnswerText},
		{scenario: n8ntest.ScenarioJSONNoData, code: upstream.CodeEmpty},
		{scenario: n8ntest.ScenarioText, text: n8ntest.AnswerText},
		{scenario: n8ntest.ScenarioSSE, text: n8ntest.AnswerText},
		{scenario: n8ntest.ScenarioEcho, text: "Do you ship to Norway?"},
		{scenario: n8ntest.ScenarioXSS, text: corpus},
		{scenario: n8ntest.ScenarioStatus500, code: upstream.CodeStatus, status: 500},
		{scenario: n8ntest.ScenarioStatus401, code: upstream.CodeUnauthorized, status: 401},
		{scenario: n8ntest.ScenarioStatus403, code: upstream.CodeUnauthorized, status: 403},
		{scenario: n8ntest.ScenarioStatus404, code: upstream.CodeStatus, status: 404},
		{scenario: n8ntest.ScenarioStatus429, code: upstream.CodeRateLimited, status: 429},
		{scenario: n8ntest.ScenarioRedirect, code: upstream.CodeStatus, status: 302},
		{scenario: n8ntest.ScenarioGarbage, code: upstream.CodeBadResponse},
		{scenario: n8ntest.ScenarioHTML, code: upstream.CodeBadResponse},
		{scenario: n8ntest.ScenarioEmptyStream, code: upstream.CodeEmpty},
		{scenario: n8ntest.ScenarioResetMidStream, text: n8ntest.StreamText(3), code: upstream.CodeBadResponse, partial: true},
		{scenario: n8ntest.ScenarioOversized, opts: upstream.Options{MaxResponseBytes: 64 << 10},
			code: upstream.CodeBadResponse, partial: true},
		{scenario: n8ntest.ScenarioHangBeforeHeaders, opts: shortTimeouts, code: upstream.CodeTimeout},
		{scenario: n8ntest.ScenarioHangMidStream, opts: shortTimeouts, text: n8ntest.StreamText(3),
			code: upstream.CodeTimeout, partial: true},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			fake := newFake(t)
			c := newClient(t, tt.opts)
			got := call(t.Context(), c, trustedTarget(fake.URLFor(tt.scenario)), testRequest())
			if code(got.err) != tt.code {
				t.Fatalf("code = %q (%v); want %q", code(got.err), got.err, tt.code)
			}
			if tt.scenario != n8ntest.ScenarioOversized && got.text != tt.text {
				t.Fatalf("text = %q; want %q", got.text, tt.text)
			}
			if n := fake.Count(); n != 1 {
				t.Fatalf("fake saw %d requests; want exactly 1", n)
			}
			if got.err == nil {
				return
			}
			e := got.err
			if !e.Sent || e.Partial != tt.partial || e.Status != tt.status || e.Message != upstream.FriendlyMessage(tt.code) {
				t.Fatalf("error %+v: want Sent, Partial=%v, Status=%d", e, tt.partial, tt.status)
			}
			if strings.Contains(e.Error(), "/webhook/") || strings.Contains(e.Error(), fake.URL) {
				t.Fatalf("error reveals the URL: %v", e)
			}
		})
	}
}

func TestCallRetryAfter(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	got := call(t.Context(), newClient(t, upstream.Options{}), trustedTarget(fake.URLFor(n8ntest.ScenarioStatus429)), testRequest())
	if got.err == nil || got.err.RetryAfter != 7*time.Second {
		t.Fatalf("got %+v; want RetryAfter 7s", got.err)
	}
}

func TestCallTotalTimeout(t *testing.T) {
	t.Parallel()
	fake := newFake(t, n8ntest.WithChunkDelay(50*time.Millisecond), n8ntest.WithChunks(1000))
	c := newClient(t, upstream.Options{TotalTimeout: 400 * time.Millisecond})
	got := call(t.Context(), c, trustedTarget(fake.URLFor(n8ntest.ScenarioStream)), testRequest())
	if code(got.err) != upstream.CodeTimeout || !got.err.Partial || got.text == "" {
		t.Fatalf("got %q, %+v; want a partial timeout", got.text, got.err)
	}
}

func TestCallCallerCancellation(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	c := newClient(t, upstream.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	got := call(ctx, c, trustedTarget(fake.URLFor(n8ntest.ScenarioStream)), testRequest())
	if code(got.err) != upstream.CodeCanceled {
		t.Fatalf("got %+v; want %s", got.err, upstream.CodeCanceled)
	}
	ctx, cancel = context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	got = call(ctx, c, trustedTarget(fake.URLFor(n8ntest.ScenarioHangBeforeHeaders)), testRequest())
	if code(got.err) != upstream.CodeTimeout || !got.err.Sent {
		t.Fatalf("got %+v; want a sent timeout", got.err)
	}
}

func TestCallForwardsHeadersAndBody(t *testing.T) {
	t.Parallel()
	fake := newFake(t, n8ntest.WithHS256(testSecret))
	signer, _ := upstream.NewHS256Signer("k1", testSecret, "chatproxy", 30*time.Second)
	c := newClient(t, upstream.Options{})
	for _, format := range []upstream.Format{upstream.FormatChatTrigger, upstream.FormatWebhook} {
		target := trustedTarget(fake.URLFor(n8ntest.ScenarioEcho))
		target.Format, target.Signer = format, signer
		got := call(t.Context(), c, target, fullRequest())
		if got.err != nil || got.text != "Do you ship to Norway?" {
			t.Fatalf("%s: got %q, %v", format, got.text, got.err)
		}
		rec, _ := fake.Last()
		h := rec.Header
		if rec.Method != "POST" || h.Get("Content-Type") != "application/json" || h.Get("User-Agent") != "chatproxy" ||
			h.Get("Accept") != "application/x-ndjson, application/json, text/event-stream, text/plain" {
			t.Fatalf("%s: method %s, headers %v", format, rec.Method, h)
		}
		if h.Get("Authorization") != "Bearer "+rec.Token || rec.Claims["aud"] != "n8n:shop-a" || rec.Claims["msg_id"] != "msg-1" {
			t.Fatalf("%s: token not verified by the fake: claims %v", format, rec.Claims)
		}
		meta, _ := rec.JSON["metadata"].(map[string]any)
		if meta["site_id"] != "shop-a" || meta["country"] != "GB" {
			t.Fatalf("%s: metadata %v", format, meta)
		}
		if format == upstream.FormatWebhook && rec.JSON["jwt_token"] != rec.Token {
			t.Fatalf("webhook body jwt_token differs from the Authorization token")
		}
		if format == upstream.FormatChatTrigger && (rec.JSON["sessionId"] != "sess-1" || rec.JSON["action"] != "sendMessage") {
			t.Fatalf("chat trigger body %v", rec.JSON)
		}
	}
}

// TestCallJWTRejected mirrors n8n's JWT Auth: no token → 401, wrong key or algorithm → 403.
func TestCallJWTRejected(t *testing.T) {
	t.Parallel()
	key := newES256Key(t)
	fake := newFake(t, n8ntest.WithES256(&key.PublicKey))
	good, _ := upstream.NewES256Signer("k", key, "chatproxy", 30*time.Second)
	otherKey, _ := upstream.NewES256Signer("k", newES256Key(t), "chatproxy", 30*time.Second)
	hmac, _ := upstream.NewHS256Signer("k", testSecret, "chatproxy", 30*time.Second)
	c := newClient(t, upstream.Options{})
	for _, tc := range []struct {
		name   string
		signer *upstream.Signer
		status int
	}{{"unsigned", nil, 401}, {"other key", otherKey, 403}, {"HS256", hmac, 403}, {"good", good, 0}} {
		target := trustedTarget(fake.URLFor(n8ntest.ScenarioJSONOutput))
		target.Signer = tc.signer
		got := call(t.Context(), c, target, testRequest())
		if tc.status == 0 {
			if got.err != nil || got.text != n8ntest.AnswerText {
				t.Fatalf("%s: %q, %v", tc.name, got.text, got.err)
			}
			continue
		}
		if code(got.err) != upstream.CodeUnauthorized || got.err.Status != tc.status {
			t.Fatalf("%s: got %+v; want %d", tc.name, got.err, tc.status)
		}
	}
}

func TestCallBadTargets(t *testing.T) {
	t.Parallel()
	c := newClient(t, upstream.Options{})
	for _, u := range []string{"", "ftp://n8n/x", "https://", "://bad"} {
		got := call(t.Context(), c, trustedTarget(u), testRequest())
		if code(got.err) != upstream.CodeUnreachable || got.err.Sent {
			t.Errorf("%q: %+v", u, got.err)
		}
	}
	target := trustedTarget("http://127.0.0.1:1/x")
	target.Format = "xml"
	if got := call(t.Context(), c, target, testRequest()); code(got.err) != upstream.CodeBadRequest || got.err.Sent {
		t.Errorf("unknown format: %+v", got.err)
	}
}

// TestCallH2C: with H2C, trusted http:// calls are HTTP/2 streams sharing connections, and
// streamed answers arrive intact; without it they are HTTP/1.1.
func TestCallH2C(t *testing.T) {
	t.Parallel()
	fake := newFake(t, n8ntest.WithH2C())
	for _, tc := range []struct {
		h2c   bool
		proto string
	}{{true, "HTTP/2.0"}, {false, "HTTP/1.1"}} {
		c := newClient(t, upstream.Options{H2C: tc.h2c})
		var wg sync.WaitGroup
		errs := make(chan string, 20)
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got := call(t.Context(), c, trustedTarget(fake.URLFor(n8ntest.ScenarioStream)), fullRequest())
				if got.err != nil || got.text != n8ntest.StreamText(20) {
					errs <- fmt.Sprintf("h2c=%v: %q %v", tc.h2c, got.text, got.err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		if rec, _ := fake.Last(); rec.Proto != tc.proto {
			t.Errorf("h2c=%v: the fake saw %s, want %s", tc.h2c, rec.Proto, tc.proto)
		}
	}
	// Untrusted targets never use it: they must be https, and keep HTTP/1.1 fallback.
	c := newClient(t, upstream.Options{H2C: true})
	target := trustedTarget(fake.URLFor(n8ntest.ScenarioStream))
	target.Trusted = false
	if got := call(t.Context(), c, target, fullRequest()); code(got.err) != upstream.CodeUnreachable {
		t.Errorf("untrusted http:// target with H2C: %v, want unreachable", got.err)
	}
}
