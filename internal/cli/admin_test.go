package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/chatproxy/chatproxy/internal/console"
	"github.com/chatproxy/chatproxy/internal/ratelimit"
	"github.com/chatproxy/chatproxy/internal/store"
)

// runIn runs the CLI with stdin.
func runIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	old := Stdin
	Stdin = strings.NewReader(stdin)
	defer func() { Stdin = old }()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// adminEnv is a demo-mode environment in a temporary directory (SQLite, generated secrets).
func adminEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("CHATPROXY_DATA_DIR", dir)
	t.Setenv("USER", "tester")
	return dir
}

// openDB reads what the commands wrote (the generated keys are in dir/secrets.json, so open
// the store the way the commands do).
func openDB(t *testing.T) (*adminTools, store.Store) {
	t.Helper()
	tools, err := openAdminTools(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tools.Close)
	return tools, tools.st
}

func TestAdminAddListPasswdDisable(t *testing.T) {
	adminEnv(t)
	if code, _, errOut := runIn(t, "", "admin", "add", "--email", "o@example.com", "--role", "owner"); code != 1 || !strings.Contains(errOut, "--password-stdin") {
		t.Fatalf("add without --password-stdin: %d %q", code, errOut)
	}
	if code, _, errOut := runIn(t, "short\n", "admin", "add", "--email", "o@example.com", "--role", "owner", "--password-stdin"); code != 1 || !strings.Contains(errOut, "at least 12") {
		t.Fatalf("add with a short password: %d %q", code, errOut)
	}
	code, out, errOut := runIn(t, "correct horse battery\n", "admin", "add", "--email", "O@Example.com", "--role", "owner", "--password-stdin")
	if code != 0 || !strings.Contains(out, "created owner o@example.com (all sites)") {
		t.Fatalf("add owner: %d %q %q", code, out, errOut)
	}
	code, out, errOut = runIn(t, "another long password", "admin", "add", "--email", "v@example.com", "--role", "viewer", "--sites", "shop,blog", "--password-stdin")
	if code != 0 || !strings.Contains(out, "sites shop,blog") {
		t.Fatalf("add viewer: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runIn(t, "another long password\n", "admin", "add", "--email", "v@example.com", "--role", "viewer", "--password-stdin"); code != 1 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("add twice: %d %q", code, errOut)
	}
	if code, _, errOut := runIn(t, "another long password\n", "admin", "add", "--email", "x@example.com", "--role", "root", "--password-stdin"); code != 1 || !strings.Contains(errOut, "role must be") {
		t.Fatalf("add with a bad role: %d %q", code, errOut)
	}
	code, out, _ = runIn(t, "", "admin", "list")
	if code != 0 || !strings.Contains(out, "o@example.com") || !strings.Contains(out, "shop,blog") || strings.Contains(out, "argon2") {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, out, errOut := runIn(t, "a brand new password\n", "admin", "passwd", "--email", "v@example.com", "--password-stdin"); code != 0 || !strings.Contains(out, "changed") {
		t.Fatalf("passwd: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runIn(t, "a brand new password\n", "admin", "passwd", "--email", "nobody@example.com", "--password-stdin"); code != 1 || !strings.Contains(errOut, "no account") {
		t.Fatalf("passwd of an unknown account: %d %q", code, errOut)
	}
	if code, out, _ := runIn(t, "", "admin", "disable", "--email", "v@example.com"); code != 0 || !strings.Contains(out, "disabled") {
		t.Fatalf("disable: %d %q", code, out)
	}
	if code, _, errOut := runIn(t, "", "admin", "disable", "--email", "o@example.com"); code != 1 || !strings.Contains(errOut, "owner must remain") {
		t.Fatalf("disable the only owner: %d %q", code, errOut)
	}

	tools, st := openDB(t)
	ctx := context.Background()
	v, err := st.GetAccountByEmail(ctx, "v@example.com")
	if err != nil || v.DisabledAt.IsZero() || v.AllSites || len(v.Sites) != 2 {
		t.Fatalf("viewer as stored: %+v, %v", v, err)
	}
	if ok, _ := console.VerifyPassword(v.PasswordHash, "a brand new password"); !ok {
		t.Fatal("passwd did not store the new password")
	}
	entries, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
		if e.ActorLabel != "cli:tester" || strings.Contains(string(e.Diff), "horse") {
			t.Errorf("entry %s: actor %q, diff %s", e.Action, e.ActorLabel, e.Diff)
		}
	}
	if got := strings.Join(actions, " "); got != "account.disable account.password account.create account.create" {
		t.Fatalf("audited CLI actions (newest first): %s", got)
	}
	if n, err := tools.audit.Verify(ctx); err != nil || n != 4 {
		t.Fatalf("Verify = %d, %v", n, err)
	}
	if code, out, _ := runIn(t, "", "audit", "verify"); code != 0 || !strings.Contains(out, "4 entries") {
		t.Fatalf("audit verify: %d %q", code, out)
	}
}

func TestAdminTokenPrintsOnceAndWorks(t *testing.T) {
	adminEnv(t)
	if code, _, errOut := runIn(t, "correct horse battery\n", "admin", "add", "--email", "a@example.com", "--role", "admin", "--password-stdin"); code != 0 {
		t.Fatalf("add: %q", errOut)
	}
	code, out, errOut := runIn(t, "", "admin", "token", "--email", "a@example.com", "--name", "deploy", "--expires", "30d")
	if code != 0 || !strings.HasPrefix(out, "cpa_") || strings.Count(out, "\n") != 1 || !strings.Contains(errOut, "shown only this once") {
		t.Fatalf("token: %d %q %q", code, out, errOut)
	}
	token := strings.TrimSpace(out)
	if code, _, errOut := runIn(t, "", "admin", "token", "--email", "a@example.com", "--name", "x", "--expires", "soon"); code != 1 || !strings.Contains(errOut, "lifetime") {
		t.Fatalf("token with a bad expiry: %d %q", code, errOut)
	}
	_, st := openDB(t)
	svc, err := console.New(console.Options{Store: st, Limiter: ratelimit.NewMemory(), CSRFKey: bytes.Repeat([]byte("k"), 32)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.AuthenticateToken(context.Background(), token)
	if err != nil || p.Account.Email != "a@example.com" {
		t.Fatalf("the printed token does not authenticate: %v", err)
	}
	toks, _ := st.ListAPITokens(context.Background(), p.ID())
	if len(toks) != 1 || toks[0].Name != "deploy" || toks[0].ExpiresAt.IsZero() || strings.Contains(toks[0].TokenHash, token) {
		t.Fatalf("stored tokens: %+v", toks)
	}
	if code, out, _ := runIn(t, "", "help"); code != 0 || !strings.Contains(out, "admin token") {
		t.Fatalf("help lacks the admin commands: %q", out)
	}
}
