package upstream_test

import (
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

// Attack: a visitor prompts long answers that run into the idle or total timeout after content
// was streamed. n8n answered, so the breaker must stay closed for everyone else (before the fix
// each such timeout counted as an n8n failure and a few of them opened the site's breaker).
func TestAttackTimeoutsAfterContentKeepBreakerClosed(t *testing.T) {
	t.Parallel()
	fake := newFake(t, n8ntest.WithChunks(50), n8ntest.WithChunkDelay(60*time.Millisecond))
	c := newClient(t, upstream.Options{BreakerFailures: 2, BreakerOpenFor: time.Hour,
		IdleTimeout: 300 * time.Millisecond, TotalTimeout: 700 * time.Millisecond})
	for i := range 3 {
		// 3 items then silence: the idle timeout, after content.
		got := call(t.Context(), c, trustedTarget(fake.URLFor(n8ntest.ScenarioHangMidStream)), testRequest())
		if code(got.err) != upstream.CodeTimeout || !got.err.Partial {
			t.Fatalf("hang after content %d: %+v, want a partial %s", i, got.err, upstream.CodeTimeout)
		}
		// 50 items 60 ms apart: the total timeout, after content.
		got = call(t.Context(), c, trustedTarget(fake.URLFor(n8ntest.ScenarioStream)), testRequest())
		if code(got.err) != upstream.CodeTimeout || !got.err.Partial {
			t.Fatalf("long answer %d: %+v, want a partial %s", i, got.err, upstream.CodeTimeout)
		}
	}
	if got := call(t.Context(), c, trustedTarget(fake.URLFor(n8ntest.ScenarioJSONOutput)), testRequest()); got.err != nil {
		t.Fatalf("a visitor after six long answers: %+v (the breaker opened)", got.err)
	}
	// Failures that say n8n is unhealthy still open it: no first byte in time, 5xx.
	c2 := newClient(t, upstream.Options{BreakerFailures: 2, BreakerOpenFor: time.Hour, FirstByteTimeout: 200 * time.Millisecond})
	call(t.Context(), c2, trustedTarget(fake.URLFor(n8ntest.ScenarioHangBeforeHeaders)), testRequest())
	call(t.Context(), c2, trustedTarget(fake.URLFor(n8ntest.ScenarioStatus500)), testRequest())
	if got := call(t.Context(), c2, trustedTarget(fake.URLFor(n8ntest.ScenarioJSONOutput)), testRequest()); code(got.err) != upstream.CodeCircuitOpen {
		t.Fatalf("after no first byte and a 500: %+v, want %s", got.err, upstream.CodeCircuitOpen)
	}
}

// Attack: once the breaker is half-open, the probe is one visitor's request. If it only ended
// with the whole answer, an attacker asking for a long answer would keep the site closed for
// everyone while it streams. The probe now ends at the first byte.
func TestAttackHalfOpenProbeEndsAtFirstByte(t *testing.T) {
	t.Parallel()
	fake := newFake(t, n8ntest.WithChunks(30), n8ntest.WithChunkDelay(100*time.Millisecond))
	c := newClient(t, upstream.Options{BreakerFailures: 1, BreakerOpenFor: 100 * time.Millisecond})
	if got := call(t.Context(), c, trustedTarget(fake.URLFor(n8ntest.ScenarioStatus500)), testRequest()); code(got.err) != upstream.CodeStatus {
		t.Fatalf("first call: %+v", got.err)
	}
	time.Sleep(150 * time.Millisecond) // half-open
	firstText := make(chan struct{})
	long := make(chan error, 1)
	go func() {
		seen := false
		long <- c.Call(t.Context(), trustedTarget(fake.URLFor(n8ntest.ScenarioStream)), testRequest(), func(ch upstream.Chunk) {
			if ch.Kind == upstream.ChunkText && !seen {
				seen = true
				close(firstText)
			}
		})
	}()
	select {
	case <-firstText:
	case <-time.After(10 * time.Second):
		t.Fatal("the probe's answer never started")
	}
	for i := range 3 {
		if got := call(t.Context(), c, trustedTarget(fake.URLFor(n8ntest.ScenarioJSONOutput)), testRequest()); got.err != nil {
			t.Fatalf("visitor %d while the probe's long answer streams: %+v", i, got.err)
		}
	}
	if err := <-long; err != nil {
		t.Fatalf("the long answer: %v", err)
	}
}
