package upstream_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

// failingTransport fails the first `failures` round trips with err, then passes them on.
type failingTransport struct {
	failures int32
	err      error
	calls    atomic.Int32
	next     http.RoundTripper
}

func (f *failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.calls.Add(1) <= f.failures {
		return nil, f.err
	}
	return f.next.RoundTrip(r)
}

var errDialRefused = &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}

// TestRetriesOnlyBeforeSend checks that dial failures are retried (at most twice) and that
// anything that may have reached n8n is never replayed.
func TestRetriesOnlyBeforeSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		failures    int32
		err         error
		wantCalls   int32
		wantFake    int
		wantCode    string
		wantSent    bool
		successText string
	}{
		{"dial fails twice then works", 2, errDialRefused, 3, 1, "", false, n8ntest.AnswerText},
		{"dial keeps failing", 100, errDialRefused, 3, 0, upstream.CodeUnreachable, false, ""},
		{"DNS not found is not retried", 100, &net.DNSError{Err: "no such host", Name: "n8n.invalid", IsNotFound: true}, 1, 0, upstream.CodeUnreachable, false, ""},
		{"error after send is not retried", 100, io.ErrUnexpectedEOF, 1, 0, upstream.CodeUnreachable, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake(t)
			ft := &failingTransport{failures: tt.failures, err: tt.err, next: http.DefaultTransport}
			c := newClient(t, upstream.Options{Transport: ft})
			got := call(t.Context(), c, trustedTarget(fake.URLFor(n8ntest.ScenarioJSONOutput)), testRequest())
			if ft.calls.Load() != tt.wantCalls || fake.Count() != tt.wantFake {
				t.Fatalf("attempts %d, fake saw %d; want %d, %d", ft.calls.Load(), fake.Count(), tt.wantCalls, tt.wantFake)
			}
			if code(got.err) != tt.wantCode || got.text != tt.successText {
				t.Fatalf("got %q, %+v; want %q, %q", got.text, got.err, tt.successText, tt.wantCode)
			}
			if got.err != nil && got.err.Sent != tt.wantSent {
				t.Fatalf("Sent = %v; want %v", got.err.Sent, tt.wantSent)
			}
		})
	}
}

// TestClosedPortUnreachable dials a real closed port: unreachable, and certainly not sent.
func TestClosedPortUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	got := call(t.Context(), newClient(t, upstream.Options{}), trustedTarget("http://"+addr+"/webhook/secret-id/chat"), testRequest())
	if code(got.err) != upstream.CodeUnreachable || got.err.Sent {
		t.Fatalf("got %+v; want unsent %s", got.err, upstream.CodeUnreachable)
	}
	if msg := got.err.Error(); strings.Contains(msg, "secret-id") {
		t.Fatalf("error reveals the URL: %s", msg)
	}
}

func TestBreakerOpensAndFailsFast(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	c := newClient(t, upstream.Options{BreakerFailures: 3, BreakerOpenFor: time.Hour})
	failing := trustedTarget(fake.URLFor(n8ntest.ScenarioStatus500))
	for i := range 3 {
		if got := call(t.Context(), c, failing, testRequest()); code(got.err) != upstream.CodeStatus {
			t.Fatalf("call %d: %+v", i, got.err)
		}
	}
	got := call(t.Context(), c, failing, testRequest())
	if code(got.err) != upstream.CodeCircuitOpen || got.err.Sent {
		t.Fatalf("4th call: %+v; want unsent %s", got.err, upstream.CodeCircuitOpen)
	}
	if fake.Count() != 3 {
		t.Fatalf("fake saw %d requests; the open breaker must send nothing", fake.Count())
	}
	other := trustedTarget(fake.URLFor(n8ntest.ScenarioJSONOutput))
	other.SiteID = "shop-b"
	if got := call(t.Context(), c, other, testRequest()); got.err != nil {
		t.Fatalf("another site is affected: %+v", got.err)
	}
}

// TestBreakerIgnoresHealthyFailures: agent errors, 4xx, empty answers, bodies that go wrong
// after their first byte (garbage, an HTML page, oversized) and caller cancellations say nothing
// about n8n's health and must not open the breaker.
func TestBreakerIgnoresHealthyFailures(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	c := newClient(t, upstream.Options{BreakerFailures: 2, BreakerOpenFor: time.Hour})
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	for _, tc := range []struct {
		scenario string
		ctx      context.Context
	}{
		{n8ntest.ScenarioErrorChunk, t.Context()}, {n8ntest.ScenarioErrorChunk, t.Context()},
		{n8ntest.ScenarioStatus401, t.Context()}, {n8ntest.ScenarioStatus404, t.Context()},
		{n8ntest.ScenarioEmptyStream, t.Context()}, {n8ntest.ScenarioJSONNoData, t.Context()},
		{n8ntest.ScenarioStatus500, canceled}, {n8ntest.ScenarioStatus500, canceled},
		{n8ntest.ScenarioStatus500, canceled},
		{n8ntest.ScenarioGarbage, t.Context()}, {n8ntest.ScenarioHTML, t.Context()},
		{n8ntest.ScenarioOversized, t.Context()},
	} {
		got := call(tc.ctx, c, trustedTarget(fake.URLFor(tc.scenario)), testRequest())
		if code(got.err) == upstream.CodeCircuitOpen {
			t.Fatalf("breaker opened after %s", tc.scenario)
		}
	}
}

func TestBreakerRecoversAfterProbe(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	c := newClient(t, upstream.Options{BreakerFailures: 1, BreakerOpenFor: 50 * time.Millisecond})
	if got := call(t.Context(), c, trustedTarget(fake.URLFor(n8ntest.ScenarioStatus500)), testRequest()); code(got.err) != upstream.CodeStatus {
		t.Fatalf("first call: %+v", got.err)
	}
	healthy := trustedTarget(fake.URLFor(n8ntest.ScenarioJSONOutput))
	if got := call(t.Context(), c, healthy, testRequest()); code(got.err) != upstream.CodeCircuitOpen {
		t.Fatalf("second call: %+v; want open", got.err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := call(t.Context(), c, healthy, testRequest())
		if got.err == nil {
			break
		}
		if code(got.err) != upstream.CodeCircuitOpen || time.Now().After(deadline) {
			t.Fatalf("breaker did not recover: %+v", got.err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConcurrencyCap(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	c := newClient(t, upstream.Options{MaxConcurrentPerSite: 1, ConcurrencyWait: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	first := make(chan outcome, 1)
	go func() {
		first <- call(ctx, c, trustedTarget(fake.URLFor(n8ntest.ScenarioHangBeforeHeaders)), testRequest())
	}()
	for fake.Count() == 0 {
		time.Sleep(time.Millisecond)
	}

	got := call(t.Context(), c, trustedTarget(fake.URLFor(n8ntest.ScenarioJSONOutput)), testRequest())
	if code(got.err) != upstream.CodeBusy || got.err.Sent {
		t.Fatalf("second call: %+v; want unsent %s", got.err, upstream.CodeBusy)
	}
	other := trustedTarget(fake.URLFor(n8ntest.ScenarioJSONOutput))
	other.SiteID = "shop-b"
	if got := call(t.Context(), c, other, testRequest()); got.err != nil {
		t.Fatalf("another site is capped too: %+v", got.err)
	}
	cancel()
	if got := <-first; code(got.err) != upstream.CodeCanceled {
		t.Fatalf("first call: %+v; want %s", got.err, upstream.CodeCanceled)
	}
	if got := call(t.Context(), c, trustedTarget(fake.URLFor(n8ntest.ScenarioJSONOutput)), testRequest()); got.err != nil {
		t.Fatalf("slot not released: %+v", got.err)
	}
	if fake.Count() != 3 {
		t.Fatalf("fake saw %d requests; want 3", fake.Count())
	}
}

// hostRouter answers one host itself and passes everything else on, like the demo agent.
type hostRouter struct {
	host string
	next http.RoundTripper
}

func (h hostRouter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != h.host {
		return h.next.RoundTrip(r)
	}
	return &http.Response{
		StatusCode: 200, Header: http.Header{"Content-Type": {"text/plain"}},
		Body: io.NopCloser(strings.NewReader("from the wrapper")), Request: r,
	}, nil
}

// TestWrapTransport: the wrapper serves trusted targets; untrusted ones keep the SSRF guard.
func TestWrapTransport(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	c := newClient(t, upstream.Options{WrapTransport: func(next http.RoundTripper) http.RoundTripper {
		return hostRouter{host: "demo.agent.invalid", next: next}
	}})
	if got := call(t.Context(), c, trustedTarget("http://demo.agent.invalid/chat"), testRequest()); got.text != "from the wrapper" {
		t.Fatalf("wrapped host: %q, %+v", got.text, got.err)
	}
	if got := call(t.Context(), c, trustedTarget(fake.URLFor(n8ntest.ScenarioJSONOutput)), testRequest()); got.text != n8ntest.AnswerText {
		t.Fatalf("passed-on host: %q, %+v", got.text, got.err)
	}
	got := call(t.Context(), c, untrustedTarget("https://127.0.0.1:"+fake.Port()+"/x"), testRequest())
	if code(got.err) != upstream.CodeUnreachable || !errors.Is(got.err, upstream.ErrBlockedAddress) {
		t.Fatalf("untrusted target bypassed the guard: %+v", got.err)
	}
}
