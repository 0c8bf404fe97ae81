package redisbuf_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/stream"
	"github.com/chatproxy/chatproxy/internal/stream/buffertest"
	"github.com/chatproxy/chatproxy/internal/stream/redisbuf"
	"github.com/redis/go-redis/v9"

	"github.com/chatproxy/chatproxy/internal/ratelimit/ratelimittest"
)

// testRedis connects a new client to the test Redis and fails the test if it is not reachable.
func testRedis(t testing.TB) *redis.Client { return ratelimittest.RedisClient(t) }

// uniquePrefix returns a key prefix of this test alone and deletes its keys when the test ends.
func uniquePrefix(t testing.TB, client *redis.Client) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "test:rb:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			client.Unlink(ctx, iter.Val())
		}
	})
	return prefix
}

// slack is the per-call timeout of tests about behaviour, not outages: test machines run many
// suites at once, and a 200 ms call budget there fails for reasons that are not ours.
const slack = 5 * time.Second

// suiteOptions keep the size bound small enough for the conformance suite to reach it.
var suiteOptions = redisbuf.Options{MaxLen: 1000, Timeout: slack}

func TestRedisConformance(t *testing.T) {
	client := testRedis(t)
	buffertest.Run(t, func(t *testing.T) stream.Buffer {
		return redisbuf.New(client, uniquePrefix(t, client), suiteOptions)
	})
}

// TestCrossReplica: the writer runs on replica A; a visitor whose connection dropped resumes on
// replica B (its own Redis client) and gets exactly the rest, live events included.
func TestCrossReplica(t *testing.T) {
	ctx := context.Background()
	clientA, clientB := testRedis(t), testRedis(t)
	prefix := uniquePrefix(t, clientA)
	a := redisbuf.New(clientA, prefix, redisbuf.Options{Timeout: slack})
	b := redisbuf.New(clientB, prefix, redisbuf.Options{Timeout: slack})
	defer a.Close()
	defer b.Close()

	epoch, err := a.Start(ctx, "reply", "user-msg", "sess")
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, a, "reply", 1, 10)
	if id, ok, err := b.Lookup(ctx, "user-msg"); err != nil || !ok || id != "reply" {
		t.Fatalf("B Lookup = %q %v %v", id, ok, err)
	}
	if again, err := b.Start(ctx, "reply", "user-msg", "sess"); err != nil || again != epoch {
		t.Fatalf("B sees epoch %q (%v), A made %q", again, err, epoch)
	}
	if _, err := b.Subscribe(ctx, "reply", "sess", stream.Position{Epoch: "elsewhere", Offset: 4}); !errors.Is(err, stream.ErrGone) {
		t.Fatalf("position of another epoch on B: %v", err)
	}
	sub, err := b.Subscribe(ctx, "reply", "sess", stream.Position{Epoch: epoch, Offset: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	got := make(chan []stream.Event, 1)
	go func() {
		var events []stream.Event
		for {
			e, frame, done, err := sub.Next(ctx)
			if err != nil || done {
				if err != nil {
					t.Errorf("B Next: %v", err)
				}
				got <- events
				return
			}
			if string(frame) != string(e.Frame(epoch)) {
				t.Errorf("frame on B: %q", frame)
			}
			events = append(events, e)
		}
	}()
	appendN(t, a, "reply", 11, 20)
	if err := a.Finish(ctx, "reply"); err != nil {
		t.Fatal(err)
	}
	events := <-got
	if len(events) != 16 {
		t.Fatalf("B got %d events after offset 4, want 16", len(events))
	}
	for i, e := range events {
		if e.Offset != uint64(i+5) || e.Content != contentOf(i+5) {
			t.Fatalf("B event %d: offset %d %q", i, e.Offset, e.Content)
		}
	}
}

func contentOf(i int) string { return "part " + string(rune('a'+i%26)) }

func appendN(t *testing.T, b *redisbuf.Buffer, replyID string, first, last int) {
	t.Helper()
	for i := first; i <= last; i++ {
		e, err := b.Append(context.Background(), replyID, stream.Event{Type: stream.TypeItem, Content: contentOf(i)})
		if err != nil || e.Offset != uint64(i) {
			t.Fatalf("Append %d: offset %d, %v", i, e.Offset, err)
		}
	}
}

// TestKeysExpire: every key has a TTL, MaxAge while the reply runs and FinishedTTL after.
func TestKeysExpire(t *testing.T) {
	ctx := context.Background()
	client := testRedis(t)
	prefix := uniquePrefix(t, client)
	b := redisbuf.New(client, prefix, redisbuf.Options{MaxAge: time.Hour, FinishedTTL: time.Minute, Timeout: slack})
	defer b.Close()
	if _, err := b.Start(ctx, "r", "u", "s"); err != nil {
		t.Fatal(err)
	}
	appendN(t, b, "r", 1, 2)
	keys := []string{prefix + "{r}:m", prefix + "{r}:s", prefix + "a:u"}
	checkTTLs(t, client, keys, time.Minute, time.Hour)
	if err := b.Finish(ctx, "r"); err != nil {
		t.Fatal(err)
	}
	checkTTLs(t, client, keys, 0, time.Minute)
}

func checkTTLs(t *testing.T, client *redis.Client, keys []string, above, atMost time.Duration) {
	t.Helper()
	for _, k := range keys {
		ttl, err := client.PTTL(context.Background(), k).Result()
		if err != nil || ttl <= above || ttl > atMost {
			t.Fatalf("TTL of %s = %v (%v), want in (%v, %v]", k, ttl, err, above, atMost)
		}
	}
}

// TestExpiredReply: once its keys are gone the reply is unknown, and a subscription waiting on
// it ends with ErrGone instead of waiting for a Finish that will never come.
func TestExpiredReply(t *testing.T) {
	ctx := context.Background()
	client := testRedis(t)
	prefix := uniquePrefix(t, client)
	b := redisbuf.New(client, prefix, redisbuf.Options{PollInterval: 20 * time.Millisecond, Timeout: slack})
	defer b.Close()
	if _, err := b.Start(ctx, "r", "", "s"); err != nil {
		t.Fatal(err)
	}
	appendN(t, b, "r", 1, 1)
	sub, err := b.Subscribe(ctx, "r", "s", stream.Position{Offset: 1})
	if err != nil {
		t.Fatal(err)
	}
	client.Del(ctx, prefix+"{r}:m", prefix+"{r}:s") // what expiry does
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, _, _, err := sub.Next(waitCtx); !errors.Is(err, stream.ErrGone) {
		t.Fatalf("Next on an expired reply: %v, want ErrGone", err)
	}
	if _, err := b.Subscribe(ctx, "r", "s", stream.Position{}); !errors.Is(err, stream.ErrUnknownReply) {
		t.Fatalf("Subscribe to an expired reply: %v", err)
	}
}

// TestWakeUpAcrossReplicas: with polling effectively off, a reader on replica B still gets each
// event appended on replica A, so the Pub/Sub wake-up (not the poll) is what delivers them.
func TestWakeUpAcrossReplicas(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clientA, clientB := testRedis(t), testRedis(t)
	prefix := uniquePrefix(t, clientA)
	a := redisbuf.New(clientA, prefix, redisbuf.Options{PollInterval: time.Hour, Timeout: slack})
	b := redisbuf.New(clientB, prefix, redisbuf.Options{PollInterval: time.Hour, Timeout: slack})
	defer a.Close()
	defer b.Close()
	if _, err := a.Start(ctx, "r", "", "s"); err != nil {
		t.Fatal(err)
	}
	sub, err := b.Subscribe(ctx, "r", "s", stream.Position{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		got := make(chan stream.Event, 1)
		go func() {
			e, _, _, err := sub.Next(ctx)
			if err != nil {
				t.Errorf("Next %d: %v", i, err)
			}
			got <- e
		}()
		time.Sleep(10 * time.Millisecond) // let Next wait before the append
		appendN(t, a, "r", i, i)
		if e := <-got; e.Offset != uint64(i) {
			t.Fatalf("woken with offset %d, want %d", e.Offset, i)
		}
	}
	if err := a.Finish(ctx, "r"); err != nil {
		t.Fatal(err)
	}
	if _, _, done, err := sub.Next(ctx); err != nil || !done {
		t.Fatalf("after Finish: done=%v err=%v", done, err)
	}
}
