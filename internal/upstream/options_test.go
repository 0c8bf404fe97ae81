package upstream_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

// baseOptions are the configuration's defaults (internal/config declares them, once), so tests
// state only what they change.
func baseOptions() upstream.Options {
	u := config.Default().Upstream
	return upstream.Options{
		DialTimeout: u.Dial, TLSTimeout: u.TLSHandshake, FirstByteTimeout: u.FirstByte,
		IdleTimeout: u.Idle, TotalTimeout: u.Total, MaxResponseBytes: u.MaxBytes,
		MaxRequestBytes: u.MaxRequestBytes, MaxConcurrentPerSite: u.MaxConcurrent,
		ConcurrencyWait: u.ConcurrencyWait, BreakerFailures: u.BreakerFailures, BreakerOpenFor: u.BreakerOpenFor,
	}
}

// withBase fills the zero bounds of o from baseOptions.
func withBase(o upstream.Options) upstream.Options {
	b := baseOptions()
	fillDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	fillDur(&o.DialTimeout, b.DialTimeout)
	fillDur(&o.TLSTimeout, b.TLSTimeout)
	fillDur(&o.FirstByteTimeout, b.FirstByteTimeout)
	fillDur(&o.IdleTimeout, b.IdleTimeout)
	fillDur(&o.TotalTimeout, b.TotalTimeout)
	fillDur(&o.ConcurrencyWait, b.ConcurrencyWait)
	fillDur(&o.BreakerOpenFor, b.BreakerOpenFor)
	if o.MaxResponseBytes == 0 {
		o.MaxResponseBytes = b.MaxResponseBytes
	}
	if o.MaxRequestBytes == 0 {
		o.MaxRequestBytes = b.MaxRequestBytes
	}
	if o.MaxConcurrentPerSite == 0 {
		o.MaxConcurrentPerSite = b.MaxConcurrentPerSite
	}
	if o.BreakerFailures == 0 {
		o.BreakerFailures = b.BreakerFailures
	}
	return o
}

// TestNewClientHasNoDefaultsOfItsOwn: the client's bounds come from the configuration only. A
// zero bound is a wiring mistake, refused with the names of the missing options, instead of
// being replaced by a second set of defaults that can drift from config's (it had 30 s
// first-byte and idle timeouts while the configuration's are 60 s and 45 s).
func TestNewClientHasNoDefaultsOfItsOwn(t *testing.T) {
	_, err := upstream.NewClient(upstream.Options{})
	if err == nil {
		t.Fatal("NewClient accepted zero options: it must not invent defaults")
	}
	for _, name := range []string{"DialTimeout", "TLSTimeout", "FirstByteTimeout", "IdleTimeout", "TotalTimeout",
		"MaxResponseBytes", "MaxRequestBytes", "MaxConcurrentPerSite", "BreakerFailures", "BreakerOpenFor"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	c, err := upstream.NewClient(baseOptions())
	if err != nil {
		t.Fatalf("the configuration's defaults: %v", err)
	}
	c.Close()
}
