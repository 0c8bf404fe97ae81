package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Backoff is an escalating lock on repeated failures (login back-off): failures of a key are
// counted until Window passes without a new one; the Threshold-th failure locks the key for
// Base, and each further one doubles the lock, up to Max.
type Backoff struct {
	Name      string // stable label, part of storage keys (no ':')
	Threshold int
	Window    time.Duration
	Base, Max time.Duration
}

// Validate reports whether every backend can enforce b.
func (b Backoff) Validate() error {
	if b.Threshold <= 0 || b.Window <= 0 || b.Base <= 0 || b.Max < b.Base {
		return fmt.Errorf("%w: backoff %q needs a positive threshold, window and base, and max >= base", ErrInvalid, b.Name)
	}
	return Rule{Name: b.Name, Rate: 1, Period: 1, Burst: 1}.Validate()
}

// lockAfter is the lock the n-th failure puts in force.
func (b Backoff) lockAfter(n int64) time.Duration {
	if n < int64(b.Threshold) {
		return 0
	}
	lock := b.Base
	for i := int64(b.Threshold); i < n && lock < b.Max; i++ {
		lock *= 2
	}
	return min(lock, b.Max)
}

// failState is one key's failures in the memory backend.
type failState struct {
	n       int64
	until   time.Time // locked until
	expires time.Time // forgotten at
}

// Fail records a failure of key.
func (m *Memory) Fail(_ context.Context, key string, b Backoff) (time.Duration, error) {
	if err := b.Validate(); err != nil {
		return 0, err
	}
	now := time.Now()
	sh := m.shard(b.Name, key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	k := b.Name + ":" + key
	f := sh.fails[k]
	if f == nil || !now.Before(f.expires) {
		f = &failState{}
		sh.fails[k] = f
	}
	f.n++
	lock := b.lockAfter(f.n)
	if lock > 0 {
		f.until = now.Add(lock)
	}
	f.expires = now.Add(max(b.Window, lock))
	return lock, nil
}

// Locked returns the time left on key's lock.
func (m *Memory) Locked(_ context.Context, key string, b Backoff) (time.Duration, error) {
	if err := b.Validate(); err != nil {
		return 0, err
	}
	now := time.Now()
	sh := m.shard(b.Name, key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	f := sh.fails[b.Name+":"+key]
	if f == nil || !now.Before(f.until) {
		return 0, nil
	}
	return f.until.Sub(now), nil
}

// Forgive forgets key's failures.
func (m *Memory) Forgive(_ context.Context, key string, b Backoff) error {
	if err := b.Validate(); err != nil {
		return err
	}
	sh := m.shard(b.Name, key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	delete(sh.fails, b.Name+":"+key)
	return nil
}

// failScript counts a failure in a hash {n, until} and returns the lock in ms. The clock is
// Redis's own, so replicas agree whatever their clocks say. ARGV: threshold, window, base, max (ms).
var failScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local threshold, window, base, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local lock = 0
if n >= threshold then
  lock = base
  local i = threshold
  while i < n and lock < cap do
    lock = lock * 2
    i = i + 1
  end
  if lock > cap then lock = cap end
  redis.call('HSET', KEYS[1], 'until', now + lock)
end
local ttl = window
if lock > ttl then ttl = lock end
redis.call('PEXPIRE', KEYS[1], ttl)
return lock
`)

// lockedScript returns the ms left on the lock, 0 when none.
var lockedScript = redis.NewScript(`
redis.replicate_commands()
local u = redis.call('HGET', KEYS[1], 'until')
if not u then return 0 end
local t = redis.call('TIME')
local left = tonumber(u) - (t[1] * 1000 + math.floor(t[2] / 1000))
if left < 0 then return 0 end
return left
`)

func (r *Redis) failKey(key string, b Backoff) string { return r.prefix + "fail:" + b.Name + ":" + key }

// Fail records a failure of key (key layout: <prefix>fail:<name>:<key>, a hash).
func (r *Redis) Fail(ctx context.Context, key string, b Backoff) (time.Duration, error) {
	if err := b.Validate(); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	ms, err := failScript.Run(ctx, r.client, []string{r.failKey(key, b)},
		b.Threshold, b.Window.Milliseconds(), b.Base.Milliseconds(), b.Max.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("ratelimit: redis fail: %w", err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Locked returns the time left on key's lock.
func (r *Redis) Locked(ctx context.Context, key string, b Backoff) (time.Duration, error) {
	if err := b.Validate(); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	ms, err := lockedScript.Run(ctx, r.client, []string{r.failKey(key, b)}).Int64()
	if err != nil {
		return 0, fmt.Errorf("ratelimit: redis locked: %w", err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Forgive forgets key's failures.
func (r *Redis) Forgive(ctx context.Context, key string, b Backoff) error {
	if err := b.Validate(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := r.client.Del(ctx, r.failKey(key, b)).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis forgive: %w", err)
	}
	return nil
}

// Fail asks the primary, or counts locally (a failure counted locally is not copied to the
// primary when it comes back; the threshold is not divided per replica: back-off is about one
// attacker, not the cluster's capacity).
func (f *Fallback) Fail(ctx context.Context, key string, b Backoff) (time.Duration, error) {
	if f.usePrimary() {
		lock, err := f.primary.Fail(ctx, key, b)
		if !f.failed(ctx, "fail", err) {
			return lock, err
		}
	}
	f.locals.Add(1)
	return f.local.Fail(ctx, key, b)
}

// Locked asks the primary, or the local counters.
func (f *Fallback) Locked(ctx context.Context, key string, b Backoff) (time.Duration, error) {
	if f.usePrimary() {
		lock, err := f.primary.Locked(ctx, key, b)
		if !f.failed(ctx, "locked", err) {
			return lock, err
		}
	}
	f.locals.Add(1)
	return f.local.Locked(ctx, key, b)
}

// Forgive clears the key in both places (the local counters may hold failures from an outage).
func (f *Fallback) Forgive(ctx context.Context, key string, b Backoff) error {
	localErr := f.local.Forgive(ctx, key, b)
	if f.usePrimary() {
		err := f.primary.Forgive(ctx, key, b)
		if !f.failed(ctx, "forgive", err) {
			return err
		}
	}
	return localErr
}
