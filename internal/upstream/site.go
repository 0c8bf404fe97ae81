package upstream

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
)

var (
	errBusy           = errors.New("too many concurrent calls for this site")
	errCallerCanceled = errors.New("the caller ended the call")
)

// siteGuard holds the per-site protections: a circuit breaker and a concurrency cap.
type siteGuard struct {
	breaker *gobreaker.TwoStepCircuitBreaker[struct{}]
	slots   chan struct{}
}

// siteGuards creates guards lazily, one per site id, and keeps them for the client's lifetime
// (the number of sites is bounded by configuration).
type siteGuards struct {
	opts  Options
	mu    sync.Mutex
	sites map[string]*siteGuard
}

func (g *siteGuards) get(siteID string) *siteGuard {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s, ok := g.sites[siteID]; ok {
		return s
	}
	s := &siteGuard{
		breaker: gobreaker.NewTwoStepCircuitBreaker[struct{}](breakerSettings(siteID, g.opts)),
		slots:   make(chan struct{}, g.opts.MaxConcurrentPerSite),
	}
	g.sites[siteID] = s
	return s
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

// countsAsFailure is true for outcomes that say n8n itself is unhealthy: unreachable, too slow,
// 5xx, or answering garbage. Agent errors, 4xx and empty answers mean n8n is up.
func countsAsFailure(err error) bool {
	e, ok := AsError(err)
	if !ok {
		return err != nil
	}
	switch e.Code {
	case CodeUnreachable, CodeTimeout, CodeBadResponse:
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
