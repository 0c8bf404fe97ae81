package openapitest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTransportFindsWrongAnswers: each kind of departure from the document is reported, and
// a conforming answer is not (so the harnesses' silence means something).
func TestTransportFindsWrongAnswers(t *testing.T) {
	const session = `{"session_id":"0193c1a4-1f87-7cde-8f00-0a1b2c3d4e5f","token":"t","expires_at":"2026-01-01T00:00:00Z",` +
		`"visitor_id":"0193c1a4-1f87-7cde-8f00-0a1b2c3d4e5f","returning":false}`
	cases := []struct {
		name, method, path, ctype, body string
		status                          int
		want                            string // "" = no problem
	}{
		{"conforming", "POST", "/api/v1/session/create", "application/json", session, 200, ""},
		{"undeclared status", "POST", "/api/v1/session/create", "application/json", session, 202, "202"},
		{"unknown field", "POST", "/api/v1/session/create", "application/json", strings.Replace(session, `"t",`, `"t","extra":1,`, 1), 200, "extra"},
		{"missing field", "GET", "/api/v1/session/validate", "application/json", `{"valid":true}`, 200, "session_id"},
		{"undeclared content type", "GET", "/health", "text/plain", `ok`, 200, "text/plain"},
		{"unknown error code", "GET", "/admin/api/v1/me", "application/json", `{"error":{"code":"nope","message":"x"}}`, 401, "error.code"},
		{"undocumented path answering", "GET", "/api/v1/nothing", "application/json", `{}`, 200, "not in docs/openapi.yaml"},
		{"undocumented path 404", "GET", "/api/v1/nothing", "application/json", `{"error":{"code":"not_found","message":"Not found."}}`, 404, ""},
		{"widget asset", "GET", "/widget/assets/app-1.js", "text/javascript; charset=utf-8", `x`, 200, ""},
		{"console asset", "GET", "/admin/assets/app-1.js", "text/javascript; charset=utf-8", `x`, 200, ""},
		{"unknown console API path", "GET", "/admin/api/v1/nope", "text/html", `x`, 200, "not in docs/openapi.yaml"},
		{"bad stream event", "POST", "/api/v1/chat/message", "text/event-stream",
			"retry: 3000\n\nid: 1-1\ndata: {\"type\":\"begin\",\"message_id\":\"m\"}\n\nid: 1-2\ndata: {\"type\":\"item\",\"content\":5}\n\ndata: [DONE]\n\n", 200, "content"},
		{"good stream", "POST", "/api/v1/chat/message", "text/event-stream",
			"retry: 3000\n\nid: 1-1\ndata: {\"type\":\"begin\",\"message_id\":\"m\"}\n\n: ping\n\ndata: [DONE]\n\n", 200, ""},
		{"n8n stream", "POST", "/api/v1/n8n/shop", "application/json; charset=utf-8",
			"{\"type\":\"begin\",\"metadata\":{\"nodeId\":\"a\",\"nodeName\":\"chatproxy\",\"itemIndex\":0,\"runIndex\":0}}\n{\"type\":\"item\",\"content\":\"hi\"}\n{\"type\":\"bogus\"}\n", 200, "$.type"},
		{"jsonl export", "GET", "/admin/api/v1/conversations/export?format=jsonl", "application/x-ndjson; charset=utf-8",
			"{\"session_id\":\"s\"}\n", 200, "missing properties"},
		{"jsonl export conforming", "GET", "/admin/api/v1/conversations/export?format=jsonl", "application/x-ndjson; charset=utf-8",
			`{"session_id":"s","site_id":"shop","started_at":"2026-01-01T00:00:00Z","last_message_at":"2026-01-01T00:00:00Z",` +
				`"messages":2,"status":"complete","visitor_id":"v","returning":false,"country":"","page_url":"","preview":"hi"}` + "\n", 200, ""},
		{"n8n answer", "POST", "/api/v1/n8n/shop", "application/json", `{"output":"hi"}`, 200, ""},
		{"n8n error", "POST", "/api/v1/n8n/shop", "application/json", `{"error":{"code":"origin_not_allowed","message":"m"},"message":"m"}`, 403, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", c.ctype)
				w.WriteHeader(c.status)
				_, _ = io.WriteString(w, c.body)
			}))
			defer srv.Close()
			rt := &transport{spec: Load(t), next: http.DefaultTransport}
			req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
			if c.name == "n8n stream" {
				req.Header.Set("Accept", "text/plain")
			}
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(got) != c.body {
				t.Errorf("the test read %q, the server sent %q", got, c.body)
			}
			probs := strings.Join(rt.problems, "\n")
			switch {
			case c.want == "" && probs != "":
				t.Errorf("problems with a conforming answer:\n%s", probs)
			case c.want != "" && !strings.Contains(probs, c.want):
				t.Errorf("want a problem naming %q, got:\n%s", c.want, probs)
			}
		})
	}
}
