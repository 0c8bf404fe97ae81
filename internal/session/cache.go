package session

import (
	"sync"
	"time"

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

// cache is a small TTL map of sessions, bounded by cacheMax (it is cleared when full).
type cache struct {
	mu  sync.Mutex
	ttl time.Duration
	max int
	m   map[string]*cached
}

func newCache(ttl time.Duration, max int) *cache {
	return &cache{ttl: ttl, max: max, m: make(map[string]*cached)}
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

func (c *cache) fresh(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	return ok && e.fresh && time.Now().Before(e.until)
}

func (c *cache) markUsed(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[id]; ok {
		e.fresh = false
	}
}
