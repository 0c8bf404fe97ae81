// Package ratelimit decides whether a request may go ahead under its limits.
//
// It offers GCRA-style rate limits per key, caps on concurrent work (streams, upstream calls),
// daily budgets and failure back-off. Two backends behave the same (one conformance suite):
// in-memory for one node and Redis for many replicas; Fallback degrades from Redis to
// per-instance limits when Redis is unreachable.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Rule is a rate: Burst requests at once, refilled at Rate per Period.
type Rule struct {
	Name   string // stable label used in metrics and error details, e.g. "ip", "session", "site"
	Rate   int
	Period time.Duration
	Burst  int
}

// Decision is the outcome of one check.
type Decision struct {
	Allowed    bool
	Limit      int           // the rule's burst
	Remaining  int           // requests still allowed right now
	RetryAfter time.Duration // when not allowed: wait at least this long
	ResetAfter time.Duration // until the bucket is full again
}

// Limiter is implemented by every backend.
type Limiter interface {
	// Allow spends one request of rule for key.
	Allow(ctx context.Context, key string, rule Rule) (Decision, error)
	// AllowAll checks every bucket of checks and spends one request of each only when all of
	// them allow (all or none, atomically): a request refused by one rule costs nothing under
	// the others. The decisions are in the order of checks (Refused finds the first "no").
	// group scopes the buckets (their keys are not those of Allow) and keeps them together
	// (one Redis Cluster slot); it may not contain braces.
	AllowAll(ctx context.Context, group string, checks []Check) ([]Decision, error)
	// Acquire takes one of max concurrent slots for key. release must be called exactly once when
	// the work ends; ttl bounds how long a slot held by a crashed replica survives.
	Acquire(ctx context.Context, key string, max int, ttl time.Duration) (release func(), ok bool, err error)
	// Spend adds n to key's counter for the current UTC day and allows it while the total stays
	// within limit (a daily budget).
	Spend(ctx context.Context, key string, n, limit int) (Decision, error)
	// Fail records one failure of key under b (a failed login) and returns the lock it puts in
	// force: 0 until b.Threshold failures, then b.Base doubling with each further one, up to b.Max.
	Fail(ctx context.Context, key string, b Backoff) (lock time.Duration, err error)
	// Locked returns how long key stays locked under b (0 = not locked), changing nothing.
	Locked(ctx context.Context, key string, b Backoff) (time.Duration, error)
	// Forgive forgets key's failures under b (a successful login).
	Forgive(ctx context.Context, key string, b Backoff) error
	Close() error
}

// Remote reports whether l's calls are network round trips (Redis, alone or with its local
// fallback): a caller with several independent calls gains by making them at once.
func Remote(l Limiter) bool {
	switch l.(type) {
	case *Redis, *Fallback:
		return true
	}
	return false
}

// ErrInvalid reports a rule or argument no backend can enforce (zero rate, negative amount, ...).
// It is a programming or configuration error, so Fallback passes it through instead of degrading.
var ErrInvalid = errors.New("ratelimit: invalid limit")

// Validate reports whether every backend can enforce r. Names become part of storage keys, so
// they may not contain ':'.
func (r Rule) Validate() error {
	switch {
	case r.Rate <= 0 || r.Period <= 0 || r.Burst <= 0:
		return fmt.Errorf("%w: rule %q needs positive rate, period and burst", ErrInvalid, r.Name)
	case strings.IndexByte(r.Name, ':') >= 0:
		return fmt.Errorf("%w: rule name %q contains ':'", ErrInvalid, r.Name)
	}
	return nil
}

// perSecond is the refill rate in tokens per second.
func (r Rule) perSecond() float64 {
	return float64(r.Rate) / r.Period.Seconds()
}

func validateAcquire(max int, ttl time.Duration) error {
	if max <= 0 || ttl <= 0 {
		return fmt.Errorf("%w: acquire needs positive max and ttl", ErrInvalid)
	}
	return nil
}

func validateSpend(n, limit int) error {
	if n < 0 || limit <= 0 {
		return fmt.Errorf("%w: spend needs n >= 0 and a positive limit", ErrInvalid)
	}
	return nil
}

// utcDay returns the number of the current UTC day since the Unix epoch and the time left in it:
// daily budgets reset at UTC midnight on every replica at once.
func utcDay(now time.Time) (day int64, left time.Duration) {
	const secondsPerDay = 24 * 60 * 60
	day = now.Unix() / secondsPerDay // Unix time is positive for any real clock
	return day, time.Unix((day+1)*secondsPerDay, 0).Sub(now)
}

// spendDecision turns a day's running total into a Decision.
func spendDecision(total int64, limit int, left time.Duration) Decision {
	d := Decision{Allowed: total <= int64(limit), Limit: limit, ResetAfter: left}
	if d.Allowed {
		d.Remaining = int(int64(limit) - total)
	} else {
		d.RetryAfter = left
	}
	return d
}
