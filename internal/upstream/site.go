package upstream

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
)

var (
	errBusy           = errors.New("too many concurrent calls for this site")
	errCallerCanceled = errors.New("the caller ended the call")
)

// siteGuard holds the per-site protections: a circuit breaker and a concurrency cap, both
// about the n8n at host (the webhook URL's scheme://host:port).
type siteGuard struct {
	host    string
	breaker *gobreaker.TwoStepCircuitBreaker[struct{}]
	slots   chan struct{}
}

// siteGuards creates guards lazily, one per site id. A site whose webhook moved to another
// host (edited in the console) gets a fresh guard: the old breaker judged another n8n. A new
// path on the same host (a second webhook path during a key rotation) keeps it. Calls still
// running against the old host keep and release their slots on the old guard, so for the
// length of those calls the site may have up to twice its cap in flight, split over the two.
type siteGuards struct {
	opts  Options
	mu    sync.Mutex
	sites map[string]*siteGuard
}

func (g *siteGuards) get(siteID, url string) *siteGuard {
	host := urlHost(url)
	g.mu.Lock()
	defer g.mu.Unlock()
	if s, ok := g.sites[siteID]; ok && s.host == host {
		return s
	}
	s := &siteGuard{
		host:    host,
		breaker: gobreaker.NewTwoStepCircuitBreaker[struct{}](breakerSettings(siteID, g.opts)),
		slots:   make(chan struct{}, g.opts.MaxConcurrentPerSite),
	}
	g.sites[siteID] = s
	return s
}

// urlHost is the scheme://host:port prefix of an absolute URL (a substring: no allocation on
// the hot path); the whole string when it has no path.
func urlHost(u string) string {
	scheme := strings.Index(u, "://")
	if scheme < 0 {
		return u
	}
	if end := strings.IndexAny(u[scheme+3:], "/?#"); end >= 0 {
		return u[:scheme+3+end]
	}
	return u
}

func (g *siteGuards) forget(keep func(siteID string) bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for id := range g.sites {
		if !keep(id) {
			delete(g.sites, id)
		}
	}
}

func breakerSettings(siteID string, opts Options) gobreaker.Settings {
	failures := uint32(opts.BreakerFailures)
	return gobreaker.Settings{
		Name:        "upstream:" + siteID,
		MaxRequests: 1, // one probe while half-open: a sick n8n gets one request, not a burst
		Timeout:     opts.BreakerOpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= failures
		},
		IsSuccessful: func(err error) bool { return !countsAsFailure(err) },
		IsExcluded:   isExcludedFromBreaker,
	}
}

// verdict tells the breaker how one call went, once. It is given at the first byte of the
// answer's body (n8n answered: healthy, whatever happens next), or when the call ends before
// that. So what a visitor can cause after the answer started (a long answer running into the
// idle or total timeout, an oversized one) never counts, and a half-open breaker's single
// probe ends at the first byte instead of lasting as long as one visitor's answer.
// Reads and the end of the call happen on the calling goroutine: no lock is needed.
type verdict struct {
	done  func(error)
	given bool
}

func (v *verdict) give(err error) {
	if !v.given {
		v.given = true
		v.done(err)
	}
}

// countsAsFailure is true for outcomes that say n8n itself is unhealthy: unreachable (connect
// errors), 5xx, or no first byte in time (timeouts count only before the first byte: a verdict
// is given then). Agent errors, 4xx and empty answers mean n8n is up.
func countsAsFailure(err error) bool {
	e, ok := AsError(err)
	if !ok {
		return err != nil
	}
	switch e.Code {
	case CodeUnreachable, CodeTimeout:
		return true
	case CodeStatus:
		return e.Status >= 500
	}
	return false
}

// isExcludedFromBreaker drops outcomes that say nothing about n8n's health: the caller gave up,
// the call was refused locally, or the request could not be built.
func isExcludedFromBreaker(err error) bool {
	if errors.Is(err, errCallerCanceled) {
		return true
	}
	e, ok := AsError(err)
	return ok && (e.Code == CodeBusy || e.Code == CodeBadRequest || e.Code == CodeCanceled)
}

// acquire takes a concurrency slot, waiting at most wait. It reports false when none freed up.
func (s *siteGuard) acquire(ctx context.Context, wait time.Duration) bool {
	select {
	case s.slots <- struct{}{}:
		return true
	default:
	}
	if wait <= 0 {
		return false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (s *siteGuard) release() { <-s.slots }
