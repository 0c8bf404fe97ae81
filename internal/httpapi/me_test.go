package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/privacy"
	"github.com/chatproxy/chatproxy/internal/store"
)

func (e *env) exchange(s session, text string) {
	e.t.Helper()
	if res := e.send(s, map[string]any{"message": text}); !res.done {
		e.t.Fatalf("exchange %q did not finish", text)
	}
	e.waitMessages(s.ID, 2)
}

func (e *env) sessionGone(id string) bool {
	e.t.Helper()
	_, err := e.app.Store.GetSession(context.Background(), id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		e.t.Fatal(err)
	}
	return errors.Is(err, store.ErrNotFound)
}

func TestVisitorExportsAndErasesOwnConversation(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engine)
			mine, theirs := e.newSession(nil), e.newSession(nil)
			e.exchange(mine, "my order number is 4711")
			e.exchange(theirs, "someone else's question")

			resp := e.do(request{method: "GET", path: "/api/v1/me/export", origin: shopOrigin, token: mine.Token})
			if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("export: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Disposition"), readAll(resp))
			}
			var out privacy.Export
			decode(t, resp, &out)
			if out.Format != privacy.ExportFormat || out.VisitorID != mine.VisitorID || len(out.Sessions) != 1 {
				t.Fatalf("export = %+v", out)
			}
			got := out.Sessions[0]
			if got.ID != mine.ID || len(got.Messages) != 2 || got.Messages[0].Content != "my order number is 4711" ||
				got.Messages[1].Role != "assistant" || got.Attachments == nil {
				t.Fatalf("exported session = %+v", got)
			}
			raw, _ := json.Marshal(out)
			if strings.Contains(string(raw), "someone else") {
				t.Fatal("the export holds another session's message")
			}

			// Erasing: the session's own data only.
			resp = e.do(request{method: "DELETE", path: "/api/v1/me", origin: shopOrigin, token: mine.Token})
			if resp.StatusCode != 200 {
				t.Fatalf("delete: %d %s", resp.StatusCode, readAll(resp))
			}
			if !e.sessionGone(mine.ID) || len(e.messages(mine.ID)) != 0 {
				t.Fatal("the session or its messages are still stored")
			}
			if e.sessionGone(theirs.ID) || len(e.messages(theirs.ID)) != 2 {
				t.Fatal("another session was touched")
			}
			if resp := e.do(request{method: "GET", path: "/api/v1/me/export", origin: shopOrigin, token: mine.Token}); resp.StatusCode != 401 {
				t.Errorf("export with an erased session's token: %d, want 401", resp.StatusCode)
			}
			entries, err := audit.New(e.app.Store).List(context.Background(), store.AuditFilter{Action: audit.VisitorErase.String(), Limit: 10})
			if err != nil || len(entries) != 1 || entries[0].TargetID != mine.ID || entries[0].SiteID != "shop" {
				t.Fatalf("audit = %+v, %v; want one visitor.erase of the session", entries, err)
			}
		})
	}
}

func TestVisitorErasesEveryConversationWithIdAndFreshSession(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engine)
			first := e.newSession(nil)
			e.exchange(first, "first visit")
			second := e.newSession(map[string]any{"site_id": "shop", "visitor_id": first.VisitorID})
			stranger := e.newSession(nil)
			e.exchange(stranger, "stranger")
			if second.VisitorID != first.VisitorID {
				t.Fatalf("visitor ids differ: %s %s", second.VisitorID, first.VisitorID)
			}
			refusals := []struct {
				name   string
				r      request
				status int
				code   string
			}{
				{"another visitor's id", request{token: second.Token, body: map[string]any{"scope": "visitor", "visitor_id": stranger.VisitorID}}, 403, "forbidden"},
				{"no visitor id", request{token: second.Token, body: map[string]any{"scope": "visitor"}}, 403, "forbidden"},
				{"unknown scope", request{token: second.Token, body: map[string]any{"scope": "site"}}, 400, "invalid_request"},
				{"token of another site", request{token: second.Token, origin: otherOrigin, body: map[string]any{"scope": "visitor", "visitor_id": first.VisitorID}}, 403, "site_mismatch"},
				{"no token", request{body: map[string]any{"scope": "visitor", "visitor_id": first.VisitorID}}, 401, "unauthorized"},
			}
			for _, c := range refusals {
				c.r.method, c.r.path = "DELETE", "/api/v1/me"
				if c.r.origin == "" {
					c.r.origin = shopOrigin
				}
				resp := e.do(c.r)
				if resp.StatusCode != c.status || errorCode(t, resp) != c.code {
					t.Fatalf("%s: %d, want %d %s", c.name, resp.StatusCode, c.status, c.code)
				}
			}
			for _, s := range []session{first, second, stranger} {
				if e.sessionGone(s.ID) {
					t.Fatal("a refused request erased a session")
				}
			}
			resp := e.do(request{method: "DELETE", path: "/api/v1/me", origin: shopOrigin, token: second.Token,
				body: map[string]any{"scope": "visitor", "visitor_id": first.VisitorID}})
			var out struct {
				Erased   string   `json:"erased"`
				Sessions []string `json:"sessions"`
			}
			decode(t, resp, &out)
			if resp.StatusCode != 200 || out.Erased != "visitor" || len(out.Sessions) != 2 {
				t.Fatalf("visitor erase: %d %+v", resp.StatusCode, out)
			}
			if !e.sessionGone(first.ID) || !e.sessionGone(second.ID) {
				t.Fatal("the visitor's sessions are still stored")
			}
			if e.sessionGone(stranger.ID) || len(e.messages(stranger.ID)) != 2 {
				t.Fatal("a stranger's conversation was touched")
			}
		})
	}
}

// TestVisitorEraseNeedsAFreshSession: an old session (a stolen token) cannot erase the
// visitor's other conversations.
func TestVisitorEraseNeedsAFreshSession(t *testing.T) {
	e := newEnv(t, "postgres")
	old := e.newSession(nil)
	e.exchange(old, "hello")
	ageSession(t, e, old.ID, time.Hour)
	time.Sleep(5200 * time.Millisecond) // the session cache keeps a row 5 s
	resp := e.do(request{method: "DELETE", path: "/api/v1/me", origin: shopOrigin, token: old.Token,
		body: map[string]any{"scope": "visitor", "visitor_id": old.VisitorID}})
	if resp.StatusCode != 403 || errorCode(t, resp) != "fresh_session_required" {
		t.Fatalf("old session: %d, want 403 fresh_session_required", resp.StatusCode)
	}
	if e.sessionGone(old.ID) {
		t.Fatal("a refused request erased the session")
	}
}

func TestOptInSiteStoresNothingBeforeConsent(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engine, withOtherSiteYAML("    consent: opt_in\n    abuse: {min_first_message_delay_ms: -1}\n"))
			before := e.fake.Count()
			for _, body := range []map[string]any{{"site_id": "other"}, {"site_id": "other", "consent": false}} {
				resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: body})
				if resp.StatusCode != 400 || errorCode(t, resp) != "consent_required" {
					t.Fatalf("no consent: %d, want 400 consent_required", resp.StatusCode)
				}
				if len(resp.Cookies()) != 0 {
					t.Fatal("a cookie was set before consent")
				}
			}
			if n := countRows(t, e, "sessions", "other") + countRows(t, e, "visitors", "other"); n != 0 {
				t.Fatalf("%d rows stored before consent", n)
			}
			if e.fake.Count() != before {
				t.Fatal("n8n was called before consent")
			}
			resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other", "consent": true}})
			if resp.StatusCode != 200 {
				t.Fatalf("with consent: %d %s", resp.StatusCode, readAll(resp))
			}
		})
	}
}

func TestWithdrawnConsentStopsAnalytics(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engine)
			on, off := e.newSession(nil), e.newSession(nil)
			resp := e.do(request{method: "POST", path: "/api/v1/me/consent", origin: shopOrigin, token: off.Token, body: map[string]any{"analytics": false}})
			if resp.StatusCode != 204 {
				t.Fatalf("consent: %d %s", resp.StatusCode, readAll(resp))
			}
			if resp := e.do(request{method: "POST", path: "/api/v1/me/consent", origin: shopOrigin, token: off.Token, body: map[string]any{}}); resp.StatusCode != 400 {
				t.Fatalf("consent without analytics: %d, want 400", resp.StatusCode)
			}
			// A message of each records events only for the consenting session (refusals are
			// counters without a session: see TestAttackRefusedSessionsWriteBoundedRows). Both
			// sessions have their session_started from before the withdrawal.
			for _, s := range []session{off, on} {
				e.send(s, map[string]any{"message": "hi"})
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				ev, _ := e.app.Store.ListSessionEvents(context.Background(), on.ID)
				if hasEvent(ev, "message_sent") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the consenting session's message_sent never arrived: %+v", ev)
				}
				time.Sleep(20 * time.Millisecond)
			}
			// Events are written in order from one queue: off's would be there by now.
			if ev, _ := e.app.Store.ListSessionEvents(context.Background(), off.ID); len(ev) != 1 || ev[0].Type != "session_started" {
				t.Fatalf("events of the session after consent was withdrawn: %+v (want only its session_started)", ev)
			}
		})
	}
}

func hasEvent(evs []store.Event, typ string) bool {
	for _, e := range evs {
		if e.Type == typ {
			return true
		}
	}
	return false
}

func TestFingerprintOnlyWhereTheSiteAsksForIt(t *testing.T) {
	e := newEnv(t, "sqlite")
	create := func() session {
		resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other", "fingerprint": "fp-same"}})
		var s session
		decode(t, resp, &s)
		return s
	}
	a := create()
	e.exchange2(a)
	b := create()
	if b.Returning || b.VisitorID == a.VisitorID {
		t.Fatalf("site without identify: fingerprint recognised a visitor by fingerprint: %+v", b)
	}
	v, err := e.app.Store.ListVisitorSessions(context.Background(), "other", a.VisitorID)
	if err != nil || len(v) != 1 {
		t.Fatalf("visitor sessions: %v %v", v, err)
	}
}

// exchange2 sends one message from the "other" site.
func (e *env) exchange2(s session) {
	e.t.Helper()
	resp := e.do(request{method: "POST", path: "/api/v1/chat/message", origin: otherOrigin, token: s.Token, body: map[string]any{"message": "hi"}})
	if res := readSSE(e.t, resp); !res.done {
		e.t.Fatal("exchange did not finish")
	}
}
