package httpapi_test

// Redis faults (F12/F13): a Redis that never answers, and one that goes away mid-reply.

import (
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/ratelimit/ratelimittest"
	"github.com/chatproxy/chatproxy/internal/store"
)

// F13: a Redis that accepts connections but never answers: every request is decided by the
// per-instance limiter and reply buffer within a bounded time; limits still hold and the
// fallbacks are counted.
func TestFaultRedisSlow(t *testing.T) {
	e := newEnv(t, "sqlite", withEnv("REDIS_URL", silentRedis(t)),
		withOtherSiteYAML("    limits: {session_per_minute: 3}\n    abuse: {min_first_message_delay_ms: -1}\n"))
	e.fake.SetScenario(n8ntest.ScenarioStream)
	start := time.Now()
	resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"}})
	if resp.StatusCode != 200 || time.Since(start) > 2*time.Second {
		t.Fatalf("session with a silent Redis: %d after %v", resp.StatusCode, time.Since(start))
	}
	var s session
	decode(t, resp, &s)
	var got []string
	for i := range 4 {
		got = append(got, e.timedPost(otherOrigin, s, "m"+itoa(i), 2*time.Second))
	}
	want := []string{"200 " + streamAnswer(5), "200 " + streamAnswer(5), "200 " + streamAnswer(5), "429 rate_limited"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("with a silent Redis: %q, want %q", got, want)
	}
	var fallbacks float64
	for _, op := range []string{"allow", "acquire", "spend"} {
		fallbacks += testutil.ToFloat64(e.app.Metrics.RateLimitFallback.WithLabelValues(op))
	}
	if fallbacks == 0 || testutil.ToFloat64(e.app.Metrics.Errors.WithLabelValues("reply_buffer_fallback")) != 3 {
		t.Fatal("rate-limit and reply-buffer fallbacks not counted")
	}
}

// F12/F13 during a reply: Redis, which holds the shared copy of the reply buffer, goes away for
// 700 ms while an answer streams. The replica running the reply serves its visitor from memory,
// so the visitor gets the exact answer, complete, with no reset; the answer is stored in full.
// (Before the tiered buffer the best case was a reset and a reload of the history.)
func TestFaultRedisDownDuringReply(t *testing.T) {
	ratelimittest.RedisClient(t)
	p := newTCPProxy(t, testRedisURL())
	e := newEnv(t, "sqlite", withEnv("REDIS_URL", p.url), withEnv("CHATPROXY_REDIS_PREFIX", ratelimittest.UniquePrefix(t)),
		withEnv("CHATPROXY_UPSTREAM_IDLE_TIMEOUT", "5s"))
	e.fake.SetScenario(n8ntest.ScenarioStream)
	e.fake.SetChunks(20)
	e.fake.SetChunkDelay(100 * time.Millisecond)
	s := e.newSession(nil)
	resp := e.do(request{method: "POST", path: "/api/v1/chat/message", origin: shopOrigin, token: s.Token, body: map[string]any{"message": "long answer"}})
	items := 0
	res, err := scanSSE(resp.Body, func(ev sseEvent) bool {
		if ev.Data["type"] == "item" {
			if items++; items == 5 {
				// Between two chunks: the stream's reader has caught up and waits; the next
				// chunks arrive while Redis is away.
				time.AfterFunc(30*time.Millisecond, func() { p.cut(700 * time.Millisecond) })
			}
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if end := res.ofType("end"); len(res.ofType("reset")) != 0 || res.text() != streamAnswer(20) || len(end) != 1 || end[0].Data["status"] != "complete" {
		t.Fatalf("Redis cut mid-reply: the visitor got %q (%d resets), want the whole answer", res.text(), len(res.ofType("reset")))
	}
	msgs := e.waitMessages(s.ID, 2)
	if len(msgs) != 2 || msgs[1].Content != streamAnswer(20) || msgs[1].Status != store.StatusComplete {
		t.Fatalf("stored %d messages, want the complete answer", len(msgs))
	}
}

// silentRedis is a Redis that accepts connections and never answers.
func silentRedis(t *testing.T) string {
	return "redis://" + ratelimittest.SilentRedisAddr(t)
}

// testRedisURL is the Redis the tests use (CHATPROXY_TEST_REDIS_URL overrides the default).
func testRedisURL() string {
	if u := os.Getenv("CHATPROXY_TEST_REDIS_URL"); u != "" {
		return u
	}
	return ratelimittest.DefaultRedisURL
}

// tcpProxy forwards connections to the server of target (a redis:// URL) and can cut them all
// for a while, like a server that went away: open connections close, new ones close at once.
type tcpProxy struct {
	url    string
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{target: u.Host, conns: map[net.Conn]struct{}{}}
	u.Host = l.Addr().String()
	p.url = u.String()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	t.Cleanup(func() { _ = l.Close(); p.closeAll() })
	return p
}

func (p *tcpProxy) serve(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil || !p.track(c, up) {
		_ = c.Close()
		if up != nil {
			_ = up.Close()
		}
		return
	}
	go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
	_, _ = io.Copy(c, up)
	_ = c.Close()
}

// track registers a connection pair; false while the proxy is down.
func (p *tcpProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

// cut closes every connection and refuses new ones for d.
func (p *tcpProxy) cut(d time.Duration) {
	p.mu.Lock()
	p.down = true
	p.mu.Unlock()
	p.closeAll()
	time.AfterFunc(d, func() {
		p.mu.Lock()
		p.down = false
		p.mu.Unlock()
	})
}

func (p *tcpProxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}
