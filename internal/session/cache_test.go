package session

import (
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/auth"
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
