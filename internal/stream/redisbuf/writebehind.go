package redisbuf

import (
	"context"
	"sync"
	"time"

	"github.com/chatproxy/chatproxy/internal/stream"
	"github.com/redis/go-redis/v9"
)

// writeBehind copies the replies a Tiered buffer runs from memory to Redis, on one goroutine:
// each round sends one pipeline holding one copyScript call for every reply that changed since
// the round before. Events that arrive while a round is in flight go in the next one, so the
// busier the replica, the bigger the batches and the fewer round trips per event.
type writeBehind struct {
	b       *Buffer
	local   *stream.Memory
	onError func(error)
	loaded  bool // copyScript is in Redis's script cache (only the copying goroutine uses it)

	mu        sync.Mutex
	copies    map[string]*replyCopy // replies started here whose Redis copy is not finished
	dirty     map[string]struct{}   // of those, the ones with something new to copy
	abandoned []string              // replies that left memory before their copy finished
	kick      chan struct{}         // capacity 1: something is dirty
	stop      chan struct{}
	stopped   chan struct{}
	once      sync.Once
}

// replyCopy is the state of one reply's copy. copied is only touched by the copying goroutine.
type replyCopy struct {
	alias  string
	copied uint64 // the last offset Redis holds
}

const (
	copyBatch       = 256    // events per script call; a longer backlog takes several rounds
	repliesPerRound = 512    // script calls per round
	maxAbandoned    = 10_000 // deletions remembered while Redis is away (keys expire anyway)
	minCopyBackoff  = 20 * time.Millisecond
	maxCopyBackoff  = time.Second
)

func newWriteBehind(b *Buffer, local *stream.Memory, onError func(error)) *writeBehind {
	w := &writeBehind{
		b: b, local: local, onError: onError,
		copies: map[string]*replyCopy{}, dirty: map[string]struct{}{},
		kick: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{}),
	}
	go w.run()
	return w
}

// track starts copying a reply (before its first event).
func (w *writeBehind) track(replyID, alias string) {
	w.mu.Lock()
	w.copies[replyID] = &replyCopy{alias: alias}
	w.mu.Unlock()
}

// mark schedules the copy of what a tracked reply got since its last round.
func (w *writeBehind) mark(replyID string) {
	w.mu.Lock()
	if _, ok := w.copies[replyID]; ok {
		w.dirty[replyID] = struct{}{}
	}
	w.mu.Unlock()
	w.poke()
}

func (w *writeBehind) poke() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// run copies until stop, backing off while Redis fails. onError hears of the first failure of
// each outage only.
func (w *writeBehind) run() {
	defer close(w.stopped)
	var backoff time.Duration
	for {
		select {
		case <-w.stop:
			return
		case <-w.kick:
		}
		err := w.copyOnce(context.Background())
		if err == nil {
			backoff = 0
			continue
		}
		if backoff == 0 && w.onError != nil {
			w.onError(err)
		}
		backoff = min(max(2*backoff, minCopyBackoff), maxCopyBackoff)
		select {
		case <-w.stop:
			return
		case <-time.After(backoff):
			w.poke()
		}
	}
}

// close stops the copying goroutine, then copies what is pending until timeout.
func (w *writeBehind) close(timeout time.Duration) {
	w.once.Do(func() {
		close(w.stop)
		<-w.stopped
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		for w.pending() && ctx.Err() == nil {
			if err := w.copyOnce(ctx); err != nil {
				select {
				case <-ctx.Done():
				case <-time.After(minCopyBackoff):
				}
			}
		}
	})
}

func (w *writeBehind) pending() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.dirty) > 0 || len(w.abandoned) > 0
}

// copyOp is one reply's part of a round.
type copyOp struct {
	id   string
	c    *replyCopy
	last uint64 // offset of the last event sent
	done bool   // the batch ends the reply
	full bool   // the batch was capped: more events wait
	cmd  *redis.Cmd
}

// copyOnce runs one round: one pipeline with a copy of every dirty reply and the deletion of
// every abandoned one. What fails stays dirty (or abandoned) for the next round.
func (w *writeBehind) copyOnce(ctx context.Context) error {
	ids := w.takeDirty()
	cctx, cancel := w.b.call(ctx)
	defer cancel()
	if !w.loaded {
		// EVALSHA in a pipeline cannot fall back to EVAL, so the script is loaded first.
		if err := copyScript.Load(cctx, w.b.client).Err(); err != nil {
			w.remark(ids...)
			return fail(ctx, "copy", err)
		}
		w.loaded = true
	}
	pipe := w.b.client.Pipeline()
	ops := make([]copyOp, 0, len(ids))
	for _, id := range ids {
		if op, ok := w.prepare(cctx, pipe, id); ok {
			ops = append(ops, op)
		}
	}
	gone := w.takeAbandoned()
	for _, id := range gone {
		pipe.Unlink(cctx, w.b.metaKey(id), w.b.streamKey(id))
	}
	if pipe.Len() == 0 {
		return nil
	}
	_, err := pipe.Exec(cctx)
	for _, op := range ops {
		w.settle(op)
	}
	if err != nil {
		w.abandon(gone...)
		if redis.HasErrorPrefix(err, "NOSCRIPT") {
			w.loaded = false // Redis restarted or flushed its script cache
		}
		return fail(ctx, "copy", err)
	}
	return nil
}

// prepare queues the copy of what replyID got since its last copied offset.
func (w *writeBehind) prepare(ctx context.Context, pipe redis.Pipeliner, replyID string) (copyOp, bool) {
	w.mu.Lock()
	c := w.copies[replyID]
	w.mu.Unlock()
	if c == nil {
		return copyOp{}, false
	}
	events, done, err := w.local.Since(replyID, c.copied, copyBatch)
	if err != nil { // it left memory before its copy finished: remote readers must reset
		w.forget(replyID)
		w.abandon(replyID)
		return copyOp{}, false
	}
	if len(events) == 0 && !done {
		return copyOp{}, false
	}
	ttl := int64(0)
	if done {
		ttl = w.b.opts.FinishedTTL.Milliseconds()
	}
	args := make([]any, 0, 4+2*len(events))
	args = append(args, w.b.opts.MaxLen, w.b.channel, replyID, ttl)
	op := copyOp{id: replyID, c: c, last: c.copied, done: done, full: len(events) == copyBatch}
	for _, e := range events {
		args = append(args, e.Offset, e.Data())
		op.last = e.Offset
	}
	op.cmd = copyScript.EvalSha(ctx, pipe, []string{w.b.metaKey(replyID), w.b.streamKey(replyID)}, args...)
	if done && c.alias != "" {
		pipe.PExpire(ctx, w.b.aliasKey(c.alias), w.b.opts.FinishedTTL)
	}
	return op, true
}

// settle records the outcome of one reply's copy.
func (w *writeBehind) settle(op copyOp) {
	n, err := op.cmd.Int64()
	switch {
	case err != nil:
		w.remark(op.id) // retried: the script skips the offsets it already stored
	case n < 0:
		w.forget(op.id) // the Redis copy expired: nobody can resume it any more
	case op.done:
		w.forget(op.id)
	default:
		op.c.copied = op.last
		if op.full {
			w.remark(op.id)
		}
	}
}

// takeDirty takes up to repliesPerRound dirty replies (the rest wait for the next round, which
// it makes sure comes), so one round's pipeline stays well inside the call timeout.
func (w *writeBehind) takeDirty() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	ids := make([]string, 0, min(len(w.dirty), repliesPerRound))
	for id := range w.dirty {
		if len(ids) == repliesPerRound {
			w.poke()
			break
		}
		ids = append(ids, id)
		delete(w.dirty, id)
	}
	return ids
}

// remark puts replies back in the queue (a capped or failed round) and makes sure a round
// comes for them.
func (w *writeBehind) remark(ids ...string) {
	w.mu.Lock()
	for _, id := range ids {
		if _, ok := w.copies[id]; ok {
			w.dirty[id] = struct{}{}
		}
	}
	w.mu.Unlock()
	w.poke()
}

func (w *writeBehind) forget(replyID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.copies, replyID)
	delete(w.dirty, replyID)
}

func (w *writeBehind) abandon(ids ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range ids {
		if len(w.abandoned) < maxAbandoned {
			w.abandoned = append(w.abandoned, id)
		}
	}
}

func (w *writeBehind) takeAbandoned() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	gone := w.abandoned
	w.abandoned = nil
	return gone
}
