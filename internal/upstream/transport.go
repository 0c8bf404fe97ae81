package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"
)

// newTransport builds one pooled transport. The untrusted one refuses non-public addresses at
// dial time (unless AllowPrivateUntrusted) and ignores proxy settings (a proxy would make the
// guard check the proxy, not the target); it resolves names with opts.Resolver when set.
func newTransport(opts Options, untrusted, h2c bool) *http.Transport {
	guarded := untrusted && !opts.AllowPrivateUntrusted
	dialer := &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}
	proxy := http.ProxyFromEnvironment
	if guarded {
		dialer.Control = guardControl
		proxy = nil
	}
	dial := dialer.DialContext
	if untrusted && opts.Resolver != nil {
		dial = resolvingDial(dialer, opts.Resolver)
	}
	t := &http.Transport{
		Proxy:                 proxy,
		DialContext:           dial,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: opts.RootCAs},
		TLSHandshakeTimeout:   opts.TLSTimeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256, // 1,000+ calls/s to one n8n host must not churn connections
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: opts.FirstByteTimeout + time.Second, // backstop; the per-call timer rules
		ExpectContinueTimeout: 0,
	}
	if h2c {
		// Without HTTP1 in the set, http:// URLs use unencrypted HTTP/2 and https:// ones HTTP/2.
		t.Protocols = new(http.Protocols)
		t.Protocols.SetHTTP2(true)
		t.Protocols.SetUnencryptedHTTP2(true)
	}
	return t
}

// resolvingDial looks the host up with r and dials its addresses in turn; the dialer's guard
// still judges each address just before connect(2).
func resolvingDial(d *net.Dialer, r Resolver) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		ips, err := resolveHost(ctx, r, host)
		if err != nil {
			return nil, err
		}
		var firstErr error
		for _, ip := range ips {
			conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
			if err == nil {
				return conn, nil
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		return nil, firstErr
	}
}

// newHTTPClient wraps rt so redirects are never followed: a 3xx is returned as the response and
// becomes CodeStatus (a redirect could lead the POST, and the token, anywhere).
func newHTTPClient(rt http.RoundTripper) *http.Client {
	return &http.Client{
		Transport: rt,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// sendTrace records whether the request may have reached the server. Once a connection is in
// hand, bytes may be written at any moment, so from then on the call is never replayed.
type sendTrace struct {
	sent atomic.Bool
}

func (st *sendTrace) attach(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn:      func(httptrace.GotConnInfo) { st.sent.Store(true) },
		WroteHeaders: func() { st.sent.Store(true) },
	})
}

// stripURL removes the *url.Error wrapper, whose message contains the full webhook URL.
func stripURL(err error) error {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}

// isPreSendError reports errors that certainly happened before any request byte was written:
// DNS, dial (including the SSRF guard) and TLS handshake failures.
func isPreSendError(err error) bool {
	if isDialError(err) {
		return true
	}
	var recErr tls.RecordHeaderError
	var alertErr tls.AlertError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	return errors.As(err, &recErr) || errors.As(err, &alertErr) || errors.As(err, &certErr) ||
		errors.As(err, &unknownAuth) || errors.As(err, &hostErr)
}

// isDialError reports DNS and connect failures.
func isDialError(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// isRetryable reports failures worth another attempt: the connection was never made, and the cause
// may be transient. The SSRF guard and DNS "no such host" are deterministic, so they are not.
func isRetryable(err error) bool {
	if errors.Is(err, ErrBlockedAddress) || !isDialError(err) {
		return false
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return false
	}
	return true
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
