package httpapi_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/store"
)

func streamAnswer(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(n8ntest.StreamChunk(i))
	}
	return b.String()
}

func TestChatStreamsAndStores(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			e.fake.SetScenario(n8ntest.ScenarioStream)
			s := e.newSession(map[string]any{"site_id": "shop", "page_url": shopOrigin + "/p/42"})
			res := e.send(s, map[string]any{"message": "  Do you ship\r\n to Norway?\u0007 ", "page_url": shopOrigin + "/p/42", "context": map[string]any{"product_id": "sku-1"}})
			if !res.done {
				t.Fatal("stream did not end with [DONE]")
			}
			if got, want := res.text(), streamAnswer(5); got != want {
				t.Fatalf("text %q, want %q", got, want)
			}
			begin, end := res.ofType("begin"), res.ofType("end")
			if len(begin) != 1 || len(end) != 1 || end[0].Data["status"] != "complete" || len(res.ofType("error")) != 0 {
				t.Fatalf("events: %+v", res.events)
			}
			replyID := begin[0].Data["message_id"].(string)
			var last uint64
			for _, ev := range res.events {
				if ev.Data["message_id"] != replyID {
					t.Fatalf("event of another message: %+v", ev)
				}
				var off uint64
				if i := strings.LastIndexByte(ev.ID, '-'); i < 0 || parseUint(ev.ID[i+1:], &off) != nil || off <= last {
					t.Fatalf("ids must increase: %q after %d", ev.ID, last)
				}
				last = off
			}
			msgs := e.waitMessages(s.ID, 2)
			if len(msgs) != 2 || msgs[0].Role != store.RoleUser || msgs[0].Content != "Do you ship\n to Norway?" ||
				msgs[1].Role != store.RoleAssistant || msgs[1].ID != replyID || msgs[1].Content != streamAnswer(5) ||
				msgs[1].Status != store.StatusComplete || msgs[1].FirstTokenMS < 0 || msgs[1].TotalMS < msgs[1].FirstTokenMS {
				t.Fatalf("stored: %+v", msgs)
			}

			// What n8n received: a Chat Trigger body and a JWT its JWT Auth accepts.
			got, ok := e.fake.Last()
			if !ok || got.Method != "POST" || got.Claims == nil {
				t.Fatalf("upstream request: %+v", got)
			}
			if got.JSON["action"] != "sendMessage" || got.JSON["sessionId"] != s.ID || got.JSON["chatInput"] != "Do you ship\n to Norway?" {
				t.Fatalf("body: %v", got.JSON)
			}
			meta := got.JSON["metadata"].(map[string]any)
			if meta["page_url"] != shopOrigin+"/p/42" || meta["site_id"] != "shop" || meta["visitor_id"] != s.VisitorID ||
				meta["context"].(map[string]any)["product_id"] != "sku-1" || meta["origin_domain"] != "shop.example" {
				t.Fatalf("metadata: %v", meta)
			}
			if ip, _ := meta["client_ip"].(string); ip == "" || strings.Contains(ip, "127.0.0.1") {
				t.Fatalf("client ip must be hashed by default: %q", ip)
			}
			c := got.Claims
			if c["iss"] != "chatproxy" || c["aud"] != "n8n:shop" || c["sub"] != s.ID || c["site_id"] != "shop" || c["msg_id"] != msgs[0].ID || c["jti"] == "" {
				t.Fatalf("claims: %v", c)
			}
			if exp, iat := c["exp"].(float64), c["iat"].(float64); exp-iat > 60 || exp-iat <= 0 {
				t.Fatalf("exp-iat = %v", exp-iat)
			}

			// The second message carries the first exchange as history.
			e.send(s, map[string]any{"message": "And to Sweden?"})
			got, _ = e.fake.Last()
			hist := got.JSON["metadata"].(map[string]any)["history"].([]any)
			if len(hist) != 2 || hist[0].(map[string]any)["content"] != "Do you ship\n to Norway?" || hist[1].(map[string]any)["role"] != "assistant" {
				t.Fatalf("history sent upstream: %v", hist)
			}
		})
	}
}

func parseUint(s string, out *uint64) error {
	var n uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return context.Canceled
		}
		n = n*10 + uint64(c-'0')
	}
	*out = n
	return nil
}

func TestChatResponseFormats(t *testing.T) {
	cases := []struct {
		scenario, text, status, code string
	}{
		{n8ntest.ScenarioMultiRun, "", "complete", ""},
		{n8ntest.ScenarioKeepalive, "", "complete", ""},
		{n8ntest.ScenarioJSONOutput, n8ntest.AnswerText, "complete", ""},
		{n8ntest.ScenarioJSONText, n8ntest.AnswerText, "complete", ""},
		{n8ntest.ScenarioJSONMessage, n8ntest.AnswerText, "complete", ""},
		{n8ntest.ScenarioJSONArray, n8ntest.AnswerText, "complete", ""},
		{n8ntest.ScenarioText, n8ntest.AnswerText, "complete", ""},
		{n8ntest.ScenarioSSE, "", "complete", ""},
		{n8ntest.ScenarioSplit, streamAnswer(5), "complete", ""},
		{n8ntest.ScenarioErrorChunk, "", "partial", "upstream_agent_error"},
		{"status500", "", "failed", "upstream_status"},
		{"status401", "", "failed", "upstream_unauthorized"},
		{"status429", "", "failed", "upstream_rate_limited"},
		{n8ntest.ScenarioHangBeforeHeaders, "", "failed", "upstream_timeout"},
		{n8ntest.ScenarioHangMidStream, "", "partial", "upstream_timeout"},
		{n8ntest.ScenarioResetMidStream, "", "partial", "upstream_bad_response"},
		{n8ntest.ScenarioGarbage, "", "failed", "upstream_bad_response"},
		{n8ntest.ScenarioHTML, "", "failed", "upstream_bad_response"},
		{n8ntest.ScenarioEmptyStream, "", "failed", "upstream_empty"},
		{n8ntest.ScenarioJSONNoData, "", "failed", "upstream_empty"},
		{n8ntest.ScenarioRedirect, "", "failed", "upstream_status"},
	}
	for _, c := range cases {
		t.Run(c.scenario, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, "sqlite") // one app per case: failures must not open the shared breaker
			e.fake.SetScenario(c.scenario)
			s := e.newSession(nil)
			res := e.send(s, map[string]any{"message": "hi"})
			end := res.ofType("end")
			if !res.done || len(end) != 1 || end[0].Data["status"] != c.status {
				t.Fatalf("end: %+v", res.events)
			}
			errs := res.ofType("error")
			if c.code == "" && len(errs) != 0 || c.code != "" && (len(errs) != 1 || errs[0].Data["code"] != c.code) {
				t.Fatalf("errors: %+v", errs)
			}
			for _, ev := range errs {
				msg, _ := ev.Data["content"].(string)
				if msg == "" || strings.Contains(msg, e.fake.URL) || strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "Error in workflow") {
					t.Fatalf("error text leaks or is empty: %q", msg)
				}
			}
			if c.text != "" && res.text() != c.text {
				t.Fatalf("text %q, want %q", res.text(), c.text)
			}
			if c.status != "failed" && res.text() == "" {
				t.Fatal("no text")
			}
			msgs := e.waitMessages(s.ID, 2)
			if len(msgs) != 2 || msgs[1].Status != c.status || msgs[1].Content != res.text() {
				t.Fatalf("stored %+v, streamed %q", msgs, res.text())
			}
		})
	}
}

func TestChatDisconnectStillStoresAnswer(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.fake.SetScenario(n8ntest.ScenarioStream)
	e.fake.SetChunks(20)
	e.fake.SetChunkDelay(30 * time.Millisecond)
	s := e.newSession(nil)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", e.url+"/api/v1/chat/message", strings.NewReader(`{"message":"long one"}`))
	req.Header.Set("Origin", shopOrigin)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"type":"item"`) {
			break // got the first token: hang up
		}
	}
	cancel()
	resp.Body.Close()
	msgs := e.waitMessages(s.ID, 2)
	if len(msgs) != 2 || msgs[1].Status != store.StatusComplete || msgs[1].Content != streamAnswer(20) {
		t.Fatalf("answer after disconnect: %+v", msgs)
	}
}

func TestChatIdempotentAndResume(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			e.fake.SetScenario(n8ntest.ScenarioStream)
			e.fake.SetChunks(10)
			e.fake.SetChunkDelay(20 * time.Millisecond)
			s := e.newSession(nil)
			body := map[string]any{"message": "same", "client_message_id": "c-1"}
			first := make(chan sseResult, 1)
			go func() { first <- e.send(s, body) }()
			time.Sleep(60 * time.Millisecond)
			second := e.send(s, body) // joins the running reply
			one := <-first
			if one.text() != streamAnswer(10) || second.text() != streamAnswer(10) {
				t.Fatalf("texts %q / %q", one.text(), second.text())
			}
			third := e.send(s, body) // after the end: served again, still one upstream call
			if third.text() != streamAnswer(10) || e.fake.Count() != 1 {
				t.Fatalf("third %q, upstream calls %d", third.text(), e.fake.Count())
			}
			if msgs := e.waitMessages(s.ID, 2); len(msgs) != 2 {
				t.Fatalf("stored %d messages, want 2", len(msgs))
			}
			// Idempotency-Key header works the same way.
			resp := e.do(request{method: "POST", path: "/api/v1/chat/message", origin: shopOrigin, token: s.Token,
				body: map[string]any{"message": "same"}, header: map[string]string{"Idempotency-Key": "c-1"}})
			if readSSE(t, resp).text() != streamAnswer(10) || e.fake.Count() != 1 {
				t.Fatal("Idempotency-Key did not join")
			}

			// Resume from the middle with Last-Event-ID.
			replyID := one.ofType("begin")[0].Data["message_id"].(string)
			mid := one.events[4].ID
			resp = e.do(request{method: "GET", path: "/api/v1/chat/stream?message_id=" + replyID, origin: shopOrigin, token: s.Token,
				header: map[string]string{"Last-Event-ID": mid}})
			rest := readSSE(t, resp)
			var tail strings.Builder
			for _, ev := range one.events[5:] {
				if ev.Data["type"] == "item" {
					tail.WriteString(ev.Data["content"].(string))
				}
			}
			if rest.text() != tail.String() || !rest.done || rest.events[0].ID == mid {
				t.Fatalf("resume from %s: %q, want %q", mid, rest.text(), tail.String())
			}
			// Another session cannot follow this reply.
			other := e.newSession(nil)
			resp = e.do(request{method: "GET", path: "/api/v1/chat/stream?message_id=" + replyID, origin: shopOrigin, token: other.Token})
			if resp.StatusCode != 403 {
				t.Fatalf("foreign resume: %d", resp.StatusCode)
			}
			// An unknown position gets a reset event.
			resp = e.do(request{method: "GET", path: "/api/v1/chat/stream?message_id=" + replyID, origin: shopOrigin, token: s.Token,
				header: map[string]string{"Last-Event-ID": "otherepoch-3"}})
			if r := readSSE(t, resp); len(r.ofType("reset")) != 1 || !r.done {
				t.Fatalf("want reset, got %+v", r.events)
			}
		})
	}
}

func TestChatLegacyEventSourceGet(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.fake.SetScenario(n8ntest.ScenarioEcho)
	s := e.newSession(nil)
	// EventSource from a page on the proxy itself: cookie auth, no Origin, same-origin fetch.
	resp := e.do(request{method: "GET", path: "/api/v1/chat/stream?message=echo%20me&page_url=" + shopOrigin, cookie: s.cookie,
		header: map[string]string{"Sec-Fetch-Site": "same-origin"}})
	if res := readSSE(t, resp); !strings.Contains(res.text(), "echo me") || !res.done {
		t.Fatalf("legacy GET: %+v", res.events)
	}
	// A cross-site GET (an <img> or link on another site) can never send a message.
	before := e.fake.Count()
	resp = e.do(request{method: "GET", path: "/api/v1/chat/stream?message=csrf", cookie: s.cookie,
		header: map[string]string{"Sec-Fetch-Site": "cross-site"}})
	if resp.StatusCode != 403 || e.fake.Count() != before {
		t.Fatalf("cross-site GET: %d, upstream calls %d→%d", resp.StatusCode, before, e.fake.Count())
	}
	if n := len(e.messages(s.ID)); n != 2 {
		t.Fatalf("stored %d messages", n)
	}
}

func TestHistory(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			e.fake.SetScenario(n8ntest.ScenarioJSONOutput)
			s := e.newSession(nil)
			for i := 0; i < 3; i++ {
				e.send(s, map[string]any{"message": "q" + string(rune('1'+i))})
			}
			e.waitMessages(s.ID, 6)
			var h struct {
				SessionID string `json:"session_id"`
				Messages  []struct {
					ID, Role, Content, Status string
					CreatedAt                 time.Time `json:"created_at"`
				} `json:"messages"`
				HasMore bool `json:"has_more"`
			}
			resp := e.do(request{method: "GET", path: "/api/v1/chat/history/" + s.ID + "?limit=4", origin: shopOrigin, token: s.Token})
			decode(t, resp, &h)
			if resp.StatusCode != 200 || h.SessionID != s.ID || len(h.Messages) != 4 || !h.HasMore ||
				h.Messages[0].Content != "q2" || h.Messages[3].Role != "assistant" || h.Messages[3].Status != "complete" {
				t.Fatalf("history page: %d %+v", resp.StatusCode, h)
			}
			resp = e.do(request{method: "GET", path: "/api/v1/chat/history/" + s.ID + "?limit=4&before=" + h.Messages[0].ID, origin: shopOrigin, cookie: s.cookie})
			decode(t, resp, &h)
			if len(h.Messages) != 2 || h.HasMore || h.Messages[0].Content != "q1" {
				t.Fatalf("older page: %+v", h)
			}
			other := e.newSession(nil)
			resp = e.do(request{method: "GET", path: "/api/v1/chat/history/" + s.ID, origin: shopOrigin, token: other.Token})
			if resp.StatusCode != 403 || errorCode(t, resp) != "forbidden" {
				t.Fatalf("other session's history: %d", resp.StatusCode)
			}
			resp = e.do(request{method: "GET", path: "/api/v1/chat/history/0190d0d0-0000-7000-8000-000000000000", origin: shopOrigin, token: s.Token})
			if resp.StatusCode != 404 || errorCode(t, resp) != "session_not_found" {
				t.Fatalf("unknown history: %d", resp.StatusCode)
			}
		})
	}
}

func TestWebhookPayloadFormat(t *testing.T) {
	e := newEnv(t, "sqlite", withOtherSiteYAML("    payload_format: webhook\n    abuse: {min_first_message_delay_ms: -1}\n"))
	e.fake.SetScenario(n8ntest.ScenarioJSONOutput)
	resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"}})
	var s session
	decode(t, resp, &s)
	resp = e.do(request{method: "POST", path: "/api/v1/chat/message", origin: otherOrigin, token: s.Token, body: map[string]any{"message": "hello"}})
	readSSE(t, resp)
	got, _ := e.fake.Last()
	if got.JSON["message"] != "hello" || got.JSON["jwt_token"] != got.Token || got.JSON["timestamp"] == nil || got.JSON["session"] == nil {
		t.Fatalf("webhook body: %v", got.JSON)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	e := newEnv(t, "sqlite")
	resp := e.do(request{method: "GET", path: "/health"})
	body := readAll(resp)
	if resp.StatusCode != 200 || body != "{\"status\":\"ok\",\"checks\":{\"database\":\"ok\"}}\n" {
		t.Fatalf("health: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Content-Security-Policy") != "frame-ancestors 'none'" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("security headers: %v", resp.Header)
	}
	_ = e.app.Store.Close() // the database goes away
	resp = e.do(request{method: "GET", path: "/health"})
	if resp.StatusCode != 503 || strings.Contains(readAll(resp), "sqlite") {
		t.Fatalf("health without database: %d", resp.StatusCode)
	}
}

func TestCircuitBreakerFailsFast(t *testing.T) {
	e := newEnv(t, "sqlite", withEnv("CHATPROXY_UPSTREAM_BREAKER_FAILURES", "2"), withEnv("CHATPROXY_UPSTREAM_BREAKER_OPEN_FOR", "1m"))
	e.fake.SetScenario("status500")
	s := e.newSession(nil)
	for i := 0; i < 2; i++ {
		if res := e.send(s, map[string]any{"message": "q" + string(rune('a'+i))}); res.ofType("error")[0].Data["code"] != "upstream_status" {
			t.Fatalf("failure %d: %+v", i, res.events)
		}
	}
	res := e.send(s, map[string]any{"message": "third"})
	if errs := res.ofType("error"); len(errs) != 1 || errs[0].Data["code"] != "upstream_circuit_open" || e.fake.Count() != 2 {
		t.Fatalf("open breaker: %+v, upstream calls %d", res.events, e.fake.Count())
	}
	msgs := e.waitMessages(s.ID, 6)
	if len(msgs) != 6 || msgs[4].Content != "third" || msgs[5].Status != store.StatusFailed {
		t.Fatalf("the message must be stored, the answer marked failed: %+v", msgs)
	}
}
