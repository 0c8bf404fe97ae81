// Package redisbuf is the stream.Buffer shared by all replicas, in Redis.
//
// The events of each reply live in a Redis Stream, so a visitor whose connection drops can
// resume the reply on any replica.
//
// Layout (every key expires; per-reply keys share the {replyID} hash tag, so the Lua scripts
// touch one slot and the layout works on Redis Cluster):
//
//	<prefix>{<replyID>}:m   hash: epoch, owner, alias, seq (last offset), done
//	<prefix>{<replyID>}:s   stream: event <n> has the entry id "<n>-0" and its JSON in field e;
//	                        Finish adds the marker "<last>-1", which sorts after the last event
//	<prefix>a:<alias>       string: the reply id of an alias
//	<prefix>wake            Pub/Sub channel: the reply id, published on every Append and Finish
//
// Using the offset as the entry id makes a resume one XRANGE from "(<offset>-0", and a gap after
// trimming (MAXLEN ~) visible as a first entry later than the one asked for.
//
// Waiting: a subscription that has read everything does not block a Redis connection. Each
// Buffer holds one Pub/Sub connection (opened by the first Subscribe) that wakes the local
// subscribers of the reply named in a message; they then read with XRANGE from the shared pool.
// So Redis connections stay bounded by the pool size plus one, whatever the number of readers.
// A message lost while Pub/Sub reconnects is covered by waking every waiter when the
// subscription is (re)confirmed, and by a re-read every PollInterval.
package redisbuf

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/chatproxy/chatproxy/internal/stream"
	"github.com/redis/go-redis/v9"
)

// ErrUnavailable wraps every failure to reach Redis (refused, timed out, or an error reply).
// Callers fall back to an in-memory buffer for new replies and answer resumes with a reset.
var ErrUnavailable = errors.New("redisbuf: redis unavailable")

// Options bound what the buffer keeps and how long it waits.
type Options struct {
	// MaxLen is the number of events kept per reply; older ones are trimmed (approximately:
	// at least MaxLen stay) and a resume from them is stream.ErrGone. Default 10,000.
	MaxLen int64
	// MaxAge is how long an unfinished reply is kept after Start (default 15 min).
	MaxAge time.Duration
	// FinishedTTL is how long a reply is kept after Finish (default 5 min).
	FinishedTTL time.Duration
	// Timeout bounds each Redis call (default 200 ms). It bounds socket I/O only when the
	// client was built with ContextTimeoutEnabled.
	Timeout time.Duration
	// PollInterval is how often a waiting subscription re-reads without a wake-up (default 2 s).
	PollInterval time.Duration
	// BatchSize is how many entries one read fetches (default 128).
	BatchSize int64
}

func (o Options) withDefaults() Options {
	if o.MaxLen <= 0 {
		o.MaxLen = 10_000
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 15 * time.Minute
	}
	if o.FinishedTTL <= 0 {
		o.FinishedTTL = 5 * time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = 200 * time.Millisecond
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 128
	}
	return o
}

// Buffer is the Redis stream.Buffer. It is safe for concurrent use.
type Buffer struct {
	client  redis.UniversalClient
	prefix  string
	opts    Options
	channel string
	wakes   *waker
}

var _ stream.Buffer = (*Buffer)(nil)

// New returns a buffer storing its keys under prefix in client. The caller keeps ownership of
// client: Close does not close it.
func New(client redis.UniversalClient, prefix string, o Options) *Buffer {
	channel := prefix + "wake"
	return &Buffer{
		client:  client,
		prefix:  prefix,
		opts:    o.withDefaults(),
		channel: channel,
		wakes:   newWaker(client, channel),
	}
}

func (b *Buffer) metaKey(replyID string) string   { return b.prefix + "{" + replyID + "}:m" }
func (b *Buffer) streamKey(replyID string) string { return b.prefix + "{" + replyID + "}:s" }
func (b *Buffer) aliasKey(alias string) string    { return b.prefix + "a:" + alias }

// call bounds one Redis round trip by Timeout.
func (b *Buffer) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, b.opts.Timeout)
}

// fail wraps a Redis error: the caller's own cancellation stays a context error, anything else
// is ErrUnavailable (the buffer cannot serve, whatever the cause). The cause is kept as text
// only: our own call timeout must not look like the caller's deadline (stream.Relay treats
// context.DeadlineExceeded as "time for a heartbeat" and would retry forever).
func fail(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("redisbuf: %s: %w", op, ctxErr)
	}
	return fmt.Errorf("%w: %s: %v", ErrUnavailable, op, err)
}

// Start registers a reply with a fresh random epoch, or returns the epoch of the existing one.
func (b *Buffer) Start(ctx context.Context, replyID, alias, owner string) (string, error) {
	epoch, _, err := b.start(ctx, replyID, alias, owner)
	return epoch, err
}

// start is Start that also reports whether this call created the reply (the script kept the
// epoch proposed here). One round trip: the alias SET and the start script share a pipeline.
// The script goes as EVAL (a pipeline cannot fall back from EVALSHA); it runs once per reply,
// so its size does not matter.
func (b *Buffer) start(ctx context.Context, replyID, alias, owner string) (epoch string, created bool, err error) {
	cctx, cancel := b.call(ctx)
	defer cancel()
	pipe := b.client.Pipeline()
	if alias != "" {
		pipe.Set(cctx, b.aliasKey(alias), replyID, b.opts.MaxAge)
	}
	proposed := stream.NewEpoch()
	keys := []string{b.metaKey(replyID)}
	cmd := startScript.Eval(cctx, pipe, keys, proposed, owner, alias, b.opts.MaxAge.Milliseconds())
	if _, err := pipe.Exec(cctx); err != nil {
		return "", false, fail(ctx, "start", err)
	}
	if epoch, err = cmd.Text(); err != nil {
		return "", false, fail(ctx, "start", err)
	}
	return epoch, epoch == proposed, nil
}

// Append assigns the next offset and stores the event in one script call (one round trip).
func (b *Buffer) Append(ctx context.Context, replyID string, e stream.Event) (stream.Event, error) {
	cctx, cancel := b.call(ctx)
	defer cancel()
	keys := []string{b.metaKey(replyID), b.streamKey(replyID)}
	seq, err := appendScript.Run(cctx, b.client, keys, e.Data(), b.opts.MaxLen, b.channel, replyID).Int64()
	if err != nil {
		return e, fail(ctx, "append", err)
	}
	if seq < 0 {
		return e, stream.ErrUnknownReply
	}
	e.Offset = uint64(seq)
	return e, nil
}

// Finish marks the reply done, adds the end marker that wakes blocked readers, and shortens the
// life of its keys (and its alias) to FinishedTTL.
func (b *Buffer) Finish(ctx context.Context, replyID string) error {
	cctx, cancel := b.call(ctx)
	defer cancel()
	keys := []string{b.metaKey(replyID), b.streamKey(replyID)}
	ttl := b.opts.FinishedTTL.Milliseconds()
	res, err := finishScript.Run(cctx, b.client, keys, b.opts.MaxLen, ttl, b.channel, replyID).Result()
	if err != nil {
		return fail(ctx, "finish", err)
	}
	alias, ok := res.(string)
	if !ok {
		return stream.ErrUnknownReply
	}
	if alias == "" {
		return nil
	}
	if err := b.client.PExpire(cctx, b.aliasKey(alias), b.opts.FinishedTTL).Err(); err != nil {
		return fail(ctx, "finish alias", err)
	}
	return nil
}

// Lookup finds a reply by its alias.
func (b *Buffer) Lookup(ctx context.Context, alias string) (string, bool, error) {
	cctx, cancel := b.call(ctx)
	defer cancel()
	id, err := b.client.Get(cctx, b.aliasKey(alias)).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return "", false, nil
	case err != nil:
		return "", false, fail(ctx, "lookup", err)
	}
	return id, true, nil
}

// Close stops the wake-up listener. The Redis client stays open (it belongs to the caller);
// subscriptions still open keep working by polling.
func (b *Buffer) Close() error {
	b.wakes.close()
	return nil
}

// entryID is the stream entry id of the event at offset.
func entryID(offset uint64) string { return strconv.FormatUint(offset, 10) + "-0" }
