package adminapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/privacy"
	"github.com/chatproxy/chatproxy/internal/store"
)

// seedVisitor stores a visitor of site with n sessions of two messages each.
func seedVisitor(t *testing.T, h *harness, site string, n int) (visitor string, sessions []string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	visitor = uuid.Must(uuid.NewV7()).String()
	for i := range n {
		sess := store.Session{ID: uuid.Must(uuid.NewV7()).String(), SiteID: site, CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(time.Hour), PageURL: "https://shop.example/p"}
		v := store.Visitor{ID: visitor, SiteID: site, FirstSeen: now, LastSeen: now}
		if _, err := h.st.StartSession(ctx, v, sess); err != nil {
			t.Fatal(err)
		}
		for _, role := range []string{store.RoleUser, store.RoleAssistant} {
			m := store.Message{ID: uuid.Must(uuid.NewV7()).String(), SessionID: sess.ID, SiteID: site, Role: role,
				Content: role + " text " + string(rune('a'+i)), Status: store.StatusComplete, FirstTokenMS: -1, CreatedAt: now}
			if _, _, err := h.st.AddMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		sessions = append(sessions, sess.ID)
	}
	return visitor, sessions
}

func TestSubjectRequests(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		h.consoleSite("shop")
		h.consoleSite("blog")
		owner := h.client().mustLogin(h.account("owner@example.com", "owner").Email)
		viewer := h.client().mustLogin(h.account("viewer@example.com", "viewer", "shop").Email)
		blogAdmin := h.client().mustLogin(h.account("blog@example.com", "admin", "blog").Email)
		visitor, sessions := seedVisitor(t, h, "shop", 2)
		_, others := seedVisitor(t, h, "shop", 1)

		// Found by a session id or by the visitor id with its site.
		for _, q := range []string{"session_id=" + sessions[1], "site=shop&visitor_id=" + visitor} {
			r := owner.do("GET", "/admin/api/v1/subjects?"+q, "")
			var sum struct {
				VisitorID string `json:"visitor_id"`
				Sessions  []struct {
					ID       string `json:"id"`
					Messages int    `json:"messages"`
				} `json:"sessions"`
			}
			r.json(t, &sum)
			if r.status != 200 || sum.VisitorID != visitor || len(sum.Sessions) != 2 || sum.Sessions[0].Messages != 2 {
				t.Fatalf("find %s: %d %s", q, r.status, r.body)
			}
		}
		for _, c := range []struct {
			q    string
			want int
		}{
			{"visitor_id=" + visitor, 400},                                          // site missing
			{"site=shop&visitor_id=nope", 400},                                      // not an id
			{"session_id=" + uuid.NewString(), 404},                                 // unknown
			{"site=blog&visitor_id=" + visitor, 404},                                // not a visitor of blog
			{"site=shop&session_id=" + sessions[0] + "&visitor_id=" + visitor, 400}, // both
		} {
			if r := owner.do("GET", "/admin/api/v1/subjects?"+c.q, ""); r.status != c.want {
				t.Errorf("find %s: %d, want %d", c.q, r.status, c.want)
			}
		}
		// Another site's admin cannot even learn the visitor exists; a viewer cannot export.
		if r := blogAdmin.do("GET", "/admin/api/v1/subjects?session_id="+sessions[0], ""); r.status != 404 {
			t.Errorf("out-of-scope find: %d, want 404", r.status)
		}
		if r := blogAdmin.do("DELETE", "/admin/api/v1/subjects?session_id="+sessions[0], ""); r.status != 404 {
			t.Errorf("out-of-scope erase: %d, want 404", r.status)
		}
		if r := viewer.do("GET", "/admin/api/v1/subjects/export?session_id="+sessions[0], ""); r.status != 403 {
			t.Errorf("viewer export: %d, want 403", r.status)
		}

		r := owner.do("GET", "/admin/api/v1/subjects/export?site=shop&visitor_id="+visitor, "")
		var exp privacy.Export
		r.json(t, &exp)
		if r.status != 200 || len(exp.Sessions) != 2 || exp.Sessions[0].Messages[0].Content != "user text a" ||
			!strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %s", r.status, r.body)
		}
		raw, _ := json.Marshal(exp)
		if strings.Contains(string(raw), others[0]) {
			t.Fatal("the export holds another visitor's session")
		}

		r = owner.do("DELETE", "/admin/api/v1/subjects?session_id="+sessions[0], "")
		if r.status != http.StatusOK {
			t.Fatalf("erase: %d %s", r.status, r.body)
		}
		for _, id := range sessions {
			if _, err := h.st.GetSession(context.Background(), id); err == nil {
				t.Errorf("session %s still stored", id)
			}
		}
		if msgs, _ := h.st.ListMessages(context.Background(), others[0], store.Page{Limit: 10}); len(msgs) != 2 {
			t.Errorf("another visitor's messages: %d, want 2", len(msgs))
		}
		if r := owner.do("GET", "/admin/api/v1/subjects?site=shop&visitor_id="+visitor, ""); r.status != 404 {
			t.Errorf("find after erase: %d, want 404", r.status)
		}
		for _, c := range []struct{ action, result string }{{"subject.export", "ok"}, {"subject.erase", "ok"}, {"subject.export", "denied"}} {
			// A refusal by role is recorded before any site is known.
			if got := h.entries(store.AuditFilter{Action: c.action, Result: c.result}); len(got) != 1 || (c.result == "ok" && got[0].SiteID != "shop") {
				t.Errorf("%s %s audit entries: %+v", c.action, c.result, got)
			}
		}
	})
}
