package stream

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Fallback is a Buffer that uses primary (Redis, shared by replicas) and, when primary cannot
// start a reply, keeps that reply in local (this process) instead: the visitor still gets the
// answer live, and only a resume on another replica is lost (it answers reset + history).
type Fallback struct {
	primary, local Buffer
	onFallback     func(error)
	keep           time.Duration

	mu      sync.Mutex
	inLocal map[string]bool // reply ids started in local
	// skipUntil: after primary failed, new replies go straight to local for a short cool-down,
	// so a hanging Redis does not add its timeout to every message.
	skipUntil time.Time
}

// cooldown is how long primary is skipped after a failure.
const cooldown = time.Second

// NewFallback wraps primary with a per-process fallback. keep is how long a local reply id is
// remembered after Finish (the local buffer's finished TTL).
func NewFallback(primary, local Buffer, keep time.Duration, onFallback func(error)) *Fallback {
	if keep <= 0 {
		keep = 5 * time.Minute
	}
	return &Fallback{primary: primary, local: local, keep: keep, onFallback: onFallback, inLocal: map[string]bool{}}
}

func (f *Fallback) isLocal(replyID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inLocal[replyID]
}

func (f *Fallback) pick(replyID string) Buffer {
	if f.isLocal(replyID) {
		return f.local
	}
	return f.primary
}

func (f *Fallback) Start(ctx context.Context, replyID, alias, owner string) (string, error) {
	f.mu.Lock()
	skip := time.Now().Before(f.skipUntil)
	f.mu.Unlock()
	if !skip {
		epoch, err := f.primary.Start(ctx, replyID, alias, owner)
		if err == nil || ctx.Err() != nil {
			return epoch, err
		}
		f.mu.Lock()
		f.skipUntil = time.Now().Add(cooldown)
		f.mu.Unlock()
		if f.onFallback != nil {
			f.onFallback(err)
		}
	} else if f.onFallback != nil {
		f.onFallback(errors.New("primary skipped after a recent failure"))
	}
	f.mu.Lock()
	f.inLocal[replyID] = true
	f.mu.Unlock()
	return f.local.Start(ctx, replyID, alias, owner)
}

func (f *Fallback) Append(ctx context.Context, replyID string, e Event) (Event, error) {
	return f.pick(replyID).Append(ctx, replyID, e)
}

func (f *Fallback) Finish(ctx context.Context, replyID string) error {
	if f.isLocal(replyID) {
		time.AfterFunc(f.keep, func() {
			f.mu.Lock()
			delete(f.inLocal, replyID)
			f.mu.Unlock()
		})
	}
	return f.pick(replyID).Finish(ctx, replyID)
}

func (f *Fallback) Lookup(ctx context.Context, alias string) (string, bool, error) {
	if id, ok, err := f.local.Lookup(ctx, alias); err == nil && ok {
		return id, true, nil
	}
	return f.primary.Lookup(ctx, alias)
}

func (f *Fallback) Subscribe(ctx context.Context, replyID, owner string, from Position) (Subscription, error) {
	if f.isLocal(replyID) {
		return f.local.Subscribe(ctx, replyID, owner, from)
	}
	sub, err := f.primary.Subscribe(ctx, replyID, owner, from)
	if err != nil && !errors.Is(err, ErrGone) && !errors.Is(err, ErrUnknownReply) && ctx.Err() == nil {
		// primary is unreachable: the position cannot be served; the client reloads history.
		return nil, ErrGone
	}
	return sub, err
}

// Close closes both buffers.
func (f *Fallback) Close() error {
	return errors.Join(f.primary.Close(), f.local.Close())
}
