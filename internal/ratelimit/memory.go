package ratelimit

import (
	"context"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

const (
	memoryShards = 32 // spreads lock contention across keys
	sweepEvery   = time.Minute
)

// Memory is the single-node Limiter: token buckets from golang.org/x/time/rate, concurrency
// slots and daily counters, all in this process. State that carries no information any more
// (full buckets, expired slots, past days) is swept by a janitor goroutine, so memory stays
// bounded by the number of recently active keys. Close stops the janitor.
type Memory struct {
	seed   maphash.Seed
	shards [memoryShards]memoryShard
	slotID atomic.Uint64
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

type memoryShard struct {
	mu      sync.Mutex
	buckets map[bucketKey]*bucket
	slots   map[string]*slotSet
	days    map[string]*dayCount
	fails   map[string]*failState // back-off counters (backoff.go)
}

// bucketKey avoids building a "rule:key" string on every call.
type bucketKey struct{ rule, key string }

type bucket struct {
	lim    *rate.Limiter
	fullAt time.Time // from then on the bucket equals a fresh one and can be dropped
}

type slotSet struct{ held []slot }

type slot struct {
	id      uint64
	expires time.Time
}

type dayCount struct {
	day   int64
	total int64
}

var _ Limiter = (*Memory)(nil)

// NewMemory returns an empty in-process limiter and starts its janitor.
func NewMemory() *Memory {
	m := &Memory{seed: maphash.MakeSeed(), stop: make(chan struct{}), done: make(chan struct{})}
	for i := range m.shards {
		m.shards[i].buckets = make(map[bucketKey]*bucket)
		m.shards[i].slots = make(map[string]*slotSet)
		m.shards[i].days = make(map[string]*dayCount)
		m.shards[i].fails = make(map[string]*failState)
	}
	go m.janitor()
	return m
}

// Allow spends one token of rule's bucket for key.
func (m *Memory) Allow(_ context.Context, key string, rule Rule) (Decision, error) {
	if err := rule.Validate(); err != nil {
		return Decision{}, err
	}
	now := time.Now()
	perSec := rule.perSecond()
	sh := m.shard(rule.Name, key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b := sh.bucket(bucketKey{rule.Name, key}, rule, perSec, now)
	allowed := b.lim.AllowN(now, 1)
	d := tokenDecision(allowed, b.lim.TokensAt(now), rule.Burst, perSec)
	b.fullAt = now.Add(d.ResetAfter)
	return d, nil
}

// bucket finds or creates k's bucket and keeps it in line with rule if the rule changed.
func (sh *memoryShard) bucket(k bucketKey, rule Rule, perSec float64, now time.Time) *bucket {
	b := sh.buckets[k]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(perSec), rule.Burst)}
		sh.buckets[k] = b
		return b
	}
	if b.lim.Limit() != rate.Limit(perSec) {
		b.lim.SetLimitAt(now, rate.Limit(perSec))
	}
	if b.lim.Burst() != rule.Burst {
		b.lim.SetBurstAt(now, rule.Burst)
	}
	return b
}

// tokenDecision fills a Decision the way GCRA (redis_rate) does, from the tokens left after
// the attempt: both backends then report the same numbers.
func tokenDecision(allowed bool, tokens float64, burst int, perSec float64) Decision {
	d := Decision{Allowed: allowed, Limit: burst, ResetAfter: tokensToDuration(float64(burst)-tokens, perSec)}
	if allowed {
		d.Remaining = int(math.Floor(tokens))
	} else {
		d.RetryAfter = tokensToDuration(1-tokens, perSec)
	}
	return d
}

// tokensToDuration rounds up so a caller waiting that long always finds the tokens there.
func tokensToDuration(tokens, perSec float64) time.Duration {
	if tokens <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(tokens / perSec * float64(time.Second)))
}

// Acquire takes one of max slots for key. A slot not released within ttl frees itself, as it
// does in Redis, so both backends behave alike.
func (m *Memory) Acquire(_ context.Context, key string, max int, ttl time.Duration) (func(), bool, error) {
	if err := validateAcquire(max, ttl); err != nil {
		return nil, false, err
	}
	now := time.Now()
	sh := m.shard("", key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	set := sh.slots[key]
	if set == nil {
		set = &slotSet{}
		sh.slots[key] = set
	}
	set.dropExpired(now)
	if len(set.held) >= max {
		return nil, false, nil
	}
	id := m.slotID.Add(1)
	set.held = append(set.held, slot{id: id, expires: now.Add(ttl)})
	return func() { sh.release(key, id) }, true, nil
}

// release frees slot id; releasing twice, or after the slot expired, finds nothing to free.
func (sh *memoryShard) release(key string, id uint64) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	set := sh.slots[key]
	if set == nil {
		return
	}
	for i, s := range set.held {
		if s.id == id {
			set.held = append(set.held[:i], set.held[i+1:]...)
			break
		}
	}
	if len(set.held) == 0 {
		delete(sh.slots, key)
	}
}

func (s *slotSet) dropExpired(now time.Time) {
	kept := s.held[:0]
	for _, h := range s.held {
		if now.Before(h.expires) {
			kept = append(kept, h)
		}
	}
	s.held = kept
}

// Spend records n for key's current UTC day. The total grows even when the answer is "no":
// the caller may report work already done (e.g. characters of an answer already streamed).
// Spend(ctx, key, 0, limit) checks the budget without using it.
func (m *Memory) Spend(_ context.Context, key string, n, limit int) (Decision, error) {
	if err := validateSpend(n, limit); err != nil {
		return Decision{}, err
	}
	day, left := utcDay(time.Now())
	sh := m.shard("", key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	c := sh.days[key]
	if c == nil {
		c = &dayCount{day: day}
		sh.days[key] = c
	}
	if c.day != day {
		*c = dayCount{day: day}
	}
	c.total += int64(n)
	return spendDecision(c.total, limit, left), nil
}

// Close stops the janitor. The limiter keeps answering afterwards, only without sweeping.
func (m *Memory) Close() error {
	m.once.Do(func() {
		close(m.stop)
		<-m.done
	})
	return nil
}

func (m *Memory) shard(rule, key string) *memoryShard {
	return &m.shards[m.shardIndex(rule, key)]
}

func (m *Memory) shardIndex(rule, key string) int {
	var h maphash.Hash
	h.SetSeed(m.seed)
	h.WriteString(rule)
	h.WriteString(key)
	return int(h.Sum64() % memoryShards)
}

func (m *Memory) janitor() {
	defer close(m.done)
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case now := <-t.C:
			m.sweep(now)
		}
	}
}

// sweep drops state that no longer changes any decision: a full bucket behaves like a new one,
// an expired slot is free, a past day's count no longer counts, and failures past their
// window are forgotten.
func (m *Memory) sweep(now time.Time) {
	today, _ := utcDay(now)
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		for k, b := range sh.buckets {
			if !now.Before(b.fullAt) {
				delete(sh.buckets, k)
			}
		}
		for k, s := range sh.slots {
			if s.dropExpired(now); len(s.held) == 0 {
				delete(sh.slots, k)
			}
		}
		for k, c := range sh.days {
			if c.day != today {
				delete(sh.days, k)
			}
		}
		for k, f := range sh.fails {
			if !now.Before(f.expires) {
				delete(sh.fails, k)
			}
		}
		sh.mu.Unlock()
	}
}

// size reports how many entries the limiter holds (for tests of the sweep).
func (m *Memory) size() int {
	n := 0
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		n += len(sh.buckets) + len(sh.slots) + len(sh.days) + len(sh.fails)
		sh.mu.Unlock()
	}
	return n
}
