package httpapi_test

// The fault suite (docs/faults.md): each test injects one fault (F1–F19, defined there)
// into the real app and asserts what the visitor sees and that no message is lost or duplicated.
// Faults already covered elsewhere are listed in docs/faults.md instead of repeated here. The
// storage faults are in faults_storage_test.go, the Redis ones in faults_redis_test.go.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/ratelimit/ratelimittest"
	"github.com/chatproxy/chatproxy/internal/store"
)

// F6: an answer larger than CHATPROXY_UPSTREAM_MAX_BYTES is cut at the cap and reported; the
// visitor only ever gets normalised text events, never n8n's raw lines.
func TestFaultOversizedAnswerIsCut(t *testing.T) {
	const maxBytes = 64 << 10
	e := newEnv(t, "sqlite", withEnv("CHATPROXY_UPSTREAM_MAX_BYTES", itoa(maxBytes)))
	e.fake.SetScenario(n8ntest.ScenarioOversized) // 16 KiB items up to 4 MiB
	s := e.newSession(nil)
	res := e.send(s, map[string]any{"message": "tell me everything"})
	errs, end := res.ofType("error"), res.ofType("end")
	if !res.done || len(errs) != 1 || errs[0].Data["code"] != "upstream_bad_response" || len(end) != 1 || end[0].Data["status"] != "partial" {
		t.Fatalf("want error upstream_bad_response + end(partial), got %d events", len(res.events))
	}
	text := res.text()
	if len(text) == 0 || len(text) > maxBytes || strings.Trim(text, "x") != "" {
		t.Fatalf("partial text: %d bytes, only x expected, at most %d", len(text), maxBytes)
	}
	for _, ev := range res.events {
		if c, _ := ev.Data["content"].(string); strings.Contains(c, `"type"`) || strings.Contains(c, "{") {
			t.Fatalf("raw upstream data forwarded: %.80q", c)
		}
	}
	msgs := e.waitMessages(s.ID, 2)
	if len(msgs) != 2 || msgs[1].Status != store.StatusPartial || msgs[1].Content != text {
		t.Fatalf("stored %d messages, want the partial answer kept", len(msgs))
	}
}

// F14: the webhook host does not resolve: the visitor gets upstream_unreachable (without the
// host name), the message is stored and the answer marked failed.
func TestFaultUpstreamDNSFailure(t *testing.T) {
	const origin = "https://nodns.example"
	e := newEnv(t, "sqlite", withOtherSiteYAML(`    abuse: {min_first_message_delay_ms: -1}
  - id: nodns
    allowed_origins: ["`+origin+`"]
    n8n_webhook_url: "http://nonexistent.invalid/webhook/x/chat"
    abuse: {min_first_message_delay_ms: -1}
`))
	resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: origin, body: map[string]any{"site_id": "nodns"}})
	var s session
	decode(t, resp, &s)
	resp = e.do(request{method: "POST", path: "/api/v1/chat/message", origin: origin, token: s.Token, body: map[string]any{"message": "anyone there?"}})
	res := readSSE(t, resp)
	errs, end := res.ofType("error"), res.ofType("end")
	if !res.done || len(errs) != 1 || errs[0].Data["code"] != "upstream_unreachable" || len(end) != 1 || end[0].Data["status"] != "failed" {
		t.Fatalf("DNS failure: %+v", res.events)
	}
	if msg, _ := errs[0].Data["content"].(string); msg == "" || strings.Contains(msg, "invalid") || strings.Contains(msg, "webhook") {
		t.Fatalf("error text empty or leaks the upstream: %q", msg)
	}
	msgs := e.waitMessages(s.ID, 2)
	if len(msgs) != 2 || msgs[0].Content != "anyone there?" || msgs[1].Status != store.StatusFailed || e.fake.Count() != 0 {
		t.Fatalf("stored %+v", msgs)
	}
	// The answer keeps the code the visitor was shown (the console's transcript reads it).
	if msgs[1].ErrorCode != "upstream_unreachable" || msgs[0].ErrorCode != "" {
		t.Errorf("stored error codes %q, %q; want \"\", upstream_unreachable", msgs[0].ErrorCode, msgs[1].ErrorCode)
	}
}

// F15: SIGTERM while 50 answers stream: every visitor gets the whole answer, each stored once.
func TestFaultSigtermUnderLoad(t *testing.T) {
	const visitors = 50
	// A generous idle gap: on a loaded CI machine chunks of 50 streams can be late.
	e := newEnv(t, "sqlite", withEnv("CHATPROXY_SHUTDOWN_TIMEOUT", "20s"), withEnv("CHATPROXY_UPSTREAM_IDLE_TIMEOUT", "5s"))
	e.fake.SetScenario(n8ntest.ScenarioStream)
	e.fake.SetChunks(60)
	e.fake.SetChunkDelay(50 * time.Millisecond)
	sessions := make([]session, visitors)
	for i := range sessions {
		sessions[i] = e.newSession(nil)
	}
	streaming := make(chan struct{}, visitors)
	var ended atomic.Int32
	results, errs := make([]sseResult, visitors), make([]error, visitors)
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Go(func() {
			var once sync.Once
			started := func() { once.Do(func() { streaming <- struct{}{} }) }
			defer started() // also on failure, so the test never waits for ever
			resp, err := e.post(context.Background(), shopOrigin, s.Token, map[string]any{"message": "load " + itoa(i)})
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			results[i], errs[i] = scanSSE(resp.Body, func(ev sseEvent) bool {
				if ev.Data["type"] == "item" {
					started()
				}
				if ev.Data["type"] == "end" {
					ended.Add(1)
				}
				return true
			})
		})
	}
	for range visitors {
		select {
		case <-streaming: // every reply has started
		case <-time.After(30 * time.Second):
			t.Fatal("streams did not start")
		}
	}
	e.stop() // SIGTERM
	inFlight := visitors - int(ended.Load())
	wg.Wait()
	if inFlight < visitors/2 {
		t.Fatalf("only %d of %d streams were in flight at SIGTERM: the test proves nothing", inFlight, visitors)
	}
	if err := <-e.served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	e.served <- nil // for the cleanup
	for i, r := range results {
		if errs[i] != nil || !r.done || r.text() != streamAnswer(60) || len(r.ofType("error")) != 0 {
			t.Fatalf("visitor %d: %q, err %v", i, r.text(), errs[i])
		}
	}
	for i, s := range sessions {
		if msgs := e.messages(s.ID); len(msgs) != 2 || msgs[1].Content != streamAnswer(60) || msgs[1].Status != store.StatusComplete {
			t.Fatalf("visitor %d: stored %d messages", i, len(msgs))
		}
	}
	if e.fake.Count() != visitors {
		t.Fatalf("upstream calls %d, want %d", e.fake.Count(), visitors)
	}
}

// F16: 200 visitors with answers in flight lose their streams and all reconnect at once with
// Last-Event-ID: each ends with exactly the answer (no gap, no duplicate) and nothing is sent to
// n8n twice.
func TestFaultReconnectStorm(t *testing.T) {
	for _, buffer := range []string{"memory", "redis"} {
		t.Run(buffer, func(t *testing.T) {
			opts := []envOpt{withEnv("CHATPROXY_UPSTREAM_MAX_CONCURRENT", "400"), withEnv("CHATPROXY_UPSTREAM_IDLE_TIMEOUT", "5s")}
			if buffer == "redis" { // replies in Redis Streams, as with several replicas
				ratelimittest.RedisClient(t)
				opts = append(opts, withEnv("REDIS_URL", testRedisURL()), withEnv("CHATPROXY_REDIS_PREFIX", ratelimittest.UniquePrefix(t)))
			}
			reconnectStorm(t, newEnv(t, "postgres", opts...), buffer == "redis")
		})
	}
}

// reconnectStorm runs the storm; mayReset allows visitors to be told to reload the history
// (a shared buffer that timed out under load), never a wrong text.
func reconnectStorm(t *testing.T, e *env, mayReset bool) {
	const visitors = 200
	e.fake.SetScenario(n8ntest.ScenarioStream)
	e.fake.SetChunks(30)
	e.fake.SetChunkDelay(100 * time.Millisecond)
	sessions := make([]session, visitors)
	for i := range sessions {
		sessions[i] = e.newSession(nil)
	}
	var dropped, wg sync.WaitGroup
	resume := make(chan struct{})
	texts, errs := make([]string, visitors), make([]error, visitors)
	for i, s := range sessions {
		dropped.Add(1)
		wg.Go(func() { texts[i], errs[i] = e.dropAndResume(s, "storm "+itoa(i), dropped.Done, resume) })
	}
	dropped.Wait()
	if finished := testutil.ToFloat64(e.app.Metrics.Replies.WithLabelValues("shop", store.StatusComplete)); finished > visitors/2 {
		t.Fatalf("%v of %d replies had finished before the storm: the test proves nothing", finished, visitors)
	}
	close(resume) // the storm: everyone reconnects at once
	wg.Wait()
	resets := 0
	for i := range texts {
		switch {
		case errors.Is(errs[i], errReset) && strings.HasPrefix(streamAnswer(30), texts[i]):
			resets++ // the visitor reloads the history: the stored answer is checked below
		case errs[i] != nil || texts[i] != streamAnswer(30):
			t.Fatalf("visitor %d after reconnecting: %q, err %v", i, texts[i], errs[i])
		}
	}
	if resets > 0 && !mayReset {
		t.Fatalf("%d visitors were told to reload the history from an in-memory buffer", resets)
	}
	if e.fake.Count() != visitors {
		t.Fatalf("upstream calls %d, want %d (no re-sends)", e.fake.Count(), visitors)
	}
	for i, s := range sessions {
		if msgs := e.waitMessages(s.ID, 2); len(msgs) != 2 || msgs[1].Content != streamAnswer(30) {
			t.Fatalf("visitor %d: stored %d messages", i, len(msgs))
		}
	}
}

// errReset: the stream told the visitor to reload the history instead (the reply buffer could
// not serve the position): allowed, unlike a silent hole in the text.
var errReset = errors.New("reset: reload the history")

// dropAndResume sends a message, hangs up after 3 items, calls dropped, waits for resume, then
// follows the reply from its last event id. It returns all the text it saw.
func (e *env) dropAndResume(s session, text string, dropped func(), resume <-chan struct{}) (string, error) {
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := e.post(ctx, shopOrigin, s.Token, map[string]any{"message": text})
	var got strings.Builder
	var replyID, lastID string
	if err == nil {
		items := 0
		var res sseResult
		res, err = scanSSE(resp.Body, func(ev sseEvent) bool {
			if ev.Data["type"] == "item" {
				got.WriteString(ev.Data["content"].(string))
				replyID, lastID = ev.Data["message_id"].(string), ev.ID
				items++
			}
			return items < 3 && ev.Data["type"] != "reset"
		})
		if err == nil && items < 3 {
			err = fmt.Errorf("first stream: %w", errReset)
			if len(res.ofType("reset")) == 0 {
				err = fmt.Errorf("first stream ended after %d items: %+v", items, res.events)
			}
		}
		resp.Body.Close()
	}
	cancel()
	dropped()
	if err != nil {
		return got.String(), err
	}
	<-resume
	req, _ := http.NewRequest("GET", e.url+"/api/v1/chat/stream?message_id="+replyID, nil)
	req.Header.Set("Origin", shopOrigin)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Last-Event-ID", lastID)
	resp, err = e.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("resume: %d %s", resp.StatusCode, bodyCode(resp))
	}
	rest, err := scanSSE(resp.Body, nil)
	if err == nil && len(rest.ofType("reset")) > 0 {
		return got.String() + rest.text(), fmt.Errorf("resumed stream: %w", errReset)
	}
	if end := rest.ofType("end"); err == nil && (!rest.done || len(end) != 1 || end[0].Data["status"] != "complete" || len(rest.ofType("begin")) != 0) {
		err = fmt.Errorf("resumed stream: done %v, %d items, end %v, errors %v", rest.done, len(rest.ofType("item")), end, rest.ofType("error"))
	}
	return got.String() + rest.text(), err
}

// F17: site "other" floods far past its site_per_minute; it gets 429s while visitors of "shop"
// keep getting complete answers, and nothing refused reaches n8n.
func TestFaultNoisyNeighbour(t *testing.T) {
	e := newEnv(t, "sqlite", withEnv("CHATPROXY_UPSTREAM_IDLE_TIMEOUT", "5s"), withOtherSiteYAML(`    limits: {site_per_minute: 10, session_per_minute: 1000, ip_per_minute: 1000, sessions_per_ip_per_hour: 1000, concurrent_streams_per_ip: 1000}
    abuse: {min_first_message_delay_ms: -1}
`))
	e.fake.SetScenario(n8ntest.ScenarioStream)
	e.fake.SetChunkDelay(5 * time.Millisecond)
	const flooders, floodEach, shoppers, shopEach = 4, 15, 3, 5
	var floodOK, flood429 atomic.Int32
	var wg sync.WaitGroup
	for f := range flooders {
		resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"}})
		var s session
		decode(t, resp, &s)
		wg.Go(func() {
			for i := range floodEach {
				switch r := e.timedPost(otherOrigin, s, fmt.Sprintf("flood %d-%d", f, i), 5*time.Second); r {
				case "200 " + streamAnswer(5):
					floodOK.Add(1)
				case "429 rate_limited":
					flood429.Add(1)
				default:
					t.Errorf("flooding site got %q", r)
				}
			}
		})
	}
	shopResults := make([]string, shoppers*shopEach)
	for v := range shoppers {
		s := e.newSession(nil)
		wg.Go(func() {
			for i := range shopEach {
				shopResults[v*shopEach+i] = e.timedPost(shopOrigin, s, fmt.Sprintf("shopping %d", i), 5*time.Second)
			}
		})
	}
	wg.Wait()
	for i, r := range shopResults {
		if r != "200 "+streamAnswer(5) {
			t.Fatalf("shop visitor message %d during the flood: %q", i, r)
		}
	}
	ok := int(floodOK.Load())
	if ok < 10 || ok > 11 || ok+int(flood429.Load()) != flooders*floodEach {
		t.Fatalf("flooding site: %d accepted, %d refused (want 10-11 accepted, the rest 429)", ok, flood429.Load())
	}
	if n := e.fake.Count(); n != ok+len(shopResults) {
		t.Fatalf("upstream calls %d, want %d", n, ok+len(shopResults))
	}
}

// F19: the proxy's clock and n8n's differ by 5 s either way: the token the app sends is still
// accepted (no nbf, exp in the future), checked the way n8n's JWT Auth checks it.
func TestFaultClockSkew(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.fake.SetScenario(n8ntest.ScenarioJSONOutput)
	e.send(e.newSession(nil), map[string]any{"message": "what time is it?"})
	got, ok := e.fake.Last()
	if !ok || got.Claims == nil || got.Claims["nbf"] != nil {
		t.Fatalf("upstream token claims: %v", got.Claims)
	}
	verifyAt := func(skew time.Duration) error {
		p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return time.Now().Add(skew) }))
		_, err := p.Parse(got.Token, func(*jwt.Token) (any, error) { return []byte(n8nSecret), nil })
		return err
	}
	for _, skew := range []time.Duration{-5 * time.Second, 5 * time.Second} {
		if err := verifyAt(skew); err != nil {
			t.Fatalf("n8n clock %v off: %v", skew, err)
		}
	}
	if err := verifyAt(61 * time.Second); !errors.Is(err, jwt.ErrTokenExpired) {
		t.Fatalf("a clock past the 60 s lifetime must refuse the token: %v", err)
	}
}

// timedPost sends one message and sums up what the visitor saw: "200 <answer text>" or
// "<status> <error code>", with a note when Retry-After is missing or it took longer than limit.
func (e *env) timedPost(origin string, s session, text string, limit time.Duration) string {
	start := time.Now()
	resp, err := e.post(context.Background(), origin, s.Token, map[string]any{"message": text})
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var out string
	if resp.StatusCode == 200 {
		res, err := scanSSE(resp.Body, nil)
		out = "200 " + res.text()
		if err != nil || !res.done {
			out += fmt.Sprintf(" (unfinished: %v)", err)
		}
	} else {
		out = itoa(resp.StatusCode) + " " + bodyCode(resp)
		if resp.Header.Get("Retry-After") == "" {
			out += " (no Retry-After)"
		}
	}
	if d := time.Since(start); d > limit {
		out += fmt.Sprintf(" (took %v)", d)
	}
	return out
}

// post sends a chat message without failing the test, so goroutines can use it.
func (e *env) post(ctx context.Context, origin, token string, body map[string]any) (*http.Response, error) {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, "POST", e.url+"/api/v1/chat/message", strings.NewReader(string(raw)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	req.Header.Set("Authorization", "Bearer "+token)
	return e.client.Do(req)
}

// bodyCode reads the JSON error code of a response ("" when the body is not an error).
func bodyCode(resp *http.Response) string {
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return body.Error.Code
}

// scanSSE parses an SSE body event by event without failing the test (goroutines use it);
// onEvent, when set, may stop the reading early by returning false.
func scanSSE(r io.Reader, onEvent func(sseEvent) bool) (sseResult, error) {
	var res sseResult
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var cur sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.Raw != "" {
				res.events = append(res.events, cur)
				if onEvent != nil && !onEvent(cur) {
					return res, nil
				}
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, ":"):
			res.pings++
		case strings.HasPrefix(line, "id: "):
			cur.ID = strings.TrimPrefix(line, "id: ")
		case line == "data: [DONE]":
			res.done = true
		case strings.HasPrefix(line, "data: "):
			cur.Raw = strings.TrimPrefix(line, "data: ")
			if err := json.Unmarshal([]byte(cur.Raw), &cur.Data); err != nil {
				return res, fmt.Errorf("data line is not JSON: %q", cur.Raw)
			}
		}
	}
	return res, sc.Err()
}
