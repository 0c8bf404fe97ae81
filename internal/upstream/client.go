package upstream

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/propagation"
)

// maxRetries bounds replays of requests that certainly never left this host.
const maxRetries = 2

// Options configures a Client. It has no defaults of its own: every bound is required and
// comes from the configuration (internal/config declares the defaults, once), so the client
// cannot drift from what the operator was told.
type Options struct {
	DialTimeout      time.Duration // TCP connect, per attempt
	TLSTimeout       time.Duration // TLS handshake
	FirstByteTimeout time.Duration // from the start of the call to the first body byte
	IdleTimeout      time.Duration // longest gap between two reads of the body
	TotalTimeout     time.Duration // the whole call, retries included
	MaxResponseBytes int64         // larger answers fail with CodeBadResponse
	MaxRequestBytes  int           // body cap; the oldest history is dropped to fit

	// AllowPrivateUntrusted lets untrusted targets reach private and loopback addresses
	// (development only). https is still required.
	AllowPrivateUntrusted bool
	// H2C makes trusted http:// targets use HTTP/2 without TLS (prior knowledge), for n8n behind
	// a reverse proxy that speaks it: every call is a stream on a few shared connections instead
	// of a connection (two goroutines, buffers, a file descriptor) of its own. Trusted https
	// targets then must speak HTTP/2 too (no HTTP/1.1 fallback); untrusted ones are unaffected.
	H2C bool

	MaxConcurrentPerSite int           // calls in flight per site
	ConcurrencyWait      time.Duration // wait for a free slot before CodeBusy; 0 = do not wait

	BreakerFailures int           // consecutive failures that open a site's breaker
	BreakerOpenFor  time.Duration // how long it stays open before one probe

	// RootCAs overrides the system roots for upstream TLS (private CA, tests).
	RootCAs *x509.CertPool
	// Resolver, when set, resolves the host names of untrusted targets before the guarded dial
	// (tests make a name change its answer between save and dial). nil = the system resolver.
	Resolver Resolver
	// Transport, when set, replaces the network transport for every target (tests). The dial-time
	// SSRF guard does not apply to it; the https rule still does.
	Transport http.RoundTripper
	// WrapTransport, when set, wraps the pooled transport used for trusted targets, e.g. to answer
	// the in-process demo agent's host and pass everything else to next. Untrusted targets keep
	// the guarded transport.
	WrapTransport func(next http.RoundTripper) http.RoundTripper
	// Now is the clock for token and body timestamps (time.Now).
	Now func() time.Time
}

// check names every required bound that is not positive.
func (o Options) check() error {
	var missing []string
	for _, b := range []struct {
		name string
		ok   bool
	}{
		{"DialTimeout", o.DialTimeout > 0}, {"TLSTimeout", o.TLSTimeout > 0},
		{"FirstByteTimeout", o.FirstByteTimeout > 0}, {"IdleTimeout", o.IdleTimeout > 0},
		{"TotalTimeout", o.TotalTimeout > 0}, {"MaxResponseBytes", o.MaxResponseBytes > 0},
		{"MaxRequestBytes", o.MaxRequestBytes > 0}, {"MaxConcurrentPerSite", o.MaxConcurrentPerSite > 0},
		{"ConcurrencyWait", o.ConcurrencyWait >= 0}, {"BreakerFailures", o.BreakerFailures > 0},
		{"BreakerOpenFor", o.BreakerOpenFor > 0},
	} {
		if !b.ok {
			missing = append(missing, b.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("upstream: options must be positive (pass the configuration's values): %s", strings.Join(missing, ", "))
	}
	return nil
}

// Client calls n8n webhooks. One Client serves every site; it is safe for concurrent use.
type Client struct {
	opts       Options
	trusted    *http.Client
	untrusted  *http.Client
	transports []*http.Transport
	sites      *siteGuards
	readers    sync.Pool
}

// NewClient builds a Client with pooled transports: one for trusted targets and one, guarded
// against private addresses, for untrusted ones. It fails when a bound of opts is missing.
func NewClient(opts Options) (*Client, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Client{
		opts:  opts,
		sites: &siteGuards{opts: opts, sites: make(map[string]*siteGuard)},
		readers: sync.Pool{New: func() any {
			// 1 KiB: n8n's lines are a few hundred bytes and the transport buffers the socket
			// already; longer lines are joined by lineReader. Every running reply holds one.
			return bufio.NewReaderSize(nil, 1<<10)
		}},
	}
	if opts.Transport != nil {
		c.trusted = newHTTPClient(opts.Transport)
		c.untrusted = c.trusted
		return c, nil
	}
	trusted := newTransport(opts, false, opts.H2C)
	untrusted := newTransport(opts, true, false)
	c.transports = []*http.Transport{trusted, untrusted}
	var trustedRT http.RoundTripper = trusted
	if opts.WrapTransport != nil {
		trustedRT = opts.WrapTransport(trusted)
	}
	c.trusted, c.untrusted = newHTTPClient(trustedRT), newHTTPClient(untrusted)
	return c, nil
}

// ForgetSites drops the breaker and concurrency state of every site keep rejects (sites
// deleted or disabled in the console). Calls in flight finish on the state they hold.
func (c *Client) ForgetSites(keep func(siteID string) bool) { c.sites.forget(keep) }

// Close releases idle upstream connections.
func (c *Client) Close() {
	for _, t := range c.transports {
		t.CloseIdleConnections()
	}
}

// Call sends one visitor message to the site's webhook and passes the normalised answer to emit,
// in order, on the calling goroutine. It returns nil or an *Error.
func (c *Client) Call(ctx context.Context, t Target, req Request, emit func(Chunk)) error {
	if emit == nil {
		emit = func(Chunk) {}
	}
	guard := c.sites.get(t.SiteID, t.URL)
	done, err := guard.breaker.Allow()
	if err != nil {
		return NewError(CodeCircuitOpen, false, err)
	}
	v := &verdict{done: done}
	if e := c.callGuarded(ctx, guard, v, t, req, emit); e != nil {
		v.give(e)
		return e
	}
	v.give(nil)
	return nil
}

func (c *Client) callGuarded(ctx context.Context, guard *siteGuard, v *verdict, t Target, req Request, emit func(Chunk)) *Error {
	if !guard.acquire(ctx, c.opts.ConcurrencyWait) {
		if ctx.Err() != nil {
			return NewError(CodeCanceled, false, fmt.Errorf("%w: %w", errCallerCanceled, context.Cause(ctx)))
		}
		return NewError(CodeBusy, false, errBusy)
	}
	defer guard.release()
	hc, e := c.route(t)
	if e != nil {
		return e
	}
	body, token, e := c.encode(t.Signer, t, req)
	if e != nil {
		return e
	}
	e = c.exchange(ctx, hc, v, t.URL, body, token, emit)
	if e == nil || e.Code != CodeUnauthorized || t.Previous == nil || !c.opts.Now().Before(t.PreviousUntil) {
		return e
	}
	// n8n refused the token before running its workflow: its credential may still hold the
	// key rotated out, which stays valid for the overlap.
	if body, token, e = c.encode(t.Previous, t, req); e != nil {
		return e
	}
	return c.exchange(ctx, hc, v, t.URL, body, token, emit)
}

// route checks the target URL and picks the transport for it.
func (c *Client) route(t Target) (*http.Client, *Error) {
	u, err := parseTargetURL(t.URL)
	if err != nil {
		return nil, NewError(CodeUnreachable, false, err)
	}
	if t.Trusted {
		return c.trusted, nil
	}
	if u.Scheme != "https" {
		return nil, NewError(CodeUnreachable, false, errUntrustedHTTP)
	}
	return c.untrusted, nil
}

func (c *Client) encode(signer *Signer, t Target, req Request) (body []byte, token string, e *Error) {
	now := c.opts.Now()
	if signer != nil {
		var err error
		if token, _, err = signer.Sign(req, now); err != nil {
			return nil, "", NewError(CodeBadRequest, false, fmt.Errorf("%w: %w", errSignToken, err))
		}
	}
	body, err := BuildBody(t.Format, req, token, now, c.opts.MaxRequestBytes)
	if err != nil {
		return nil, "", NewError(CodeBadRequest, false, fmt.Errorf("%w: %w", errBuildBody, err))
	}
	return body, token, nil
}

// exchange runs one request under the call's timers and parses the answer.
func (c *Client) exchange(ctx context.Context, hc *http.Client, v *verdict, rawURL string, body []byte, token string, emit func(Chunk)) *Error {
	ctx, cancelTotal := context.WithTimeoutCause(ctx, c.opts.TotalTimeout, errTotalTimeout)
	defer cancelTotal()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := newCallTimer(c.opts.FirstByteTimeout, c.opts.IdleTimeout, cancel)
	defer timer.stop()

	resp, sent, err := c.send(ctx, hc, rawURL, body, token)
	if err != nil {
		return classifySend(ctx, err, sent)
	}
	defer func() { _ = resp.Body.Close() }()
	if e := statusError(resp); e != nil {
		return e
	}
	timer.body, timer.verdict = resp.Body, v
	br := c.readers.Get().(*bufio.Reader)
	br.Reset(&cappedReader{r: timer, remaining: c.opts.MaxResponseBytes})
	defer func() { br.Reset(nil); c.readers.Put(br) }()
	textSeen, err := parseBody(br, resp.Header.Get("Content-Type"), int(c.opts.MaxResponseBytes), emit)
	if err != nil {
		return classifyRead(ctx, err, textSeen)
	}
	return nil
}

// send POSTs the body, retrying only failures that happened before any byte could be written.
// sent reports whether the request may have reached the server.
func (c *Client) send(ctx context.Context, hc *http.Client, rawURL string, body []byte, token string) (*http.Response, bool, error) {
	for attempt := 0; ; attempt++ {
		var trace sendTrace
		req, err := http.NewRequestWithContext(trace.attach(ctx), http.MethodPost, rawURL, bytes.NewReader(body))
		if err != nil {
			return nil, false, stripURL(err)
		}
		setHeaders(req.Header, token)
		// W3C traceparent (and tracestate) of the n8n call's span, so n8n's execution can be
		// linked to the visitor's request; nothing is written when ctx holds no span.
		propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
		resp, err := hc.Do(req)
		if err == nil {
			return resp, true, nil
		}
		err = stripURL(err)
		sent := trace.sent.Load() || !isPreSendError(err)
		if sent || attempt >= maxRetries || !isRetryable(err) || ctx.Err() != nil {
			return nil, sent, err
		}
		backoff := time.NewTimer(50*time.Millisecond + rand.N(200*time.Millisecond))
		select {
		case <-backoff.C:
		case <-ctx.Done():
			backoff.Stop()
			return nil, false, err
		}
	}
}

func setHeaders(h http.Header, token string) {
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/x-ndjson, application/json, text/event-stream, text/plain")
	h.Set("User-Agent", "chatproxy")
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
}

// statusError maps a non-2xx status to an error, reading only a little of the body so the
// connection can be reused; the body itself never reaches the error.
func statusError(resp *http.Response) *Error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	code := CodeStatus
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		code = CodeUnauthorized
	case http.StatusTooManyRequests:
		code = CodeRateLimited
	}
	e := NewError(code, true, httpStatusError(resp.StatusCode))
	e.Status = resp.StatusCode
	if code == CodeRateLimited {
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
	}
	return e
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}
