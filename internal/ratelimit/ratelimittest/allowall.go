package ratelimittest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/ratelimit"
)

func allowAll(t *testing.T, l ratelimit.Limiter, checks ...ratelimit.Check) []ratelimit.Decision {
	t.Helper()
	ds, err := l.AllowAll(context.Background(), "g", checks)
	if err != nil {
		t.Fatalf("AllowAll: %v", err)
	}
	if len(ds) != len(checks) {
		t.Fatalf("AllowAll: %d decisions for %d checks", len(ds), len(checks))
	}
	return ds
}

// testAllowAllAllOrNone: a call refused by one bucket spends none of the others (a flood
// refused by its sender's limit must not use up a shared one).
func testAllowAllAllOrNone(t *testing.T, l ratelimit.Limiter) {
	shared := ratelimit.Check{Key: "site", Rule: ratelimit.Rule{Name: "shared", Rate: 1, Period: time.Hour, Burst: 3}}
	own := ratelimit.Check{Key: "sender", Rule: ratelimit.Rule{Name: "own", Rate: 1, Period: time.Hour, Burst: 1}}
	ds := allowAll(t, l, shared, own)
	if ratelimit.Refused(ds) != -1 || ds[0].Remaining != 2 || ds[1].Remaining != 0 || ds[0].Limit != 3 {
		t.Fatalf("first call: %+v, want both allowed with 2 and 0 left", ds)
	}
	for i := range 5 {
		ds = allowAll(t, l, shared, own)
		if ratelimit.Refused(ds) != 1 || !ds[0].Allowed || ds[1].Allowed || ds[1].RetryAfter <= 0 {
			t.Fatalf("call %d: %+v, want refused by the second check only", i+2, ds)
		}
	}
	// The shared bucket still has the two requests the refused calls did not take.
	other := ratelimit.Check{Key: "other-sender", Rule: own.Rule}
	if ds := allowAll(t, l, shared, other); ratelimit.Refused(ds) != -1 || ds[0].Remaining != 1 {
		t.Fatalf("another sender after the refused calls: %+v, want allowed with 1 left", ds)
	}
	third := ratelimit.Check{Key: "third-sender", Rule: own.Rule}
	allowAll(t, l, shared, third)
	ds = allowAll(t, l, shared, ratelimit.Check{Key: "fourth", Rule: own.Rule})
	if ratelimit.Refused(ds) != 0 || !ds[1].Allowed {
		t.Fatalf("shared bucket empty: %+v, want refused by the first check", ds)
	}
	// ... and the fourth sender's own bucket was not spent by that refusal.
	if ds := allowAll(t, l, ratelimit.Check{Key: "fourth", Rule: own.Rule}); !ds[0].Allowed {
		t.Fatalf("the fourth sender's bucket was spent by a refused call: %+v", ds)
	}
}

// testAllowAllConcurrent: concurrent calls never overspend either bucket.
func testAllowAllConcurrent(t *testing.T, l ratelimit.Limiter) {
	narrow := ratelimit.Check{Key: "n", Rule: ratelimit.Rule{Name: "narrow", Rate: 1, Period: time.Hour, Burst: 5}}
	wide := ratelimit.Check{Key: "w", Rule: ratelimit.Rule{Name: "wide", Rate: 1, Period: time.Hour, Burst: 8}}
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			ds, err := l.AllowAll(context.Background(), "g", []ratelimit.Check{wide, narrow})
			if err != nil {
				t.Error(err)
				return
			}
			if ratelimit.Refused(ds) == -1 {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 5 {
		t.Fatalf("%d of 30 concurrent calls allowed, want 5", allowed.Load())
	}
	// The wide bucket was spent exactly 5 times: 3 are left.
	for i := range 4 {
		ds := allowAll(t, l, wide)
		if ds[0].Allowed != (i < 3) {
			t.Fatalf("wide bucket request %d: %+v (want 3 left after 5 spent)", i+1, ds[0])
		}
	}
}

func testAllowAllInvalid(t *testing.T, l ratelimit.Limiter) {
	ctx := context.Background()
	good := ratelimit.Check{Key: "k", Rule: slow}
	for name, call := range map[string]func() error{
		"no checks": func() error { _, err := l.AllowAll(ctx, "g", nil); return err },
		"bad rule": func() error {
			_, err := l.AllowAll(ctx, "g", []ratelimit.Check{good, {Key: "k", Rule: ratelimit.Rule{Name: "x"}}})
			return err
		},
		"brace group": func() error { _, err := l.AllowAll(ctx, "g}", []ratelimit.Check{good}); return err },
	} {
		if err := call(); !errors.Is(err, ratelimit.ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", name, err)
		}
	}
}
