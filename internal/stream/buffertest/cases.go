package buffertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/stream"
)

func testReplayThenLive(t *testing.T, b stream.Buffer) {
	ctx := testCtx(t)
	epoch := start(t, ctx, b, "r", "u", "s")
	appendRange(t, ctx, b, "r", 1, 2)
	sub := subscribe(t, ctx, b, "r", "s", stream.Position{Epoch: epoch, Offset: 1})
	if sub.Epoch() != epoch {
		t.Fatalf("subscription epoch %q, Start said %q", sub.Epoch(), epoch)
	}
	e, done := next(t, ctx, sub)
	checkRange(t, []stream.Event{e}, 2, 2)
	if done {
		t.Fatal("done before Finish")
	}
	got := make(chan []stream.Event, 1)
	go func() {
		events, err := collect(ctx, sub)
		if err != nil {
			t.Errorf("live: %v", err)
		}
		got <- events
	}()
	time.Sleep(20 * time.Millisecond) // let the reader block, so the events below arrive live
	appendRange(t, ctx, b, "r", 3, 5)
	finish(t, ctx, b, "r")
	checkRange(t, waitResult(t, got), 3, 5)
}

func testDoneAfterFinish(t *testing.T, b stream.Buffer) {
	ctx := testCtx(t)
	start(t, ctx, b, "r", "", "s")
	appendRange(t, ctx, b, "r", 1, 3)
	finish(t, ctx, b, "r")
	sub := subscribe(t, ctx, b, "r", "s", stream.Position{})
	events, err := collect(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	checkRange(t, events, 1, 3)
	for range 2 {
		if _, done := next(t, ctx, sub); !done {
			t.Fatal("a finished subscription must keep answering done")
		}
	}
	for _, off := range []uint64{3, 10} {
		past := subscribe(t, ctx, b, "r", "s", stream.Position{Offset: off})
		if e, done := next(t, ctx, past); !done {
			t.Fatalf("resume at %d of a finished 3-event reply got offset %d, want done", off, e.Offset)
		}
	}

	start(t, ctx, b, "empty", "", "s")
	waiting := subscribe(t, ctx, b, "empty", "s", stream.Position{})
	result := make(chan bool, 1)
	go func() {
		_, _, done, err := waiting.Next(ctx)
		if err != nil {
			t.Errorf("blocked Next: %v", err)
		}
		result <- done
	}()
	time.Sleep(20 * time.Millisecond) // let Next block before Finish
	finish(t, ctx, b, "empty")
	if !waitResult(t, result) {
		t.Fatal("Finish of an empty reply did not end the blocked Next with done")
	}
}

func testStartIdempotent(t *testing.T, b stream.Buffer) {
	ctx := testCtx(t)
	epoch := start(t, ctx, b, "r", "u", "s")
	appendRange(t, ctx, b, "r", 1, 2)
	if again := start(t, ctx, b, "r", "u", "s"); again != epoch {
		t.Fatalf("second Start changed the epoch: %q then %q", epoch, again)
	}
	appendRange(t, ctx, b, "r", 3, 3)
	finish(t, ctx, b, "r")
	events, err := collect(ctx, subscribe(t, ctx, b, "r", "s", stream.Position{Epoch: epoch}))
	if err != nil {
		t.Fatal(err)
	}
	checkRange(t, events, 1, 3)
}

// testConcurrentSubscribers: readers that join before, during and after the writing all see the
// same events in the same order, byte for byte.
func testConcurrentSubscribers(t *testing.T, b stream.Buffer) {
	ctx := testCtx(t)
	const readers, events = 12, 300
	start(t, ctx, b, "r", "", "s")
	results := make(chan []stream.Event, readers)
	read := func() {
		sub, err := b.Subscribe(ctx, "r", "s", stream.Position{})
		if err != nil {
			t.Errorf("Subscribe: %v", err)
			results <- nil
			return
		}
		defer sub.Close()
		got, err := collect(ctx, sub)
		if err != nil {
			t.Errorf("reader: %v", err)
		}
		results <- got
	}
	for range readers / 2 {
		go read()
	}
	appendRange(t, ctx, b, "r", 1, events/2)
	for range readers / 2 {
		go read()
	}
	appendRange(t, ctx, b, "r", events/2+1, events)
	finish(t, ctx, b, "r")
	for range readers {
		checkRange(t, waitResult(t, results), 1, events)
	}
	checkRange(t, mustCollect(t, ctx, b, "r", "s", stream.Position{}), 1, events)
}

func mustCollect(t *testing.T, ctx context.Context, b stream.Buffer, replyID, owner string, from stream.Position) []stream.Event {
	t.Helper()
	events, err := collect(ctx, subscribe(t, ctx, b, replyID, owner, from))
	if err != nil {
		t.Fatalf("collect %s from %+v: %v", replyID, from, err)
	}
	return events
}

// testResumeFromEveryOffset: a client back from any position gets exactly the rest, with the
// epoch it was given or with none.
func testResumeFromEveryOffset(t *testing.T, b stream.Buffer) {
	ctx := testCtx(t)
	const n = 40
	epoch := start(t, ctx, b, "r", "", "s")
	appendRange(t, ctx, b, "r", 1, n)
	finish(t, ctx, b, "r")
	for off := 0; off <= n; off++ {
		checkRange(t, mustCollect(t, ctx, b, "r", "s", stream.Position{Epoch: epoch, Offset: uint64(off)}), off+1, n)
		checkRange(t, mustCollect(t, ctx, b, "r", "s", stream.Position{Offset: uint64(off)}), off+1, n)
	}
}

func testOtherOwner(t *testing.T, b stream.Buffer) {
	ctx := testCtx(t)
	epoch := start(t, ctx, b, "r", "", "owner")
	appendRange(t, ctx, b, "r", 1, 2)
	for _, from := range []stream.Position{{}, {Epoch: epoch, Offset: 1}, {Epoch: "other", Offset: 1}} {
		if _, err := b.Subscribe(ctx, "r", "intruder", from); !errors.Is(err, stream.ErrUnknownReply) {
			t.Fatalf("other owner from %+v: %v, want ErrUnknownReply", from, err)
		}
	}
	if _, err := b.Subscribe(ctx, "r", "", stream.Position{}); !errors.Is(err, stream.ErrUnknownReply) {
		t.Fatalf("empty owner: %v, want ErrUnknownReply", err)
	}
}

func testOtherEpoch(t *testing.T, b stream.Buffer) {
	ctx := testCtx(t)
	epoch := start(t, ctx, b, "r", "", "s")
	appendRange(t, ctx, b, "r", 1, 3)
	for _, other := range []string{"other", epoch + "x", "00000000"} {
		if other == epoch {
			continue
		}
		if _, err := b.Subscribe(ctx, "r", "s", stream.Position{Epoch: other, Offset: 1}); !isGone(err) {
			t.Fatalf("epoch %q (current %q): %v, want ErrGone", other, epoch, err)
		}
	}
}

func testLookup(t *testing.T, b stream.Buffer) {
	ctx := testCtx(t)
	start(t, ctx, b, "r1", "u1", "s")
	start(t, ctx, b, "r2", "u2", "s")
	start(t, ctx, b, "r3", "", "s")
	for alias, want := range map[string]string{"u1": "r1", "u2": "r2"} {
		if id, ok, err := b.Lookup(ctx, alias); err != nil || !ok || id != want {
			t.Fatalf("Lookup(%s) = %q %v %v, want %s", alias, id, ok, err, want)
		}
	}
	finish(t, ctx, b, "r1")
	if id, ok, err := b.Lookup(ctx, "u1"); err != nil || !ok || id != "r1" {
		t.Fatalf("Lookup after Finish = %q %v %v", id, ok, err)
	}
	if id, ok, err := b.Lookup(ctx, "nope"); err != nil || ok || id != "" {
		t.Fatalf("Lookup(unknown) = %q %v %v", id, ok, err)
	}
}

func testUnknownReply(t *testing.T, b stream.Buffer) {
	ctx := testCtx(t)
	if _, err := b.Subscribe(ctx, "missing", "s", stream.Position{}); !errors.Is(err, stream.ErrUnknownReply) {
		t.Fatalf("Subscribe: %v", err)
	}
	if _, err := b.Append(ctx, "missing", item("x")); !errors.Is(err, stream.ErrUnknownReply) {
		t.Fatalf("Append: %v", err)
	}
	if err := b.Finish(ctx, "missing"); !errors.Is(err, stream.ErrUnknownReply) {
		t.Fatalf("Finish: %v", err)
	}
	if _, err := b.Subscribe(ctx, "missing", "s", stream.Position{}); !errors.Is(err, stream.ErrUnknownReply) {
		t.Fatalf("Append or Finish created the reply: %v", err)
	}
}

// testCancelUnblocksNext: a cancelled or expired context ends a blocked Next, and the
// subscription still works afterwards.
func testCancelUnblocksNext(t *testing.T, b stream.Buffer) {
	ctx := testCtx(t)
	start(t, ctx, b, "r", "", "s")
	sub := subscribe(t, ctx, b, "r", "s", stream.Position{})

	cctx, cancel := context.WithCancel(ctx)
	errs := make(chan error, 1)
	go func() { _, _, _, err := sub.Next(cctx); errs <- err }()
	time.Sleep(20 * time.Millisecond) // let Next block
	cancel()
	if err := waitResult(t, errs); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Next: %v", err)
	}

	dctx, dcancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer dcancel()
	if _, _, _, err := sub.Next(dctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expired Next: %v", err)
	}

	appendRange(t, ctx, b, "r", 1, 1)
	e, done := next(t, ctx, sub)
	if done {
		t.Fatal("done before Finish")
	}
	checkRange(t, []stream.Event{e}, 1, 1)
}

// testSlowSubscriber: a subscriber that reads nothing while 10,000 events are appended holds no
// Append back (all succeed, in order). Reading afterwards yields a gapless prefix of the events,
// then either done (the buffer kept them all) or ErrGone (it dropped some), never a silent gap.
func testSlowSubscriber(t *testing.T, b stream.Buffer) {
	ctx := testCtx(t)
	const n = 10_000
	epoch := start(t, ctx, b, "r", "", "s")
	slow := subscribe(t, ctx, b, "r", "s", stream.Position{})
	appendRange(t, ctx, b, "r", 1, n)
	finish(t, ctx, b, "r")

	events, err := collect(ctx, slow)
	switch {
	case err == nil:
		checkRange(t, events, 1, n)
	case isGone(err):
		checkRange(t, events, 1, len(events))
	default:
		t.Fatalf("slow subscriber after %d events: %v", len(events), err)
	}
	checkRange(t, mustCollect(t, ctx, b, "r", "s", stream.Position{Epoch: epoch, Offset: n - 10}), n-9, n)
}

// testBounded: once the size bound drops the first events, resuming from before them and a
// subscriber still behind them both get ErrGone; the tail is still served exactly.
func testBounded(t *testing.T, b stream.Buffer) {
	ctx := testCtx(t)
	const limit, step = 20_000, 50
	epoch := start(t, ctx, b, "r", "", "s")
	behind := subscribe(t, ctx, b, "r", "s", stream.Position{Epoch: epoch})
	big := string(make([]byte, 1024))
	n := 0
	for dropped := false; !dropped; {
		if n >= limit {
			t.Fatalf("%d events of 1 KiB and nothing dropped: the buffer is not bounded", n)
		}
		for range step {
			n++
			if e, err := b.Append(ctx, "r", stream.Event{Type: stream.TypeItem, Content: big}); err != nil || e.Offset != uint64(n) {
				t.Fatalf("Append %d: offset %d, %v", n, e.Offset, err)
			}
		}
		probe, err := b.Subscribe(ctx, "r", "s", stream.Position{Epoch: epoch})
		if err == nil {
			probe.Close()
		} else if !isGone(err) {
			t.Fatalf("Subscribe after %d: %v", n, err)
		}
		dropped = err != nil
	}
	if n < 200 {
		t.Fatalf("dropped events after only %d of 1 KiB", n)
	}
	if _, _, _, err := behind.Next(ctx); !isGone(err) {
		t.Fatalf("subscriber behind the dropped events: %v, want ErrGone", err)
	}
	tail := subscribe(t, ctx, b, "r", "s", stream.Position{Epoch: epoch, Offset: uint64(n - 3)})
	appendRange(t, ctx, b, "r", n+1, n+2)
	finish(t, ctx, b, "r")
	events, err := collect(ctx, tail)
	if err != nil || len(events) != 5 || events[0].Offset != uint64(n-2) || events[4].Offset != uint64(n+2) {
		t.Fatalf("tail: %d events, err %v", len(events), err)
	}
}
