package httpapi_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/ratelimit/ratelimittest"
)

// limiterOpts returns the options of the "memory" or "redis" limiter backend.
func limiterOpts(t *testing.T, backend string) []envOpt {
	if backend != "redis" {
		return nil
	}
	ratelimittest.RedisClient(t) // fails the test when Redis is missing
	return []envOpt{withEnv("REDIS_URL", ratelimittest.DefaultRedisURL), withEnv("CHATPROXY_REDIS_PREFIX", ratelimittest.UniquePrefix(t))}
}

// otherFrom creates a session of site "other" for a client at ip (the app trusts 127.0.0.1
// as a proxy in these tests, so X-Forwarded-For names the client).
func (e *env) otherFrom(ip string) session {
	e.t.Helper()
	resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"},
		header: map[string]string{"X-Forwarded-For": ip}})
	if resp.StatusCode != 200 {
		e.t.Fatalf("session create from %s: %d %s", ip, resp.StatusCode, readAll(resp))
	}
	var s session
	decode(e.t, resp, &s)
	return s
}

// sendFrom posts one message of site "other" from ip and returns the status and error code
// (the whole answer is read when it is accepted).
func (e *env) sendFrom(ip string, s session, text string) (int, string) {
	e.t.Helper()
	resp := e.do(request{method: "POST", path: "/api/v1/chat/message", origin: otherOrigin, token: s.Token,
		body: map[string]any{"message": text}, header: map[string]string{"X-Forwarded-For": ip}})
	if resp.StatusCode == http.StatusOK {
		readSSE(e.t, resp)
		return 200, ""
	}
	return resp.StatusCode, errorCode(e.t, resp)
}

// Attack: one visitor floods the chat from one session and one IP. Only the messages its own
// limits let through may spend the site's shared per-minute limit, so a fresh visitor from
// another IP still chats (before the fix every refused message spent it, and the site refused
// everyone with 429 "site").
func TestAttackFloodDoesNotSpendSiteLimit(t *testing.T) {
	for _, backend := range []string{"memory", "redis"} {
		t.Run(backend, func(t *testing.T) {
			opts := append(limiterOpts(t, backend), withEnv("TRUSTED_PROXIES", "127.0.0.1/32"),
				withOtherSiteYAML(`    limits: {site_per_minute: 20, session_per_minute: 3, ip_per_minute: 5, sessions_per_ip_per_hour: 1000, concurrent_streams_per_ip: 1000}
    abuse: {min_first_message_delay_ms: -1}
`))
			e := newEnv(t, "sqlite", opts...)
			e.fake.SetScenario(n8ntest.ScenarioJSONOutput)
			const attacker = "203.0.113.66"
			s := e.otherFrom(attacker)
			accepted := 0
			for i := range 60 {
				switch st, code := e.sendFrom(attacker, s, "flood "+strconv.Itoa(i)); {
				case st == 200:
					accepted++
				case st != 429 || code != "rate_limited":
					t.Fatalf("flood message %d: %d %s", i, st, code)
				}
			}
			if accepted != 3 {
				t.Fatalf("the flooding session got %d messages through, want its session limit of 3", accepted)
			}
			if n := e.refusals("site"); n != 0 {
				t.Fatalf("the flood made the site limit refuse %v times", n)
			}
			for i := range 3 {
				visitor := "198.51.100." + strconv.Itoa(10+i)
				if st, code := e.sendFrom(visitor, e.otherFrom(visitor), "hello"); st != 200 {
					t.Fatalf("fresh visitor %s after the flood: %d %s (want 200)", visitor, st, code)
				}
			}
			if e.fake.Count() != 6 {
				t.Fatalf("upstream calls %d, want 6 (3 of the attacker, 3 visitors)", e.fake.Count())
			}
		})
	}
}
