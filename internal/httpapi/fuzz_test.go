package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/site"
)

// FuzzDecodeMessage feeds arbitrary bodies through the edge validation of a chat message. It must
// never panic; every refusal is an *apierr.Error with a 4xx status; every accepted text is valid
// UTF-8, NFC, free of control characters (but newline and tab), trimmed and within the limit.
func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{`{"message":"hi"}`, `{"message":"  \u0000\u202e x \r\n"}`, `{"message":"e\u0301"}`, `{"message":42}`, `[`, "{\"message\":\"\xff\"}", `{"message":"hi","context":{"a":1},"page_url":"https://shop.example/x"}`} {
		f.Add([]byte(s))
	}
	reg, err := site.NewRegistry([]config.Site{{ID: "s", AllowedOrigins: []string{"https://shop.example"}, WebhookURL: "http://n8n/x",
		Signing: config.Signing{Algorithm: "HS256", TTL: config.Dur(30e9)}, Limits: config.Limits{MaxMessageLength: 100}}}, bytes.Repeat([]byte("k"), 32))
	if err != nil {
		f.Fatal(err)
	}
	st, _ := reg.Get("s")
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/api/v1/chat/message", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var req messageRequest
		err := decodeJSON(httptest.NewRecorder(), r, &req)
		if err == nil {
			text := cleanText(req.Message)
			err = validateMessage(text, st)
			if err == nil {
				checkAccepted(t, text)
			}
			if u := cleanPageURL(req.PageURL, st); u != "" && !st.Origins.Allows(originOf(u)) {
				t.Fatalf("page url %q kept", u)
			}
			_ = cleanContext(req.Context)
		}
		if err != nil {
			ae, ok := apierr.As(err)
			if !ok || ae.Status < 400 || ae.Status >= 500 || ae.Code == "" {
				t.Fatalf("refusal is not a 4xx API error: %v", err)
			}
		}
	})
}

func checkAccepted(t *testing.T, text string) {
	if !utf8.ValidString(text) || !norm.NFC.IsNormalString(text) || text == "" || utf8.RuneCountInString(text) > 100 {
		t.Fatalf("accepted %q", text)
	}
	for _, r := range text {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			t.Fatalf("control character %U accepted", r)
		}
	}
	if text != trimmed(text) {
		t.Fatalf("untrimmed %q", text)
	}
}

func trimmed(s string) string { return string(bytes.TrimSpace([]byte(s))) }

func originOf(u string) string {
	r, _ := http.NewRequest("GET", u, nil)
	return r.URL.Scheme + "://" + r.URL.Host
}
