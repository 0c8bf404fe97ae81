package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// DefaultRedisTimeout bounds each Redis call: a limiter that waits longer than this costs more
// than it protects, and Fallback answers locally instead.
const DefaultRedisTimeout = 100 * time.Millisecond

// Redis is the Limiter shared by all replicas. Rates use GCRA from redis_rate (one Lua script,
// clock from Redis TIME, so replicas' clocks do not matter); slots are a sorted set of holder
// tokens scored by expiry; budgets are one counter per key and UTC day.
//
// Every call touches one Cluster slot (AllowAll's keys share a hash tag), so the layout works
// on Redis Cluster. Keys:
//
//	rate:<prefix>gcra:<rule>:<key>    GCRA state (redis_rate adds "rate:")
//	<prefix>gcra:{<group>}:<rule>:<key>  GCRA state of AllowAll (same format, one script)
//	<prefix>slots:<key>               sorted set of slot holders
//	<prefix>spend:<key>:<day>         daily total, expires at the end of the UTC day
//
// The per-call timeout only bounds socket I/O when the client was built with
// ContextTimeoutEnabled: true; otherwise go-redis falls back to its Read/WriteTimeout.
type Redis struct {
	client  redis.UniversalClient
	gcra    *redis_rate.Limiter
	prefix  string
	timeout time.Duration
	holder  string // unique per Redis value, so slot tokens of replicas never collide
	slotSeq atomic.Uint64
}

// RedisOption adjusts a Redis limiter.
type RedisOption func(*Redis)

// WithRedisTimeout sets the per-call timeout (default DefaultRedisTimeout).
func WithRedisTimeout(d time.Duration) RedisOption {
	return func(r *Redis) {
		if d > 0 {
			r.timeout = d
		}
	}
}

var _ Limiter = (*Redis)(nil)

// NewRedis returns a limiter storing its state under prefix in client. The caller keeps
// ownership of client: Close does not close it.
func NewRedis(client redis.UniversalClient, prefix string, opts ...RedisOption) *Redis {
	r := &Redis{
		client:  client,
		gcra:    redis_rate.NewLimiter(client),
		prefix:  prefix,
		timeout: DefaultRedisTimeout,
		holder:  randomHolder(),
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

func randomHolder() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// Allow spends one request of rule for key with GCRA.
func (r *Redis) Allow(ctx context.Context, key string, rule Rule) (Decision, error) {
	if err := rule.Validate(); err != nil {
		return Decision{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	limit := redis_rate.Limit{Rate: rule.Rate, Period: rule.Period, Burst: rule.Burst}
	res, err := r.gcra.Allow(ctx, r.prefix+"gcra:"+rule.Name+":"+key, limit)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis allow: %w", err)
	}
	d := Decision{
		Allowed:    res.Allowed > 0,
		Limit:      rule.Burst,
		Remaining:  res.Remaining,
		ResetAfter: max(res.ResetAfter, 0),
	}
	if !d.Allowed {
		d.RetryAfter = max(res.RetryAfter, 0)
	}
	return d, nil
}

// acquireScript drops expired holders, then adds ARGV[3] if fewer than ARGV[1] remain. The
// key lives as long as its newest holder, so a crashed replica's slots vanish on their own.
var acquireScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
`)

// Acquire takes one of max slots for key; the slot frees itself after ttl if never released.
func (r *Redis) Acquire(ctx context.Context, key string, max int, ttl time.Duration) (func(), bool, error) {
	if err := validateAcquire(max, ttl); err != nil {
		return nil, false, err
	}
	slotKey := r.prefix + "slots:" + key
	token := r.holder + ":" + strconv.FormatUint(r.slotSeq.Add(1), 36)
	callCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	got, err := acquireScript.Run(callCtx, r.client, []string{slotKey}, max, ttl.Milliseconds(), token).Int()
	if err != nil {
		return nil, false, fmt.Errorf("ratelimit: redis acquire: %w", err)
	}
	if got != 1 {
		return nil, false, nil
	}
	var released atomic.Bool
	release := func() {
		if released.Swap(true) {
			return
		}
		// The request's ctx may be over by now; the slot must be freed anyway. If Redis
		// is unreachable, the ttl frees it.
		relCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
		defer cancel()
		r.client.ZRem(relCtx, slotKey, token)
	}
	return release, true, nil
}

// Spend adds n to key's total for the current UTC day in one MULTI: INCRBY then PEXPIREAT at
// the day's end. The total grows even when the answer is "no" (see Memory.Spend).
func (r *Redis) Spend(ctx context.Context, key string, n, limit int) (Decision, error) {
	if err := validateSpend(n, limit); err != nil {
		return Decision{}, err
	}
	now := time.Now()
	day, left := utcDay(now)
	dayKey := r.prefix + "spend:" + key + ":" + strconv.FormatInt(day, 10)
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var total *redis.IntCmd
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		total = p.IncrBy(ctx, dayKey, int64(n))
		p.PExpireAt(ctx, dayKey, now.Add(left))
		return nil
	})
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis spend: %w", err)
	}
	return spendDecision(total.Val(), limit, left), nil
}

// Close releases nothing: the Redis client belongs to the caller.
func (r *Redis) Close() error { return nil }
