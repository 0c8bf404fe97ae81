package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/chatproxy/chatproxy/internal/app"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/n8ntest"
)

// The one benchmark site. Its limits are raised far above the load so nothing is refused;
// every check still runs (the limiter is consulted for each request).
const (
	siteID      = "shop"
	shopOrigin  = "https://shop.example"
	webhookPath = "/webhook/" + n8ntest.ScenarioStream + "/chat"
	hugeLimit   = "10000000"
)

// Goroutine labels: every goroutine inherits the label of the one that started it, so a CPU
// profile can be split with `go tool pprof -tagfocus side=proxy`.
const (
	sideProxy  = "proxy"
	sideN8n    = "n8n"
	sideClient = "client"
)

// labelled runs f with the goroutine label side=name.
func labelled(ctx context.Context, name string, f func(context.Context)) {
	pprof.Do(ctx, pprof.Labels("side", name), f)
}

// startFake starts the fake n8n (no JWT check, no recording) in goroutines labelled side=n8n.
func startFake(ctx context.Context, chunks int, delay time.Duration, extra ...n8ntest.Option) *n8ntest.Server {
	var fake *n8ntest.Server
	opts := append([]n8ntest.Option{n8ntest.WithoutRecording(), n8ntest.WithChunks(chunks), n8ntest.WithChunkDelay(delay)}, extra...)
	labelled(ctx, sideN8n, func(context.Context) { fake = n8ntest.NewServer(opts...) })
	return fake
}

// proxySpec is what a benchmarked chatproxy differs in.
type proxySpec struct {
	engine          string // EngineSQLite or EnginePostgres
	pgAdminURL      string
	redisURL        string // "" = in-memory limiter
	fakeURL         string
	maxUpstream     int               // CHATPROXY_UPSTREAM_MAX_CONCURRENT; 0 keeps the default
	settings        map[string]string // extra settings, applied last
	childCPUProfile string            // split runs: the child writes its CPU profile here
	extraSites      []siteSpec        // sites besides the benchmark shop
}

// proxy is a running chatproxy built by internal/app and served on 127.0.0.1:0.
type proxy struct {
	url      string
	app      *app.App
	stop     context.CancelFunc
	served   chan error
	cleanups []func()
	// dbUsage reads what PostgreSQL did for this proxy so far (nil on SQLite).
	dbUsage func() dbUsage
	// redisUsage reads what the Redis server did so far (nil without -redis).
	redisUsage func() redisUsage
	// child is set when chatproxy runs in a process of its own (startChildProxy).
	child   *childStats
	dataDir string
	// dbURL is the benchmark database (PostgreSQL only).
	dbURL string
}

// startProxy builds the configuration the way the real process does (config.Load from
// variables plus a sites file) and serves it with app.Serve, labelled side=proxy.
func startProxy(ctx context.Context, spec proxySpec) (_ *proxy, err error) {
	p, vars, err := prepareProxy(ctx, spec)
	if err != nil {
		return nil, err
	}
	defer p.closeIfFailed(&err)
	c, err := loadConfig(vars)
	if err != nil {
		return nil, err
	}
	labelled(ctx, sideProxy, func(ctx context.Context) { err = p.serve(ctx, c) })
	if err != nil {
		return nil, err
	}
	return p, nil
}

// loadConfig reads chatproxy's configuration from vars, as the real process reads its
// environment, and fills in the secrets it would generate.
func loadConfig(vars map[string]string) (config.Config, error) {
	c, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		return config.Config{}, err
	}
	return c, config.EnsureSecrets(&c)
}

// prepareProxy makes a proxy's data directory, database and settings (its cleanups undo them,
// and run at once when preparing fails).
func prepareProxy(ctx context.Context, spec proxySpec) (*proxy, map[string]string, error) {
	p := &proxy{served: make(chan error, 1)}
	vars, err := p.prepare(ctx, spec)
	if err != nil {
		p.close()
		return nil, nil, err
	}
	return p, vars, nil
}

// closeIfFailed closes p when the start that made it ends with an error.
func (p *proxy) closeIfFailed(err *error) {
	if *err != nil {
		p.close()
	}
}

func (p *proxy) prepare(ctx context.Context, spec proxySpec) (map[string]string, error) {
	dir, err := os.MkdirTemp("", "chatbench-*")
	if err != nil {
		return nil, err
	}
	p.cleanups = append(p.cleanups, func() { _ = os.RemoveAll(dir) })
	vars, err := proxyVars(dir, spec)
	if err != nil {
		return nil, err
	}
	if spec.redisURL != "" {
		rdb, err := pingRedis(ctx, spec.redisURL)
		if err != nil {
			return nil, err
		}
		p.cleanups = append(p.cleanups, func() { _ = rdb.Close() })
		p.redisUsage = func() redisUsage { return redisUsageOf(ctx, rdb) }
	}
	if spec.engine == EnginePostgres {
		dbURL, name, drop, err := createDatabase(ctx, spec.pgAdminURL)
		if err != nil {
			return nil, err
		}
		p.cleanups = append(p.cleanups, drop)
		vars["DATABASE_URL"], p.dbURL = dbURL, dbURL
		p.dbUsage = func() dbUsage { return dbUsageOf(ctx, spec.pgAdminURL, name) }
	}
	return vars, nil
}

// serve wires the app and starts serving; goroutines started here inherit the proxy label.
func (p *proxy) serve(ctx context.Context, c config.Config) error {
	a, err := app.New(ctx, c, app.NewLogger(c, os.Stderr))
	if err != nil {
		return err
	}
	p.app = a
	p.cleanups = append(p.cleanups, a.Close)
	l, err := a.Listen()
	if err != nil {
		return err
	}
	serveCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	p.stop = stop
	p.url = "http://" + l.Public.Addr().String()
	go func() { p.served <- a.Serve(serveCtx, l) }()
	return nil
}

// close shuts the proxy down gracefully, then removes its database and files.
func (p *proxy) close() {
	if p.stop != nil {
		p.stop()
		select {
		case <-p.served:
		case <-time.After(45 * time.Second):
			fmt.Fprintln(os.Stderr, "chatbench: the proxy did not stop within 45s")
		}
	}
	for i := len(p.cleanups) - 1; i >= 0; i-- {
		p.cleanups[i]()
	}
	p.cleanups = nil
}

// proxyVars are the process settings: fresh secrets, encryption on, metrics off, logs at error.
func proxyVars(dir string, spec proxySpec) (map[string]string, error) {
	sitesPath := filepath.Join(dir, "sites.yaml")
	if err := os.WriteFile(sitesPath, []byte(sitesYAML(spec.fakeURL+webhookPath, spec.extraSites...)), 0o600); err != nil {
		return nil, err
	}
	vars := map[string]string{
		"CHATPROXY_DATA_DIR":        dir,
		"CHATPROXY_ADDR":            "127.0.0.1:0",
		"CHATPROXY_METRICS_ADDR":    "off",
		"CHATPROXY_ADMIN_ADDR":      "off",
		"LOG_LEVEL":                 "error",
		"JWT_SECRET_KEY":            randomHex(32),
		"SESSION_SECRET_KEY":        randomHex(32),
		"CHATPROXY_ENCRYPTION_KEYS": "bench:" + base64.StdEncoding.EncodeToString(randomBytes(32)),
		"CHATPROXY_SITES_FILE":      sitesPath,
	}
	if spec.redisURL != "" {
		vars["REDIS_URL"] = spec.redisURL
		// A fresh prefix instead of a flush: the Redis is used as it is, shared or not.
		vars["CHATPROXY_REDIS_PREFIX"] = "chatbench:" + randomHex(6) + ":"
	}
	if spec.maxUpstream > 0 {
		vars["CHATPROXY_UPSTREAM_MAX_CONCURRENT"] = strconv.Itoa(spec.maxUpstream)
	}
	for k, v := range spec.settings {
		vars[k] = v
	}
	return vars, nil
}

func sitesYAML(webhookURL string, extra ...siteSpec) string {
	yaml := "sites:\n" + siteYAML(siteSpec{id: siteID, webhookURL: webhookURL})
	for _, s := range extra {
		yaml += siteYAML(s)
	}
	return yaml
}

// siteSpec is one more benchmark site: same origin and limits, its own webhook.
type siteSpec struct{ id, webhookURL string }

func siteYAML(s siteSpec) string {
	return `  - id: ` + s.id + `
    name: Benchmark shop
    allowed_origins: ["` + shopOrigin + `"]
    n8n_webhook_url: "` + s.webhookURL + `"
    abuse: {min_first_message_delay_ms: -1}
    analytics: {events_per_minute: -1}
    limits: {session_per_minute: ` + hugeLimit + `, ip_per_minute: ` + hugeLimit + `, site_per_minute: ` + hugeLimit +
		`, sessions_per_ip_per_hour: ` + hugeLimit + `, concurrent_streams_per_ip: ` + hugeLimit + `}
`
}

// createDatabase creates chatbench_<random> next to the admin URL's database; drop removes it.
func createDatabase(ctx context.Context, adminURL string) (dbURL, name string, drop func(), err error) {
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", "", nil, errors.New("-pg-url must be a postgres:// URL")
	}
	name = "chatbench_" + randomHex(8)
	if err := adminExec(ctx, adminURL, "CREATE DATABASE "+name); err != nil {
		return "", "", nil, fmt.Errorf("PostgreSQL at -pg-url: %w", err)
	}
	drop = func() {
		if err := adminExec(context.WithoutCancel(ctx), adminURL, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "chatbench: drop database %s: %v\n", name, err)
		}
	}
	u.Path = "/" + name
	return u.String(), name, drop, nil
}

func adminExec(ctx context.Context, adminURL, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := adminConnect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx) }()
	_, err = conn.Exec(ctx, sql)
	return err
}

// adminConnect opens one plain connection. pool_* parameters of the URL (meant for chatproxy's
// pool, e.g. pool_max_conns=32) are dropped: a single connection would send them to the server.
func adminConnect(ctx context.Context, adminURL string) (*pgx.Conn, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return pgx.Connect(ctx, u.String())
}

// pingRedis fails early: chatproxy would otherwise fall back to in-memory limits quietly (its
// warning is below LOG_LEVEL=error) and the run would measure the wrong limiter.
// It returns the client, kept to read the server's statistics.
func pingRedis(ctx context.Context, redisURL string) (*redis.Client, error) {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("redis URL: %w", err)
	}
	rdb := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("redis at %s: %w", redisURL, err)
	}
	return rdb, nil
}

// raiseFileLimit lifts RLIMIT_NOFILE to at least n (the hard limit too when allowed, e.g. as
// root). It returns the soft limit in force afterwards.
func raiseFileLimit(n uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= n {
		return lim.Cur, nil
	}
	want := syscall.Rlimit{Cur: n, Max: max(lim.Max, n)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err == nil {
		return n, nil
	}
	lim.Cur = lim.Max // not allowed to raise the hard limit: take what there is
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	return lim.Cur, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }
