package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

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

// postFrom sends a chat message of site "other" from ip without failing the test.
func (e *env) postFrom(ctx context.Context, ip, token, text string) (*http.Response, error) {
	raw, _ := json.Marshal(map[string]any{"message": text})
	req, err := http.NewRequestWithContext(ctx, "POST", e.url+"/api/v1/chat/message", bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", otherOrigin)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Forwarded-For", ip)
	return http.DefaultClient.Do(req)
}

// sendAndDrop posts a message and drops the connection right after the begin event, as an
// attacker does; it returns the status and error code.
func (e *env) sendAndDrop(ip string, s session, text string) (int, string) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err := e.postFrom(ctx, ip, s.Token, text)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, bodyCode(resp)
	}
	res, _ := scanSSE(resp.Body, func(ev sseEvent) bool { return ev.Data["type"] != "begin" })
	if len(res.ofType("begin")) != 1 {
		e.t.Fatalf("no begin event before the drop: %+v", res.events)
	}
	return 200, ""
}

// Attack: a visitor opens many messages and drops each connection after begin. Before the fix
// a dropped connection freed its stream slot while its n8n call went on, so one visitor filled
// the site's upstream slots and everyone else got upstream_busy. The per-session and per-IP caps
// now count replies still running, connected or not, until n8n is done.
func TestAttackDroppedStreamsKeepTheirSlots(t *testing.T) {
	for _, backend := range []string{"memory", "redis"} {
		t.Run(backend, func(t *testing.T) {
			opts := append(limiterOpts(t, backend), withEnv("TRUSTED_PROXIES", "127.0.0.1/32"),
				withEnv("CHATPROXY_UPSTREAM_MAX_CONCURRENT", "6"),
				withOtherSiteYAML(`    limits: {concurrent_streams_per_session: 2, concurrent_streams_per_ip: 4, session_per_minute: 1000, ip_per_minute: 1000, site_per_minute: 1000, sessions_per_ip_per_hour: 1000}
    abuse: {min_first_message_delay_ms: -1}
`))
			e := newEnv(t, "sqlite", opts...)
			e.fake.SetScenario(n8ntest.ScenarioStream)
			e.fake.SetChunks(10)
			e.fake.SetChunkDelay(300 * time.Millisecond) // each reply runs about 3 s
			const attacker = "203.0.113.66"
			var got []string
			first := e.otherFrom(attacker)
			sessions := []session{first}
			for i := range 3 { // one session: its cap of 2 running replies
				st, code := e.sendAndDrop(attacker, first, "drop "+strconv.Itoa(i))
				got = append(got, strconv.Itoa(st)+" "+code)
			}
			for i := range 9 { // fresh sessions from the same IP: its cap of 4
				s := e.otherFrom(attacker)
				sessions = append(sessions, s)
				st, code := e.sendAndDrop(attacker, s, "drop more "+strconv.Itoa(i))
				got = append(got, strconv.Itoa(st)+" "+code)
			}
			want := []string{"200 ", "200 ", "429 too_many_streams", "200 ", "200 "}
			for len(want) < len(got) {
				want = append(want, "429 too_many_streams")
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("attacker's dropped messages:\n got %q\nwant %q", got, want)
			}
			// A visitor from another IP is served in full while the attacker's replies run.
			visitor := "198.51.100.7"
			vs := e.otherFrom(visitor)
			resp, err := e.postFrom(context.Background(), visitor, vs.Token, "hello")
			if err != nil {
				t.Fatal(err)
			}
			res := readSSE(t, resp)
			if errs := res.ofType("error"); len(errs) > 0 || !res.done || res.text() != streamAnswer(10) {
				t.Fatalf("visitor during the attack: errors %v, done %v, text %q", errs, res.done, res.text())
			}
			// The slots come back when n8n is done with the attacker's replies (answers stored).
			for i, want := range []int{4, 2, 2} {
				if msgs := e.waitMessages(sessions[i].ID, want); len(msgs) != want {
					t.Fatalf("attacker session %d: %d messages stored, want %d", i, len(msgs), want)
				}
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				st, code := e.sendFrom(attacker, first, "after the replies ended")
				if st == 200 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the attacker's slots never came back: %d %s", st, code)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}
