package session

import (
	"sync"
	"time"

	"github.com/chatproxy/chatproxy/internal/auth"
	"github.com/chatproxy/chatproxy/internal/store"
)

// Sessions are read on every request; the token is already verified, the row only adds expiry
// and revocation. Keeping rows for a few seconds saves a database round trip per message; the
// cost is that a deleted or expired session is noticed up to cacheTTL late.
const (
	cacheTTL = 5 * time.Second
	cacheMax = 100_000
)

type cached struct {
	s     store.Session
	until time.Time
	fresh bool // created here, no message yet
}

// cache is a small TTL map of sessions, and of tokens already verified (a visitor sends the
// same token with every message; checking its signature and claims again is wasted work). Both
// maps are bounded by cacheMax (each is cleared when full). A token is found only by its exact
// bytes and kind, and never outlives its own expiry.
type cache struct {
	mu     sync.Mutex
	ttl    time.Duration
	max    int
	m      map[string]*cached
	tokens map[string]verified
}

type verified struct {
	claims auth.Claims
	until  time.Time
}

func newCache(ttl time.Duration, max int) *cache {
	return &cache{ttl: ttl, max: max, m: make(map[string]*cached), tokens: make(map[string]verified)}
}

func tokenKey(token, kind string) string { return kind + " " + token }

// verifiedClaims returns the claims of a token verified less than ttl ago.
func (c *cache) verifiedClaims(token, kind string, now time.Time) (auth.Claims, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.tokens[tokenKey(token, kind)]
	if !ok || !now.Before(v.until) {
		return auth.Claims{}, false
	}
	return v.claims, true
}

func (c *cache) putVerified(token, kind string, claims auth.Claims, now time.Time) {
	until := now.Add(c.ttl)
	if claims.ExpiresAt.Before(until) {
		until = claims.ExpiresAt
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.tokens) >= c.max {
		c.tokens = make(map[string]verified)
	}
	c.tokens[tokenKey(token, kind)] = verified{claims: claims, until: until}
}

func (c *cache) put(s store.Session, fresh bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		c.m = make(map[string]*cached)
	}
	c.m[s.ID] = &cached{s: s, until: time.Now().Add(c.ttl), fresh: fresh}
}

func (c *cache) get(id string, now time.Time) (store.Session, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || now.After(e.until) {
		return store.Session{}, false
	}
	return e.s, true
}

func (c *cache) touch(id string, lastSeen time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[id]; ok {
		e.s.LastSeen = lastSeen
	}
}

// claimFresh reports whether the session was fresh and marks it used, in one locked step.
func (c *cache) claimFresh(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || !e.fresh || !time.Now().Before(e.until) {
		return false
	}
	e.fresh = false
	return true
}

// forget drops a session (erased): this replica refuses its tokens at once.
func (c *cache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}
