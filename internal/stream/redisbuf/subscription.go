package redisbuf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chatproxy/chatproxy/internal/stream"
	"github.com/redis/go-redis/v9"
)

// Subscribe checks owner, epoch and position and reads the first batch in one round trip.
func (b *Buffer) Subscribe(ctx context.Context, replyID, owner string, from stream.Position) (stream.Subscription, error) {
	cctx, cancel := b.call(ctx)
	defer cancel()
	s := &subscription{b: b, replyID: replyID, streamKey: b.streamKey(replyID), next: from.Offset + 1}
	pipe := b.client.Pipeline()
	meta := pipe.HMGet(cctx, b.metaKey(replyID), "epoch", "owner", "seq", "done")
	batch := pipe.XRangeN(cctx, s.streamKey, "("+entryID(from.Offset), "+", b.opts.BatchSize)
	if _, err := pipe.Exec(cctx); err != nil {
		return nil, fail(ctx, "subscribe", err)
	}
	vals := meta.Val()
	epoch := str(vals[0])
	switch {
	case epoch == "" || str(vals[1]) != owner:
		return nil, stream.ErrUnknownReply
	case from.Epoch != "" && from.Epoch != epoch:
		return nil, stream.ErrGone
	}
	s.epoch, s.pending = epoch, batch.Val()
	if last, _ := strconv.ParseUint(str(vals[2]), 10, 64); str(vals[3]) == "1" && from.Offset > last {
		s.done = true // a position past the end of a finished reply: nothing more will come
	}
	if len(s.pending) > 0 {
		if _, ok := s.follows(s.pending[0].ID); !ok {
			return nil, stream.ErrGone // the entries after from were trimmed
		}
	}
	return s, nil
}

// str is an HMGET value as a string ("" when the field is missing).
func str(v any) string {
	s, _ := v.(string)
	return s
}

// subscription reads one reply for one caller; it is not safe for concurrent use.
type subscription struct {
	b         *Buffer
	replyID   string
	streamKey string
	epoch     string
	next      uint64           // offset of the next event to deliver
	pending   []redis.XMessage // read but not yet delivered
	done      bool
}

func (s *subscription) Epoch() string { return s.epoch }
func (s *subscription) Close()        {}

// Next delivers the next event, reading a batch when none is pending and waiting for a wake-up
// (or PollInterval) when the reply has nothing new.
func (s *subscription) Next(ctx context.Context) (stream.Event, []byte, bool, error) {
	for {
		if len(s.pending) > 0 {
			return s.take()
		}
		if s.done {
			return stream.Event{}, nil, true, nil
		}
		if err := ctx.Err(); err != nil {
			return stream.Event{}, nil, false, err
		}
		if err := s.readWithRetry(ctx); err != nil {
			return stream.Event{}, nil, false, err
		}
	}
}

// readWithRetry retries a failed read a few times: reads are idempotent (the position only moves
// when entries are taken), and a busy Redis should not turn into a reset for the visitor.
func (s *subscription) readWithRetry(ctx context.Context) error {
	backoff := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := s.readOrWait(ctx)
		if err == nil || attempt == 3 || !errors.Is(err, ErrUnavailable) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

// readOrWait reads the entries after the last delivered one; if there are none it waits for a
// wake-up, ctx or the poll interval. The wait is registered before the read, so an Append
// between the read and the wait still wakes it.
func (s *subscription) readOrWait(ctx context.Context) error {
	woken, release := s.b.wakes.wait(s.replyID)
	defer release()
	if err := s.read(ctx); err != nil || len(s.pending) > 0 {
		return err
	}
	timer := time.NewTimer(s.b.opts.PollInterval)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-woken:
		return nil
	case <-timer.C:
		return s.checkAlive(ctx)
	}
}

// read fetches the next batch into pending.
func (s *subscription) read(ctx context.Context) error {
	cctx, cancel := s.b.call(ctx)
	defer cancel()
	msgs, err := s.b.client.XRangeN(cctx, s.streamKey, "("+entryID(s.next-1), "+", s.b.opts.BatchSize).Result()
	if err != nil {
		return fail(ctx, "read", err)
	}
	s.pending = msgs
	return nil
}

// checkAlive reports a reply that expired while this subscription waited: nobody will finish it.
func (s *subscription) checkAlive(ctx context.Context) error {
	cctx, cancel := s.b.call(ctx)
	defer cancel()
	n, err := s.b.client.Exists(cctx, s.b.metaKey(s.replyID)).Result()
	if err != nil {
		return fail(ctx, "check", err)
	}
	if n == 0 {
		return fmt.Errorf("redisbuf: reply expired: %w", stream.ErrGone)
	}
	return nil
}

// Entry kinds: the sequence part of a stream entry id.
const (
	kindEvent = 0 // "<offset>-0": the event at offset
	kindEnd   = 1 // "<last offset>-1": Finish's marker, right after the last event
)

// take delivers the first pending entry: the next event, the end marker, or ErrGone when the
// entry is not the one expected (the ones before it were trimmed).
func (s *subscription) take() (stream.Event, []byte, bool, error) {
	m := s.pending[0]
	kind, ok := s.follows(m.ID)
	switch {
	case !ok:
		s.pending = nil
		return stream.Event{}, nil, false, stream.ErrGone
	case kind == kindEnd:
		s.pending, s.done = nil, true
		return stream.Event{}, nil, true, nil
	}
	s.pending = s.pending[1:]
	raw, _ := m.Values["e"].(string)
	data := []byte(raw)
	var e stream.Event
	if err := json.Unmarshal(data, &e); err != nil {
		return stream.Event{}, nil, false, fmt.Errorf("redisbuf: corrupt event %s: %w", m.ID, err)
	}
	e.Offset = s.next
	s.next++
	return e, stream.RenderFrame(s.epoch, e.Offset, data), false, nil
}

// follows reports whether entry id comes right after the last delivered event: event next
// or the end marker written after event next-1.
func (s *subscription) follows(id string) (kind uint64, ok bool) {
	ms, seq, found := strings.Cut(id, "-")
	if !found {
		return 0, false
	}
	offset, err1 := strconv.ParseUint(ms, 10, 64)
	kind, err2 := strconv.ParseUint(seq, 10, 64)
	switch {
	case err1 != nil || err2 != nil:
		return 0, false
	case kind == kindEvent:
		return kind, offset == s.next
	case kind == kindEnd:
		return kind, offset == s.next-1
	}
	return 0, false
}
