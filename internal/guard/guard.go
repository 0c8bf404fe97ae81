// Package guard decides whether a session or message may go ahead.
//
// It decides before anything is stored or sent to n8n: rate limits per client IP (IPv6 by /64),
// per session and per site, caps on concurrent streams, new sessions per IP, a daily message
// budget per site, and cheap abuse rules (honeypot, minimum delay after session creation,
// repeated text, blocklist). Every refusal has its own error code, metric label and analytics
// event.
package guard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/clientip"
	"github.com/chatproxy/chatproxy/internal/metrics"
	"github.com/chatproxy/chatproxy/internal/ratelimit"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/store"
)

// minSlotTTL bounds how long a concurrency slot of a crashed replica survives.
const minSlotTTL = 5 * time.Minute

// Guard implements httpapi.Guard.
type Guard struct {
	lim      ratelimit.Limiter
	metrics  *metrics.Metrics
	refusals Refusals
	slotTTL  time.Duration
	now      func() time.Time
	// concurrent: the limiter's calls are round trips (Redis), so a message's independent
	// checks are made at once: one round trip's wait instead of one per check.
	concurrent bool
}

// Refusals counts refusals for analytics (analytics.Refusals): counters per site, reason and
// minute, so a refused client cannot make the server write a row per request.
type Refusals interface {
	Refused(siteID, reason string)
}

// New builds a Guard; refusals may be nil.
func New(lim ratelimit.Limiter, m *metrics.Metrics, refusals Refusals) *Guard {
	return &Guard{lim: lim, metrics: m, refusals: refusals, slotTTL: minSlotTTL, now: time.Now, concurrent: ratelimit.Remote(lim)}
}

// HoldSlotsFor makes stream slots survive at least d unreleased: a reply holds its slots until
// n8n is done, so d is the longest a reply may run (a slot that expired earlier would let a
// visitor past its caps while its reply still runs).
func (g *Guard) HoldSlotsFor(d time.Duration) { g.slotTTL = max(minSlotTTL, d) }

// refusal counts a refusal and returns err. A session whose visitor withdrew consent
// (sess.NoAnalytics) is left out of the analytics counts; the metric has no personal data.
func (g *Guard) refusal(st *site.Site, sess store.Session, reason string, err *apierr.Error) error {
	g.metrics.Refusals.WithLabelValues(reason).Inc()
	if g.refusals != nil && !sess.NoAnalytics {
		g.refusals.Refused(st.ID, reason)
	}
	return err
}

// SessionCreate limits new sessions per client IP per hour and catches the honeypot.
func (g *Guard) SessionCreate(ctx context.Context, st *site.Site, ip netip.Addr, honeypot string) error {
	if honeypot != "" {
		return g.refusal(st, store.Session{}, "honeypot", apierr.BotDetected())
	}
	n := st.Limits.SessionsPerIPPerHour
	if n <= 0 || !ip.IsValid() {
		return nil
	}
	rule := ratelimit.Rule{Name: "sessions_per_ip", Rate: n, Period: time.Hour, Burst: n}
	return g.allow(ctx, st, store.Session{}, "sess:"+st.ID+":"+clientip.Key(ip), rule)
}

// Message applies every check for one visitor message and takes its stream slots.
//
// The rates (site, session, client IP, repeated text) are checked together and spent all or
// none (one Redis script): a message refused by its sender's own limits must not spend the
// site's shared limit, or one visitor flooding would take the site offline for everyone.
func (g *Guard) Message(ctx context.Context, st *site.Site, sess store.Session, ip netip.Addr, text, clientID, honeypot string) (func(), error) {
	if err := g.abuse(st, sess, text, honeypot); err != nil {
		return nil, err
	}
	retry, err := g.isRetry(ctx, st, sess, clientID)
	if err != nil {
		return nil, err
	}
	if err := g.rates(ctx, st, sess, ip, text, retry); err != nil {
		return nil, err
	}
	// The daily budget is spent only by messages the rates let through: refused floods must
	// not use up the site's day.
	var release func()
	err = g.run(ctx,
		func(ctx context.Context) error { return g.budget(ctx, st, sess) },
		func(ctx context.Context) (err error) { release, err = g.Stream(ctx, st, sess, ip); return err })
	if err != nil {
		if release != nil {
			release()
		}
		return nil, err
	}
	return release, nil
}

// rates checks a message's rate limits in one all-or-none call. The refusal reported is the
// sender's own (session, IP, repeat) before the site's, so a visitor over its own limit is told
// so, not that the site is busy.
func (g *Guard) rates(ctx context.Context, st *site.Site, sess store.Session, ip netip.Addr, text string, retry bool) error {
	l := st.Limits
	all := []ratelimit.Check{
		{Key: "sess:" + sess.ID, Rule: perMinute("session", l.SessionPerMinute)},
		{Key: "ip:" + clientip.Key(ip), Rule: perMinute("ip", l.IPPerMinute)},
		{Key: "rep:" + sess.ID + ":" + textHash(text), Rule: repeatRule(st)},
		{Key: "site", Rule: perMinute("site", l.SitePerMinute)},
	}
	checks := all[:0]
	for _, c := range all {
		if c.Rule.Rate <= 0 || (c.Rule.Name == "ip" && !ip.IsValid()) || (c.Rule.Name == "repeat" && retry) {
			continue
		}
		checks = append(checks, c)
	}
	if len(checks) == 0 {
		return nil
	}
	ds, err := g.lim.AllowAll(ctx, "site:"+st.ID, checks)
	if err != nil {
		return err
	}
	i := ratelimit.Refused(ds)
	if i < 0 {
		return nil
	}
	return g.rateRefusal(st, sess, checks[i].Rule, ds[i])
}

// run makes the calls, at once when the limiter's calls are round trips (Redis: one round
// trip's wait instead of one per call), else one by one, stopping at the first refusal. It
// returns the first refusal in the order given. Made at once, every call spends what it takes
// even when another refuses, so only checks of the sender's own (its stream slots, given back
// on refusal) and the daily budget after the rates passed go through run.
func (g *Guard) run(ctx context.Context, calls ...func(context.Context) error) error {
	if !g.concurrent {
		for _, call := range calls {
			if err := call(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	for i, call := range calls[1:] {
		wg.Go(func() { errs[i+1] = call(ctx) })
	}
	if len(calls) > 0 {
		errs[0] = calls[0](ctx)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Stream takes one concurrent-stream slot for the session and one for the client IP (at once
// with Redis). If either is refused, a slot already taken is given back.
func (g *Guard) Stream(ctx context.Context, st *site.Site, sess store.Session, ip netip.Addr) (func(), error) {
	type slot struct {
		key string
		max int
	}
	slots := []slot{{"streams:sess:" + sess.ID, st.Limits.ConcurrentStreamsPerSession}}
	if ip.IsValid() {
		slots = append(slots, slot{"streams:ip:" + clientip.Key(ip), st.Limits.ConcurrentStreamsPerIP})
	}
	releases := make([]func(), len(slots))
	release := func() {
		for _, r := range releases {
			if r != nil {
				r()
			}
		}
	}
	takes := make([]func(context.Context) error, 0, len(slots))
	for i, s := range slots {
		if s.max <= 0 {
			continue
		}
		takes = append(takes, func(ctx context.Context) error {
			rel, ok, err := g.lim.Acquire(ctx, s.key, s.max, g.slotTTL)
			switch {
			case err != nil:
				return err
			case !ok:
				return g.refusal(st, sess, "concurrent_streams",
					apierr.TooManyStreams())
			}
			releases[i] = rel
			return nil
		})
	}
	if err := g.run(ctx, takes...); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// isRetry reports whether this client message id was seen recently: a retry of the same message
// (offline queue, reconnect) joins the first reply and must not count as a repeated text.
func (g *Guard) isRetry(ctx context.Context, st *site.Site, sess store.Session, clientID string) (bool, error) {
	if clientID == "" {
		return false, nil
	}
	rule := ratelimit.Rule{Name: "seen", Rate: 1, Period: st.Abuse.RepeatWindow.D(), Burst: 1}
	d, err := g.lim.Allow(ctx, "seen:"+sess.ID+":"+textHash(clientID), rule)
	if err != nil {
		return false, err
	}
	return !d.Allowed, nil
}

// abuse runs the local rules that need no shared state.
func (g *Guard) abuse(st *site.Site, sess store.Session, text, honeypot string) error {
	if honeypot != "" {
		return g.refusal(st, sess, "honeypot", apierr.BotDetected())
	}
	if d := time.Duration(st.Abuse.MinFirstMessageDelayMS) * time.Millisecond; d > 0 {
		if wait := sess.CreatedAt.Add(d).Sub(g.now()); wait > 0 {
			return g.refusal(st, sess, "too_fast", apierr.TooFast(wait))
		}
	}
	if st.Blocklist.Match(text) {
		return g.refusal(st, sess, "blocklist", apierr.BlockedContent())
	}
	return nil
}

func (g *Guard) allow(ctx context.Context, st *site.Site, sess store.Session, key string, rule ratelimit.Rule) error {
	d, err := g.lim.Allow(ctx, key, rule)
	if err != nil {
		return err
	}
	if d.Allowed {
		return nil
	}
	return g.rateRefusal(st, sess, rule, d)
}

// rateRefusal is the error of a rate limit that refused.
func (g *Guard) rateRefusal(st *site.Site, sess store.Session, rule ratelimit.Rule, d ratelimit.Decision) error {
	e := apierr.RateLimited(d.RetryAfter)
	if rule.Name == "repeat" {
		e = apierr.RepeatedMessage(d.RetryAfter)
	}
	e.Headers = rateLimitHeaders(rule, d)
	return g.refusal(st, sess, rule.Name, e)
}

func (g *Guard) budget(ctx context.Context, st *site.Site, sess store.Session) error {
	n := st.Limits.DailyMessages
	if n <= 0 {
		return nil
	}
	d, err := g.lim.Spend(ctx, "budget:"+st.ID, 1, n)
	if err != nil {
		return err
	}
	if d.Allowed {
		return nil
	}
	return g.refusal(st, sess, "daily_budget", apierr.DailyBudgetExhausted(d.RetryAfter))
}

func perMinute(name string, n int) ratelimit.Rule {
	return ratelimit.Rule{Name: name, Rate: n, Period: time.Minute, Burst: max(n, 1)}
}

func repeatRule(st *site.Site) ratelimit.Rule {
	return ratelimit.Rule{Name: "repeat", Rate: st.Abuse.RepeatThreshold, Period: st.Abuse.RepeatWindow.D(), Burst: st.Abuse.RepeatThreshold}
}

func textHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// rateLimitHeaders follows draft-ietf-httpapi-ratelimit-headers.
func rateLimitHeaders(rule ratelimit.Rule, d ratelimit.Decision) map[string]string {
	secs := int((d.ResetAfter + time.Second - 1) / time.Second)
	return map[string]string{
		"RateLimit-Policy": fmt.Sprintf(`"%s";q=%d;w=%d`, rule.Name, rule.Burst, int(rule.Period/time.Second)),
		"RateLimit":        `"` + rule.Name + `";r=` + strconv.Itoa(d.Remaining) + ";t=" + strconv.Itoa(secs),
	}
}
