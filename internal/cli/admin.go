package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/app"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/console"
	"github.com/chatproxy/chatproxy/internal/crypto"
	"github.com/chatproxy/chatproxy/internal/ratelimit"
	"github.com/chatproxy/chatproxy/internal/store"
)

// Stdin is where --password-stdin reads; tests replace it.
var Stdin io.Reader = os.Stdin

const adminUsage = `usage:
  chatproxy admin add --email E --role owner|admin|viewer [--sites a,b] --password-stdin
  chatproxy admin list
  chatproxy admin passwd --email E --password-stdin
  chatproxy admin disable --email E
  chatproxy admin token --email E --name N [--expires 30d]`

// adminTools are what the account commands share: a migrated store, the console's use cases
// and the audit log (CLI changes are audited like the console's, with actor "cli").
type adminTools struct {
	st    store.Store
	svc   *console.Service
	audit *audit.Log
	actor audit.Actor
}

func openAdminTools(ctx context.Context) (*adminTools, error) {
	c, err := loadConfig()
	if err != nil {
		return nil, err
	}
	fields, err := app.FieldKeyring(c)
	if err != nil {
		return nil, err
	}
	st, err := app.OpenStore(ctx, c, fields)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	// Commands never sign anyone in: the limiter and the CSRF key are unused but required.
	svc, err := console.New(console.Options{Store: st, Limiter: ratelimit.NewMemory(), CSRFKey: []byte(crypto.HMAC(c.JWTSecret, "chatproxy console csrf"))})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	label := "cli"
	if u := os.Getenv("USER"); u != "" {
		label += ":" + u
	}
	return &adminTools{st: st, svc: svc, audit: audit.New(st), actor: audit.Actor{Label: label}}, nil
}

func (t *adminTools) Close() { _ = t.st.Close() }

func (t *adminTools) record(ctx context.Context, e audit.Entry) error {
	e.Actor = t.actor
	_, err := t.audit.Record(ctx, e)
	return err
}

func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(adminUsage)
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"add": adminAdd, "list": adminList, "passwd": adminPasswd, "disable": adminDisable, "token": adminToken,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		return fmt.Errorf("unknown admin command %q\n%s", args[0], adminUsage)
	}
	return friendly(cmd(ctx, args[1:], stdout, stderr))
}

// friendly turns a catalogue error into its message: the CLI user reads sentences, not codes.
func friendly(err error) error {
	if ae, ok := apierr.As(err); ok {
		return errors.New(ae.Message)
	}
	return err
}

func adminFlags(name string, args []string, define func(fs *flag.FlagSet)) error {
	fs := newFlags("admin " + name)
	define(fs)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("admin %s: %v\n%s", name, err, adminUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("admin %s: unexpected argument %q\n%s", name, fs.Arg(0), adminUsage)
	}
	return nil
}

// readPassword reads one line from Stdin: passwords never travel on the command line, where
// other users and shell histories see them.
func readPassword(fromStdin bool) (string, error) {
	if !fromStdin {
		return "", errors.New("give the password on standard input with --password-stdin (never as an argument)")
	}
	line, err := bufio.NewReader(Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func adminAdd(ctx context.Context, args []string, stdout, _ io.Writer) error {
	var email, role, sites string
	var stdin bool
	if err := adminFlags("add", args, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "")
		fs.StringVar(&role, "role", "", "")
		fs.StringVar(&sites, "sites", "", "")
		fs.BoolVar(&stdin, "password-stdin", false, "")
	}); err != nil {
		return err
	}
	pw, err := readPassword(stdin)
	if err != nil {
		return err
	}
	t, err := openAdminTools(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	in := console.NewAccount{Email: email, Password: pw, Role: role, AllSites: sites == ""}
	if sites != "" {
		in.Sites = strings.Split(sites, ",")
	}
	a, err := t.svc.CreateAccount(ctx, in)
	if err != nil {
		return err
	}
	scope := "all sites"
	if !a.AllSites {
		scope = "sites " + strings.Join(a.Sites, ",")
	}
	fmt.Fprintf(stdout, "created %s %s (%s), id %s\n", a.Role, a.Email, scope, a.ID)
	return t.record(ctx, audit.Entry{Action: audit.AccountCreate, TargetType: "account", TargetID: a.ID,
		Diff: audit.Changes(nil, map[string]any{"email": a.Email, "role": a.Role, "sites": a.Sites, "all_sites": a.AllSites})})
}

func adminList(ctx context.Context, args []string, stdout, _ io.Writer) error {
	if err := adminFlags("list", args, func(*flag.FlagSet) {}); err != nil {
		return err
	}
	t, err := openAdminTools(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	all, err := t.svc.ListAccounts(ctx)
	if err != nil {
		return err
	}
	const row = "%-36s %-32s %-7s %-20s %-5s %s\n"
	fmt.Fprintf(stdout, row, "ID", "EMAIL", "ROLE", "SITES", "TOTP", "STATUS")
	for _, a := range all {
		sites, status := "*", "active"
		if !a.AllSites {
			sites = strings.Join(a.Sites, ",")
		}
		if !a.DisabledAt.IsZero() {
			status = "disabled " + a.DisabledAt.Format(time.DateOnly)
		}
		fmt.Fprintf(stdout, row, a.ID, a.Email, a.Role, sites, yesNo(a.TOTPEnabled), status)
	}
	return nil
}

func adminPasswd(ctx context.Context, args []string, stdout, _ io.Writer) error {
	var email string
	var stdin bool
	if err := adminFlags("passwd", args, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "")
		fs.BoolVar(&stdin, "password-stdin", false, "")
	}); err != nil {
		return err
	}
	pw, err := readPassword(stdin)
	if err != nil {
		return err
	}
	t, err := openAdminTools(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	a, err := t.svc.GetAccountByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("no account %q", email)
	}
	if _, err := t.svc.SetPassword(ctx, a.ID, pw); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "password of %s changed; its console sessions are ended\n", a.Email)
	return t.record(ctx, audit.Entry{Action: audit.AccountPassword, TargetType: "account", TargetID: a.ID})
}

func adminDisable(ctx context.Context, args []string, stdout, _ io.Writer) error {
	var email string
	if err := adminFlags("disable", args, func(fs *flag.FlagSet) { fs.StringVar(&email, "email", "", "") }); err != nil {
		return err
	}
	t, err := openAdminTools(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	a, err := t.svc.GetAccountByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("no account %q", email)
	}
	yes := true
	before, after, err := t.svc.UpdateAccount(ctx, a.ID, console.AccountPatch{Disabled: &yes})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "disabled %s; its sessions and API tokens stop working now\n", a.Email)
	return t.record(ctx, audit.Entry{Action: audit.AccountDisable, TargetType: "account", TargetID: a.ID,
		Diff: audit.Changes(map[string]bool{"disabled": !before.DisabledAt.IsZero()}, map[string]bool{"disabled": !after.DisabledAt.IsZero()})})
}

func adminToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var email, name, expires string
	if err := adminFlags("token", args, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "")
		fs.StringVar(&name, "name", "", "")
		fs.StringVar(&expires, "expires", "", "")
	}); err != nil {
		return err
	}
	ttl, err := console.ParseTTL(expires)
	if err != nil {
		return err
	}
	t, err := openAdminTools(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	a, err := t.svc.GetAccountByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("no account %q", email)
	}
	raw, tok, err := t.svc.CreateToken(ctx, a.ID, name, ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, raw)
	expiry := "never expires"
	if !tok.ExpiresAt.IsZero() {
		expiry = "expires " + tok.ExpiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(stderr, "API token %q for %s (%s), id %s. It is shown only this once: use it as Authorization: Bearer <token>.\n", tok.Name, a.Email, expiry, tok.ID)
	return t.record(ctx, audit.Entry{Action: audit.TokenCreate, TargetType: "token", TargetID: tok.ID,
		Diff: map[string]any{"token_name": tok.Name, "account_id": a.ID}})
}

// auditVerify walks the audit log's hash chain.
func auditVerify(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) != 1 || args[0] != "verify" {
		return errors.New("usage: chatproxy audit verify")
	}
	t, err := openAdminTools(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	n, err := t.audit.Verify(ctx)
	if err != nil {
		return fmt.Errorf("%w (after %d good entries)", err, n)
	}
	fmt.Fprintf(stdout, "audit log intact: %d entries, every hash and link checks out\n", n)
	return nil
}
