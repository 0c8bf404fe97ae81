package httpapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/analytics"
	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/store"
)

// events flushes the recorder and returns every stored event of a site, oldest first.
func (e *env) events(siteID string) []store.Event {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.app.Events.Flush(ctx); err != nil {
		e.t.Fatal(err)
	}
	evs, err := e.app.Store.ListEvents(ctx, store.EventQuery{SiteID: siteID, From: time.Now().Add(-48 * time.Hour), To: time.Now().Add(time.Hour)})
	if err != nil {
		e.t.Fatal(err)
	}
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	return evs
}

func byType(evs []store.Event) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for _, e := range evs {
		var p map[string]any
		_ = json.Unmarshal(e.Data, &p)
		out[e.Type] = append(out[e.Type], p)
	}
	return out
}

// TestServerEventsCarryNoTextOrIP chats once and checks the server's events: each kind with
// its properties, site, session and visitor, and no message text, answer text or IP in any
// stored row, on both engines.
func TestServerEventsCarryNoTextOrIP(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			e.fake.SetScenario(n8ntest.ScenarioStream)
			s := e.newSession(map[string]any{"site_id": "shop", "page_url": shopOrigin + "/p/42?email=a@b.example", "referrer": "https://www.search.example/q?x=1"})
			secret := "my card number is 4111 1111 1111 1111"
			res := e.send(s, map[string]any{"message": secret})
			if !res.done {
				t.Fatal("stream did not end")
			}
			e.waitMessages(s.ID, 2)
			evs := e.events("shop")
			got := byType(evs)
			for _, name := range []string{analytics.SessionStarted, analytics.MessageSent, analytics.ReplyFirstToken, analytics.ReplyCompleted} {
				if len(got[name]) != 1 {
					t.Fatalf("%s: %d events, want 1 (all: %v)", name, len(got[name]), got)
				}
			}
			st := got[analytics.SessionStarted][0]
			if st["page"] != "/p/42" || st["referrer"] != "www.search.example" || st["returning"] != false {
				t.Fatalf("session_started props: %v", st)
			}
			if rc := got[analytics.ReplyCompleted][0]; rc["status"] != "complete" || rc["chars"].(float64) != float64(len([]rune(streamAnswer(5)))) {
				t.Fatalf("reply_completed props: %v", rc)
			}
			for _, ev := range evs {
				if ev.SiteID != "shop" || ev.SessionID != s.ID || ev.VisitorID != s.VisitorID {
					t.Fatalf("event %s not tied to site/session/visitor: %+v", ev.Type, ev)
				}
				row := string(ev.Data) + ev.DedupeKey
				for _, bad := range []string{"4111", "card number", streamAnswer(5)[:10], "127.0.0.1", "email="} {
					if strings.Contains(row, bad) {
						t.Fatalf("event %s holds %q: %s", ev.Type, bad, row)
					}
				}
			}
		})
	}
}

// TestServerEventsOfFailedAndResumedReplies: a reply with no answer is reply_failed with its
// code; resuming a reply records resumed.
func TestServerEventsOfFailedAndResumedReplies(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			e.fake.SetScenario(n8ntest.ScenarioStatus500)
			s := e.newSession(nil)
			res := e.send(s, map[string]any{"message": "hello"})
			begin := res.ofType("begin")
			if len(begin) != 1 {
				t.Fatalf("events: %+v", res.events)
			}
			e.waitMessages(s.ID, 2)
			resp := e.do(request{method: "GET", path: "/api/v1/chat/stream?message_id=" + begin[0].Data["message_id"].(string), origin: shopOrigin, token: s.Token})
			readAll(resp)
			got := byType(e.events("shop"))
			if len(got[analytics.ReplyFailed]) != 1 || got[analytics.ReplyFailed][0]["code"] == "" || len(got[analytics.ReplyCompleted]) != 0 {
				t.Fatalf("events: %v", got)
			}
			if len(got[analytics.Resumed]) != 1 {
				t.Fatalf("resumed: %v", got)
			}
		})
	}
}

func postEvents(e *env, origin string, body any, token string) (int, string) {
	e.t.Helper()
	resp := e.do(request{method: "POST", path: "/api/v1/events", origin: origin, body: body, token: token})
	if resp.StatusCode == 202 {
		return 202, readAll(resp)
	}
	return resp.StatusCode, errorCode(e.t, resp)
}

// TestEventsEndpoint: accepted batches (token in the field, visitor alone), a purchase stored
// once per order id and marked chat-assisted, feedback changed once, and every bad input
// refused with its code and nothing stored, on both engines.
func TestEventsEndpoint(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine, withOtherSiteYAML("    abuse: {min_first_message_delay_ms: -1}\n    analytics: {events_per_minute: 3}\n"))
			e.fake.SetScenario(n8ntest.ScenarioStream)
			s := e.newSession(nil)
			res := e.send(s, map[string]any{"message": "hi"})
			answer := res.ofType("begin")[0].Data["message_id"].(string)
			e.waitMessages(s.ID, 2)
			before := len(e.events("shop"))

			bad := []struct {
				name   string
				origin string
				body   any
				token  string
				status int
				code   string
			}{
				{"bad name", shopOrigin, map[string]any{"site_id": "shop", "events": []any{map[string]any{"name": "Bad-Name"}}}, "", 400, "invalid_event_name"},
				{"long name", shopOrigin, map[string]any{"site_id": "shop", "events": []any{map[string]any{"name": strings.Repeat("a", 41)}}}, "", 400, "invalid_event_name"},
				{"server name", shopOrigin, map[string]any{"site_id": "shop", "events": []any{map[string]any{"name": "message_sent"}}}, "", 400, "invalid_event_name"},
				{"nested props", shopOrigin, map[string]any{"site_id": "shop", "events": []any{map[string]any{"name": "x", "props": map[string]any{"a": map[string]any{}}}}}, "", 400, "invalid_event_props"},
				{"big props", shopOrigin, map[string]any{"site_id": "shop", "events": []any{map[string]any{"name": "x", "props": map[string]any{"a": strings.Repeat("z", 1100)}}}}, "", 413, "props_too_large"},
				{"too many", shopOrigin, map[string]any{"site_id": "shop", "events": make([]map[string]any, 51)}, "", 413, "too_many_events"},
				{"none", shopOrigin, map[string]any{"site_id": "shop", "events": []any{}}, "", 400, "no_events"},
				{"purchase without order", shopOrigin, map[string]any{"site_id": "shop", "events": []any{map[string]any{"name": "purchase", "props": map[string]any{"value": 5, "currency": "EUR"}}}}, "", 400, "invalid_event_props"},
				{"bad currency", shopOrigin, map[string]any{"site_id": "shop", "events": []any{map[string]any{"name": "add_to_cart", "props": map[string]any{"sku": "a", "value": 5, "currency": "euro"}}}}, "", 400, "invalid_event_props"},
				{"old at", shopOrigin, map[string]any{"site_id": "shop", "events": []any{map[string]any{"name": "x", "at": "2020-01-01T00:00:00Z"}}}, "", 400, "invalid_event_time"},
				{"feedback without session", shopOrigin, map[string]any{"site_id": "shop", "events": []any{map[string]any{"name": "feedback", "props": map[string]any{"message_id": answer, "rating": "up"}}}}, "", 401, "unauthorized"},
				{"foreign origin", "https://evil.example", map[string]any{"site_id": "shop", "events": []any{map[string]any{"name": "x"}}}, "", 403, "origin_not_allowed"},
				{"no site", shopOrigin, map[string]any{"events": []any{map[string]any{"name": "x"}}}, "", 400, "site_required"},
				{"bad visitor", shopOrigin, map[string]any{"site_id": "shop", "visitor_id": "nope", "events": []any{map[string]any{"name": "x"}}}, "", 400, "invalid_request"},
				{"bad token", shopOrigin, map[string]any{"site_id": "shop", "token": "nope", "events": []any{map[string]any{"name": "x"}}}, "", 401, "unauthorized"},
				{"token of another site", otherOrigin, map[string]any{"site_id": "other", "events": []any{map[string]any{"name": "x"}}}, s.Token, 403, "site_mismatch"},
				{"one bad of two", shopOrigin, map[string]any{"site_id": "shop", "events": []any{map[string]any{"name": "ok"}, map[string]any{"name": "NO"}}}, "", 400, "invalid_event_name"},
			}
			for _, c := range bad {
				if status, code := postEvents(e, c.origin, c.body, c.token); status != c.status || code != c.code {
					t.Errorf("%s: %d %s, want %d %s", c.name, status, code, c.status, c.code)
				}
			}
			if resp := e.do(request{method: "POST", path: "/api/v1/events", origin: shopOrigin, body: `{"site_id":"shop","events":[` + strings.Repeat(`{"name":"x","props":{"a":"`+strings.Repeat("z", 900)+`"}},`, 80) + `{"name":"x"}]}`}); resp.StatusCode != 413 {
				t.Errorf("64 KiB body: %d", resp.StatusCode)
			}
			if got := len(e.events("shop")); got != before {
				t.Fatalf("bad input stored %d events", got-before)
			}

			// Accepted: the token in the field (sendBeacon), feedback changed once, a purchase twice.
			purchase := map[string]any{"name": "purchase", "props": map[string]any{"order_id": "o-1", "value": 42.5, "currency": "eur"}}
			body := map[string]any{"site_id": "shop", "token": s.Token, "events": []any{
				map[string]any{"name": "feedback", "props": map[string]any{"message_id": answer, "rating": "up"}},
				map[string]any{"name": "add_to_cart", "props": map[string]any{"sku": "A-1", "value": 42.5, "currency": "EUR"}},
				purchase, purchase,
				map[string]any{"name": "newsletter_signup", "props": map[string]any{"plan": "weekly", "n": 2, "ok": true}},
			}}
			if status, out := postEvents(e, shopOrigin, body, ""); status != 202 || !strings.Contains(out, `"accepted":5`) {
				t.Fatalf("batch: %d %s", status, out)
			}
			change := map[string]any{"site_id": "shop", "events": []any{map[string]any{"name": "feedback", "props": map[string]any{"message_id": answer, "rating": "down", "changed_from": "up"}}}}
			if status, _ := postEvents(e, shopOrigin, change, s.Token); status != 202 {
				t.Fatalf("change: %d", status)
			}
			if status, _ := postEvents(e, shopOrigin, change, s.Token); status != 202 {
				t.Fatalf("second change: %d", status)
			}
			// A visitor with no session: tied to the visitor id alone; not chat-assisted.
			lone := map[string]any{"site_id": "shop", "visitor_id": "0193a0a0-0000-7000-8000-000000000001", "events": []any{
				map[string]any{"name": "purchase", "props": map[string]any{"order_id": "o-2", "value": 10, "currency": "EUR"}}}}
			if status, _ := postEvents(e, shopOrigin, lone, ""); status != 202 {
				t.Fatalf("lone: %d", status)
			}
			got := byType(e.events("shop"))
			if len(got["purchase"]) != 2 || len(got["feedback"]) != 2 || len(got["add_to_cart"]) != 1 || len(got["newsletter_signup"]) != 1 {
				t.Fatalf("stored: %v", got)
			}
			for _, p := range got["purchase"] {
				if want := p["order_id"] == "o-1"; p["assisted"] != want || p["currency"] != "EUR" {
					t.Fatalf("purchase %v: assisted should be %v", p, want)
				}
			}

			// Floods: the site's events_per_minute (3 for "other").
			flood := map[string]any{"site_id": "other", "events": []any{map[string]any{"name": "x"}}}
			codes := []int{}
			for range 5 {
				status, _ := postEvents(e, otherOrigin, flood, "")
				codes = append(codes, status)
			}
			// The refused "token of another site" request above spent one of the 3.
			if codes[0] != 202 || codes[1] != 202 || codes[2] != 429 || codes[4] != 429 {
				t.Fatalf("flood statuses %v", codes)
			}
			if n := len(e.events("other")); n != 2 {
				t.Fatalf("flood stored %d events, want 2", n)
			}
		})
	}
}
