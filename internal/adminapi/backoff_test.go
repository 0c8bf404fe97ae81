package adminapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/ratelimit"
	"github.com/chatproxy/chatproxy/internal/ratelimit/ratelimittest"
	"github.com/chatproxy/chatproxy/internal/store"
)

// failLogin makes one failed sign-in from ip.
func failLogin(h *harness, ip, email string) response {
	c := h.client()
	c.ip = ip
	return c.login(email, "definitely wrong!")
}

// failLoginUnchecked is failLogin without the OpenAPI check of the answer: a timing test
// measures the server, and the check's own work (allocations, GC) would blur it.
func failLoginUnchecked(h *harness, ip, email string) response {
	c := h.client()
	c.http = h.ts.Client()
	c.ip = ip
	return c.login(email, "definitely wrong!")
}

func TestBackoffPerAccount(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		h.account("a@example.com", "viewer")
		for i := range 5 { // five addresses: only the account's counter reaches 5
			if r := failLogin(h, fmt.Sprintf("203.0.113.%d", i+1), "a@example.com"); r.status != 401 {
				t.Fatalf("failure %d: %d %s", i+1, r.status, r.body)
			}
		}
		c := h.client()
		c.ip = "198.51.100.99"
		r := c.login("a@example.com", password) // even the right password waits
		retry, _ := strconv.Atoi(r.header.Get("Retry-After"))
		if r.status != http.StatusTooManyRequests || r.code() != "login_backoff" || retry < 55 || retry > 60 {
			t.Fatalf("sixth attempt: %d %s Retry-After %q, want 429 login_backoff about 60 s", r.status, r.body, r.header.Get("Retry-After"))
		}
		other := h.client()
		other.ip = "198.51.100.99"
		h.account("b@example.com", "viewer")
		if r := other.login("b@example.com", password); r.status != 200 {
			t.Fatalf("another account from the same address: %d (the lock is per account)", r.status)
		}
		if n := len(h.entries(store.AuditFilter{Action: "auth.login_failed"})); n != 5 {
			t.Fatalf("%d failed sign-ins audited, want 5 (refusals during back-off are not)", n)
		}
	})
}

func TestBackoffPerAddress(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.account("a@example.com", "viewer")
	for i := range 5 { // five unknown emails from one address
		if r := failLogin(h, "203.0.113.7", fmt.Sprintf("nobody%d@example.com", i)); r.status != 401 || r.code() != "invalid_credentials" {
			t.Fatalf("failure %d: %d %s", i+1, r.status, r.body)
		}
	}
	c := h.client()
	c.ip = "203.0.113.7"
	if r := c.login("a@example.com", password); r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("a good login from the locked address: %d", r.status)
	}
	c.ip = "203.0.113.8"
	if r := c.login("a@example.com", password); r.status != 200 {
		t.Fatalf("the same account from another address: %d (the lock is per address)", r.status)
	}
}

// TestBackoffSharedByReplicas: failures on one replica lock the account on another, through
// the Redis limiter they share (and the same database).
func TestBackoffSharedByReplicas(t *testing.T) {
	rdb := ratelimittest.RedisClient(t)
	prefix := ratelimittest.UniquePrefix(t)
	st := openStore(t, "postgres")
	one := newHarness(t, "postgres", func(o *harnessOpts) { o.st, o.limiter = st, ratelimit.NewRedis(rdb, prefix) })
	two := newHarness(t, "postgres", func(o *harnessOpts) { o.st, o.limiter = st, ratelimit.NewRedis(rdb, prefix) })
	one.account("a@example.com", "viewer")
	for i := range 5 {
		h := one
		if i%2 == 1 {
			h = two
		}
		if r := failLogin(h, fmt.Sprintf("203.0.113.%d", i+1), "a@example.com"); r.status != 401 {
			t.Fatalf("failure %d: %d", i+1, r.status)
		}
	}
	for name, h := range map[string]*harness{"one": one, "two": two} {
		c := h.client()
		c.ip = "198.51.100.1"
		if r := c.login("a@example.com", password); r.status != 429 {
			t.Fatalf("replica %s after 5 failures spread over both: %d", name, r.status)
		}
	}
}

// TestFailedLoginTimingSameForUnknownEmail measures failed sign-ins with an unknown email and
// with a wrong password: the medians must agree within 35 % (without the dummy hash the
// unknown email would answer in a fraction of the time).
func TestFailedLoginTimingSameForUnknownEmail(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.account("known@example.com", "viewer")
	const rounds = 7
	var unknown, wrong []time.Duration
	for i := range rounds { // interleaved, each from its own address so nothing locks
		start := time.Now()
		r1 := failLoginUnchecked(h, fmt.Sprintf("203.0.113.%d", i+1), fmt.Sprintf("ghost%d@example.com", i))
		unknown = append(unknown, time.Since(start))
		start = time.Now()
		r2 := failLoginUnchecked(h, fmt.Sprintf("198.51.100.%d", i+1), "known@example.com")
		wrong = append(wrong, time.Since(start))
		if r1.status != 401 || r2.status != 401 || string(r1.body) != string(r2.body) {
			t.Fatalf("the answers differ: %d %s / %d %s", r1.status, r1.body, r2.status, r2.body)
		}
		if i == 3 { // the account's counter would lock at 5: a good sign-in resets it
			c := h.client()
			c.ip = "192.0.2.1"
			c.mustLogin("known@example.com")
		}
	}
	mu, mw := median(unknown), median(wrong)
	ratio := float64(mu) / float64(mw)
	t.Logf("median failed sign-in: unknown email %v, wrong password %v (ratio %.2f)", mu, mw, ratio)
	if ratio < 0.65 || ratio > 1.35 {
		t.Fatalf("unknown email %v vs wrong password %v: ratio %.2f, want within 35 %%", mu, mw, ratio)
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
