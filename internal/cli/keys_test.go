package cli

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/app"
	"github.com/chatproxy/chatproxy/internal/auth"
	"github.com/chatproxy/chatproxy/internal/crypto"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/sitecfg"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/sqlite"
)

const cliJWTSecret = "cli-test-jwt-secret-0123456789abcdefghij"

// keysEnv points the CLI at an empty data dir with a known JWT_SECRET_KEY.
func keysEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir) // no .env from the repository
	t.Setenv("CHATPROXY_DATA_DIR", dir)
	t.Setenv("JWT_SECRET_KEY", cliJWTSecret)
	return dir
}

func TestKeysRotateAndList(t *testing.T) {
	keysEnv(t)
	code, out, errOut := run(t, "keys", "list")
	if code != 0 || !strings.Contains(out, "no session-token keys stored yet") || !strings.Contains(out, "fields") {
		t.Fatalf("keys list on an empty database: %d %q %q", code, out, errOut)
	}

	code, out, errOut = run(t, "keys", "rotate")
	seedKID := auth.KeyFromSecret([]byte(cliJWTSecret)).KID
	m := regexp.MustCompile(`new primary kid (\S+)`).FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, "replaced "+seedKID) {
		t.Fatalf("keys rotate: %d %q %q", code, out, errOut)
	}
	newKID := m[1]

	code, out, errOut = run(t, "keys", "list")
	if code != 0 {
		t.Fatalf("keys list: %d %q", code, errOut)
	}
	if !regexp.MustCompile(`session-token\s+` + newKID + `\s+\S+\s+-\s+yes\s+signing`).MatchString(out) {
		t.Fatalf("keys list does not show %s as the signing primary:\n%s", newKID, out)
	}
	if !regexp.MustCompile(`session-token\s+` + seedKID + `\s+\S+\s+\S+Z\s+no\s+verifying`).MatchString(out) {
		t.Fatalf("keys list does not show the seed %s verifying until a date:\n%s", seedKID, out)
	}
	if strings.Contains(out, cliJWTSecret) || strings.Contains(out, base64.StdEncoding.EncodeToString([]byte(cliJWTSecret))) {
		t.Fatal("keys list printed the secret")
	}

	code, out, _ = run(t, "keys", "rotate", "--revoke-previous")
	if code != 0 || !strings.Contains(out, "revoked ") || !strings.Contains(out, newKID) {
		t.Fatalf("keys rotate --revoke-previous: %d %q", code, out)
	}
	if code, _, errOut := run(t, "keys", "rotate", "--bogus"); code != 1 || !strings.Contains(errOut, "usage") {
		t.Fatalf("keys rotate --bogus: %d %q", code, errOut)
	}
}

func TestKeysGenerateStillWorks(t *testing.T) {
	keysEnv(t)
	code, out, _ := run(t, "keys", "generate")
	spec, _, _ := strings.Cut(out, "\n")
	if code != 0 {
		t.Fatalf("keys generate: %d", code)
	}
	if _, err := crypto.ParseKeyring(spec); err != nil {
		t.Fatalf("keys generate printed %q, not a keyring entry: %v", spec, err)
	}
}

func TestKeysReencrypt(t *testing.T) {
	dir := keysEnv(t)
	k1, k2 := keyEntry(t, "k1"), keyEntry(t, "k2")
	msgs := writeSealedRows(t, dir+"/chatproxy.db", crypto.FormatKeyring([]crypto.KeyEntry{k1}))
	consoleSiteUnder(t, dir+"/chatproxy.db", crypto.FormatKeyring([]crypto.KeyEntry{k1}))
	t.Setenv("CHATPROXY_ENCRYPTION_KEYS", crypto.FormatKeyring([]crypto.KeyEntry{k1}))
	if code, out, errOut := run(t, "keys", "rotate"); code != 0 {
		t.Fatalf("keys rotate under k1: %d %q %q", code, out, errOut)
	}

	t.Setenv("CHATPROXY_ENCRYPTION_KEYS", crypto.FormatKeyring([]crypto.KeyEntry{k1, k2}))
	code, out, errOut := run(t, "keys", "reencrypt", "--batch", "1")
	if code != 0 || !strings.Contains(out, "messages: 2 checked, 2 rewritten") || !strings.Contains(out, "sessions: 2 values checked, 1 rows rewritten") ||
		!strings.Contains(out, "console sites' signing keys: 1 checked, 1 rewritten") {
		t.Fatalf("keys reencrypt: %d %q %q", code, out, errOut)
	}
	// The session-token keys are sealed with k1 (key rows are never resealed): k1 must stay.
	if !strings.Contains(out, "keep field key k1") || strings.Contains(out, "no longer needed") {
		t.Fatalf("keys reencrypt did not say k1 is still needed:\n%s", out)
	}
	code, out, _ = run(t, "keys", "reencrypt")
	if code != 0 || !strings.Contains(out, "messages: 2 checked, 0 rewritten") || !strings.Contains(out, "2 values checked, 0 rows rewritten") ||
		!strings.Contains(out, "console sites' signing keys: 1 checked, 0 rewritten") {
		t.Fatalf("second keys reencrypt: %d %q", code, out)
	}

	// Every message, and the console site's keys, now open with k2 alone.
	st := openSQLite(t, dir+"/chatproxy.db", crypto.FormatKeyring([]crypto.KeyEntry{k2}))
	k2ring, _ := crypto.ParseKeyring(crypto.FormatKeyring([]crypto.KeyEntry{k2}))
	reg, _ := site.NewRegistry(nil, nil)
	if v, err := sitecfg.New(sitecfg.Options{Store: st, Cipher: k2ring, Registry: reg}).Get(t.Context(), "hot"); err != nil || v.Secret.KID == "" {
		t.Fatalf("console site under k2: %+v, %v", v, err)
	}
	for _, want := range msgs {
		if got, err := st.GetMessage(t.Context(), want.ID); err != nil || got.Content != want.Content {
			t.Fatalf("message under k2: %q, %v", got.Content, err)
		}
	}
	if code, _, errOut := run(t, "keys", "reencrypt", "--batch", "0"); code != 1 || !strings.Contains(errOut, "--batch") {
		t.Fatalf("keys reencrypt --batch 0: %d %q", code, errOut)
	}
}

func keyEntry(t *testing.T, kid string) crypto.KeyEntry {
	t.Helper()
	_, key := crypto.GenerateKey()
	return crypto.KeyEntry{KID: kid, Key: key}
}

// consoleSiteUnder creates console site "hot" with its keys sealed under the keyring spec.
func consoleSiteUnder(t *testing.T, path, spec string) {
	t.Helper()
	st := openSQLite(t, path, spec)
	kr, _ := crypto.ParseKeyring(spec)
	reg, _ := site.NewRegistry(nil, nil)
	svc := sitecfg.New(sitecfg.Options{Store: st, Cipher: kr, Registry: reg, AllowPrivateUpstream: true})
	if _, err := svc.Create(t.Context(), []byte(`{"id":"hot","allowed_origins":["https://hot.example"],"n8n_webhook_url":"https://n8n.example.com/w"}`)); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
}

func openSQLite(t *testing.T, path, spec string) store.Store {
	t.Helper()
	kr, err := crypto.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), path, kr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

// writeSealedRows stores one session with two messages, sealed with the keyring spec.
func writeSealedRows(t *testing.T, path, spec string) []store.Message {
	t.Helper()
	st := openSQLite(t, path, spec)
	ctx, now := t.Context(), time.Now().UTC()
	if err := st.UpsertSite(ctx, store.Site{ID: "shop", Name: "Shop", Config: []byte(`{}`), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	v := store.Visitor{ID: uuid.Must(uuid.NewV7()).String(), SiteID: "shop", FirstSeen: now, LastSeen: now}
	if _, err := st.TouchVisitor(ctx, v); err != nil {
		t.Fatal(err)
	}
	s := store.Session{ID: uuid.Must(uuid.NewV7()).String(), SiteID: "shop", VisitorID: v.ID, CreatedAt: now, LastSeen: now,
		ExpiresAt: now.Add(time.Hour), UserAgent: "ua", PageURL: "https://shop.example/"}
	if err := st.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	var msgs []store.Message
	for _, role := range []string{store.RoleUser, store.RoleAssistant} {
		m := store.Message{ID: uuid.Must(uuid.NewV7()).String(), SessionID: s.ID, SiteID: "shop", Role: role,
			Content: "hello from " + role, Status: store.StatusComplete, FirstTokenMS: -1, CreatedAt: now}
		if _, _, err := st.AddMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// TestKeysShowConsoleSites: `keys show` lists the console's sites with their key ids and the
// previous key of a rotation, and never a console secret, even with --reveal.
func TestKeysShowConsoleSites(t *testing.T) {
	keysEnv(t)
	t.Setenv("N8N_WEBHOOK_URL", "http://n8n:5678/webhook/x")
	t.Setenv("ALLOWED_ORIGINS", "https://default.example")
	t.Setenv("SESSION_SECRET_KEY", strings.Repeat("s", 32))
	t.Setenv("CHATPROXY_ALLOW_PRIVATE_UPSTREAM", "true") // no DNS in the test
	c, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	fields, err := app.FieldKeyring(c)
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.OpenStore(t.Context(), c, fields)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	reg, _ := site.NewRegistry(c.Sites, c.SessionSecret)
	svc := sitecfg.New(sitecfg.Options{Store: st, Cipher: fields, Registry: reg, AllowPrivateUpstream: true})
	created, err := svc.Create(t.Context(), []byte(`{"id":"hot","allowed_origins":["https://hot.example"],"n8n_webhook_url":"https://n8n.example.com/w"}`))
	if err != nil {
		t.Fatal(err)
	}
	_, rotated, err := svc.Rotate(t.Context(), "hot", "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	code, out, errOut := run(t, "keys", "show", "--reveal")
	if code != 0 || !strings.Contains(out, "site hot (managed in the console)") || !strings.Contains(out, rotated.Site.Secret.KID) ||
		!strings.Contains(out, "previous key "+created.Site.Secret.KID) {
		t.Fatalf("keys show: %d %q %q", code, out, errOut)
	}
	if strings.Contains(out, created.Secret) || strings.Contains(out, rotated.Secret) {
		t.Fatalf("keys show --reveal printed a console secret:\n%s", out)
	}
}
