package httpapi_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/ratelimit/ratelimittest"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

// widgetCall is what @n8n/chat 1.37.0 sends (docs/n8n-protocol.md): streaming adds
// Accept: text/plain.
type widgetCall struct {
	site, origin, action, id, text string
	stream                         bool
	metadata                       map[string]any
}

func (e *env) widget(c widgetCall) *http.Response {
	e.t.Helper()
	if c.site == "" {
		c.site = "shop"
	}
	if c.origin == "" {
		c.origin = shopOrigin
	}
	body := map[string]any{"action": c.action, "sessionId": c.id}
	if c.action != "loadPreviousSession" {
		body["chatInput"] = c.text
	}
	if c.metadata != nil {
		body["metadata"] = c.metadata
	}
	r := request{method: "POST", path: "/api/v1/n8n/" + c.site, origin: c.origin, body: body}
	if c.stream {
		r.header = map[string]string{"Accept": "text/plain"}
	}
	return e.do(r)
}

// ndjsonLine is one line of n8n's stream.
type ndjsonLine struct {
	Type     string  `json:"type"`
	Content  *string `json:"content"`
	Metadata *struct {
		NodeID    string `json:"nodeId"`
		NodeName  string `json:"nodeName"`
		ItemIndex *int   `json:"itemIndex"`
		RunIndex  *int   `json:"runIndex"`
		Timestamp int64  `json:"timestamp"`
	} `json:"metadata"`
}

func readNDJSON(t *testing.T, resp *http.Response) (lines []ndjsonLine, raw []string) {
	t.Helper()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("stream: %d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), readAll(resp))
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var l ndjsonLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		lines, raw = append(lines, l), append(raw, sc.Text())
	}
	return lines, raw
}

func streamText(lines []ndjsonLine) string {
	var b strings.Builder
	for _, l := range lines {
		if l.Type == "item" && l.Content != nil {
			b.WriteString(*l.Content)
		}
	}
	return b.String()
}

// TestN8NWidgetChat drives the endpoint as @n8n/chat does: an unknown id loads an empty
// history without creating anything, messages go to n8n through the chat path (JWT, stored
// both ways), answers come as {output} or n8n's NDJSON stream, and the history comes back in
// the LangChain shape.
func TestN8NWidgetChat(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			id := uuid.NewString()
			resp := e.widget(widgetCall{action: "loadPreviousSession", id: id})
			if got := readAll(resp); resp.StatusCode != 200 || got != "{\"data\":[]}\n" {
				t.Fatalf("load of an unknown id: %d %q", resp.StatusCode, got)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") != shopOrigin || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("CORS: %v", resp.Header)
			}
			if e.fake.Count() != 0 {
				t.Fatalf("a history load reached n8n")
			}

			// Not streaming: one JSON {output}.
			resp = e.widget(widgetCall{action: "sendMessage", id: id, text: "Do you ship to Norway?", metadata: map[string]any{"userId": "u-42"}})
			var out struct {
				Output string          `json:"output"`
				Error  json.RawMessage `json:"error"`
			}
			decode(t, resp, &out)
			want := strings.Join(n8ntestChunks(5), "")
			if resp.StatusCode != 200 || out.Output != want || out.Error != nil {
				t.Fatalf("sendMessage: %d %+v, want output %q", resp.StatusCode, out, want)
			}
			last, _ := e.fake.Last()
			if last.Claims == nil || last.JSON["chatInput"] != "Do you ship to Norway?" {
				t.Fatalf("n8n got %v (claims %v)", last.JSON, last.Claims)
			}
			meta, _ := last.JSON["metadata"].(map[string]any)
			ctx, _ := meta["context"].(map[string]any)
			if ctx["userId"] != "u-42" {
				t.Errorf("the widget's metadata did not reach n8n as context: %v", meta)
			}
			sessionID, _ := last.JSON["sessionId"].(string)
			if sessionID == "" || sessionID == id {
				t.Errorf("n8n got sessionId %q: want chatproxy's session, never the widget's id", sessionID)
			}

			// Streaming: n8n's NDJSON, one stable nodeId.
			resp = e.widget(widgetCall{action: "sendMessage", id: id, text: "And to Sweden?", stream: true})
			lines, raw := readNDJSON(t, resp)
			if len(lines) < 3 || lines[0].Type != "begin" || lines[len(lines)-1].Type != "end" || streamText(lines) != want {
				t.Fatalf("stream: %q", raw)
			}
			for _, l := range lines {
				if l.Metadata == nil || l.Metadata.NodeID != lines[0].Metadata.NodeID || l.Metadata.NodeName != "chatproxy" ||
					l.Metadata.RunIndex == nil || l.Metadata.Timestamp == 0 {
					t.Fatalf("chunk metadata: %q", raw)
				}
			}
			if !strings.HasPrefix(raw[1], `{"type":"item","content":`) || strings.Contains(raw[0], "content") {
				t.Errorf("key order or content of begin: %q", raw[:2])
			}
			if second, _ := e.fake.Last(); second.JSON["sessionId"] != sessionID {
				t.Errorf("the second message went to another session: %v", second.JSON["sessionId"])
			}
			msgs := e.waitMessages(sessionID, 4)
			if len(msgs) != 4 {
				t.Fatalf("stored %d messages, want 4", len(msgs))
			}

			// History in LangChain's shape, byte for byte.
			resp = e.widget(widgetCall{action: "loadPreviousSession", id: id})
			var hist struct {
				Data []json.RawMessage `json:"data"`
			}
			decode(t, resp, &hist)
			if len(hist.Data) != 4 {
				t.Fatalf("history: %d messages", len(hist.Data))
			}
			if got := string(hist.Data[0]); got != `{"lc":1,"type":"constructor","id":["langchain_core","messages","HumanMessage"],"kwargs":{"content":"Do you ship to Norway?","additional_kwargs":{},"response_metadata":{}}}` {
				t.Errorf("history[0] = %s", got)
			}
			if !strings.Contains(string(hist.Data[1]), `"AIMessage"`) || !strings.Contains(string(hist.Data[1]), want) {
				t.Errorf("history[1] = %s", hist.Data[1])
			}
			if e.fake.Count() != 2 {
				t.Errorf("n8n calls = %d, want 2", e.fake.Count())
			}
		})
	}
}

func n8ntestChunks(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = n8ntest.StreamChunk(i)
	}
	return out
}

// TestN8NWidgetRefusals: the id is the credential, so it must be UUID-shaped and stays with
// its site and its first origin; the site's origin rule applies; nothing is stored or sent
// to n8n for any refusal, and the widget gets a message it can show.
func TestN8NWidgetRefusals(t *testing.T) {
	e := newEnv(t, "sqlite")
	id := uuid.NewString()
	resp := e.widget(widgetCall{action: "sendMessage", id: id, text: "hello"})
	if resp.StatusCode != 200 {
		t.Fatalf("first message: %d %s", resp.StatusCode, readAll(resp))
	}
	readAll(resp)
	calls := e.fake.Count()
	cases := []struct {
		name   string
		c      widgetCall
		status int
		code   string
	}{
		{"another origin of the same site", widgetCall{origin: "https://www.shop.example", action: "sendMessage", id: id, text: "hi"}, 403, "session_origin_mismatch"},
		{"history from another origin", widgetCall{origin: "https://www.shop.example", action: "loadPreviousSession", id: id}, 403, "session_origin_mismatch"},
		{"another site", widgetCall{site: "other", origin: otherOrigin, action: "sendMessage", id: id, text: "hi"}, 403, "site_mismatch"},
		{"history on another site", widgetCall{site: "other", origin: otherOrigin, action: "loadPreviousSession", id: id}, 403, "site_mismatch"},
		{"origin not of the site", widgetCall{origin: otherOrigin, action: "sendMessage", id: uuid.NewString(), text: "hi"}, 403, "origin_not_allowed"},
		{"unknown site", widgetCall{site: "nope", action: "sendMessage", id: uuid.NewString(), text: "hi"}, 404, "site_not_found"},
		{"id not a UUID", widgetCall{action: "sendMessage", id: "session-1", text: "hi"}, 400, "invalid_session_id"},
		{"id without dashes", widgetCall{action: "sendMessage", id: strings.ReplaceAll(uuid.NewString(), "-", ""), text: "hi"}, 400, "invalid_session_id"},
		{"empty id", widgetCall{action: "loadPreviousSession", id: ""}, 400, "invalid_session_id"},
		{"empty message", widgetCall{action: "sendMessage", id: uuid.NewString(), text: " \u200b "}, 400, "empty_message"},
		{"unknown action", widgetCall{action: "deleteEverything", id: uuid.NewString(), text: "hi"}, 400, "invalid_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := e.widget(c.c)
			raw := readAll(resp)
			var body struct {
				Error   struct{ Code, Message string } `json:"error"`
				Message string                         `json:"message"`
			}
			if err := json.Unmarshal([]byte(raw), &body); err != nil || resp.StatusCode != c.status || body.Error.Code != c.code {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, raw, c.status, c.code)
			}
			if body.Message == "" || body.Message != body.Error.Message {
				t.Errorf("no message for the widget to show: %s", raw)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") == otherOrigin && c.c.site != "other" {
				t.Errorf("CORS echoed a foreign origin")
			}
		})
	}
	if e.fake.Count() != calls {
		t.Errorf("refused requests reached n8n: %d calls, want %d", e.fake.Count(), calls)
	}
	// A request without Origin (curl) is refused.
	resp = e.do(request{method: "POST", path: "/api/v1/n8n/shop", body: map[string]any{"action": "sendMessage", "sessionId": uuid.NewString(), "chatInput": "hi"}})
	if resp.StatusCode != 403 || errorCode(t, resp) != "origin_not_allowed" {
		t.Errorf("no Origin: %d", resp.StatusCode)
	}
}

// TestN8NWidgetPreflight: like n8n, the headers asked for are allowed, but only for the
// site's own origins; no credentials.
func TestN8NWidgetPreflight(t *testing.T) {
	e := newEnv(t, "sqlite")
	pre := func(origin, headers string) *http.Response {
		return e.do(request{method: "OPTIONS", path: "/api/v1/n8n/shop", origin: origin, header: map[string]string{
			"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": headers}})
	}
	resp := pre(shopOrigin, "content-type,x-shop-token")
	h := resp.Header
	if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != shopOrigin || h.Get("Access-Control-Allow-Methods") != "POST, OPTIONS" ||
		h.Get("Access-Control-Allow-Headers") != "content-type,x-shop-token" || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight: %d %v", resp.StatusCode, h)
	}
	if resp := pre(shopOrigin, "content-type;x=(y)"); resp.Header.Get("Access-Control-Allow-Headers") != "Content-Type, Accept" {
		t.Errorf("a malformed header list was echoed: %q", resp.Header.Get("Access-Control-Allow-Headers"))
	}
	for _, o := range []string{otherOrigin, "https://evil.example", "null"} {
		if resp := pre(o, "content-type"); resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from %s: %d %v", o, resp.StatusCode, resp.Header)
		}
	}
}

// TestN8NWidgetUpstreamErrors: n8n's failures reach the widget as the friendly text, never
// n8n's body, in both forms.
func TestN8NWidgetUpstreamErrors(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.fake.SetScenario(n8ntest.ScenarioStatus500)
	friendly := upstream.FriendlyMessage(upstream.CodeStatus)
	resp := e.widget(widgetCall{action: "sendMessage", id: uuid.NewString(), text: "hello"})
	raw := readAll(resp)
	var out struct {
		Output string                         `json:"output"`
		Error  struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil || out.Output != friendly || out.Error.Code != upstream.CodeStatus {
		t.Errorf("not streaming: %s", raw)
	}
	resp = e.widget(widgetCall{action: "sendMessage", id: uuid.NewString(), text: "hello", stream: true})
	lines, rawLines := readNDJSON(t, resp)
	last := lines[len(lines)-1]
	if last.Type != "error" || last.Content == nil || *last.Content != friendly {
		t.Errorf("streaming: %q", rawLines)
	}
	for _, l := range append(rawLines, raw) {
		if strings.Contains(l, "Error in workflow") {
			t.Errorf("n8n's body reached the widget: %s", l)
		}
	}
}

// TestN8NWidgetGuard: history loads are not conversations (they spend no session of the IP's
// hourly allowance and make none), messages meet every rate rule, and the minimum delay
// counts from the widget's first page view; with memory and Redis limiters.
func TestN8NWidgetGuard(t *testing.T) {
	for _, name := range []string{"memory", "redis"} {
		t.Run(name, func(t *testing.T) {
			opts := []envOpt{withOtherSiteYAML(`    limits: {sessions_per_ip_per_hour: 3, ip_per_minute: 1000, session_per_minute: 2}
    abuse: {min_first_message_delay_ms: 1500}
`)}
			if name == "redis" {
				ratelimittest.RedisClient(t)
				opts = append(opts, withEnv("REDIS_URL", ratelimittest.DefaultRedisURL), withEnv("CHATPROXY_REDIS_PREFIX", ratelimittest.UniquePrefix(t)))
			}
			e := newEnv(t, "sqlite", opts...)
			other := func(action, id, text string) *http.Response {
				return e.widget(widgetCall{site: "other", origin: otherOrigin, action: action, id: id, text: text})
			}
			ids := []string{uuid.NewString(), uuid.NewString(), uuid.NewString()}
			for i := 0; i < 10; i++ {
				for _, id := range ids {
					if resp := other("loadPreviousSession", id, ""); resp.StatusCode != 200 {
						t.Fatalf("load: %d %s", resp.StatusCode, readAll(resp))
					}
				}
			}
			// Too soon after the page view: too_fast, nothing made (the session allowance is
			// checked first, as a widget's session is created before its first message).
			resp := other("sendMessage", ids[0], "hi")
			if resp.StatusCode != 429 || errorCode(t, resp) != "too_fast" {
				t.Fatalf("message right after the page view: %d", resp.StatusCode)
			}
			time.Sleep(1600 * time.Millisecond)
			for _, id := range ids[:2] {
				if resp := other("sendMessage", id, "hi"); resp.StatusCode != 200 {
					t.Fatalf("first message: %d %s", resp.StatusCode, readAll(resp))
				}
			}
			// The hourly allowance of three sessions was not spent by the thirty loads.
			if resp := other("sendMessage", ids[2], "hi"); resp.StatusCode != 429 || errorCode(t, resp) != "rate_limited" {
				t.Errorf("third conversation of the IP: %d, want 429 rate_limited", resp.StatusCode)
			}
			// The per-session rate applies to the bound session.
			if resp := other("sendMessage", ids[0], "again"); resp.StatusCode != 200 {
				t.Fatalf("second message: %d %s", resp.StatusCode, readAll(resp))
			}
			if resp := other("sendMessage", ids[0], "and again"); resp.StatusCode != 429 || errorCode(t, resp) != "rate_limited" {
				t.Errorf("third message in a minute: %d, want 429", resp.StatusCode)
			}
			if e.fake.Count() != 3 {
				t.Errorf("n8n calls = %d, want 3", e.fake.Count())
			}
		})
	}
}

// TestN8NWidgetConsent: a site that asks for consent starts no conversation for the widget
// until the shop passes {consent: true} in its metadata.
func TestN8NWidgetConsent(t *testing.T) {
	e := newEnv(t, "sqlite", withOtherSiteYAML("    consent: opt_in\n    abuse: {min_first_message_delay_ms: -1}\n"))
	call := widgetCall{site: "other", origin: otherOrigin, action: "sendMessage", id: uuid.NewString(), text: "hi"}
	if resp := e.widget(call); resp.StatusCode != 400 || errorCode(t, resp) != "consent_required" {
		t.Fatalf("without consent: %d", resp.StatusCode)
	}
	if e.fake.Count() != 0 {
		t.Fatal("a message without consent reached n8n")
	}
	call.metadata = map[string]any{"consent": true}
	if resp := e.widget(call); resp.StatusCode != 200 {
		t.Fatalf("with consent: %d %s", resp.StatusCode, readAll(resp))
	}
}
