// Package cli is the chatproxy command line; cmd/chatproxy only calls Run.
//
// The commands: serve (default), migrate, sites list, keys (show, generate, list, rotate,
// reencrypt), admin (console accounts and tokens), audit verify, health and version.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chatproxy/chatproxy/internal/app"
	"github.com/chatproxy/chatproxy/internal/config"
)

// Version is set at build time with -ldflags "-X github.com/chatproxy/chatproxy/internal/cli.Version=…".
var Version = "dev"

const usage = `chatproxy: a secure gateway and chat widget in front of n8n.

Usage:
  chatproxy [serve]        start the server (default)
  chatproxy migrate        apply database migrations and exit
  chatproxy sites list     list the configured sites
  chatproxy keys show      print what each site's n8n JWT Auth credential needs (--reveal prints secrets)
  chatproxy keys generate  print a new CHATPROXY_ENCRYPTION_KEYS entry
  chatproxy keys list      session-token keys and field-key ids (never their material)
  chatproxy keys rotate    new session-token key (--revoke-previous after a leak)
  chatproxy keys reencrypt reseal stored data with the newest field key (resumable)
  chatproxy health         exit 0 when this host's server answers /health/live (container HEALTHCHECK)
  chatproxy admin add      create a console account (--email E --role owner|admin|viewer [--sites a,b] --password-stdin)
  chatproxy admin list     list console accounts
  chatproxy admin passwd   set an account's password (--email E --password-stdin)
  chatproxy admin disable  disable an account (--email E)
  chatproxy admin token    print a new API token once (--email E --name N [--expires 30d])
  chatproxy audit verify   check the audit log's hash chain
  chatproxy version        print the version

Configuration comes from the environment, a .env file and CHATPROXY_SITES_FILE (see README).
`

// Run executes the command line and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, stderr)
	case "migrate":
		err = migrate(ctx, stdout)
	case "sites":
		err = sites(args, stdout)
	case "keys":
		err = runKeys(ctx, args, stdout)
	case "health":
		err = health(ctx, stdout)
	case "admin":
		err = runAdmin(ctx, args, stdout, stderr)
	case "audit":
		err = auditVerify(ctx, args, stdout)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "chatproxy", Version)
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "chatproxy:", err)
		var ce *config.Error
		if errors.As(err, &ce) {
			return 78 // EX_CONFIG
		}
		return 1
	}
	return 0
}

func loadConfig() (config.Config, error) {
	look, err := config.EnvLookup()
	if err != nil {
		return config.Config{}, err
	}
	c, err := config.Load(look)
	if err != nil {
		return c, err
	}
	return c, config.EnsureSecrets(&c)
}

func serve(ctx context.Context, stderr io.Writer) error {
	c, err := loadConfig()
	if err != nil {
		return err
	}
	log := app.NewLogger(c, os.Stderr)
	for _, w := range c.Warnings {
		log.Warn(w)
	}
	app.ApplyMemoryLimit(c, log)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, c, log)
	if err != nil {
		return err
	}
	defer a.Close()
	for _, w := range a.Warnings() {
		log.Warn(w)
	}
	l, err := a.Listen()
	if err != nil {
		return err
	}
	if c.Demo {
		fmt.Fprintf(stderr, "\n  chatproxy demo is running: open http://localhost:%s/ and click the chat button.\n", portOf(l.Public.Addr().String()))
	}
	if u := a.SetupURL(l); u != "" {
		fmt.Fprintf(stderr, "\n  operator console, first run: create the owner account at %s\n  (valid 1 hour, once; or run: chatproxy admin add --email you@example.com --role owner --password-stdin)\n", u)
	}
	if c.Demo || a.SetupURL(l) != "" {
		fmt.Fprintln(stderr)
	}
	return a.Serve(ctx, l)
}

func migrate(ctx context.Context, stdout io.Writer) error {
	c, err := loadConfig()
	if err != nil {
		return err
	}
	keyring, err := app.FieldKeyring(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	st, err := app.OpenStore(ctx, c, keyring)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	applied, latest, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database schema at version %d (latest %d)\n", applied, latest)
	return nil
}

func sites(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "list" {
		return fmt.Errorf("usage: chatproxy sites list")
	}
	c, err := config.Load(mustLookup())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-20s %-14s %-8s %s\n", "ID", "FORMAT", "JWT", "ALLOWED ORIGINS")
	for _, s := range c.Sites {
		fmt.Fprintf(stdout, "%-20s %-14s %-8s %v\n", s.ID, s.PayloadFormat, s.Signing.Algorithm, s.AllowedOrigins)
	}
	return nil
}

func mustLookup() config.Lookup {
	look, err := config.EnvLookup()
	if err != nil {
		return func(string) (string, bool) { return "", false }
	}
	return look
}

func portOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[i+1:]
		}
	}
	return addr
}
