package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/ratelimit"
	"github.com/chatproxy/chatproxy/internal/ratelimit/ratelimittest"
)

func TestMemoryConformance(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T) ratelimit.Limiter { return ratelimit.NewMemory() })
}

// conformanceTimeout replaces the 100 ms production timeout per Redis call in the conformance
// runs: they check decisions, and 50 concurrent calls (each may dial a connection) on a busy
// 2-core CI machine running other packages' tests under -race can take longer than that, which
// would turn a healthy Redis into a fallback. Timeouts have tests of their own.
const conformanceTimeout = 5 * time.Second

func TestRedisConformance(t *testing.T) {
	client := ratelimittest.RedisClient(t)
	ratelimittest.Run(t, func(t *testing.T) ratelimit.Limiter {
		return ratelimit.NewRedis(client, ratelimittest.UniquePrefix(t), ratelimit.WithRedisTimeout(conformanceTimeout))
	})
}

// TestFallbackConformance: a Fallback with a healthy primary is indistinguishable from it.
func TestFallbackConformance(t *testing.T) {
	client := ratelimittest.RedisClient(t)
	ratelimittest.Run(t, func(t *testing.T) ratelimit.Limiter {
		primary := ratelimit.NewRedis(client, ratelimittest.UniquePrefix(t), ratelimit.WithRedisTimeout(conformanceTimeout))
		return ratelimit.NewFallback(primary, ratelimit.NewMemory(), func(op string, err error) {
			t.Errorf("healthy Redis fell back on %s: %v", op, err)
		})
	})
}

// TestBackendsAgree feeds the same sequence to both backends and compares every decision.
func TestBackendsAgree(t *testing.T) {
	client := ratelimittest.RedisClient(t)
	mem := ratelimit.NewMemory()
	defer mem.Close()
	red := ratelimit.NewRedis(client, ratelimittest.UniquePrefix(t))
	ctx := context.Background()

	ip := ratelimit.Rule{Name: "ip", Rate: 6, Period: time.Minute, Burst: 4}
	site := ratelimit.Rule{Name: "site", Rate: 100, Period: time.Hour, Burst: 7}
	keys := []string{"a", "b", "a"}
	rules := []ratelimit.Rule{ip, site}
	for i := range 12 {
		key, rule := keys[i%len(keys)], rules[i%len(rules)]
		dm, errM := mem.Allow(ctx, key, rule)
		dr, errR := red.Allow(ctx, key, rule)
		if errM != nil || errR != nil {
			t.Fatalf("step %d: errors memory=%v redis=%v", i, errM, errR)
		}
		sameDecision(t, i, dm, dr)
	}
	for i, n := range []int{30, 50, 20, 1, 0} {
		dm, errM := mem.Spend(ctx, "site", n, 100)
		dr, errR := red.Spend(ctx, "site", n, 100)
		if errM != nil || errR != nil {
			t.Fatalf("spend %d: errors memory=%v redis=%v", i, errM, errR)
		}
		sameDecision(t, 100+i, dm, dr)
	}
	for i := range 4 {
		_, okM, errM := mem.Acquire(ctx, "streams", 3, time.Minute)
		_, okR, errR := red.Acquire(ctx, "streams", 3, time.Minute)
		if errM != nil || errR != nil || okM != okR {
			t.Fatalf("acquire %d: memory ok=%v err=%v, redis ok=%v err=%v", i, okM, errM, okR, errR)
		}
	}
}

func sameDecision(t *testing.T, step int, m, r ratelimit.Decision) {
	t.Helper()
	if m.Allowed != r.Allowed || m.Limit != r.Limit || m.Remaining != r.Remaining {
		t.Fatalf("step %d: memory %+v, redis %+v", step, m, r)
	}
	const slack = 100 * time.Millisecond // the two run one after the other on different clocks
	if d := m.RetryAfter - r.RetryAfter; d < -slack || d > slack {
		t.Fatalf("step %d: RetryAfter memory %v, redis %v", step, m.RetryAfter, r.RetryAfter)
	}
	if d := m.ResetAfter - r.ResetAfter; d < -slack || d > slack {
		t.Fatalf("step %d: ResetAfter memory %v, redis %v", step, m.ResetAfter, r.ResetAfter)
	}
}

// TestBackendsAgreeAllowAll: both backends give the same decisions for the same AllowAll calls.
func TestBackendsAgreeAllowAll(t *testing.T) {
	client := ratelimittest.RedisClient(t)
	mem := ratelimit.NewMemory()
	defer mem.Close()
	red := ratelimit.NewRedis(client, ratelimittest.UniquePrefix(t))
	ctx := context.Background()
	site := ratelimit.Check{Key: "s", Rule: ratelimit.Rule{Name: "site", Rate: 100, Period: time.Hour, Burst: 7}}
	sess := ratelimit.Rule{Name: "session", Rate: 6, Period: time.Minute, Burst: 3}
	for i := range 12 {
		checks := []ratelimit.Check{site, {Key: []string{"a", "b", "a"}[i%3], Rule: sess}}
		dm, errM := mem.AllowAll(ctx, "site1", checks)
		dr, errR := red.AllowAll(ctx, "site1", checks)
		if errM != nil || errR != nil {
			t.Fatalf("step %d: errors memory=%v redis=%v", i, errM, errR)
		}
		for j := range checks {
			sameDecision(t, i*10+j, dm[j], dr[j])
		}
	}
}
