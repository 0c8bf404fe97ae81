package chat

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// outbox holds answers that could not be written because the database was down, and writes
// them when it is back. Writes are idempotent (the answer's client id is unique per session), so
// a retry after an unclear failure never duplicates. Bounded: when full, the oldest is dropped
// and logged, so a long outage cannot exhaust memory.
type outbox struct {
	st      store.Store
	log     *slog.Logger
	max     int
	mu      sync.Mutex
	pending []store.Message
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

func newOutbox(st store.Store, log *slog.Logger, max int) *outbox {
	o := &outbox{st: st, log: log, max: max, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go o.loop()
	return o
}

func (o *outbox) push(m store.Message) {
	o.mu.Lock()
	if len(o.pending) >= o.max {
		o.log.Error("outbox full: dropping the oldest answer", "message", o.pending[0].ID)
		o.pending = o.pending[1:]
	}
	o.pending = append(o.pending, m)
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Len reports how many answers wait.
func (o *outbox) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.pending)
}

func (o *outbox) loop() {
	defer close(o.done)
	backoff := 200 * time.Millisecond
	for {
		select {
		case <-o.stop:
			return
		case <-o.wake:
		case <-time.After(backoff):
		}
		if o.flush() {
			backoff = 200 * time.Millisecond
		} else if backoff < 5*time.Second {
			backoff *= 2
		}
	}
}

// flush writes pending answers in order; it stops at the first failure.
func (o *outbox) flush() bool {
	for {
		o.mu.Lock()
		if len(o.pending) == 0 {
			o.mu.Unlock()
			return true
		}
		m := o.pending[0]
		o.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, _, err := o.st.AddMessage(ctx, m)
		cancel()
		if err != nil {
			return false
		}
		o.mu.Lock()
		if len(o.pending) > 0 && o.pending[0].ID == m.ID {
			o.pending = o.pending[1:]
		}
		o.mu.Unlock()
		o.log.Info("outbox answer stored", "message", m.ID)
	}
}

// drain waits until the outbox is empty or ctx ends.
func (o *outbox) drain(ctx context.Context) error {
	for o.Len() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

func (o *outbox) close() {
	select {
	case <-o.stop:
	default:
		close(o.stop)
	}
	<-o.done
}
