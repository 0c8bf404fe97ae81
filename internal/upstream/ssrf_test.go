package upstream_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

func untrustedTarget(url string) upstream.Target {
	return upstream.Target{SiteID: "tenant", URL: url, Format: upstream.FormatChatTrigger}
}

// TestSSRFGuardAtDialTime sends untrusted calls to internal addresses. The fake listens on
// 127.0.0.1 with TLS; every variant must be refused before connecting, and must go through once
// AllowPrivateUntrusted is on.
func TestSSRFGuardAtDialTime(t *testing.T) {
	t.Parallel()
	fake := n8ntest.NewTLSServer()
	t.Cleanup(fake.Close)
	path := "/webhook/" + n8ntest.ScenarioJSONOutput + "/chat"
	guarded := newClient(t, upstream.Options{RootCAs: fake.RootCAs()})

	blocked := []string{
		fake.URL + path, // https://127.0.0.1:port
		"https://localhost:" + fake.Port() + path,
		"https://[::1]:" + fake.Port() + path,
		"https://[::ffff:127.0.0.1]:" + fake.Port() + path,
		"https://10.0.0.1" + path,
		"https://169.254.169.254/latest/meta-data/",
		"https://[fd00:ec2::254]/latest/meta-data/",
		"https://100.64.0.1" + path,
		"https://0.0.0.0:" + fake.Port() + path,
	}
	for _, u := range blocked {
		target := untrustedTarget(u)
		target.SiteID = u // refusals count as failures: keep each URL's breaker apart
		got := call(t.Context(), guarded, target, testRequest())
		if code(got.err) != upstream.CodeUnreachable || got.err.Sent || !errors.Is(got.err, upstream.ErrBlockedAddress) {
			t.Errorf("%s: got %+v; want the dial guard to refuse it", u, got.err)
		}
	}
	if fake.Count() != 0 {
		t.Fatalf("the fake saw %d requests through the guard", fake.Count())
	}

	open := newClient(t, upstream.Options{RootCAs: fake.RootCAs(), AllowPrivateUntrusted: true})
	for _, u := range []string{fake.URL + path, "https://localhost:" + fake.Port() + path} {
		if got := call(t.Context(), open, untrustedTarget(u), testRequest()); got.err != nil || got.text != n8ntest.AnswerText {
			t.Errorf("%s with AllowPrivateUntrusted: %q, %+v", u, got.text, got.err)
		}
	}
}

func TestUntrustedNeedsHTTPS(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	c := newClient(t, upstream.Options{AllowPrivateUntrusted: true})
	got := call(t.Context(), c, untrustedTarget(fake.URLFor(n8ntest.ScenarioJSONOutput)), testRequest())
	if code(got.err) != upstream.CodeUnreachable || got.err.Sent || fake.Count() != 0 {
		t.Fatalf("plain http untrusted target: %+v, fake saw %d", got.err, fake.Count())
	}
	if got := call(t.Context(), c, trustedTarget(fake.URLFor(n8ntest.ScenarioJSONOutput)), testRequest()); got.err != nil {
		t.Fatalf("plain http trusted target: %+v", got.err)
	}
}

func TestValidateUntrustedURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://93.184.215.14/webhook/x", false, true}, // a public address literal: no DNS needed
		{"https://[2606:4700::1111]/webhook/x", false, true},
		{"https://127.0.0.1/webhook/x", false, false},
		{"https://localhost/webhook/x", false, false},
		{"https://10.1.2.3/x", false, false},
		{"https://172.16.5.4/x", false, false},
		{"https://192.168.1.1/x", false, false},
		{"https://169.254.169.254/latest", false, false},
		{"https://100.100.100.100/x", false, false},
		{"https://[::1]/x", false, false},
		{"https://[::ffff:127.0.0.1]/x", false, false},
		{"https://[::ffff:10.0.0.1]/x", false, false},
		{"https://[fe80::1]/x", false, false},
		{"https://[fd00:ec2::254]/x", false, false},
		{"https://[64:ff9b::a00:1]/x", false, false}, // NAT64 of 10.0.0.1
		{"https://0.0.0.0/x", false, false},
		{"https://224.0.0.1/x", false, false},
		{"http://93.184.215.14/x", false, false}, // scheme
		{"http://127.0.0.1/x", true, false},
		{"ftp://93.184.215.14/x", false, false},
		{"https://", false, false},
		{"not a url", false, false},
		{"https://127.0.0.1/x", true, true},
		{"https://localhost:5678/x", true, true},
	}
	for _, tt := range tests {
		err := upstream.ValidateUntrustedURL(tt.url, tt.allowPrivate)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateUntrustedURL(%q, %v) = %v; want ok=%v", tt.url, tt.allowPrivate, err, tt.ok)
		}
	}
}

func TestWarnTrustedURL(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{ // url → a warning is expected
		"http://n8n:5678/webhook/x":                  false,
		"http://localhost:5678/webhook/x":            false,
		"http://10.0.0.5/webhook/x":                  false,
		"http://n8n.svc.cluster.local/webhook/x":     false,
		"http://n8n.internal/webhook/x":              false,
		"https://n8n.example.com/webhook/x":          false,
		"http://n8n.example.com/webhook/x":           true,
		"http://93.184.215.14/webhook/x":             true,
		"gopher://n8n.example.com/":                  true,
		"HTTP://N8N.EXAMPLE.COM/webhook/x":           true,
		"https://[2606:4700::1111]:8443/webhook/abc": false,
	}
	for u, want := range tests {
		got := upstream.WarnTrustedURL(u)
		if (got != "") != want {
			t.Errorf("WarnTrustedURL(%q) = %q; want warning=%v", u, got, want)
		}
		if strings.Contains(got, "/webhook/") {
			t.Errorf("warning repeats the URL: %q", got)
		}
	}
}
