package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/chatproxy/chatproxy/internal/app"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/crypto"
	keymgr "github.com/chatproxy/chatproxy/internal/keys"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/sitecfg"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

const keysUsage = "usage: chatproxy keys show [--reveal] | generate | list | rotate [--revoke-previous] | reencrypt [--batch N] [--pause D] [--restart]"

func runKeys(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(keysUsage)
	}
	switch args[0] {
	case "show":
		reveal := len(args) > 1 && args[1] == "--reveal"
		c, err := loadConfig()
		if err != nil {
			return err
		}
		if err := showKeys(c, reveal, stdout); err != nil {
			return err
		}
		return showConsoleKeys(ctx, c, stdout)
	case "generate":
		kid, key := crypto.GenerateKey()
		fmt.Fprintf(stdout, "%s:%s\n", kid, base64.StdEncoding.EncodeToString(key))
		fmt.Fprintln(stdout, "# append it to CHATPROXY_ENCRYPTION_KEYS (comma-separated; the last entry encrypts new data)")
		return nil
	case "list":
		return listKeys(ctx, args[1:], stdout)
	case "rotate":
		return rotateKeys(ctx, args[1:], stdout)
	case "reencrypt":
		return reencrypt(ctx, args[1:], stdout)
	}
	return fmt.Errorf("unknown keys command %q\n%s", args[0], keysUsage)
}

// keyTools is what the keyring commands share: the configuration, the field keyring, a migrated
// store and the session-token key manager.
type keyTools struct {
	c      config.Config
	fields *crypto.Keyring
	st     store.Store
	m      *keymgr.Manager
}

// openKeyTools loads the configuration like the server and brings the schema up to date (as
// the server does at start), so the commands work on a database no server has opened yet.
func openKeyTools(ctx context.Context) (*keyTools, error) {
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
	m, err := keymgr.New(keymgr.Options{Store: st, Fields: fields, Secret: c.JWTSecret, TokenLifetime: c.SessionMaxAge})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	return &keyTools{c: c, fields: fields, st: st, m: m}, nil
}

func (k *keyTools) Close() { _ = k.st.Close() }

// newFlags makes a flag set whose errors are returned, not printed.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %v\n%s", fs.Name(), err, keysUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q\n%s", fs.Name(), fs.Arg(0), keysUsage)
	}
	return nil
}

// listKeys prints every key the deployment uses, never their material.
func listKeys(ctx context.Context, args []string, stdout io.Writer) error {
	if err := parseFlags(newFlags("keys list"), args); err != nil {
		return err
	}
	k, err := openKeyTools(ctx)
	if err != nil {
		return err
	}
	defer k.Close()
	infos, err := k.m.List(ctx)
	if err != nil {
		return err
	}
	const row = "%-14s %-16s %-20s %-20s %-7s %-9s %s\n"
	fmt.Fprintf(stdout, row, "PURPOSE", "KID", "CREATED", "NOT_AFTER", "PRIMARY", "STATUS", "SEALED_BY")
	for _, i := range infos {
		end := i.NotAfter
		if end.IsZero() {
			end = i.Until // a replaced key without a stored end: show the one implied
		}
		fmt.Fprintf(stdout, row, i.Purpose, i.KID, stamp(i.CreatedAt), stamp(end), yesNo(i.Primary), i.Status, i.SealedBy)
	}
	kids := k.fields.KIDs()
	for n, kid := range kids {
		status := "opens"
		if n == len(kids)-1 {
			status = "seals"
		}
		fmt.Fprintf(stdout, row, "fields", kid, "-", "-", yesNo(n == len(kids)-1), status, "env")
	}
	if len(infos) == 0 {
		fmt.Fprintln(stdout, "# no session-token keys stored yet: the server (or `keys rotate`) seeds one from JWT_SECRET_KEY")
	}
	return nil
}

// rotateKeys replaces the session-token signing key. Running servers switch within their
// refresh interval; the replaced key keeps verifying the tokens it signed.
func rotateKeys(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("keys rotate")
	revoke := fs.Bool("revoke-previous", false, "end every previous key now (after a leak): all visitors start new sessions")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	k, err := openKeyTools(ctx)
	if err != nil {
		return err
	}
	defer k.Close()
	if _, err := k.m.Load(ctx); err != nil { // seeds the keyring if no server has yet
		return err
	}
	rotate := k.m.Rotate
	if *revoke {
		rotate = k.m.RotateAndRevoke
	}
	r, err := rotate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "session-token key rotated: new primary kid %s\n", r.KID)
	switch {
	case len(r.Retired) == 0:
	case *revoke:
		fmt.Fprintf(stdout, "revoked %s: tokens they signed are refused from now on; visitors start new sessions\n", strings.Join(r.Retired, ", "))
	default:
		fmt.Fprintf(stdout, "replaced %s: verifies the tokens it signed until %s\n", strings.Join(r.Retired, ", "), stamp(r.Until))
	}
	fmt.Fprintf(stdout, "running servers switch to it within %s; until then they sign with the replaced key, which stays valid\n", keymgr.DefaultRefreshInterval)
	return nil
}

// reencrypt reseals stored messages and sessions with the primary field key, resumably.
func reencrypt(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("keys reencrypt")
	batch := fs.Int("batch", 500, "rows per batch (at most 5000)")
	pause := fs.Duration("pause", 0, "pause between batches, to spare a busy database")
	restart := fs.Bool("restart", false, "ignore the progress of an interrupted run and start from the beginning")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *batch <= 0 {
		return fmt.Errorf("keys reencrypt: --batch must be positive")
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	k, err := openKeyTools(ctx)
	if err != nil {
		return err
	}
	defer k.Close()
	progress, err := k.progressFile()
	if err != nil {
		return err
	}
	if *restart {
		if err := os.Remove(progress); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	fmt.Fprintf(stdout, "re-encrypting stored messages and sessions with field key %s\n", k.fields.PrimaryKID())
	last := time.Now()
	report, err := keymgr.Reencrypt(ctx, k.st, k.fields, keymgr.ReencryptOptions{
		Batch: *batch, Pause: *pause, ProgressFile: progress,
		OnBatch: func(table string, msgs, sess keymgr.Counts) {
			if time.Since(last) >= 10*time.Second {
				last = time.Now()
				fmt.Fprintf(stdout, "  … %s: messages %d/%d, sessions %d/%d (rewritten/checked)\n", table, msgs.Rewritten, msgs.Checked, sess.Rewritten, sess.Checked)
			}
		},
	})
	if report.Resumed {
		fmt.Fprintln(stdout, "resumed where an interrupted run stopped")
	}
	fmt.Fprintf(stdout, "messages: %d checked, %d rewritten\n", report.Messages.Checked, report.Messages.Rewritten)
	fmt.Fprintf(stdout, "sessions: %d values checked, %d rows rewritten\n", report.Sessions.Checked, report.Sessions.Rewritten)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; run `chatproxy keys reencrypt` again to continue where it stopped")
		}
		return err
	}
	if err := k.resealConsoleSites(ctx, stdout); err != nil {
		return err
	}
	return k.printFieldKeyAdvice(ctx, stdout)
}

// progressFile is in the data dir, named after the database so two databases never share one.
func (k *keyTools) progressFile() (string, error) {
	dsn := k.c.DatabaseURL
	if dsn == "" {
		abs, err := filepath.Abs(k.c.SQLitePath())
		if err != nil {
			return "", err
		}
		dsn = abs
	}
	if err := os.MkdirAll(k.c.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("data dir %s: %w", k.c.DataDir, err)
	}
	return keymgr.ProgressFileFor(k.c.DataDir, dsn), nil
}

// printFieldKeyAdvice says when older field keys can leave CHATPROXY_ENCRYPTION_KEYS: session-token
// key material is never resealed (a kid names one key for ever), so it waits for those keys.
func (k *keyTools) printFieldKeyAdvice(ctx context.Context, stdout io.Writer) error {
	primary := k.fields.PrimaryKID()
	fmt.Fprintf(stdout, "done: every stored message and session field is sealed with %s\n", primary)
	stale, err := k.m.SealedWithOlderFieldKeys(ctx)
	if err != nil {
		return err
	}
	for _, s := range stale {
		if s.Status == keymgr.StatusSigning {
			fmt.Fprintf(stdout, "keep field key %s: it seals the signing session-token key %s; run `chatproxy keys rotate`, then keep %s until the replaced key retires\n", s.SealedBy, s.KID, s.SealedBy)
			continue
		}
		fmt.Fprintf(stdout, "keep field key %s until %s: it seals session-token key %s, which verifies until then (or end it now with `chatproxy keys rotate --revoke-previous`)\n", s.SealedBy, stamp(s.Until), s.KID)
	}
	if len(stale) == 0 && len(k.fields.KIDs()) > 1 {
		fmt.Fprintf(stdout, "older field keys are no longer needed by stored data: remove them from CHATPROXY_ENCRYPTION_KEYS on every replica, keeping %s last\n", primary)
	}
	return nil
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// showKeys prints, per site, what to enter in n8n's JWT Auth credential (Webhook node v2.1+).
func showKeys(c config.Config, reveal bool, w io.Writer) error {
	for _, s := range c.Sites {
		fmt.Fprintf(w, "site %s\n", s.ID)
		fmt.Fprintf(w, "  n8n credential: JWT Auth, algorithm %s\n", s.Signing.Algorithm)
		fmt.Fprintf(w, "  token claims to check in the workflow: iss=chatproxy aud=n8n:%s (site_id, sub=session, msg_id, jti, exp ≤ %s)\n", s.ID, s.Signing.TTL.D())
		switch s.Signing.Algorithm {
		case "ES256":
			pub, err := publicPEM(s.Signing.PrivateKeyFile)
			if err != nil {
				return fmt.Errorf("site %s: %w", s.ID, err)
			}
			fmt.Fprintf(w, "  key type: PEM Key; public key:\n%s", indent(pub, "    "))
		default:
			// The same function the server signs with, so what is printed is what n8n must hold.
			secret, source, err := site.UpstreamSecret(s, c.SessionSecret)
			if err != nil {
				return fmt.Errorf("site %s: %w", s.ID, err)
			}
			shown := "(hidden: run `chatproxy keys show --reveal` to print it)"
			if reveal {
				shown = string(secret)
			}
			fmt.Fprintf(w, "  key type: Passphrase; secret from %s: %s\n", source, shown)
		}
	}
	return nil
}

// resealConsoleSites reseals the console sites' signing keys with the primary field key.
func (k *keyTools) resealConsoleSites(ctx context.Context, stdout io.Writer) error {
	reg, err := site.NewRegistry(k.c.Sites, k.c.SessionSecret)
	if err != nil {
		return err
	}
	svc := sitecfg.New(sitecfg.Options{Store: k.st, Cipher: k.fields, Registry: reg})
	checked, rewritten, err := svc.Reseal(ctx, k.fields.Reseal)
	fmt.Fprintf(stdout, "console sites' signing keys: %d checked, %d rewritten\n", checked, rewritten)
	return err
}

// showConsoleKeys prints the key ids of the sites managed in the console (never their
// secrets: an HS256 secret is shown once, by the console, when it is made).
func showConsoleKeys(ctx context.Context, c config.Config, w io.Writer) error {
	fields, err := app.FieldKeyring(c)
	if err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, c, fields)
	if err != nil {
		fmt.Fprintf(w, "console sites: the database cannot be opened (%v)\n", err)
		return nil
	}
	defer func() { _ = st.Close() }()
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	reg, err := site.NewRegistry(c.Sites, c.SessionSecret)
	if err != nil {
		return err
	}
	info, ids, err := sitecfg.New(sitecfg.Options{Store: st, Cipher: fields, Registry: reg}).KeyInfo(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		k := info[id]
		fmt.Fprintf(w, "site %s (managed in the console)\n", id)
		fmt.Fprintf(w, "  n8n credential: JWT Auth, algorithm %s; key id %s, set %s\n", k.Algorithm, k.KID, stamp(*k.SetAt))
		if k.PublicKeyPEM != "" {
			fmt.Fprintf(w, "  key type: PEM Key; public key:\n%s", indent(k.PublicKeyPEM, "    "))
		} else {
			fmt.Fprintf(w, "  key type: Passphrase; shown once when made: rotate it in the console (POST /admin/api/v1/sites/%s/rotate-secret) for a new one\n", id)
		}
		if k.PreviousKID != "" {
			fmt.Fprintf(w, "  previous key %s: still signs a retry when n8n refuses the new one, until %s\n", k.PreviousKID, stamp(*k.PreviousUntil))
		}
	}
	return nil
}

func publicPEM(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	key, err := upstream.ParseES256PrivateKeyPEM(b)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public().(*ecdsa.PublicKey))
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

func indent(s, pad string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return pad + strings.Join(lines, "\n"+pad) + "\n"
}
