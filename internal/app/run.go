package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/chatproxy/chatproxy/internal/adminapi"
	"github.com/chatproxy/chatproxy/internal/httpapi"
)

// Listeners are the bound sockets of a running app (tests bind port 0 and read them back).
type Listeners struct {
	Public  net.Listener
	Metrics net.Listener // nil when metrics are off
	Admin   net.Listener // nil when the console is off or on the public listener
}

// Listen binds the public, metrics and console addresses.
func (a *App) Listen() (Listeners, error) {
	var l Listeners
	var err error
	if l.Public, err = net.Listen("tcp", a.Config.Addr); err != nil {
		return l, err
	}
	if m := a.Config.MetricsAddr; m != "" && m != "off" {
		if l.Metrics, err = net.Listen("tcp", m); err != nil {
			_ = l.Public.Close()
			return l, err
		}
	}
	if a.Admin != nil && !a.Config.AdminOnPublicListener() {
		if l.Admin, err = net.Listen("tcp", a.Config.AdminAddr); err != nil {
			_ = l.Public.Close()
			if l.Metrics != nil {
				_ = l.Metrics.Close()
			}
			return l, fmt.Errorf("console listener (CHATPROXY_ADMIN_ADDR): %w", err)
		}
	}
	return l, nil
}

// Serve runs until ctx ends, then shuts down gracefully: readiness turns 503 and new messages
// are refused; running replies get ShutdownTimeout to finish (their answers are stored); then
// the streams still open get a reconnect event; then the listeners close.
func (a *App) Serve(ctx context.Context, l Listeners) error {
	go a.KeyManager.Run(ctx) // reloads keys rotated elsewhere; rotates when due
	go a.SiteConfig.Run(ctx) // follows sites changed in the console, here or on another replica
	if a.Retention != nil {
		go a.Retention.Loop(ctx) // purges data past the sites' retention, one replica at a time
	}
	srv := &http.Server{Handler: a.publicHandler(), ErrorLog: nil}
	httpapi.ConfigureHTTPServer(srv)
	errc := make(chan error, 3)
	go func() { errc <- srv.Serve(l.Public) }()
	var msrv *http.Server
	if l.Metrics != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.Metrics.Handler())
		msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { errc <- msrv.Serve(l.Metrics) }()
	}
	var asrv *http.Server
	if l.Admin != nil {
		asrv = &http.Server{Handler: a.Admin}
		adminapi.ConfigureHTTPServer(asrv)
		go func() { errc <- asrv.Serve(l.Admin) }()
	}
	a.Log.Info("chatproxy listening", "addr", l.Public.Addr().String(), "demo", a.Config.Demo, "sites", len(a.Sites.All()))
	a.logConsole(l)
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-ctx.Done():
	}
	a.Log.Info("shutting down: draining replies", "deadline", a.Config.ShutdownTimeout.String())
	a.Server.BeginDrain()
	drainCtx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	if err := a.Chat.Wait(drainCtx); err != nil {
		a.Log.Warn("replies still running at the drain deadline: interrupting them", "err", err)
		a.Chat.Abort()
		abortCtx, abortCancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = a.Chat.Wait(abortCtx)
		abortCancel()
	}
	// Streams of finished replies may still be delivering their last events: let them end.
	if err := a.Server.WaitStreams(drainCtx); err != nil {
		a.Log.Warn("streams still open at the drain deadline: asking clients to reconnect", "err", err)
	}
	cancel()
	a.Server.StopStreams()
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shutCtx)
	if msrv != nil {
		_ = msrv.Shutdown(shutCtx)
	}
	if asrv != nil {
		_ = asrv.Shutdown(shutCtx)
	}
	a.Log.Info("stopped")
	return err
}

// logConsole says where the console is and, on first run, the one-time setup link.
func (a *App) logConsole(l Listeners) {
	switch {
	case a.Admin == nil:
		return
	case l.Admin != nil:
		a.Log.Info("operator console listening", "addr", l.Admin.Addr().String())
	default:
		a.Log.Info("operator console on the public listener at /admin/")
	}
	if u := a.SetupURL(l); u != "" {
		a.Log.Warn("no console account yet: open the setup link within 1 hour to create the owner (or run chatproxy admin add)", "setup_url", u)
	}
}
