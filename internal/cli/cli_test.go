package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatproxy/chatproxy/internal/site"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersionHelpAndUnknown(t *testing.T) {
	if code, out, _ := run(t, "version"); code != 0 || !strings.HasPrefix(out, "chatproxy ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, out, _ := run(t, "help"); code != 0 || !strings.Contains(out, "keys show") {
		t.Fatalf("help: %d", code)
	}
	if code, _, errOut := run(t, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown: %d", code)
	}
}

func TestMigrateAndSitesListInDemoMode(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // no .env from the repository
	t.Setenv("CHATPROXY_DATA_DIR", dir)
	code, out, errOut := run(t, "migrate")
	if code != 0 || !strings.Contains(out, "database schema at version") {
		t.Fatalf("migrate: %d %q %q", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "chatproxy.db")); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, "sites", "list")
	if code != 0 || !strings.Contains(out, "demo") {
		t.Fatalf("sites list: %d %q", code, out)
	}
}

func TestInvalidConfigExitsWithConfigCode(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("CHATPROXY_DATA_DIR", dir)
	t.Setenv("LOG_LEVEL", "chatty")
	code, _, errOut := run(t, "migrate")
	if code != 78 || !strings.Contains(errOut, "LOG_LEVEL") {
		t.Fatalf("invalid config: %d %q", code, errOut)
	}
}

func TestKeysShowHidesSecretsUnlessRevealed(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("CHATPROXY_DATA_DIR", dir)
	secret := "abcdefghijklmnopqrstuvwxyz0123456789"
	t.Setenv("N8N_WEBHOOK_URL", "http://n8n:5678/webhook/x")
	t.Setenv("ALLOWED_ORIGINS", "https://shop.example")
	t.Setenv("SESSION_SECRET_KEY", secret)
	code, out, errOut := run(t, "keys", "show")
	if code != 0 || strings.Contains(out, secret) || !strings.Contains(out, "aud=n8n:default") || !strings.Contains(out, "Passphrase") {
		t.Fatalf("keys show: %d %q %q", code, out, errOut)
	}
	if code, out, _ := run(t, "keys", "show", "--reveal"); code != 0 || !strings.Contains(out, secret) {
		t.Fatalf("keys show --reveal: %d", code)
	}
}

// TestKeysShowPrintsEachSitesOwnSecret: a site without a secret of its own gets one derived
// for it alone, and `keys show --reveal` prints that one (what its n8n credential must hold);
// site "default" keeps SESSION_SECRET_KEY.
func TestKeysShowPrintsEachSitesOwnSecret(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("CHATPROXY_DATA_DIR", dir)
	secret := "abcdefghijklmnopqrstuvwxyz0123456789"
	sites := filepath.Join(dir, "sites.yaml")
	if err := os.WriteFile(sites, []byte("sites:\n  - id: shop\n    allowed_origins: [\"https://shop.example\"]\n    n8n_webhook_url: http://n8n:5678/webhook/shop\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CHATPROXY_SITES_FILE", sites)
	t.Setenv("N8N_WEBHOOK_URL", "http://n8n:5678/webhook/x")
	t.Setenv("ALLOWED_ORIGINS", "https://default.example")
	t.Setenv("SESSION_SECRET_KEY", secret)
	derived, err := site.DeriveSecret([]byte(secret), "shop")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "keys", "show", "--reveal")
	if code != 0 {
		t.Fatalf("keys show --reveal: %d %q", code, errOut)
	}
	shop, def, _ := strings.Cut(out, "site default")
	if !strings.Contains(shop, "site shop") || !strings.Contains(shop, string(derived)) || strings.Contains(shop, secret) ||
		!strings.Contains(shop, "derived from SESSION_SECRET_KEY") {
		t.Fatalf("site shop should show its derived secret %q:\n%s", derived, out)
	}
	if !strings.Contains(def, "SESSION_SECRET_KEY: "+secret) {
		t.Fatalf("site default should show SESSION_SECRET_KEY:\n%s", out)
	}
	if _, out, _ := run(t, "keys", "show"); strings.Contains(out, string(derived)) || strings.Contains(out, secret) {
		t.Fatalf("keys show without --reveal prints a secret:\n%s", out)
	}
}

// TestReadmeListsEveryCommand: every command of the usage text is in the README's command list.
func TestReadmeListsEveryCommand(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	commands := 0
	for _, line := range strings.Split(usage, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || fields[0] != "chatproxy" {
			continue
		}
		cmd := fields[0] + " " + fields[1]
		if fields[1] == "keys" || fields[1] == "sites" {
			cmd += " " + fields[2]
		}
		commands++
		if !strings.Contains(string(readme), cmd) {
			t.Errorf("README.md does not list %q", cmd)
		}
	}
	if commands < 8 {
		t.Fatalf("found %d commands in the usage text; the parsing is wrong", commands)
	}
}
