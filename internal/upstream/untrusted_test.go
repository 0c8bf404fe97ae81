package upstream_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

// fakeResolver answers every name with the address it holds, which a test changes (DNS
// rebinding: public when the URL is saved, private when it is dialled).
type fakeResolver struct {
	mu   sync.Mutex
	addr netip.Addr
	hits int
}

func (r *fakeResolver) set(a string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addr = netip.MustParseAddr(a)
}

func (r *fakeResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hits++
	return []netip.Addr{r.addr}, nil
}

// TestSSRFNameResolvingPrivate: a name that resolves to loopback is refused at save; a name
// that resolved to a public address at save and to loopback at dial is refused at dial, before
// any byte reaches the address.
func TestSSRFNameResolvingPrivate(t *testing.T) {
	t.Parallel()
	fake := n8ntest.NewTLSServer()
	t.Cleanup(fake.Close)
	url := "https://example.com:" + fake.Port() + "/webhook/" + n8ntest.ScenarioJSONOutput + "/chat"
	res := &fakeResolver{}

	res.set("127.0.0.1")
	if err := upstream.ValidateUntrustedURLWith(t.Context(), url, false, res); !errors.Is(err, upstream.ErrBlockedAddress) {
		t.Fatalf("save with the name on 127.0.0.1: %v; want ErrBlockedAddress", err)
	}
	if err := upstream.ValidateUntrustedURLWith(t.Context(), url, true, res); err != nil {
		t.Fatalf("save with private upstreams allowed: %v", err)
	}

	res.set("93.184.215.14")
	if err := upstream.ValidateUntrustedURLWith(t.Context(), url, false, res); err != nil {
		t.Fatalf("save with the name on a public address: %v", err)
	}
	res.set("127.0.0.1") // rebinding after the save
	guarded := newClient(t, upstream.Options{RootCAs: fake.RootCAs(), Resolver: res})
	got := call(t.Context(), guarded, untrustedTarget(url), testRequest())
	if code(got.err) != upstream.CodeUnreachable || got.err.Sent || !errors.Is(got.err, upstream.ErrBlockedAddress) {
		t.Fatalf("dial after rebinding: %+v; want the dial guard to refuse it", got.err)
	}
	if fake.Count() != 0 {
		t.Fatalf("the fake saw %d requests through the guard", fake.Count())
	}

	// The same resolver with private upstreams allowed reaches the fake by that name: the hook
	// is the path a real call takes.
	open := newClient(t, upstream.Options{RootCAs: fake.RootCAs(), Resolver: res, AllowPrivateUntrusted: true})
	if got := call(t.Context(), open, untrustedTarget(url), testRequest()); got.err != nil || got.text != n8ntest.AnswerText {
		t.Fatalf("allowed: %q, %+v", got.text, got.err)
	}
}

// TestPreviousKeyDuringOverlap: n8n still holding the rotated-out key refuses the new one;
// the call is signed with the previous key and sent once more while the overlap lasts, and
// not after it.
func TestPreviousKeyDuringOverlap(t *testing.T) {
	t.Parallel()
	oldKey := []byte("the previous key of this site, 32+ bytes long")
	fake := newFake(t, n8ntest.WithHS256(oldKey))
	current, _ := upstream.NewHS256Signer("new", []byte("the current key of this site, 32+ bytes long!"), "chatproxy", 30*time.Second)
	previous, _ := upstream.NewHS256Signer("old", oldKey, "chatproxy", 30*time.Second)
	now := time.Now()
	c := newClient(t, upstream.Options{Now: func() time.Time { return now }})
	target := trustedTarget(fake.URLFor(n8ntest.ScenarioJSONOutput))
	target.Signer, target.Previous, target.PreviousUntil = current, previous, now.Add(time.Hour)

	if got := call(t.Context(), c, target, testRequest()); got.err != nil || got.text != n8ntest.AnswerText {
		t.Fatalf("during the overlap: %q, %+v", got.text, got.err)
	}
	if fake.Count() != 2 {
		t.Fatalf("fake saw %d requests, want 2 (refused, then the previous key)", fake.Count())
	}
	if last, _ := fake.Last(); last.Claims["aud"] != "n8n:shop-a" {
		t.Fatalf("retry claims: %v", last.Claims)
	}

	target.PreviousUntil = now.Add(-time.Second)
	if got := call(t.Context(), c, target, testRequest()); code(got.err) != upstream.CodeUnauthorized {
		t.Fatalf("after the overlap: %+v; want %s", got.err, upstream.CodeUnauthorized)
	}
	if fake.Count() != 3 {
		t.Fatalf("fake saw %d requests, want 3: no retry after the overlap", fake.Count())
	}
}

// TestBreakerFollowsWebhookURL: a site whose webhook moves to another host starts with a
// closed breaker (the open one judged another n8n); ForgetSites drops a removed site's state.
func TestBreakerFollowsWebhookURL(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	c := newClient(t, upstream.Options{BreakerFailures: 2, BreakerOpenFor: time.Hour})
	sick := trustedTarget(fake.URLFor(n8ntest.ScenarioStatus500))
	for range 2 {
		call(t.Context(), c, sick, testRequest())
	}
	if got := call(t.Context(), c, sick, testRequest()); code(got.err) != upstream.CodeCircuitOpen {
		t.Fatalf("breaker: %+v", got.err)
	}
	samePath := trustedTarget(fake.URLFor(n8ntest.ScenarioJSONOutput)) // same host, new path
	if got := call(t.Context(), c, samePath, testRequest()); code(got.err) != upstream.CodeCircuitOpen {
		t.Fatalf("new path on the same host: %+v; want the breaker kept", got.err)
	}
	healthy := trustedTarget("http://localhost:" + fake.Port() + "/webhook/" + n8ntest.ScenarioJSONOutput + "/chat")
	if got := call(t.Context(), c, healthy, testRequest()); got.err != nil {
		t.Fatalf("after the URL changed: %+v; want a fresh breaker", got.err)
	}

	for range 2 {
		call(t.Context(), c, sick, testRequest())
	}
	c.ForgetSites(func(id string) bool { return id != "shop-a" })
	sick.URL = fake.URLFor(n8ntest.ScenarioJSONOutput)
	if got := call(t.Context(), c, sick, testRequest()); got.err != nil {
		t.Fatalf("after ForgetSites: %+v", got.err)
	}
}
