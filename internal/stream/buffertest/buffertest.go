// Package buffertest is the conformance suite every stream.Buffer passes.
//
// Running one suite on all implementations is what lets the chat service swap the in-memory
// buffer for the Redis one (and back, when Redis is down) without the widget noticing.
package buffertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/stream"
)

// Run checks that buffers made by newBuffer behave as the stream.Buffer contract says.
//
// newBuffer must return a fresh, empty buffer each time (the suite closes it) whose per-reply
// size bound keeps at least 200 events of 1 KiB but drops old events before 20,000 of them
// (stream.NewMemory's default 1 MiB does; a Redis buffer with MaxLen around 1,000 does).
func Run(t *testing.T, newBuffer func(t *testing.T) stream.Buffer) {
	cases := []struct {
		name string
		fn   func(*testing.T, stream.Buffer)
	}{
		{"ReplayThenLive", testReplayThenLive},
		{"DoneAfterFinish", testDoneAfterFinish},
		{"StartIsIdempotent", testStartIdempotent},
		{"ConcurrentSubscribersSeeSameSequence", testConcurrentSubscribers},
		{"ResumeFromEveryOffset", testResumeFromEveryOffset},
		{"OtherOwnerRefused", testOtherOwner},
		{"OtherEpochGone", testOtherEpoch},
		{"LookupByAlias", testLookup},
		{"UnknownReply", testUnknownReply},
		{"CancelUnblocksNext", testCancelUnblocksNext},
		{"SlowSubscriberDoesNotBlockAppend", testSlowSubscriber},
		{"BoundedSizeDropsOldest", testBounded},
		{"ManyRepliesKeepOrder", testManyReplies},
		{"ConcurrentWritersOneReply", testConcurrentWriters},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := newBuffer(t)
			t.Cleanup(func() { _ = b.Close() })
			c.fn(t, b)
		})
	}
}

// testCtx bounds a whole test so a Next that never returns fails instead of hanging the run.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func start(t *testing.T, ctx context.Context, b stream.Buffer, replyID, alias, owner string) string {
	t.Helper()
	epoch, err := b.Start(ctx, replyID, alias, owner)
	if err != nil || epoch == "" {
		t.Fatalf("Start(%s) = %q, %v", replyID, epoch, err)
	}
	return epoch
}

// item is the event the suite appends: content that needs JSON escaping, so frames are checked
// on text that could break SSE framing.
func item(content string) stream.Event {
	return stream.Event{Type: stream.TypeItem, Content: content, MessageID: "m"}
}

func content(i int) string { return fmt.Sprintf("tok %d \"q\"\n\u2028é", i) }

// appendRange appends events first..last (content(i)) and checks each gets offset i.
func appendRange(t *testing.T, ctx context.Context, b stream.Buffer, replyID string, first, last int) {
	t.Helper()
	for i := first; i <= last; i++ {
		e, err := b.Append(ctx, replyID, item(content(i)))
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		if e.Offset != uint64(i) {
			t.Fatalf("Append %d got offset %d", i, e.Offset)
		}
	}
}

func finish(t *testing.T, ctx context.Context, b stream.Buffer, replyID string) {
	t.Helper()
	if err := b.Finish(ctx, replyID); err != nil {
		t.Fatalf("Finish(%s): %v", replyID, err)
	}
}

func subscribe(t *testing.T, ctx context.Context, b stream.Buffer, replyID, owner string, from stream.Position) stream.Subscription {
	t.Helper()
	sub, err := b.Subscribe(ctx, replyID, owner, from)
	if err != nil {
		t.Fatalf("Subscribe(%s, %+v): %v", replyID, from, err)
	}
	t.Cleanup(sub.Close)
	return sub
}

// next reads one event and checks its frame is the event rendered with the subscription's epoch.
func next(t *testing.T, ctx context.Context, sub stream.Subscription) (stream.Event, bool) {
	t.Helper()
	e, frame, done, err := sub.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	if !done {
		checkFrame(t, sub.Epoch(), e, frame)
	}
	return e, done
}

func checkFrame(t *testing.T, epoch string, e stream.Event, frame []byte) {
	t.Helper()
	if want := e.Frame(epoch); !bytes.Equal(frame, want) {
		t.Fatalf("frame of offset %d:\n got %q\nwant %q", e.Offset, frame, want)
	}
}

// collect reads until done or an error; it returns what it read and the error.
func collect(ctx context.Context, sub stream.Subscription) ([]stream.Event, error) {
	var got []stream.Event
	for {
		e, frame, done, err := sub.Next(ctx)
		switch {
		case err != nil:
			return got, err
		case done:
			return got, nil
		case !bytes.Equal(frame, e.Frame(sub.Epoch())):
			return got, fmt.Errorf("frame of offset %d is %q", e.Offset, frame)
		}
		got = append(got, e)
	}
}

// checkRange asserts events are exactly first..last in order with content(i).
func checkRange(t *testing.T, events []stream.Event, first, last int) {
	t.Helper()
	if want := last - first + 1; len(events) != max(want, 0) {
		t.Fatalf("got %d events, want %d (offsets %d..%d)", len(events), want, first, last)
	}
	for i, e := range events {
		off := first + i
		if e.Offset != uint64(off) || e.Content != content(off) || e.Type != stream.TypeItem {
			t.Fatalf("event %d: got offset %d content %q, want offset %d content %q", i, e.Offset, e.Content, off, content(off))
		}
	}
}

// waitResult guards a goroutine's result so a Next that never returns fails the test.
func waitResult[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatal("no result: Next did not return")
		panic("unreachable")
	}
}

func isGone(err error) bool { return errors.Is(err, stream.ErrGone) }
