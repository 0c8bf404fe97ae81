package ratelimit

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// DefaultCooldown is how long Fallback leaves the primary alone after it failed.
const DefaultCooldown = time.Second

// Fallback asks the primary (Redis) and, when it fails, decides with the local limiter
// instead: limits stay in force but are counted per replica, so with N replicas a client may
// get up to N times the configured rate unless WithReplicas scales the local limits down.
// Neither "allow everything" nor "refuse everyone" is a safe answer to a dead Redis.
//
// After a failure the primary is skipped for a cool-down, so a dead or slow Redis does not add
// its timeout to every request; then one request probes it while the others stay local.
type Fallback struct {
	primary    Limiter
	local      Limiter
	onFallback func(op string, err error)
	cooldown   time.Duration
	replicas   int
	// retryAt is 0 while the primary is healthy, else the UnixNano time from which one caller
	// may probe it again.
	retryAt atomic.Int64
	locals  atomic.Uint64
}

// FallbackOption adjusts a Fallback.
type FallbackOption func(*Fallback)

// WithCooldown sets how long the primary is skipped after a failure (default DefaultCooldown).
func WithCooldown(d time.Duration) FallbackOption {
	return func(f *Fallback) {
		if d > 0 {
			f.cooldown = d
		}
	}
}

// WithReplicas divides limits by the number of replicas while deciding locally, so the
// cluster as a whole stays near the configured limits (rounded up, never below 1).
func WithReplicas(n int) FallbackOption {
	return func(f *Fallback) {
		if n > 0 {
			f.replicas = n
		}
	}
}

var _ Limiter = (*Fallback)(nil)

// NewFallback combines primary and local. onFallback, if not nil, is called each time the
// primary was asked and failed (so at most about once per cool-down while it stays down, plus
// calls already in flight); the caller logs it and counts it. LocalDecisions counts every
// answer given locally.
func NewFallback(primary, local Limiter, onFallback func(op string, err error), opts ...FallbackOption) *Fallback {
	f := &Fallback{primary: primary, local: local, onFallback: onFallback, cooldown: DefaultCooldown, replicas: 1}
	for _, o := range opts {
		o(f)
	}
	return f
}

// LocalDecisions returns how many answers came from the local limiter so far.
func (f *Fallback) LocalDecisions() uint64 { return f.locals.Load() }

// Allow asks the primary, or the local limiter with the rule scaled to this replica.
func (f *Fallback) Allow(ctx context.Context, key string, rule Rule) (Decision, error) {
	if f.usePrimary() {
		d, err := f.primary.Allow(ctx, key, rule)
		if !f.failed(ctx, "allow", err) {
			return d, err
		}
	}
	f.locals.Add(1)
	return f.local.Allow(ctx, key, f.perReplicaRule(rule))
}

// Acquire asks the primary, or the local limiter with max scaled to this replica.
func (f *Fallback) Acquire(ctx context.Context, key string, max int, ttl time.Duration) (func(), bool, error) {
	if f.usePrimary() {
		release, ok, err := f.primary.Acquire(ctx, key, max, ttl)
		if !f.failed(ctx, "acquire", err) {
			return release, ok, err
		}
	}
	f.locals.Add(1)
	return f.local.Acquire(ctx, key, f.perReplica(max), ttl)
}

// Spend asks the primary, or the local limiter with the budget scaled to this replica. Usage
// recorded locally is not copied to the primary when it comes back.
func (f *Fallback) Spend(ctx context.Context, key string, n, limit int) (Decision, error) {
	if f.usePrimary() {
		d, err := f.primary.Spend(ctx, key, n, limit)
		if !f.failed(ctx, "spend", err) {
			return d, err
		}
	}
	f.locals.Add(1)
	return f.local.Spend(ctx, key, n, f.perReplica(limit))
}

// Close closes both limiters.
func (f *Fallback) Close() error {
	return errors.Join(f.primary.Close(), f.local.Close())
}

// usePrimary reports whether this call should go to the primary: always while it is healthy;
// after a failure only once the cool-down passed, and then only for the one caller that wins
// the right to probe (it pushes the next probe a cool-down further).
func (f *Fallback) usePrimary() bool {
	at := f.retryAt.Load()
	if at == 0 {
		return true
	}
	now := time.Now().UnixNano()
	return now >= at && f.retryAt.CompareAndSwap(at, now+int64(f.cooldown))
}

// failed records the outcome of a primary call and reports whether to decide locally.
// Invalid arguments and the caller's own cancellation say nothing about the primary's health.
func (f *Fallback) failed(ctx context.Context, op string, err error) bool {
	if err == nil {
		if f.retryAt.Load() != 0 {
			f.retryAt.Store(0)
		}
		return false
	}
	if errors.Is(err, ErrInvalid) || ctx.Err() != nil {
		return false
	}
	f.retryAt.Store(time.Now().Add(f.cooldown).UnixNano())
	if f.onFallback != nil {
		f.onFallback(op, err)
	}
	return true
}

// perReplica scales a limit down to this replica's share, rounding up so it never reaches 0.
func (f *Fallback) perReplica(n int) int {
	if f.replicas <= 1 || n <= 0 {
		return n
	}
	return (n + f.replicas - 1) / f.replicas
}

// perReplicaRule keeps the burst's share and stretches the period, which divides the rate
// without rounding an integer Rate down to 0.
func (f *Fallback) perReplicaRule(r Rule) Rule {
	if f.replicas <= 1 {
		return r
	}
	r.Burst = f.perReplica(r.Burst)
	r.Period *= time.Duration(f.replicas)
	return r
}
