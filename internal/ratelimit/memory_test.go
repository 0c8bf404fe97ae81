package ratelimit

import (
	"context"
	"testing"
	"time"
)

// The conformance suite runs in the external test package (ratelimit_test); these tests look
// inside Memory to check that idle state is dropped.

func TestMemorySweepDropsIdleState(t *testing.T) {
	m := NewMemory()
	defer m.Close()
	ctx := context.Background()
	rule := Rule{Name: "ip", Rate: 10, Period: time.Second, Burst: 10}
	for i := range 100 {
		key := string(rune('a'+i%26)) + string(rune('a'+i/26))
		if _, err := m.Allow(ctx, key, rule); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, err := m.Acquire(ctx, "stream", 1, time.Second); err != nil || !ok {
		t.Fatalf("Acquire: ok=%v err=%v", ok, err)
	}
	if _, err := m.Spend(ctx, "site", 1, 10); err != nil {
		t.Fatal(err)
	}
	if got := m.size(); got != 102 {
		t.Fatalf("size %d before sweep, want 102", got)
	}
	m.sweep(time.Now())
	if got := m.size(); got != 102 {
		t.Fatalf("size %d after a sweep with everything in use, want 102", got)
	}
	m.sweep(time.Now().Add(48 * time.Hour)) // buckets refilled, slot expired, day over
	if got := m.size(); got != 0 {
		t.Fatalf("size %d after sweeping idle state, want 0", got)
	}
}

func TestMemorySweepKeepsPartlyUsedBucket(t *testing.T) {
	m := NewMemory()
	defer m.Close()
	rule := Rule{Name: "ip", Rate: 1, Period: time.Hour, Burst: 3}
	for range 3 {
		if _, err := m.Allow(context.Background(), "k", rule); err != nil {
			t.Fatal(err)
		}
	}
	m.sweep(time.Now().Add(time.Minute))
	d, err := m.Allow(context.Background(), "k", rule)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed {
		t.Fatalf("empty bucket forgotten by the sweep: %+v", d)
	}
}

func TestMemoryFollowsChangedRule(t *testing.T) {
	m := NewMemory()
	defer m.Close()
	ctx := context.Background()
	small := Rule{Name: "site", Rate: 1, Period: time.Hour, Burst: 1}
	if d, _ := m.Allow(ctx, "k", small); !d.Allowed {
		t.Fatalf("first request: %+v", d)
	}
	bigger := small
	bigger.Burst = 3
	d, err := m.Allow(ctx, "k", bigger)
	if err != nil {
		t.Fatal(err)
	}
	if d.Limit != 3 {
		t.Fatalf("Limit %d after raising the burst, want 3", d.Limit)
	}
}

func TestMemoryCloseIsIdempotent(t *testing.T) {
	m := NewMemory()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if d, err := m.Allow(context.Background(), "k", Rule{Name: "x", Rate: 1, Period: time.Second, Burst: 1}); err != nil || !d.Allowed {
		t.Fatalf("after Close: %+v, %v; want still answering", d, err)
	}
}
