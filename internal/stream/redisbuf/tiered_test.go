package redisbuf_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/stream"
	"github.com/chatproxy/chatproxy/internal/stream/buffertest"
	"github.com/chatproxy/chatproxy/internal/stream/redisbuf"
	"github.com/redis/go-redis/v9"
)

// tieredOptions: the conformance suite's size bound applies to the Redis copy, which the
// cross-replica run reads.
var tieredOptions = redisbuf.TieredOptions{Remote: suiteOptions}

func TestTieredConformance(t *testing.T) {
	client := testRedis(t)
	buffertest.Run(t, func(t *testing.T) stream.Buffer {
		return redisbuf.NewTiered(client, uniquePrefix(t, client), tieredOptions)
	})
}

// TestTieredAcrossReplicasConformance runs the whole suite with every write on one replica and
// every read on another, so each event a reader sees went through the copy to Redis.
func TestTieredAcrossReplicasConformance(t *testing.T) {
	buffertest.Run(t, func(t *testing.T) stream.Buffer {
		client := testRedis(t)
		prefix := uniquePrefix(t, client)
		return replicaPair{
			writer: redisbuf.NewTiered(client, prefix, tieredOptions),
			reader: redisbuf.NewTiered(testRedis(t), prefix, tieredOptions),
		}
	})
}

// replicaPair is one Buffer whose writes go to one replica and reads to another.
type replicaPair struct{ writer, reader stream.Buffer }

func (p replicaPair) Start(ctx context.Context, replyID, alias, owner string) (string, error) {
	return p.writer.Start(ctx, replyID, alias, owner)
}

func (p replicaPair) Append(ctx context.Context, replyID string, e stream.Event) (stream.Event, error) {
	return p.writer.Append(ctx, replyID, e)
}

func (p replicaPair) Finish(ctx context.Context, replyID string) error {
	return p.writer.Finish(ctx, replyID)
}

func (p replicaPair) Lookup(ctx context.Context, alias string) (string, bool, error) {
	return p.reader.Lookup(ctx, alias)
}

func (p replicaPair) Subscribe(ctx context.Context, replyID, owner string, from stream.Position) (stream.Subscription, error) {
	return p.reader.Subscribe(ctx, replyID, owner, from)
}

func (p replicaPair) Close() error { return errors.Join(p.writer.Close(), p.reader.Close()) }

// roundCounter counts the pipelines a client sends and fails them while down is set, like a
// Redis that went away (the server itself stays real).
type roundCounter struct {
	rounds atomic.Int64
	down   atomic.Bool
	// holdCopies fails only the write-behind's rounds (pipelines with EVALSHA), so copies pile up.
	holdCopies atomic.Bool
}

func (h *roundCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *roundCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.down.Load() {
			cmd.SetErr(errRedisAway)
			return errRedisAway
		}
		return next(ctx, cmd)
	}
}

func (h *roundCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.holdCopies.Load() && cmds[0].Name() == "evalsha" {
			for _, c := range cmds {
				c.SetErr(errRedisAway)
			}
			return errRedisAway
		}
		if h.down.Load() {
			for _, c := range cmds {
				c.SetErr(errRedisAway)
			}
			return errRedisAway
		}
		h.rounds.Add(1)
		return next(ctx, cmds)
	}
}

var errRedisAway = &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("redis away (test)")}

// readAll follows a reply on b from the start until done and returns its events.
func readAll(t *testing.T, ctx context.Context, b stream.Buffer, replyID, owner string) []stream.Event {
	t.Helper()
	sub, err := b.Subscribe(ctx, replyID, owner, stream.Position{})
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer sub.Close()
	var events []stream.Event
	for {
		e, _, done, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("Next after %d events: %v", len(events), err)
		}
		if done {
			return events
		}
		events = append(events, e)
	}
}

// replicas is a Tiered writer whose Redis client counts (and can fail) its round trips, and a
// plain Buffer reading on another client, as another replica would, under one fresh key prefix.
type replicas struct {
	hook   *roundCounter
	writer *redisbuf.Tiered
	reader *redisbuf.Buffer
}

func newReplicas(t *testing.T, wo redisbuf.TieredOptions, ro redisbuf.Options) replicas {
	client := testRedis(t)
	prefix := uniquePrefix(t, client)
	hook := &roundCounter{}
	client.AddHook(hook)
	wo.Remote.Timeout, ro.Timeout = slack, slack
	r := replicas{hook: hook, writer: redisbuf.NewTiered(client, prefix, wo), reader: redisbuf.New(testRedis(t), prefix, ro)}
	t.Cleanup(func() { _ = r.writer.Close(); _ = r.reader.Close() })
	return r
}

// testContext bounds a test, so a read that never ends fails it instead of hanging the run.
func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestTieredBatchesCopies: 2,000 events appended back to back reach the other replica in far
// fewer Redis round trips than events (one per event before the write-behind).
func TestTieredBatchesCopies(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	r := newReplicas(t, redisbuf.TieredOptions{}, redisbuf.Options{})
	writer, reader, hook := r.writer, r.reader, r.hook
	const n = 2000
	if _, err := writer.Start(ctx, "r", "alias", "s"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if _, err := writer.Append(ctx, "r", stream.Event{Type: stream.TypeItem, Content: contentOf(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := writer.Finish(ctx, "r"); err != nil {
		t.Fatal(err)
	}
	events := readAll(t, ctx, reader, "r", "s")
	if len(events) != n || events[n-1].Offset != n || events[n-1].Content != contentOf(n) {
		t.Fatalf("the other replica read %d events, want %d", len(events), n)
	}
	if rounds := hook.rounds.Load(); rounds > n/20 {
		t.Fatalf("%d Redis round trips to copy %d events: not batched", rounds, n)
	}
	t.Logf("%d events copied in %d round trips", n, hook.rounds.Load())
}

// TestTieredRedisAwayMidReply: while Redis is away the replica running the reply still serves
// it whole from memory; once Redis is back the copy catches up, and a reader on another
// replica gets every event exactly once and the end.
func TestTieredRedisAwayMidReply(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	copyErrors := make(chan error, 10)
	r := newReplicas(t, redisbuf.TieredOptions{OnCopyError: func(err error) { copyErrors <- err }},
		redisbuf.Options{PollInterval: 50 * time.Millisecond})
	writer, reader, hook := r.writer, r.reader, r.hook
	if _, err := writer.Start(ctx, "r", "", "s"); err != nil {
		t.Fatal(err)
	}
	appendTiered(t, writer, 1, 10)
	hook.down.Store(true)
	appendTiered(t, writer, 11, 30)
	if err := writer.Finish(ctx, "r"); err != nil {
		t.Fatal(err)
	}
	if local := readAll(t, ctx, writer, "r", "s"); len(local) != 30 {
		t.Fatalf("the replica running the reply served %d events while Redis was away, want 30", len(local))
	}
	select {
	case err := <-copyErrors:
		if !errors.Is(err, redisbuf.ErrUnavailable) {
			t.Fatalf("copy error %v, want ErrUnavailable", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the failing copy was not reported")
	}
	hook.down.Store(false)
	events := readAll(t, ctx, reader, "r", "s")
	if len(events) != 30 {
		t.Fatalf("the other replica read %d events after Redis came back, want 30", len(events))
	}
	for i, e := range events {
		if e.Offset != uint64(i+1) || e.Content != contentOf(i+1) {
			t.Fatalf("event %d: offset %d %q", i, e.Offset, e.Content)
		}
	}
	if len(copyErrors) != 0 {
		t.Fatalf("one outage reported %d more times", len(copyErrors))
	}
}

// TestTieredAbandonedCopy: a reply that leaves memory while Redis is away (its copy never
// finished) is deleted from Redis once Redis is back, so a reader elsewhere is told to reload
// the history instead of waiting for the rest.
func TestTieredAbandonedCopy(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	r := newReplicas(t, redisbuf.TieredOptions{Local: stream.MemoryOptions{FinishedTTL: 50 * time.Millisecond}}, redisbuf.Options{})
	writer, reader, hook := r.writer, r.reader, r.hook
	if _, err := writer.Start(ctx, "r", "", "s"); err != nil {
		t.Fatal(err)
	}
	hook.down.Store(true)
	appendTiered(t, writer, 1, 5)
	if err := writer.Finish(ctx, "r"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for { // the memory copy expires (FinishedTTL) while Redis is away
		if _, err := writer.Subscribe(ctx, "r", "s", stream.Position{}); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the memory copy never expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
	hook.down.Store(false)
	for {
		_, err := reader.Subscribe(ctx, "r", "s", stream.Position{})
		if errors.Is(err, stream.ErrUnknownReply) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the abandoned reply is still in Redis (Subscribe: %v)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func appendTiered(t *testing.T, b stream.Buffer, first, last int) {
	t.Helper()
	for i := first; i <= last; i++ {
		e, err := b.Append(context.Background(), "r", stream.Event{Type: stream.TypeItem, Content: contentOf(i)})
		if err != nil || e.Offset != uint64(i) {
			t.Fatalf("Append %d: offset %d, %v", i, e.Offset, err)
		}
	}
}

// TestTieredManyRepliesInOneRound: more replies wait to be copied than one round takes (the
// copies are held back while they pile up); every one still reaches the other replica, complete.
func TestTieredManyRepliesInOneRound(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	r := newReplicas(t, redisbuf.TieredOptions{}, redisbuf.Options{})
	writer, reader, hook := r.writer, r.reader, r.hook
	hook.holdCopies.Store(true)
	const n = 1500
	for i := range n {
		id := fmt.Sprintf("r%d", i)
		if _, err := writer.Start(ctx, id, "", "s"); err != nil {
			t.Fatal(err)
		}
		if _, err := writer.Append(ctx, id, stream.Event{Type: stream.TypeItem, Content: id}); err != nil {
			t.Fatal(err)
		}
		if err := writer.Finish(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	hook.holdCopies.Store(false)
	for i := range n {
		id := fmt.Sprintf("r%d", i)
		if events := readAll(t, ctx, reader, id, "s"); len(events) != 1 || events[0].Content != id {
			t.Fatalf("reply %s on the other replica: %+v", id, events)
		}
	}
}
