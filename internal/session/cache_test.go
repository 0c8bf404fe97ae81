package session

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/auth"
	"github.com/chatproxy/chatproxy/internal/store"
)

func TestVerifiedTokenCache(t *testing.T) {
	now := time.Now()
	c := newCache(5*time.Second, 3)
	claims := auth.Claims{SessionID: "s1", SiteID: "site", Kind: auth.KindBearer, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	c.putVerified("tok-1", auth.KindBearer, claims, now)

	if got, ok := c.verifiedClaims("tok-1", auth.KindBearer, now.Add(time.Second)); !ok || got != claims {
		t.Fatalf("cached claims = %+v, %v; want %+v", got, ok, claims)
	}
	if _, ok := c.verifiedClaims("tok-1", auth.KindCookie, now); ok {
		t.Error("a bearer token verified once was accepted as a cookie token")
	}
	if _, ok := c.verifiedClaims("tok-1x", auth.KindBearer, now); ok {
		t.Error("another token's bytes found the cached claims")
	}
	if _, ok := c.verifiedClaims("tok-1", auth.KindBearer, now.Add(5*time.Second)); ok {
		t.Error("claims served after the cache TTL")
	}

	short := claims
	short.ExpiresAt = now.Add(2 * time.Second)
	c.putVerified("tok-2", auth.KindBearer, short, now)
	if _, ok := c.verifiedClaims("tok-2", auth.KindBearer, now.Add(2*time.Second)); ok {
		t.Error("a cached token outlived its own expiry")
	}

	for _, tok := range []string{"a", "b", "c", "d"} {
		c.putVerified(tok, auth.KindBearer, claims, now)
	}
	if n := len(c.tokens); n > 3 {
		t.Errorf("token cache holds %d entries; bound is 3", n)
	}
}

// Two first messages of one session racing: exactly one may skip the history query. Fresh
// and then MarkUsed took the lock twice, so both could see the session fresh.
func TestClaimFreshOnceUnderConcurrency(t *testing.T) {
	s := &Service{cache: newCache(time.Minute, 1000)}
	const sessions, racers = 200, 8
	for i := range sessions {
		id := "s" + strconv.Itoa(i)
		s.cache.put(store.Session{ID: id}, true)
		start := make(chan struct{})
		var claimed atomic.Int32
		var wg sync.WaitGroup
		for range racers {
			wg.Go(func() {
				<-start
				if s.ClaimFresh(id) {
					claimed.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if n := claimed.Load(); n != 1 {
			t.Fatalf("session %s: %d of %d concurrent first messages skipped the history; want exactly 1", id, n, racers)
		}
		if s.ClaimFresh(id) {
			t.Fatalf("session %s: a later message skipped the history", id)
		}
	}
	s.cache.put(store.Session{ID: "old"}, false)
	if s.ClaimFresh("old") || s.ClaimFresh("unknown") {
		t.Error("a session not created here, or with a message already, was claimed fresh")
	}
}
