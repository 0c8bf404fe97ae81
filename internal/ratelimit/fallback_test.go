package ratelimit_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/ratelimit"
	"github.com/chatproxy/chatproxy/internal/ratelimit/ratelimittest"
	"github.com/redis/go-redis/v9"
)

// fallbackLog records onFallback calls.
type fallbackLog struct {
	mu   sync.Mutex
	ops  []string
	errs []error
}

func (l *fallbackLog) record(op string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops = append(l.ops, op)
	l.errs = append(l.errs, err)
}

func (l *fallbackLog) calls() ([]string, []error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ops...), append([]error(nil), l.errs...)
}

// closedPortClient is a real Redis client whose server is gone: connections are refused.
func closedPortClient(t *testing.T) *redis.Client {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	client := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { client.Close() })
	return client
}

// silentClient is a real Redis client whose server accepts connections and never answers,
// like a Redis stuck on a slow command or a network that drops packets.
func silentClient(t *testing.T) *redis.Client {
	addr := ratelimittest.SilentRedisAddr(t)
	client := redis.NewClient(&redis.Options{
		Addr: addr, ContextTimeoutEnabled: true, MaxRetries: -1,
		Protocol: 2, DisableIdentity: true, // no HELLO/CLIENT SETINFO handshake to hang on first
	})
	t.Cleanup(func() { client.Close() })
	return client
}

func TestFallbackThrottlesFloodWhenRedisIsDown(t *testing.T) {
	var log fallbackLog
	primary := ratelimit.NewRedis(closedPortClient(t), ratelimittest.UniquePrefix(t))
	f := ratelimit.NewFallback(primary, ratelimit.NewMemory(), log.record)
	defer f.Close()
	ctx := context.Background()

	rule := ratelimit.Rule{Name: "ip", Rate: 1, Period: time.Hour, Burst: 5}
	allowed := 0
	for range 100 {
		d, err := f.Allow(ctx, "203.0.113.7/32", rule)
		if err != nil {
			t.Fatalf("Allow during Redis outage returned an error: %v", err)
		}
		if d.Allowed {
			allowed++
		}
	}
	if allowed != rule.Burst {
		t.Fatalf("%d of 100 flood requests allowed during the outage, want the burst %d", allowed, rule.Burst)
	}
	ops, errs := log.calls()
	if len(ops) != 1 || ops[0] != "allow" || errs[0] == nil {
		t.Fatalf("onFallback calls %v %v, want one for allow (then cool-down)", ops, errs)
	}
	if got := f.LocalDecisions(); got != 100 {
		t.Fatalf("LocalDecisions %d, want 100", got)
	}

	release, ok, err := f.Acquire(ctx, "site", 1, time.Minute)
	if err != nil || !ok {
		t.Fatalf("Acquire during outage: ok=%v err=%v, want a local slot", ok, err)
	}
	if _, ok, _ := f.Acquire(ctx, "site", 1, time.Minute); ok {
		t.Fatal("local fallback granted a second slot past max 1")
	}
	release()
	if d, err := f.Spend(ctx, "site", 11, 10); err != nil || d.Allowed {
		t.Fatalf("Spend over budget during outage: %+v, %v; want refused without error", d, err)
	}
}

func TestFallbackTimesOutSilentRedis(t *testing.T) {
	var log fallbackLog
	primary := ratelimit.NewRedis(silentClient(t), "x:", ratelimit.WithRedisTimeout(30*time.Millisecond))
	f := ratelimit.NewFallback(primary, ratelimit.NewMemory(), log.record)
	defer f.Close()
	rule := ratelimit.Rule{Name: "ip", Rate: 1, Period: time.Hour, Burst: 2}
	for i, want := range []bool{true, true, false} {
		d, err := f.Allow(context.Background(), "k", rule)
		if err != nil || d.Allowed != want {
			t.Fatalf("request %d: %+v, %v; want allowed=%v from the local limiter", i+1, d, err, want)
		}
	}
	_, errs := log.calls()
	if len(errs) != 1 || !isTimeout(errs[0]) {
		t.Fatalf("onFallback errors %v, want one timeout", errs)
	}
}

// isTimeout accepts both ways go-redis reports a missed deadline: the context's error or a
// network timeout from the socket deadline derived from it.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// flaky is a Limiter whose primary (a real Memory) fails while down is set, standing in for a
// Redis that goes away and comes back.
type flaky struct {
	ratelimit.Limiter
	mu    sync.Mutex
	down  bool
	calls int
}

var errDown = errors.New("primary down")

func (f *flaky) Allow(ctx context.Context, key string, rule ratelimit.Rule) (ratelimit.Decision, error) {
	f.mu.Lock()
	f.calls++
	down := f.down
	f.mu.Unlock()
	if down {
		return ratelimit.Decision{}, errDown
	}
	return f.Limiter.Allow(ctx, key, rule)
}

func (f *flaky) set(down bool) (calls int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
	return f.calls
}

func TestFallbackCoolsDownThenProbes(t *testing.T) {
	primary := &flaky{Limiter: ratelimit.NewMemory(), down: true}
	var log fallbackLog
	const cooldown = 50 * time.Millisecond
	f := ratelimit.NewFallback(primary, ratelimit.NewMemory(), log.record, ratelimit.WithCooldown(cooldown))
	defer f.Close()
	rule := ratelimit.Rule{Name: "ip", Rate: 1, Period: time.Hour, Burst: 100}
	ctx := context.Background()

	for range 20 {
		if _, err := f.Allow(ctx, "k", rule); err != nil {
			t.Fatal(err)
		}
	}
	if calls := primary.set(false); calls != 1 {
		t.Fatalf("primary asked %d times during the cool-down, want once", calls)
	}
	time.Sleep(cooldown + 20*time.Millisecond)
	d, err := f.Allow(ctx, "k", rule)
	if err != nil {
		t.Fatal(err)
	}
	// The recovered primary has its own, untouched bucket.
	if d.Remaining != rule.Burst-1 {
		t.Fatalf("after the cool-down: %+v, want the primary's fresh bucket", d)
	}
	if calls := primary.set(false); calls != 2 {
		t.Fatalf("primary asked %d times, want 2 (one probe after the cool-down)", calls)
	}
	f.Allow(ctx, "k", rule)
	if calls := primary.set(false); calls != 3 {
		t.Fatalf("primary asked %d times after recovering, want every call again", calls)
	}
	if ops, _ := log.calls(); len(ops) != 1 {
		t.Fatalf("onFallback called %d times, want once", len(ops))
	}
}

func TestFallbackPassesThroughInvalidAndCanceled(t *testing.T) {
	var log fallbackLog
	primary := ratelimit.NewRedis(closedPortClient(t), "x:")
	f := ratelimit.NewFallback(primary, ratelimit.NewMemory(), log.record)
	defer f.Close()
	if _, err := f.Allow(context.Background(), "k", ratelimit.Rule{Name: "bad"}); !errors.Is(err, ratelimit.ErrInvalid) {
		t.Fatalf("invalid rule: err %v, want ErrInvalid", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Spend(ctx, "k", 1, 10); err == nil {
		t.Fatal("canceled request: no error, want the primary's error passed through")
	}
	if ops, _ := log.calls(); len(ops) != 0 {
		t.Fatalf("onFallback called for %v; neither case says Redis is down", ops)
	}
}

func TestFallbackScalesLocalLimitsPerReplica(t *testing.T) {
	primary := ratelimit.NewRedis(closedPortClient(t), "x:")
	f := ratelimit.NewFallback(primary, ratelimit.NewMemory(), nil, ratelimit.WithReplicas(3))
	defer f.Close()
	ctx := context.Background()
	rule := ratelimit.Rule{Name: "site", Rate: 1, Period: time.Hour, Burst: 10}
	allowed := 0
	for range 20 {
		if d, err := f.Allow(ctx, "k", rule); err == nil && d.Allowed {
			allowed++
		}
	}
	if allowed != 4 { // ceil(10 / 3)
		t.Fatalf("%d allowed locally with 3 replicas and burst 10, want 4", allowed)
	}
	granted := 0
	for range 5 {
		if _, ok, err := f.Acquire(ctx, "k", 5, time.Minute); err == nil && ok {
			granted++
		}
	}
	if granted != 2 { // ceil(5 / 3)
		t.Fatalf("%d slots granted locally with 3 replicas and max 5, want 2", granted)
	}
}
