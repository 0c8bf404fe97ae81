package adminapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/store"
)

// conversation stores a conversation on siteID through the store's write path: the visitor's
// texts alternate with answers; an answer text "!fail" is stored as a failed answer.
func (h *harness) conversation(siteID string, texts ...string) store.Session {
	h.t.Helper()
	return h.conversationAt(siteID, time.Now().UTC(), texts...)
}

func (h *harness) conversationAt(siteID string, at time.Time, texts ...string) store.Session {
	h.t.Helper()
	ctx := context.Background()
	v := store.Visitor{ID: uuid.Must(uuid.NewV7()).String(), SiteID: siteID, FirstSeen: at, LastSeen: at}
	sess, err := h.st.StartSession(ctx, v, store.Session{ID: uuid.Must(uuid.NewV7()).String(), SiteID: siteID,
		CreatedAt: at, LastSeen: at, ExpiresAt: at.Add(time.Hour), UserAgent: "Firefox/130", PageURL: "https://shop.example/cart", Country: "DE"})
	if err != nil {
		h.t.Fatal(err)
	}
	for i, text := range texts {
		m := store.Message{ID: uuid.Must(uuid.NewV7()).String(), SessionID: sess.ID, SiteID: siteID, Role: store.RoleUser,
			Content: text, Status: store.StatusComplete, FirstTokenMS: -1, CreatedAt: at.Add(time.Duration(i) * time.Second)}
		if i%2 == 1 {
			m.Role, m.FirstTokenMS, m.TotalMS = store.RoleAssistant, 250, 1200
			if text == "!fail" {
				m.Content, m.Status, m.ErrorCode, m.FirstTokenMS = "", store.StatusFailed, "upstream_timeout", -1
			}
		}
		if _, _, err := h.st.AddMessage(ctx, m); err != nil {
			h.t.Fatal(err)
		}
	}
	return sess
}

type listResp struct {
	Items []struct {
		SessionID     string    `json:"session_id"`
		SiteID        string    `json:"site_id"`
		StartedAt     time.Time `json:"started_at"`
		LastMessageAt time.Time `json:"last_message_at"`
		Messages      int       `json:"messages"`
		Status        string    `json:"status"`
		VisitorID     string    `json:"visitor_id"`
		Returning     bool      `json:"returning"`
		Country       string    `json:"country"`
		PageURL       string    `json:"page_url"`
		Preview       string    `json:"preview"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
	Scan       *struct {
		Conversations, Messages int
		Stopped                 bool
	} `json:"scan"`
}

func (l listResp) ids() []string {
	var out []string
	for _, it := range l.Items {
		out = append(out, it.SessionID)
	}
	return out
}

const xss = `<script>alert(1)</script><img src=x onerror=alert(2)>`

func TestConversationListTranscriptAndSearch(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		h.consoleSite("shop")
		h.consoleSite("blog")
		owner := h.client().mustLogin(h.account("owner@example.com", "owner").Email)
		admin := h.client().mustLogin(h.account("admin@example.com", "admin", "shop").Email)
		now := time.Now().UTC()
		old := h.conversationAt("shop", now.Add(-40*24*time.Hour), "old question about invoices", "old answer")
		a := h.conversationAt("shop", now.Add(-2*time.Hour), "Where is my ORDER 1234?", "It ships **today**.")
		b := h.conversationAt("shop", now.Add(-1*time.Hour), xss, "!fail")
		blog := h.conversationAt("blog", now.Add(-30*time.Minute), "blog question about order", "blog answer")

		var all listResp
		r := admin.do("GET", "/admin/api/v1/conversations", "")
		r.json(t, &all)
		if r.status != 200 || strings.Join(all.ids(), ",") != strings.Join([]string{b.ID, a.ID, old.ID}, ",") {
			t.Fatalf("admin of shop lists %d %v, want b, a, old (no blog)", r.status, all.ids())
		}
		first := all.Items[0]
		if first.SiteID != "shop" || first.Messages != 2 || first.Status != "failed" || first.Country != "DE" ||
			first.PageURL != "https://shop.example/cart" || first.Preview != xss || first.VisitorID != b.VisitorID {
			t.Errorf("b listed as %+v", first)
		}
		// XSS: the text is JSON data, with <, > and & escaped; never markup.
		if bytes.Contains(r.body, []byte("<script")) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") ||
			r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("list body/headers carry markup: %s %v", r.body, r.header)
		}

		// Keyset pages of one.
		var got []string
		cursor := ""
		for range 5 {
			var page listResp
			owner.do("GET", "/admin/api/v1/conversations?site=shop&limit=1&cursor="+cursor, "").json(t, &page)
			got = append(got, page.ids()...)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if strings.Join(got, ",") != strings.Join([]string{b.ID, a.ID, old.ID}, ",") {
			t.Errorf("pages = %v", got)
		}

		// Filters.
		from := url.QueryEscape(now.Add(-3 * time.Hour).Format(time.RFC3339))
		for q, want := range map[string][]string{
			"status=failed":                 {b.ID},
			"status=complete&from=" + from:  {blog.ID, a.ID},
			"country=FR":                    nil,
			"site=shop,blog&from=" + from:   {blog.ID, b.ID, a.ID},
			"q=order":                       {blog.ID, a.ID}, // both cases, only in range (31 days)
			"q=SHIPS+%2A%2ATODAY&site=shop": {a.ID},
			"q=invoices":                    nil,
			"page=CART&site=blog":           {blog.ID},
			"q=alert(1)&returning=false":    {b.ID},
		} {
			var l listResp
			r := owner.do("GET", "/admin/api/v1/conversations?"+q, "")
			r.json(t, &l)
			if r.status != 200 || strings.Join(l.ids(), ",") != strings.Join(want, ",") {
				t.Errorf("%s: %d %v, want %v", q, r.status, l.ids(), want)
			}
			if strings.Contains(q, "q=") && (l.Scan == nil || l.Scan.Stopped) {
				t.Errorf("%s: scan = %+v, want a complete scan report", q, l.Scan)
			}
		}

		// The transcript.
		r = admin.do("GET", "/admin/api/v1/conversations/"+b.ID, "")
		var tr struct {
			Conversation struct {
				SessionID, SiteID, Status, UserAgent string `json:"-"`
			} `json:"-"`
			Raw      map[string]any `json:"conversation"`
			Messages []struct {
				ID           string    `json:"id"`
				Role         string    `json:"role"`
				Text         string    `json:"text"`
				Status       string    `json:"status"`
				ErrorCode    string    `json:"error_code"`
				FirstTokenMS *int64    `json:"first_token_ms"`
				TotalMS      *int64    `json:"total_ms"`
				PageURL      string    `json:"page_url"`
				CreatedAt    time.Time `json:"created_at"`
			} `json:"messages"`
		}
		r.json(t, &tr)
		if r.status != 200 || len(tr.Messages) != 2 || bytes.Contains(r.body, []byte("<script")) {
			t.Fatalf("transcript: %d %s", r.status, r.body)
		}
		u, ans := tr.Messages[0], tr.Messages[1]
		if u.Role != "user" || u.Text != xss || u.FirstTokenMS != nil || u.TotalMS != nil || u.PageURL != "https://shop.example/cart" ||
			!u.CreatedAt.Equal(b.CreatedAt) {
			t.Errorf("visitor message = %+v", u)
		}
		if ans.Role != "assistant" || ans.Status != "failed" || ans.ErrorCode != "upstream_timeout" || ans.FirstTokenMS != nil ||
			ans.TotalMS == nil || *ans.TotalMS != 1200 {
			t.Errorf("failed answer = %+v", ans)
		}
		if tr.Raw["status"] != "failed" || tr.Raw["user_agent"] != "Firefox/130" || tr.Raw["site_id"] != "shop" {
			t.Errorf("transcript head = %v", tr.Raw)
		}
		var ok struct {
			Messages []struct {
				FirstTokenMS *int64 `json:"first_token_ms"`
				Text         string `json:"text"`
			} `json:"messages"`
		}
		owner.do("GET", "/admin/api/v1/conversations/"+a.ID, "").json(t, &ok)
		if len(ok.Messages) != 2 || ok.Messages[1].FirstTokenMS == nil || *ok.Messages[1].FirstTokenMS != 250 || ok.Messages[1].Text != "It ships **today**." {
			t.Errorf("answer of a = %+v", ok.Messages)
		}
	})
}

// TestConversationProbing: an admin of shop cannot tell blog's conversation ids from ids that
// do not exist, by reading or by deleting, and the probe deletes nothing.
func TestConversationProbing(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		h.consoleSite("shop")
		h.consoleSite("blog")
		blog := h.conversation("blog", "secret", "answer")
		for _, c := range []*client{
			h.client().mustLogin(h.account("admin@example.com", "admin", "shop").Email),
			h.bearerClient(func() string { raw, _ := h.token(h.account("viewer@example.com", "viewer", "shop"), 0); return raw }()),
		} {
			for _, method := range []string{"GET", "DELETE"} {
				probe := c.do(method, "/admin/api/v1/conversations/"+blog.ID, "")
				unknown := c.do(method, "/admin/api/v1/conversations/"+uuid.Must(uuid.NewV7()).String(), "")
				malformed := c.do(method, "/admin/api/v1/conversations/not-an-id", "")
				if method == "DELETE" && c.bearer != "" { // viewers may not delete at all: 403 for every id alike
					if probe.status != 403 || unknown.status != 403 || malformed.status != 403 {
						t.Errorf("viewer DELETE: %d %d %d, want 403 for all", probe.status, unknown.status, malformed.status)
					}
					continue
				}
				if probe.status != 404 || unknown.status != 404 || malformed.status != 404 ||
					!bytes.Equal(probe.body, unknown.body) || !bytes.Equal(probe.body, malformed.body) {
					t.Errorf("%s probe %d %s / unknown %d %s / malformed %d %s: want the same 404", method,
						probe.status, probe.body, unknown.status, unknown.body, malformed.status, malformed.body)
				}
			}
		}
		if _, err := h.st.GetSession(context.Background(), blog.ID); err != nil {
			t.Fatalf("the probed conversation is gone: %v", err)
		}
	})
}

func TestConversationExportAndDeleteAudited(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		h.consoleSite("shop")
		h.consoleSite("blog")
		owner := h.client().mustLogin(h.account("owner@example.com", "owner").Email)
		admin := h.client().mustLogin(h.account("admin@example.com", "admin", "shop").Email)
		viewer := h.client().mustLogin(h.account("viewer@example.com", "viewer", "shop").Email)
		inj := h.conversation("shop", `=HYPERLINK("http://evil.example","x")`, "ok")
		plain := h.conversation("shop", "hello, \"quoted\"\nnew line", "answer")
		h.conversation("blog", "blog", "answer")

		r := admin.do("GET", "/admin/api/v1/conversations/export?format=csv&site=shop", "")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("csv export: %d %v", r.status, r.header)
		}
		rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		if err != nil || len(rows) != 3 || rows[0][0] != "session_id" || rows[0][10] != "preview" {
			t.Fatalf("csv = %q, %v", r.body, err)
		}
		byID := map[string][]string{rows[1][0]: rows[1], rows[2][0]: rows[2]}
		if got := byID[inj.ID][10]; got != `'=HYPERLINK("http://evil.example","x")` {
			t.Errorf("formula cell exported as %q, want it defused with a leading '", got)
		}
		if got := byID[plain.ID][10]; got != "hello, \"quoted\"\nnew line" {
			t.Errorf("quoted cell = %q", got)
		}

		r = owner.do("GET", "/admin/api/v1/conversations/export?format=jsonl", "")
		lines := strings.Split(strings.TrimSpace(string(r.body)), "\n")
		if r.status != 200 || len(lines) != 3 || bytes.Contains(r.body, []byte("<")) {
			t.Fatalf("jsonl export: %d %q", r.status, r.body)
		}
		for _, l := range lines {
			var row map[string]any
			if err := json.Unmarshal([]byte(l), &row); err != nil || row["session_id"] == nil || row["preview"] == nil {
				t.Errorf("jsonl line %q: %v", l, err)
			}
		}
		for q, code := range map[string]string{
			"format=xml":            "invalid_request",
			"format=csv&cursor=abc": "invalid_cursor",
			"format=csv&status=ok":  "invalid_request",
			"format=csv&bogus=1":    "invalid_request",
			"format=csv&q=x&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z": "invalid_range",
		} {
			if r := owner.do("GET", "/admin/api/v1/conversations/export?"+q, ""); r.status != 400 || r.code() != code {
				t.Errorf("export?%s: %d %s, want 400 %s", q, r.status, r.body, code)
			}
		}
		if r := viewer.do("GET", "/admin/api/v1/conversations/export?format=csv", ""); r.status != 403 {
			t.Errorf("viewer export: %d", r.status)
		}
		if r := admin.do("GET", "/admin/api/v1/conversations/export?format=csv&site=blog", ""); r.status != 403 {
			t.Errorf("admin export of blog: %d", r.status)
		}

		exports := h.entries(store.AuditFilter{Action: "conversation.export"})
		var okRows []float64
		denied := 0
		for _, e := range exports {
			var d map[string]any
			_ = json.Unmarshal(e.Diff, &d)
			switch e.Result {
			case "ok":
				okRows = append(okRows, d["rows"].(float64))
				if e.ActorLabel == "" || e.ActorIP == "" || e.RequestID == "" {
					t.Errorf("export entry without actor, ip or request id: %+v", e)
				}
			case "denied":
				denied++
			}
		}
		if len(okRows) != 2 || okRows[0] != 3 || okRows[1] != 2 || denied != 2 {
			t.Errorf("export entries: rows %v (newest first, want [3 2]), denied %d (want 2)", okRows, denied)
		}

		// Delete: the transcript and its messages go, the entry stays.
		if r := viewer.do("DELETE", "/admin/api/v1/conversations/"+inj.ID, ""); r.status != 403 {
			t.Errorf("viewer delete: %d", r.status)
		}
		if r := admin.do("DELETE", "/admin/api/v1/conversations/"+inj.ID, ""); r.status != 204 {
			t.Fatalf("admin delete: %d %s", r.status, r.body)
		}
		if r := admin.do("GET", "/admin/api/v1/conversations/"+inj.ID, ""); r.status != 404 {
			t.Errorf("deleted conversation reads %d", r.status)
		}
		if r := admin.do("DELETE", "/admin/api/v1/conversations/"+inj.ID, ""); r.status != 404 {
			t.Errorf("second delete: %d", r.status)
		}
		dels := h.entries(store.AuditFilter{Action: "conversation.delete"})
		var okDel, deniedDel int
		for _, e := range dels {
			if e.Result == "ok" && e.TargetID == inj.ID && e.SiteID == "shop" && e.ActorLabel == "admin@example.com" {
				okDel++
			}
			if e.Result == "denied" {
				deniedDel++
			}
		}
		if okDel != 1 || deniedDel != 1 {
			t.Errorf("delete entries: %d ok, %d denied; want 1, 1: %+v", okDel, deniedDel, dels)
		}
	})
}

func TestConversationListValidation(t *testing.T) {
	h := newHarness(t, "sqlite")
	owner := h.client().mustLogin(h.account("owner@example.com", "owner").Email)
	for q, code := range map[string]string{
		"from=yesterday": "invalid_request",
		"from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z":     "invalid_range",
		"q=x&from=2026-01-01T00:00:00Z&to=2026-02-15T00:00:00Z": "invalid_range",
		"status=done":                   "invalid_request",
		"returning=yes":                 "invalid_request",
		"country=germany":               "invalid_request",
		"limit=0":                       "invalid_limit",
		"limit=201":                     "invalid_limit",
		"cursor=bm90LWEtY3Vyc29y":       "invalid_cursor",
		"site=Not+A+Site":               "invalid_request",
		"sort=desc":                     "invalid_request",
		"q=" + strings.Repeat("x", 201): "invalid_request",
		"status=failed&status=complete": "invalid_request",
	} {
		r := owner.do("GET", "/admin/api/v1/conversations?"+q, "")
		if r.status != 400 || r.code() != code {
			t.Errorf("?%s: %d %s, want 400 %s", q, r.status, r.body, code)
		}
	}
	if r := owner.do("GET", "/admin/api/v1/conversations", ""); r.status != http.StatusOK || !bytes.Contains(r.body, []byte(`"items":[]`)) {
		t.Errorf("empty list: %d %s", r.status, r.body)
	}
}
