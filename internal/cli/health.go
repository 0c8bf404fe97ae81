package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/chatproxy/chatproxy/internal/config"
)

// healthTimeout bounds the whole probe: a container HEALTHCHECK must not hang.
const healthTimeout = 3 * time.Second

// health GETs /health/live on the configured public address (loopback when the server listens
// on every interface) and fails unless it answers 200. Container images have no shell or
// curl, so the HEALTHCHECK runs the binary itself.
func health(ctx context.Context, stdout io.Writer) error {
	c, err := config.Load(mustLookup())
	if err != nil {
		// %v, not %w: a HEALTHCHECK knows only 0 and 1, so a bad config is "unhealthy", not 78.
		return fmt.Errorf("health: %v", err)
	}
	url := "http://" + probeAddr(c.Addr) + "/health/live"
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: /health/live answered %d", resp.StatusCode)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}

// probeAddr turns a listen address into one to dial: an empty or unspecified host (":8080",
// "0.0.0.0:8080", "[::]:8080") becomes the loopback address of the same family.
func probeAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}
