package adminapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/analytics"
	"github.com/chatproxy/chatproxy/internal/store"
)

// TestAnalyticsEndpoints: the summary, a series and a breakdown of known events as JSON and
// CSV, and bad parameters refused, on both engines.
func TestAnalyticsEndpoints(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		h.consoleSite("shop")
		owner := h.account("owner@example.com", "owner")
		raw, _ := h.token(owner, 0)
		c := h.bearerClient(raw)
		at := time.Now().UTC().Add(-2 * time.Hour)
		var evs []store.Event
		add := func(i int, typ, visitor string, props map[string]any, key string) {
			b, _ := json.Marshal(props)
			evs = append(evs, store.Event{ID: at.Format(time.RFC3339) + typ + strings.Repeat("x", i), SiteID: "shop", VisitorID: visitor, Type: typ, Data: b, DedupeKey: key, CreatedAt: at})
		}
		add(1, analytics.SessionStarted, "v1", map[string]any{"page": "/p/1", "country": "DE"}, "")
		add(2, analytics.MessageSent, "v1", nil, "")
		add(3, analytics.ReplyFirstToken, "v1", map[string]any{"ms": 250}, "")
		add(4, analytics.ReplyCompleted, "v1", map[string]any{"ms": 900, "status": "complete"}, "")
		add(5, analytics.Feedback, "v1", map[string]any{"message_id": "m", "rating": "up"}, "feedback:m:1")
		add(6, analytics.Purchase, "v1", map[string]any{"order_id": "o", "value": 42.5, "currency": "EUR", "assisted": true}, "purchase:o")
		if _, err := h.st.WriteEvents(context.Background(), evs, analytics.Derive); err != nil {
			t.Fatal(err)
		}
		r := c.do("GET", "/admin/api/v1/analytics/summary?site=shop", "")
		var s analytics.Summary
		if err := json.Unmarshal(r.body, &s); err != nil || r.status != 200 {
			t.Fatalf("summary: %d %s", r.status, r.body)
		}
		if s.Conversations != 1 || s.Messages != 1 || s.Answered != 1 || s.Visitors != 1 || s.Feedback.Up != 1 ||
			s.AssistedConversions.Count != 1 || s.AssistedConversions.Value != 42.5 || s.Currency != "EUR" || *s.FirstTokenMS.P50 < 245 || *s.FirstTokenMS.P50 > 255 {
			t.Fatalf("summary %s", r.body)
		}
		r = c.do("GET", "/admin/api/v1/analytics/summary?site=shop", "", "Accept", "text/csv")
		lines := strings.Split(strings.TrimSpace(string(r.body)), "\n")
		if r.status != 200 || len(lines) != 2 || !strings.HasPrefix(lines[0], "conversations,visitors,") || !strings.HasPrefix(lines[1], "1,1,0,1,1,0,0,") || !strings.HasSuffix(lines[1], ",1,42.50,EUR") {
			t.Fatalf("summary csv: %d %q", r.status, r.body)
		}
		r = c.do("GET", "/admin/api/v1/analytics/timeseries?site=shop&metric=conversations&interval=hour&from="+at.Add(-3*time.Hour).Format(time.RFC3339)+"&to="+at.Add(time.Hour).Format(time.RFC3339), "")
		var ts struct{ Points []analytics.Point }
		if err := json.Unmarshal(r.body, &ts); err != nil || r.status != 200 || len(ts.Points) < 4 {
			t.Fatalf("timeseries: %d %s", r.status, r.body)
		}
		var total float64
		for _, p := range ts.Points {
			total += p.Value
		}
		if total != 1 {
			t.Fatalf("timeseries adds to %v: %s", total, r.body)
		}
		r = c.do("GET", "/admin/api/v1/analytics/breakdown?site=shop&by=country", "", "Accept", "text/csv")
		if r.status != 200 || strings.TrimSpace(string(r.body)) != "country,count\nDE,1" {
			t.Fatalf("breakdown csv: %d %q", r.status, r.body)
		}
		for _, bad := range []struct{ path, code string }{
			{"/admin/api/v1/analytics/summary", "invalid_request"},
			{"/admin/api/v1/analytics/summary?site=shop&from=yesterday", "invalid_range"},
			{"/admin/api/v1/analytics/summary?site=shop&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "invalid_range"},
			{"/admin/api/v1/analytics/timeseries?site=shop&metric=nope", "invalid_request"},
			{"/admin/api/v1/analytics/timeseries?site=shop&metric=messages&interval=week", "invalid_request"},
			{"/admin/api/v1/analytics/breakdown?site=shop&by=browser", "invalid_request"},
			{"/admin/api/v1/analytics/breakdown?site=shop&by=page&limit=0", "invalid_limit"},
		} {
			if r := c.do("GET", bad.path, ""); r.status != 400 || r.code() != bad.code {
				t.Errorf("%s: %d %s, want 400 %s", bad.path, r.status, r.body, bad.code)
			}
		}
	})
}
