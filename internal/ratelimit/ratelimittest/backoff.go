package ratelimittest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/ratelimit"
)

// login is the shape of the console's login back-off, with a window short enough to test.
var login = ratelimit.Backoff{Name: "login", Threshold: 3, Window: time.Minute, Base: 10 * time.Second, Max: 35 * time.Second}

func fail(t *testing.T, l ratelimit.Limiter, key string, b ratelimit.Backoff) time.Duration {
	t.Helper()
	lock, err := l.Fail(context.Background(), key, b)
	if err != nil {
		t.Fatalf("Fail(%q): %v", key, err)
	}
	return lock
}

func locked(t *testing.T, l ratelimit.Limiter, key string, b ratelimit.Backoff) time.Duration {
	t.Helper()
	left, err := l.Locked(context.Background(), key, b)
	if err != nil {
		t.Fatalf("Locked(%q): %v", key, err)
	}
	return left
}

// testBackoffEscalates: no lock before the threshold, then base, doubling, capped at max.
func testBackoffEscalates(t *testing.T, l ratelimit.Limiter) {
	if left := locked(t, l, "a", login); left != 0 {
		t.Fatalf("a key never failed is locked for %v", left)
	}
	want := []time.Duration{0, 0, 10 * time.Second, 20 * time.Second, 35 * time.Second, 35 * time.Second}
	for i, w := range want {
		if got := fail(t, l, "a", login); got != w {
			t.Fatalf("failure %d: lock %v, want %v", i+1, got, w)
		}
	}
	if left := locked(t, l, "a", login); left <= 33*time.Second || left > 35*time.Second {
		t.Fatalf("Locked after the cap: %v, want just under 35s", left)
	}
}

// testBackoffWindowAndForgive: failures older than the window are forgotten; Forgive clears.
func testBackoffWindowAndForgive(t *testing.T, l ratelimit.Limiter) {
	short := ratelimit.Backoff{Name: "short", Threshold: 2, Window: 300 * time.Millisecond, Base: 200 * time.Millisecond, Max: time.Second}
	fail(t, l, "k", short)
	time.Sleep(450 * time.Millisecond)
	if lock := fail(t, l, "k", short); lock != 0 {
		t.Fatalf("a failure after the window locked for %v: the old one was not forgotten", lock)
	}
	if lock := fail(t, l, "k", short); lock != 200*time.Millisecond {
		t.Fatalf("second failure within the window: lock %v, want 200ms", lock)
	}
	if left := locked(t, l, "k", short); left <= 0 {
		t.Fatal("not locked right after the threshold")
	}
	time.Sleep(250 * time.Millisecond)
	if left := locked(t, l, "k", short); left != 0 {
		t.Fatalf("still locked (%v) after the lock ran out", left)
	}
	if err := l.Forgive(context.Background(), "k", short); err != nil {
		t.Fatal(err)
	}
	if lock := fail(t, l, "k", short); lock != 0 {
		t.Fatalf("a failure after Forgive locked for %v: the count was kept", lock)
	}
	if _, err := l.Fail(context.Background(), "k", ratelimit.Backoff{Name: "bad", Threshold: 0, Window: time.Second, Base: time.Second, Max: time.Second}); !errors.Is(err, ratelimit.ErrInvalid) {
		t.Fatalf("Fail with threshold 0: err %v, want ErrInvalid", err)
	}
}

// testBackoffIndependent: keys and back-off names do not share counters.
func testBackoffIndependent(t *testing.T, l ratelimit.Limiter) {
	for range login.Threshold {
		fail(t, l, "x", login)
	}
	other := login
	other.Name = "other"
	if left := locked(t, l, "y", login); left != 0 {
		t.Fatalf("key y locked by key x's failures: %v", left)
	}
	if left := locked(t, l, "x", other); left != 0 {
		t.Fatalf("backoff %q locked by %q's failures: %v", other.Name, login.Name, left)
	}
	if left := locked(t, l, "x", login); left == 0 {
		t.Fatal("key x is not locked after the threshold")
	}
}
