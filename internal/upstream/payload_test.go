package upstream_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/upstream"
)

func fullRequest() upstream.Request {
	r := testRequest()
	r.Returning = true
	r.PageURL = "https://shop.example/p/42"
	r.OriginDomain = "shop.example"
	r.UserAgent = "Mozilla/5.0"
	r.ClientIP = "81.2.69.142"
	r.Country, r.City = "GB", "London"
	r.History = []upstream.HistoryItem{
		{Role: "user", Content: "Hi", CreatedAt: testNow.Add(-2 * time.Minute)},
		{Role: "assistant", Content: "Hello!", CreatedAt: testNow.Add(-time.Minute)},
	}
	r.Context = map[string]any{"product_id": "42"}
	return r
}

const fullMetadata = `{"site_id":"shop-a","session_id":"sess-1","message_id":"msg-1","visitor_id":"vis-1",` +
	`"returning":true,"page_url":"https://shop.example/p/42","origin_domain":"shop.example","user_agent":"Mozilla/5.0",` +
	`"client_ip":"81.2.69.142","time":"2026-11-22T10:00:00Z","country":"GB","city":"London",` +
	`"history":[{"role":"user","content":"Hi","created_at":"2026-11-22T09:58:00Z"},` +
	`{"role":"assistant","content":"Hello!","created_at":"2026-11-22T09:59:00Z"}],"context":{"product_id":"42"}}`

func TestBuildBodyChatTrigger(t *testing.T) {
	t.Parallel()
	body, err := upstream.BuildBody(upstream.FormatChatTrigger, fullRequest(), "tok", testNow, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"action":"sendMessage","sessionId":"sess-1","chatInput":"Do you ship to Norway?","metadata":` + fullMetadata + `}`
	if string(body) != want {
		t.Fatalf("body\n got %s\nwant %s", body, want)
	}
}

func TestBuildBodyWebhook(t *testing.T) {
	t.Parallel()
	body, err := upstream.BuildBody(upstream.FormatWebhook, fullRequest(), "tok.en.sig", testNow, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"message":"Do you ship to Norway?","timestamp":"2026-11-22T10:00:00Z","jwt_token":"tok.en.sig",` +
		`"session":{"id":"sess-1","site_id":"shop-a","visitor_id":"vis-1","returning":true,` +
		`"page_url":"https://shop.example/p/42","origin_domain":"shop.example"},"metadata":` + fullMetadata + `}`
	if string(body) != want {
		t.Fatalf("body\n got %s\nwant %s", body, want)
	}
}

// TestBuildBodyOmitsUnknowns checks that empty optional fields are left out and history is [].
func TestBuildBodyOmitsUnknowns(t *testing.T) {
	t.Parallel()
	req := testRequest()
	req.Time = time.Time{} // falls back to now
	req.Context = map[string]any{}
	body, err := upstream.BuildBody(upstream.FormatChatTrigger, req, "", testNow.Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Metadata map[string]json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"client_ip", "country", "city", "context"} {
		if _, ok := got.Metadata[k]; ok {
			t.Errorf("metadata has %q although it is empty", k)
		}
	}
	if h := string(got.Metadata["history"]); h != "[]" {
		t.Errorf("history = %s; want []", h)
	}
	if ts := string(got.Metadata["time"]); ts != `"2026-11-22T11:00:00Z"` {
		t.Errorf("time = %s", ts)
	}
	webhook, _ := upstream.BuildBody(upstream.FormatWebhook, req, "", testNow, 0)
	if strings.Contains(string(webhook), "jwt_token") {
		t.Errorf("unsigned webhook body carries jwt_token: %s", webhook)
	}
}

// TestBuildBodyCapDropsOldestHistory checks the size cap keeps the newest turns.
func TestBuildBodyCapDropsOldestHistory(t *testing.T) {
	t.Parallel()
	req := testRequest()
	for i := range 40 {
		req.History = append(req.History, upstream.HistoryItem{
			Role: "user", Content: strings.Repeat(string(rune('a'+i%26)), 100), CreatedAt: testNow,
		})
	}
	full, _ := upstream.BuildBody(upstream.FormatChatTrigger, req, "", testNow, 0)
	limit := len(full) / 2
	body, err := upstream.BuildBody(upstream.FormatChatTrigger, req, "", testNow, limit)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > limit {
		t.Fatalf("body is %d bytes, cap %d", len(body), limit)
	}
	var got struct {
		Metadata struct {
			History []upstream.HistoryItem `json:"history"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	h := got.Metadata.History
	if len(h) == 0 || len(h) >= 40 || h[len(h)-1].Content != req.History[39].Content {
		t.Fatalf("kept %d turns, last %q", len(h), h[len(h)-1].Content)
	}
	if _, err := upstream.BuildBody(upstream.FormatChatTrigger, req, "", testNow, 50); err == nil {
		t.Fatal("a body that cannot fit was accepted")
	}
	if _, err := upstream.BuildBody("xml", req, "", testNow, 0); err == nil {
		t.Fatal("unknown format accepted")
	}
}
