// Package ratelimittest is the conformance suite every ratelimit.Limiter passes.
//
// It also has helpers to reach the test Redis. Running one suite on all backends is what keeps
// them interchangeable.
package ratelimittest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/ratelimit"
	"github.com/redis/go-redis/v9"
)

// DefaultRedisURL is used unless CHATPROXY_TEST_REDIS_URL is set.
const DefaultRedisURL = "redis://127.0.0.1:6379"

// RedisClient connects to the test Redis and fails the test if it is not reachable. The client
// respects context deadlines, as production clients should, and is closed when the test ends.
func RedisClient(t testing.TB) *redis.Client {
	t.Helper()
	url := os.Getenv("CHATPROXY_TEST_REDIS_URL")
	if url == "" {
		url = DefaultRedisURL
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse test Redis URL: %v", err)
	}
	opts.ContextTimeoutEnabled = true
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatalf("test Redis at %s is not reachable (set CHATPROXY_TEST_REDIS_URL): %v", opts.Addr, err)
	}
	return client
}

// UniquePrefix returns a key prefix no other test run uses, so tests can run in parallel and
// repeatedly against one Redis.
func UniquePrefix(t testing.TB) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "test:" + hex.EncodeToString(b[:]) + ":"
}

// Run checks that limiters made by newLimiter behave as the ratelimit.Limiter contract says.
// newLimiter must return a fresh limiter with empty state each time.
func Run(t *testing.T, newLimiter func(t *testing.T) ratelimit.Limiter) {
	cases := []struct {
		name string
		fn   func(*testing.T, ratelimit.Limiter)
	}{
		{"BurstThenRefused", testBurstThenRefused},
		{"Refill", testRefill},
		{"KeysAndRulesIndependent", testIndependent},
		{"ConcurrentAllow", testConcurrentAllow},
		{"AcquireCapsConcurrency", testAcquireCaps},
		{"AcquireTTLExpiry", testAcquireTTL},
		{"ConcurrentAcquire", testConcurrentAcquire},
		{"SpendDailyBudget", testSpend},
		{"BackoffEscalates", testBackoffEscalates},
		{"BackoffWindowAndForgive", testBackoffWindowAndForgive},
		{"BackoffKeysIndependent", testBackoffIndependent},
		{"InvalidArguments", testInvalid},
		{"AllowAllAllOrNone", testAllowAllAllOrNone},
		{"AllowAllConcurrent", testAllowAllConcurrent},
		{"AllowAllInvalid", testAllowAllInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			l := newLimiter(t)
			t.Cleanup(func() { _ = l.Close() })
			c.fn(t, l)
		})
	}
}

// slow refills one request per 20 s: nothing refills while a test runs.
var slow = ratelimit.Rule{Name: "slow", Rate: 3, Period: time.Minute, Burst: 5}

func allow(t *testing.T, l ratelimit.Limiter, key string, rule ratelimit.Rule) ratelimit.Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), key, rule)
	if err != nil {
		t.Fatalf("Allow(%q, %s): %v", key, rule.Name, err)
	}
	return d
}

func testBurstThenRefused(t *testing.T, l ratelimit.Limiter) {
	for i := range slow.Burst {
		d := allow(t, l, "k", slow)
		if !d.Allowed || d.Limit != slow.Burst || d.Remaining != slow.Burst-1-i || d.RetryAfter != 0 {
			t.Fatalf("request %d: got %+v, want allowed with %d remaining", i+1, d, slow.Burst-1-i)
		}
	}
	interval := slow.Period / time.Duration(slow.Rate)
	prev := interval
	for i := range 3 {
		d := allow(t, l, "k", slow)
		if d.Allowed || d.Remaining != 0 || d.Limit != slow.Burst {
			t.Fatalf("over-burst request %d: got %+v, want refused", i+1, d)
		}
		// One request refills every 20 s and only a moment has passed.
		if d.RetryAfter <= interval-2*time.Second || d.RetryAfter > prev+time.Millisecond {
			t.Fatalf("over-burst request %d: RetryAfter %v, want just under %v and not growing (prev %v)",
				i+1, d.RetryAfter, interval, prev)
		}
		full := interval * time.Duration(slow.Burst)
		if d.ResetAfter <= full-2*time.Second || d.ResetAfter > full {
			t.Fatalf("ResetAfter %v, want just under %v", d.ResetAfter, full)
		}
		prev = d.RetryAfter
	}
}

func testRefill(t *testing.T, l ratelimit.Limiter) {
	rule := ratelimit.Rule{Name: "fast", Rate: 5, Period: 100 * time.Millisecond, Burst: 5} // one per 20 ms
	for i := range rule.Burst {
		if d := allow(t, l, "k", rule); !d.Allowed {
			t.Fatalf("request %d of the burst refused: %+v", i+1, d)
		}
	}
	refused := refuseWithin(t, l, rule, 20)
	if refused.RetryAfter <= 0 || refused.RetryAfter > 20*time.Millisecond {
		t.Fatalf("RetryAfter %v, want within one 20 ms interval", refused.RetryAfter)
	}
	time.Sleep(refused.RetryAfter + 2*time.Millisecond)
	if d := allow(t, l, "k", rule); !d.Allowed {
		t.Fatalf("after waiting RetryAfter: %+v, want allowed", d)
	}
	refused = refuseWithin(t, l, rule, 20)
	time.Sleep(refused.ResetAfter + 5*time.Millisecond)
	for i := range rule.Burst {
		if d := allow(t, l, "k", rule); !d.Allowed {
			t.Fatalf("after waiting ResetAfter, request %d refused: %+v", i+1, d)
		}
	}
}

// refuseWithin calls Allow until it is refused; refill may let a few more through meanwhile.
func refuseWithin(t *testing.T, l ratelimit.Limiter, rule ratelimit.Rule, attempts int) ratelimit.Decision {
	t.Helper()
	for range attempts {
		if d := allow(t, l, "k", rule); !d.Allowed {
			return d
		}
	}
	t.Fatalf("%d requests past the burst were all allowed", attempts)
	return ratelimit.Decision{}
}

func testIndependent(t *testing.T, l ratelimit.Limiter) {
	other := slow
	other.Name = "other"
	for range slow.Burst {
		allow(t, l, "a", slow)
	}
	if d := allow(t, l, "a", slow); d.Allowed {
		t.Fatalf("key a past its burst: %+v, want refused", d)
	}
	if d := allow(t, l, "b", slow); !d.Allowed || d.Remaining != slow.Burst-1 {
		t.Fatalf("key b: %+v, want a full bucket", d)
	}
	if d := allow(t, l, "a", other); !d.Allowed || d.Remaining != other.Burst-1 {
		t.Fatalf("key a under another rule: %+v, want a full bucket", d)
	}
}

func testConcurrentAllow(t *testing.T, l ratelimit.Limiter) {
	rule := ratelimit.Rule{Name: "crowd", Rate: 1, Period: time.Hour, Burst: 10}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			d, err := l.Allow(context.Background(), "k", rule)
			if err != nil {
				errs <- err
			}
			if d.Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Allow: %v", err)
	}
	if got := allowed.Load(); got != int64(rule.Burst) {
		t.Fatalf("%d of 50 concurrent requests allowed, want exactly the burst %d", got, rule.Burst)
	}
}

func acquire(t *testing.T, l ratelimit.Limiter, key string, max int, ttl time.Duration) (func(), bool) {
	t.Helper()
	release, ok, err := l.Acquire(context.Background(), key, max, ttl)
	if err != nil {
		t.Fatalf("Acquire(%q): %v", key, err)
	}
	if ok == (release == nil) {
		t.Fatalf("Acquire(%q): ok=%v but release is nil=%v", key, ok, release == nil)
	}
	return release, ok
}

func testAcquireCaps(t *testing.T, l ratelimit.Limiter) {
	const max, ttl = 2, time.Minute
	r1, ok1 := acquire(t, l, "k", max, ttl)
	r2, ok2 := acquire(t, l, "k", max, ttl)
	if !ok1 || !ok2 {
		t.Fatalf("first two slots: ok=%v,%v, want both", ok1, ok2)
	}
	if _, ok := acquire(t, l, "k", max, ttl); ok {
		t.Fatal("third slot granted past max 2")
	}
	if _, ok := acquire(t, l, "other", max, ttl); !ok {
		t.Fatal("another key's slot refused")
	}
	r1()
	r3, ok := acquire(t, l, "k", max, ttl)
	if !ok {
		t.Fatal("slot refused after a release")
	}
	r1() // double release must not free r3's or r2's slot
	if _, ok := acquire(t, l, "k", max, ttl); ok {
		t.Fatal("a second release of the same slot freed another one")
	}
	r2()
	r3()
	for i := range max {
		if _, ok := acquire(t, l, "k", max, ttl); !ok {
			t.Fatalf("slot %d refused after releasing all", i+1)
		}
	}
}

func testAcquireTTL(t *testing.T, l ratelimit.Limiter) {
	const ttl = 250 * time.Millisecond // long enough for the second call to come first, even under -race
	stale, ok := acquire(t, l, "k", 1, ttl)
	if !ok {
		t.Fatal("first slot refused")
	}
	if _, ok := acquire(t, l, "k", 1, ttl); ok {
		t.Fatal("second slot granted past max 1")
	}
	time.Sleep(ttl + 50*time.Millisecond)
	if _, ok := acquire(t, l, "k", 1, time.Minute); !ok {
		t.Fatal("slot still taken after its holder's ttl passed")
	}
	stale() // the expired holder's late release must not free the new holder's slot
	if _, ok := acquire(t, l, "k", 1, time.Minute); ok {
		t.Fatal("a late release of an expired slot freed the current holder's slot")
	}
}

func testConcurrentAcquire(t *testing.T, l ratelimit.Limiter) {
	const max = 5
	var granted, failed atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			_, ok, err := l.Acquire(context.Background(), "k", max, time.Minute)
			if err != nil {
				failed.Add(1)
			}
			if ok {
				granted.Add(1)
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d concurrent acquires returned an error", n)
	}
	if got := granted.Load(); got != max {
		t.Fatalf("%d of 50 concurrent acquires granted, want exactly %d", got, max)
	}
}

func spend(t *testing.T, l ratelimit.Limiter, key string, n, limit int) ratelimit.Decision {
	t.Helper()
	d, err := l.Spend(context.Background(), key, n, limit)
	if err != nil {
		t.Fatalf("Spend(%q, %d): %v", key, n, err)
	}
	return d
}

func testSpend(t *testing.T, l ratelimit.Limiter) {
	now := time.Now().UTC()
	untilMidnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC).Sub(now)
	steps := []struct {
		n         int
		allowed   bool
		remaining int
	}{
		{60, true, 40},
		{40, true, 0},
		{0, true, 0}, // exactly at the limit is still within it
		{1, false, 0},
		{0, false, 0}, // the refused 1 was recorded: the budget is spent
	}
	for i, s := range steps {
		d := spend(t, l, "k", s.n, 100)
		if d.Allowed != s.allowed || d.Remaining != s.remaining || d.Limit != 100 {
			t.Fatalf("step %d (spend %d): got %+v, want allowed=%v remaining=%d", i+1, s.n, d, s.allowed, s.remaining)
		}
		if diff := d.ResetAfter - untilMidnight; diff < -2*time.Second || diff > 2*time.Second {
			t.Fatalf("ResetAfter %v, want about %v (until UTC midnight)", d.ResetAfter, untilMidnight)
		}
		if !d.Allowed && d.RetryAfter != d.ResetAfter {
			t.Fatalf("refused spend: RetryAfter %v, want the day's end %v", d.RetryAfter, d.ResetAfter)
		}
	}
	if d := spend(t, l, "other", 99, 100); !d.Allowed || d.Remaining != 1 {
		t.Fatalf("another key's budget: %+v, want allowed with 1 remaining", d)
	}
}

func testInvalid(t *testing.T, l ratelimit.Limiter) {
	ctx := context.Background()
	bad := []ratelimit.Rule{
		{Name: "zero-rate", Rate: 0, Period: time.Second, Burst: 1},
		{Name: "zero-period", Rate: 1, Burst: 1},
		{Name: "zero-burst", Rate: 1, Period: time.Second},
		{Name: "has:colon", Rate: 1, Period: time.Second, Burst: 1},
	}
	for _, r := range bad {
		if _, err := l.Allow(ctx, "k", r); !errors.Is(err, ratelimit.ErrInvalid) {
			t.Errorf("Allow with rule %q: err %v, want ErrInvalid", r.Name, err)
		}
	}
	if _, _, err := l.Acquire(ctx, "k", 0, time.Second); !errors.Is(err, ratelimit.ErrInvalid) {
		t.Errorf("Acquire with max 0: err %v, want ErrInvalid", err)
	}
	if _, _, err := l.Acquire(ctx, "k", 1, 0); !errors.Is(err, ratelimit.ErrInvalid) {
		t.Errorf("Acquire with ttl 0: err %v, want ErrInvalid", err)
	}
	if _, err := l.Spend(ctx, "k", -1, 10); !errors.Is(err, ratelimit.ErrInvalid) {
		t.Errorf("Spend of -1: err %v, want ErrInvalid", err)
	}
	if _, err := l.Spend(ctx, "k", 1, 0); !errors.Is(err, ratelimit.ErrInvalid) {
		t.Errorf("Spend with limit 0: err %v, want ErrInvalid", err)
	}
}

// SilentRedisAddr starts a TCP server that accepts connections, reads what it is sent and never
// answers, like a Redis stuck on a slow command; it returns its host:port.
func SilentRedisAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	tb.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}
