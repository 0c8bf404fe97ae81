package redisbuf

import (
	"context"
	"errors"
	"time"

	"github.com/chatproxy/chatproxy/internal/stream"
	"github.com/redis/go-redis/v9"
)

// Tiered is the Buffer of a replica when Redis is configured. The replica that runs a reply
// keeps its events in memory and serves its own readers from there, so the visitor who stays
// connected (nearly every one) costs no Redis round trip per event; a write-behind copies the
// events to Redis in batches, one pipeline for every reply that changed since the last one, so
// a visitor who reconnects to another replica resumes there from Redis.
//
// Start stays a synchronous Redis call: the reply's epoch and its alias must be shared before
// the first event leaves, so a resume or a repeated send on another replica finds them.
//
// The Redis copy trails the memory one by about one Redis round trip. A reader on another
// replica only ever sees a prefix of the reply (a gap left by the memory size bound shows as
// ErrGone there), so lagging is never a silent hole. If Redis is away the write-behind keeps
// retrying from the memory copy; a reply that leaves memory before its copy was finished is
// deleted from Redis once it is back, so remote readers are told to reload the history
// instead of waiting for events that will not come.
type Tiered struct {
	remote *Buffer
	local  *stream.Memory
	copier *writeBehind
}

var _ stream.Buffer = (*Tiered)(nil)

// TieredOptions configure both copies.
type TieredOptions struct {
	Remote Options              // the Redis copy (keys, bounds, timeouts)
	Local  stream.MemoryOptions // the memory copy of the replies this replica runs
	// OnCopyError, if set, is called when copying to Redis fails after having worked (once per
	// outage, not once per retry).
	OnCopyError func(error)
}

// NewTiered builds a tiered buffer storing its Redis keys under prefix in client (the layout
// of New, so Tiered and Buffer replicas read each other's replies). The caller keeps client.
func NewTiered(client redis.UniversalClient, prefix string, o TieredOptions) *Tiered {
	remote := New(client, prefix, o.Remote)
	local := stream.NewMemory(o.Local)
	return &Tiered{remote: remote, local: local, copier: newWriteBehind(remote, local, o.OnCopyError)}
}

// Start registers the reply in Redis and, when this call created it, in memory under the same
// epoch. A reply that already existed (a repeated Start, or one started on another replica)
// keeps the epoch it has.
func (t *Tiered) Start(ctx context.Context, replyID, alias, owner string) (string, error) {
	epoch, created, err := t.remote.start(ctx, replyID, alias, owner)
	if err != nil || !created {
		return epoch, err
	}
	t.local.StartEpoch(replyID, alias, owner, epoch)
	t.copier.track(replyID, alias)
	return epoch, nil
}

// Append adds the event in memory and schedules its copy. Only the replica that started a
// reply appends to it.
func (t *Tiered) Append(ctx context.Context, replyID string, e stream.Event) (stream.Event, error) {
	e, err := t.local.Append(ctx, replyID, e)
	if err == nil {
		t.copier.mark(replyID)
	}
	return e, err
}

// Finish marks the reply done in memory; the copy's last batch marks it done in Redis.
func (t *Tiered) Finish(ctx context.Context, replyID string) error {
	if err := t.local.Finish(ctx, replyID); err != nil {
		return err
	}
	t.copier.mark(replyID)
	return nil
}

// Lookup finds a reply run here in memory, any other in Redis.
func (t *Tiered) Lookup(ctx context.Context, alias string) (string, bool, error) {
	if id, ok, _ := t.local.Lookup(ctx, alias); ok {
		return id, true, nil
	}
	return t.remote.Lookup(ctx, alias)
}

// Subscribe reads a reply run here from memory, any other from Redis.
func (t *Tiered) Subscribe(ctx context.Context, replyID, owner string, from stream.Position) (stream.Subscription, error) {
	sub, err := t.local.Subscribe(ctx, replyID, owner, from)
	if errors.Is(err, stream.ErrUnknownReply) {
		return t.remote.Subscribe(ctx, replyID, owner, from)
	}
	return sub, err
}

// Close copies what is still pending (for at most drainTimeout: a replica shutting down hands
// its finished replies over to the others), then stops both copies.
func (t *Tiered) Close() error {
	t.copier.close(drainTimeout)
	return errors.Join(t.local.Close(), t.remote.Close())
}

// drainTimeout bounds the last copy on Close.
const drainTimeout = 3 * time.Second
