package guard

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/metrics"
	"github.com/chatproxy/chatproxy/internal/ratelimit"
	"github.com/chatproxy/chatproxy/internal/ratelimit/ratelimittest"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/redis/go-redis/v9"
)

// slowRedis delays every command, like a Redis across a network, and records how many were in
// flight at once.
type slowRedis struct {
	delay       time.Duration
	mu          sync.Mutex
	inFlight    int
	maxInFlight int
}

func (h *slowRedis) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *slowRedis) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.mu.Lock()
		h.inFlight++
		h.maxInFlight = max(h.maxInFlight, h.inFlight)
		h.mu.Unlock()
		time.Sleep(h.delay)
		defer func() {
			h.mu.Lock()
			h.inFlight--
			h.mu.Unlock()
		}()
		return next(ctx, cmd)
	}
}

func (h *slowRedis) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (h *slowRedis) max() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.maxInFlight
}

func testSite() *site.Site {
	return &site.Site{Site: config.Site{ID: "s", Limits: config.Limits{
		SessionPerMinute: 2, IPPerMinute: 100, SitePerMinute: 100, ConcurrentStreamsPerSession: 1, ConcurrentStreamsPerIP: 10, DailyMessages: 1000,
	}, Abuse: config.Abuse{RepeatThreshold: 5, RepeatWindow: config.Dur(time.Minute)}}}
}

// TestMessageChecksAtOnceWithRedis: with Redis the checks of a message overlap (the rates in
// one script, then the budget and the slots at once, not one round trip per check), the outcome is still the first refusal, and the stream slot
// a refused message took is given back.
func TestMessageChecksAtOnceWithRedis(t *testing.T) {
	client := ratelimittest.RedisClient(t)
	hook := &slowRedis{delay: 20 * time.Millisecond}
	client.AddHook(hook)
	g := New(ratelimit.NewRedis(client, ratelimittest.UniquePrefix(t), ratelimit.WithRedisTimeout(5*time.Second)), metrics.New(), nil)
	if !g.concurrent {
		t.Fatal("a Redis limiter is not used concurrently")
	}
	ctx := context.Background()
	st := testSite()
	st.Limits.DailyMessages = 2
	st.Limits.SessionPerMinute = 100
	sess := store.Session{ID: "sess", CreatedAt: time.Now().Add(-time.Minute)}
	ip := netip.MustParseAddr("203.0.113.7")

	release, err := g.Message(ctx, st, sess, ip, "first", "", "")
	if err != nil {
		t.Fatalf("first message: %v", err)
	}
	// The rates are one script; then the daily budget and the session's and the IP's stream
	// slots go at once.
	if hook.max() < 3 {
		t.Fatalf("at most %d Redis calls in flight at once: the checks ran one by one", hook.max())
	}
	// The only stream slot of the session is held (the budget is spent alongside, as before).
	if _, err := g.Message(ctx, st, sess, ip, "second", "", ""); code(err) != "too_many_streams" {
		t.Fatalf("second message while the first streams: %v", err)
	}
	release()
	// The day's 2 messages are spent: refused, and the slot taken alongside is given back.
	if _, err := g.Message(ctx, st, sess, ip, "third", "", ""); code(err) != "daily_budget_exhausted" {
		t.Fatalf("third message: %v", err)
	}
	again, err := g.Stream(ctx, st, sess, ip)
	if err != nil {
		t.Fatalf("the refused message kept its stream slot: %v", err)
	}
	// The IP's slot is refused while the other session's slot is taken alongside: given back.
	st.Limits.ConcurrentStreamsPerIP = 1
	other := store.Session{ID: "other", CreatedAt: sess.CreatedAt}
	if _, err := g.Stream(ctx, st, other, ip); code(err) != "too_many_streams" {
		t.Fatalf("a second stream from the IP: %v", err)
	}
	again()
	last, err := g.Stream(ctx, st, other, ip)
	if err != nil {
		t.Fatalf("the refused stream kept the session's slot: %v", err)
	}
	last()
}

// TestMessageChecksOneByOneInMemory: an in-process limiter answers at once, so the checks run
// in order and a refused message spends nothing after the refusing check.
func TestMessageChecksOneByOneInMemory(t *testing.T) {
	lim := ratelimit.NewMemory()
	defer lim.Close()
	g := New(lim, metrics.New(), nil)
	if g.concurrent {
		t.Fatal("an in-process limiter is used concurrently")
	}
	ctx := context.Background()
	st := testSite()
	st.Limits.IPPerMinute = 3
	ip := netip.MustParseAddr("203.0.113.7")
	send := func(sessionID, text string) string {
		sess := store.Session{ID: sessionID, CreatedAt: time.Now().Add(-time.Minute)}
		release, err := g.Message(ctx, st, sess, ip, text, "", "")
		if release != nil {
			release()
		}
		return code(err)
	}
	// The session check (2 a minute) comes before the IP check (3 a minute): the third
	// message of one session is refused without spending the IP's third request...
	got := []string{send("a", "1"), send("a", "2"), send("a", "3"), send("b", "4"), send("b", "5")}
	// ...so another session from the same IP still gets exactly one.
	want := []string{"", "", "rate_limited", "", "rate_limited"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("messages: %q, want %q", got, want)
		}
	}
}

func code(err error) string {
	if err == nil {
		return ""
	}
	var e *apierr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return err.Error()
}

// TestSlotsOutliveTheLongestReply: slots are held until n8n is done, so they must not expire
// before the longest reply ends (nor sooner than the minimum for crashed replicas).
func TestSlotsOutliveTheLongestReply(t *testing.T) {
	g := New(ratelimit.NewMemory(), metrics.New(), nil)
	if g.slotTTL != minSlotTTL {
		t.Fatalf("default slot TTL %v", g.slotTTL)
	}
	g.HoldSlotsFor(11 * time.Minute)
	if g.slotTTL != 11*time.Minute {
		t.Fatalf("slot TTL %v after HoldSlotsFor(11m)", g.slotTTL)
	}
	g.HoldSlotsFor(time.Minute)
	if g.slotTTL != minSlotTTL {
		t.Fatalf("slot TTL %v after HoldSlotsFor(1m), want the minimum", g.slotTTL)
	}
}
