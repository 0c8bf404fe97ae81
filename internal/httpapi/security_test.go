package httpapi_test

import (
	"context"
	"database/sql"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	_ "modernc.org/sqlite"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/ratelimit/ratelimittest"
)

// refusedEvents waits for the refusal counters to be flushed and sums a site's refusals.
func (e *env) refusedEvents(site string, want int) int {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := e.refusalCount(site, "")
		if n >= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// refusalCount sums a site's stored refusal counters of the last hour for reason ("" = all).
func (e *env) refusalCount(site, reason string) int {
	e.t.Helper()
	counts, err := e.app.Store.RefusalCounts(context.Background(), site, time.Now().Add(-time.Hour), time.Now().Add(time.Minute))
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, c := range counts {
		if reason == "" || c.Reason == reason {
			n += int(c.Count)
		}
	}
	return n
}

func (e *env) refusals(reason string) float64 {
	return testutil.ToFloat64(e.app.Metrics.Refusals.WithLabelValues(reason))
}

func TestRateLimitsAndAbuseRules(t *testing.T) {
	for _, name := range []string{"memory", "redis"} {
		t.Run(name, func(t *testing.T) {
			var opts []envOpt
			if name == "redis" {
				ratelimittest.RedisClient(t) // fails the test when Redis is missing
				opts = []envOpt{withEnv("REDIS_URL", ratelimittest.DefaultRedisURL), withEnv("CHATPROXY_REDIS_PREFIX", ratelimittest.UniquePrefix(t))}
			}
			opts = append(opts, withOtherSiteYAML(`    limits: {session_per_minute: 3, sessions_per_ip_per_hour: 1000, ip_per_minute: 1000, daily_messages: 5}
    abuse: {min_first_message_delay_ms: -1, repeat_threshold: 2}
`))
			e := newEnv(t, "sqlite", opts...)
			e.fake.SetScenario(n8ntest.ScenarioJSONOutput)
			newOther := func() session {
				resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"}})
				var s session
				decode(t, resp, &s)
				return s
			}
			send := func(s session, text string) (int, string, http.Header) {
				resp := e.do(request{method: "POST", path: "/api/v1/chat/message", origin: otherOrigin, token: s.Token, body: map[string]any{"message": text}})
				if resp.StatusCode == 200 {
					readSSE(t, resp)
					return 200, "", resp.Header
				}
				return resp.StatusCode, errorCode(t, resp), resp.Header
			}
			s := newOther()
			for i := 0; i < 3; i++ {
				if st, code, _ := send(s, "q"+strconv.Itoa(i)); st != 200 {
					t.Fatalf("message %d refused: %s", i, code)
				}
			}
			st, code, h := send(s, "one too many")
			if st != 429 || code != "rate_limited" || h.Get("Retry-After") == "" || !strings.Contains(h.Get("RateLimit-Policy"), `"session";q=3;w=60`) || !strings.HasPrefix(h.Get("RateLimit"), `"session";r=0;t=`) {
				t.Fatalf("session limit: %d %s %v", st, code, h)
			}
			if secs, _ := strconv.Atoi(h.Get("Retry-After")); secs < 1 || secs > 60 {
				t.Fatalf("Retry-After %q", h.Get("Retry-After"))
			}
			// repeated text (threshold 2 within the window)
			s2 := newOther()
			send(s2, "same")
			send(s2, "same")
			if st, code, _ := send(s2, "same"); st != 429 || code != "repeated_message" {
				t.Fatalf("repeat: %d %s", st, code)
			}
			// daily budget of 5 messages for the site: 3 + 2 used
			if st, code, _ := send(newOther(), "budget"); st != 429 || code != "daily_budget_exhausted" {
				t.Fatalf("budget: %d %s", st, code)
			}
			// nothing of the refused messages was stored or forwarded
			if got := len(e.messages(s.ID)) + len(e.messages(s2.ID)); got != 10 || e.fake.Count() != 5 {
				t.Fatalf("stored %d messages (want 10), upstream calls %d (want 5)", got, e.fake.Count())
			}
			if e.refusals("session") != 1 || e.refusals("repeat") != 1 || e.refusals("daily_budget") != 1 {
				t.Fatal("refusal metrics not counted")
			}
			if n := e.refusedEvents("other", 3); n != 3 {
				t.Fatalf("refused analytics events = %d", n)
			}
		})
	}
}

func TestSessionsPerIPAndSpoofedForwardedFor(t *testing.T) {
	e := newEnv(t, "sqlite", withOtherSiteYAML("    limits: {sessions_per_ip_per_hour: 2}\n"))
	create := func(xff string) int {
		resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"},
			header: map[string]string{"X-Forwarded-For": xff, "Forwarded": "for=" + xff}})
		return resp.StatusCode
	}
	// The peer (127.0.0.1) is not a trusted proxy: rotating X-Forwarded-For changes nothing.
	if create("203.0.113.1") != 200 || create("203.0.113.2") != 200 {
		t.Fatal("first two sessions refused")
	}
	if st := create("203.0.113.3"); st != 429 {
		t.Fatalf("spoofed X-Forwarded-For escaped the per-IP limit: %d", st)
	}
	// Behind a trusted proxy the right-most untrusted hop is the client.
	trusted := newEnv(t, "sqlite", withEnv("TRUSTED_PROXIES", "127.0.0.1/32"), withOtherSiteYAML("    limits: {sessions_per_ip_per_hour: 2}\n"))
	for i := 0; i < 4; i++ {
		resp := trusted.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"},
			header: map[string]string{"X-Forwarded-For": "198.51.100.9, 203.0.113." + strconv.Itoa(10+i)}})
		if resp.StatusCode != 200 {
			t.Fatalf("distinct clients behind a trusted proxy refused at %d: %d", i, resp.StatusCode)
		}
	}
}

func TestConcurrentStreamsAndMinimumDelay(t *testing.T) {
	e := newEnv(t, "sqlite", withOtherSiteYAML("    limits: {concurrent_streams_per_session: 1}\n    abuse: {min_first_message_delay_ms: 300}\n"))
	e.fake.SetScenario(n8ntest.ScenarioStream)
	e.fake.SetChunks(10)
	e.fake.SetChunkDelay(50 * time.Millisecond)
	resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"}})
	var s session
	decode(t, resp, &s)
	msg := func(text string) request {
		return request{method: "POST", path: "/api/v1/chat/message", origin: otherOrigin, token: s.Token, body: map[string]any{"message": text}}
	}
	if resp := e.do(msg("too quick")); resp.StatusCode != 429 || errorCode(t, resp) != "too_fast" {
		t.Fatalf("minimum delay: %d", resp.StatusCode)
	}
	time.Sleep(350 * time.Millisecond)
	first := make(chan struct{})
	go func() {
		defer close(first)
		resp := e.do(msg("first"))
		readSSE(t, resp)
	}()
	time.Sleep(100 * time.Millisecond)
	if resp := e.do(msg("second")); resp.StatusCode != 429 || errorCode(t, resp) != "too_many_streams" {
		t.Fatalf("second concurrent stream: %d", resp.StatusCode)
	}
	<-first
	if resp := e.do(msg("third")); resp.StatusCode != 200 {
		t.Fatalf("slot not released: %d", resp.StatusCode)
	}
}

func TestRedisDownFallsBackToLocalLimits(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "redis://" + l.Addr().String()
	l.Close()
	e := newEnv(t, "sqlite", withEnv("REDIS_URL", dead), withOtherSiteYAML("    limits: {session_per_minute: 2}\n    abuse: {min_first_message_delay_ms: -1}\n"))
	e.fake.SetScenario(n8ntest.ScenarioJSONOutput)
	resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"}})
	if resp.StatusCode != 200 {
		t.Fatalf("session with Redis down: %d", resp.StatusCode)
	}
	var s session
	decode(t, resp, &s)
	codes := []int{}
	for i := 0; i < 3; i++ {
		r := e.do(request{method: "POST", path: "/api/v1/chat/message", origin: otherOrigin, token: s.Token, body: map[string]any{"message": "m" + strconv.Itoa(i)}})
		codes = append(codes, r.StatusCode)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 {
		t.Fatalf("fallback limits: %v (want 200 200 429: neither unlimited nor refusing everyone)", codes)
	}
	var fallbacks float64
	for _, op := range []string{"allow", "acquire", "spend"} {
		fallbacks += testutil.ToFloat64(e.app.Metrics.RateLimitFallback.WithLabelValues(op))
	}
	if fallbacks == 0 {
		t.Fatal("fallback not counted in a metric")
	}
	h := e.do(request{method: "GET", path: "/health"})
	if body := readAll(h); h.StatusCode != 200 || !strings.Contains(body, `"redis":"unavailable"`) {
		t.Fatalf("health with Redis down: %d %s", h.StatusCode, body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, "sqlite", withEnv("CHATPROXY_PUBLIC_URL", "https://chat.example"))
	resp := e.do(request{method: "GET", path: "/widget/?site=shop"})
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors https://shop.example https://*.shop.example;") || !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("widget CSP: %q", csp)
	}
	api := e.do(request{method: "GET", path: "/health"})
	h := api.Header
	if h.Get("Content-Security-Policy") != "frame-ancestors 'none'" || h.Get("X-Content-Type-Options") != "nosniff" ||
		h.Get("Referrer-Policy") == "" || h.Get("Permissions-Policy") == "" || !strings.HasPrefix(h.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("headers: %v", h)
	}
	if resp := e.do(request{method: "GET", path: "/widget/?site=nope"}); resp.StatusCode != 404 {
		t.Fatalf("widget for unknown site: %d", resp.StatusCode)
	}
	// Over HTTPS the cookie is Secure; SameSite=None; Partitioned.
	resp = e.do(request{method: "POST", path: "/api/v1/session/create", origin: shopOrigin, body: map[string]any{"site_id": "shop"}})
	sc := resp.Header.Get("Set-Cookie")
	for _, attr := range []string{"HttpOnly", "Secure", "SameSite=None", "Partitioned", "Path=/"} {
		if !strings.Contains(sc, attr) {
			t.Fatalf("cookie %q lacks %s", sc, attr)
		}
	}
}

func TestPersonalDataEncryptedAtRest(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.fake.SetScenario(n8ntest.ScenarioEcho)
	secret := "my card ends 4242 and I live at Secret Street 7"
	s := e.newSession(map[string]any{"site_id": "shop", "page_url": shopOrigin + "/private-page"})
	e.send(s, map[string]any{"message": secret})
	e.waitMessages(s.ID, 2)
	db, err := sql.Open("sqlite", filepath.Join(e.app.Config.DataDir, "chatproxy.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var raw strings.Builder
	for _, q := range []string{"SELECT content_enc FROM messages", "SELECT user_agent_enc FROM sessions", "SELECT page_url_enc FROM sessions", "SELECT ip_hash FROM sessions"} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				t.Fatal(err)
			}
			raw.Write(b)
		}
		rows.Close()
	}
	for _, plain := range []string{"Secret Street", "private-page", "Go-http-client", "127.0.0.1"} {
		if strings.Contains(raw.String(), plain) {
			t.Fatalf("%q stored in the clear", plain)
		}
	}
	if raw.Len() == 0 {
		t.Fatal("nothing read")
	}
}
