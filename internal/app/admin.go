package app

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/chatproxy/chatproxy/internal/adminapi"
	"github.com/chatproxy/chatproxy/internal/analytics"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/clientip"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/console"
	"github.com/chatproxy/chatproxy/internal/conversations"
	"github.com/chatproxy/chatproxy/internal/crypto"
	"github.com/chatproxy/chatproxy/internal/ratelimit"
	"github.com/chatproxy/chatproxy/internal/webui"
)

// newConsole wires the operator console with the chat path's store and limiter (sign-in
// back-off is then shared by replicas through Redis), and makes the first-run setup token
// when there is no account yet.
func (a *App) newConsole(ctx context.Context, limiter ratelimit.Limiter) error {
	c := a.Config
	if !c.AdminEnabled() {
		return nil
	}
	var err error
	a.Console, err = console.New(console.Options{
		Store: a.Store, Limiter: limiter, Log: a.Log,
		// Every replica derives the same key from the shared JWT secret.
		CSRFKey: []byte(crypto.HMAC(c.JWTSecret, "chatproxy console csrf")),
	})
	if err != nil {
		return err
	}
	a.Admin = adminapi.New(adminapi.Deps{
		Config: c, Console: a.Console, Audit: audit.New(a.Store), Sites: a.SiteConfig,
		Conversations: &conversations.Service{Store: a.Store}, IPs: clientip.NewResolver(c.TrustedProxies),
		Metrics: a.Metrics, Log: a.Log, Web: webui.FS(), WebBuilt: webui.AdminBuilt(),
		Analytics: &analytics.Query{Store: a.Store},
		Privacy:   a.Privacy,
	})
	if a.setupToken, err = a.Console.EnsureSetupToken(ctx); err != nil {
		return fmt.Errorf("console setup token: %w", err)
	}
	return nil
}

// publicHandler is what the public listener serves: the chat API, plus the console when it
// shares the listener.
func (a *App) publicHandler() http.Handler {
	if a.Admin != nil && a.Config.AdminOnPublicListener() {
		return adminapi.Mount(a.Admin, a.Server)
	}
	return a.Server
}

// SetupURL is the first-run link that creates the owner account, "" when accounts exist or
// the console is off. It names the console as operators reach it: CHATPROXY_ADMIN_URL, the
// public URL when sharing the listener, else the bound address.
func (a *App) SetupURL(l Listeners) string {
	if a.setupToken == "" || a.Admin == nil {
		return ""
	}
	base := a.Config.AdminOrigin()
	if base == "" {
		ln := l.Admin
		if a.Config.AdminOnPublicListener() {
			ln = l.Public
		}
		if ln == nil {
			return ""
		}
		base = "http://" + browsable(ln.Addr().String())
	}
	return base + "/admin/setup?token=" + a.setupToken
}

// browsable turns a wildcard bind address into one a browser on this host can open.
func browsable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// consoleWarning flags a console that operators would reach over plain HTTP from elsewhere:
// passwords and session cookies would cross the network in the clear.
func consoleWarning(c config.Config) string {
	if !c.AdminEnabled() || c.AdminHTTPS() {
		return ""
	}
	if c.AdminOnPublicListener() {
		return "the operator console is on the public listener without an https CHATPROXY_PUBLIC_URL: sign-ins travel unencrypted unless a TLS proxy is in front (set CHATPROXY_ADMIN_URL=https://… then)"
	}
	host, _, err := net.SplitHostPort(c.AdminAddr)
	if ip := net.ParseIP(host); err == nil && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "the operator console listens on " + c.AdminAddr + " over plain HTTP: put a TLS proxy in front and set CHATPROXY_ADMIN_URL=https://…, or keep it on 127.0.0.1"
	}
	return ""
}
