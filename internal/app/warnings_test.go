package app_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

// TestWarnsWhenSitesShareASigningKey: start-up warns about sites that sign their n8n tokens
// with the same key (here two with one explicit secret, and one whose explicit secret is
// SESSION_SECRET_KEY, which site "default" uses), and not about a site with a derived key.
func TestWarnsWhenSitesShareASigningKey(t *testing.T) {
	const same = "one-secret-for-two-sites-0123456789abcd"
	site := func(id, signing string) string {
		return "  - id: " + id + "\n    allowed_origins: [\"https://" + id + ".example\"]\n" +
			"    n8n_webhook_url: \"http://n8n:5678/webhook/" + id + "\"\n" + signing
	}
	sites := "sites:\n" +
		site("twin-a", "    signing: {secret: "+same+"}\n") +
		site("twin-b", "    signing: {secret: "+same+"}\n") +
		site("default", "") +
		site("copy-of-default", "    signing: {secret: "+sessionSecret+"}\n") +
		site("solo", "")
	a := newApp(t, sites, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var shared []string
	for _, w := range a.Warnings() {
		if strings.Contains(w, "same key") {
			shared = append(shared, w)
		}
	}
	if len(shared) != 2 || !strings.HasPrefix(shared[0], "sites twin-a, twin-b ") ||
		!strings.HasPrefix(shared[1], "sites default, copy-of-default ") {
		t.Fatalf("shared-key warnings = %q", shared)
	}
	for _, w := range shared {
		if strings.Contains(w, "solo") || strings.Contains(w, same) || strings.Contains(w, sessionSecret) {
			t.Fatalf("warning names the wrong site or prints a secret: %q", w)
		}
	}
}
