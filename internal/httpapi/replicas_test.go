package httpapi_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/ratelimit/ratelimittest"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
)

// newCluster starts n replicas of the real app on loopback sharing one PostgreSQL database, one
// Redis (under a unique prefix) and one fake n8n, like stateless replicas behind a load balancer.
func newCluster(t *testing.T, n int, opts ...envOpt) ([]*env, *n8ntest.Server) {
	t.Helper()
	ratelimittest.RedisClient(t)
	fake := n8ntest.NewServer(fakeN8NOptions(t)...)
	t.Cleanup(fake.Close)
	shared := append([]envOpt{
		withFake(fake),
		withEnv("DATABASE_URL", storetest.NewPostgresURL(t)),
		withEnv("REDIS_URL", ratelimittest.DefaultRedisURL),
		withEnv("CHATPROXY_REDIS_PREFIX", ratelimittest.UniquePrefix(t)),
	}, opts...)
	replicas := make([]*env, n)
	for i := range replicas {
		replicas[i] = newEnv(t, "", shared...)
	}
	return replicas, fake
}

func TestReplicasShareSessionsLimitsAndReplies(t *testing.T) {
	rs, fake := newCluster(t, 3, withOtherSiteYAML(`    limits: {ip_per_minute: 30, session_per_minute: 1000, sessions_per_ip_per_hour: 1000}
    abuse: {min_first_message_delay_ms: -1}
`))
	a, b, c := rs[0], rs[1], rs[2]

	// A session made on one replica works on the others.
	s := a.newSession(nil)
	for _, r := range []*env{b, c} {
		resp := r.do(request{method: "GET", path: "/api/v1/session/validate", origin: shopOrigin, token: s.Token})
		if resp.StatusCode != 200 {
			t.Fatalf("session from replica A refused on another replica: %d", resp.StatusCode)
		}
	}

	// A rate limit holds across replicas (within 10 %): 30 per minute per IP on site "other".
	fake.SetScenario(n8ntest.ScenarioJSONOutput)
	resp := a.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"}})
	var o session
	decode(t, resp, &o)
	accepted := 0
	for i := 0; i < 60; i++ {
		r := rs[i%3]
		resp := r.do(request{method: "POST", path: "/api/v1/chat/message", origin: otherOrigin, token: o.Token, body: map[string]any{"message": "limit " + itoa(i)}})
		if resp.StatusCode == 200 {
			readSSE(t, resp)
			accepted++
		} else if resp.StatusCode != 429 {
			t.Fatalf("unexpected %d", resp.StatusCode)
		}
	}
	if accepted < 30 || accepted > 33 {
		t.Fatalf("accepted %d of 60 across 3 replicas, want 30 (±10%%)", accepted)
	}
	if msgs := a.waitMessages(o.ID, 2*accepted); len(msgs) != 2*accepted || fake.Count() != accepted {
		t.Fatalf("stored %d messages, upstream calls %d, accepted %d", len(msgs), fake.Count(), accepted)
	}

	// A reply started on A, cut after a few tokens, resumes on B with Last-Event-ID.
	fake.Reset()
	fake.SetScenario(n8ntest.ScenarioStream)
	fake.SetChunks(30)
	fake.SetChunkDelay(20 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", a.url+"/api/v1/chat/message", strings.NewReader(`{"message":"resume me","client_message_id":"r-1"}`))
	req.Header.Set("Origin", shopOrigin)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", "application/json")
	first, err := a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	replyID, lastID := readUntil(t, first, 5, &got)
	cancel()
	first.Body.Close()
	resp = b.do(request{method: "GET", path: "/api/v1/chat/stream?message_id=" + replyID, origin: shopOrigin, token: s.Token,
		header: map[string]string{"Last-Event-ID": lastID}})
	rest := readSSE(t, resp)
	got.WriteString(rest.text())
	if got.String() != streamAnswer(30) || !rest.done {
		t.Fatalf("resumed on B: %q, want %q (events %+v)", got.String(), streamAnswer(30), rest.events)
	}
	// The same message sent again on C joins and is not sent to n8n twice.
	again := c.send(s, map[string]any{"message": "resume me", "client_message_id": "r-1"})
	if again.text() != streamAnswer(30) || fake.Count() != 1 {
		t.Fatalf("duplicate on C: %q, upstream calls %d", again.text(), fake.Count())
	}
	msgs := c.waitMessages(s.ID, 2)
	if len(msgs) != 2 || msgs[1].Content != streamAnswer(30) {
		t.Fatalf("stored: %+v", msgs)
	}
}

// readUntil reads SSE items until n items arrived; it returns the reply id and the last event id.
func readUntil(t *testing.T, resp *http.Response, n int, text *strings.Builder) (replyID, lastID string) {
	t.Helper()
	sc := bufio.NewScanner(resp.Body)
	items := 0
	for sc.Scan() && items < n {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			lastID = id
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var ev map[string]any
			if err := jsonUnmarshal(data, &ev); err != nil {
				t.Fatal(err)
			}
			replyID, _ = ev["message_id"].(string)
			if ev["type"] == "item" {
				text.WriteString(ev["content"].(string))
				items++
			}
		}
	}
	return replyID, lastID
}

// TestRollingRestartLosesNothing: one of three replicas is stopped (SIGTERM) while streams are
// open on it; every visitor gets a complete answer, each stored exactly once.
func TestRollingRestartLosesNothing(t *testing.T) {
	rs, fake := newCluster(t, 3, withEnv("CHATPROXY_SHUTDOWN_TIMEOUT", "10s"))
	fake.SetScenario(n8ntest.ScenarioStream)
	fake.SetChunks(20)
	fake.SetChunkDelay(20 * time.Millisecond)
	const visitors = 60
	sessions := make([]session, visitors)
	for i := range sessions {
		sessions[i] = rs[i%3].newSession(nil)
	}
	var wg sync.WaitGroup
	results := make([]sseResult, visitors)
	for i := range sessions {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = sendWithFailover(t, rs, i, sessions[i], "rolling "+itoa(i))
		}(i)
	}
	for fake.Count() < visitors { // every reply is running (upstream called) ...
		time.Sleep(10 * time.Millisecond)
	}
	rs[0].stop() // ... when replica 0 receives SIGTERM and drains
	wg.Wait()
	for i, r := range results {
		if r.text() != streamAnswer(20) {
			t.Fatalf("visitor %d got %q (events %+v)", i, r.text(), r.events)
		}
	}
	for i, s := range sessions {
		msgs := rs[1].waitMessages(s.ID, 2)
		if len(msgs) != 2 || msgs[1].Content != streamAnswer(20) {
			t.Fatalf("visitor %d stored %d messages", i, len(msgs))
		}
	}
	if fake.Count() != visitors {
		t.Fatalf("upstream calls %d, want %d", fake.Count(), visitors)
	}
}

// sendWithFailover behaves like the widget: it sends with a client_message_id and, when a replica
// is going away (503 shutting_down, or the connection closed), sends the same message to the next
// replica, which joins the reply instead of sending it twice.
func sendWithFailover(t *testing.T, rs []*env, i int, s session, text string) sseResult {
	body := `{"message":"` + text + `","client_message_id":"fo-` + itoa(i) + `"}`
	for attempt := 0; attempt < len(rs); attempt++ {
		r := rs[(i+attempt)%len(rs)]
		req, _ := http.NewRequest("POST", r.url+"/api/v1/chat/message", strings.NewReader(body))
		req.Header.Set("Origin", shopOrigin)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := r.client.Do(req)
		if err != nil {
			continue
		}
		if resp.StatusCode == http.StatusServiceUnavailable {
			resp.Body.Close()
			continue
		}
		defer resp.Body.Close()
		res := readSSE(t, resp)
		if len(res.ofType("reset")) > 0 {
			// Like the widget: the live position was lost (Redis too slow), so the answer is
			// read from the history once stored.
			msgs := r.waitMessages(s.ID, 2)
			return sseResult{events: []sseEvent{{Data: map[string]any{"type": "item", "content": msgs[len(msgs)-1].Content}}}, done: true}
		}
		return res
	}
	t.Errorf("visitor %d: no replica answered", i)
	return sseResult{}
}
