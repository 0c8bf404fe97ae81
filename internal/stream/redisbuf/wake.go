package redisbuf

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// waker fans one Pub/Sub connection out to the local subscriptions waiting on replies. A waiter
// registers before it reads, so a wake-up published after its read cannot be missed.
type waker struct {
	client  redis.UniversalClient
	channel string

	mu      sync.Mutex
	waiting map[string]*waitEntry // reply id → the waiters of its next change
	pubsub  *redis.PubSub
	cancel  context.CancelFunc // aborts the first subscribe on close
	closed  bool
	stopped chan struct{} // closed when the listener goroutine ends
}

type waitEntry struct {
	ch chan struct{}
	n  int // registered waiters; the entry goes when the last one leaves
}

func newWaker(client redis.UniversalClient, channel string) *waker {
	return &waker{client: client, channel: channel, waiting: map[string]*waitEntry{}}
}

// wait registers interest in the next change of replyID. The channel closes on that change (or
// when all waiters are woken); release must be called once the caller stops waiting.
func (w *waker) wait(replyID string) (<-chan struct{}, func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.startLocked()
	e := w.waiting[replyID]
	if e == nil {
		e = &waitEntry{ch: make(chan struct{})}
		w.waiting[replyID] = e
	}
	e.n++
	return e.ch, func() { w.release(replyID, e) }
}

func (w *waker) release(replyID string, e *waitEntry) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e.n--
	if e.n == 0 && w.waiting[replyID] == e {
		delete(w.waiting, replyID)
	}
}

// wake ends the wait of every waiter on replyID.
func (w *waker) wake(replyID string) {
	w.mu.Lock()
	e := w.waiting[replyID]
	delete(w.waiting, replyID)
	w.mu.Unlock()
	if e != nil {
		close(e.ch)
	}
}

// wakeAll ends every wait: wake-ups may have been lost, so everyone re-reads.
func (w *waker) wakeAll() {
	w.mu.Lock()
	all := w.waiting
	w.waiting = map[string]*waitEntry{}
	w.mu.Unlock()
	for _, e := range all {
		close(e.ch)
	}
}

// startLocked starts the listener on first use, so a replica that only writes holds no Pub/Sub
// connection. It does no I/O: a Redis that does not answer must not stall a reader.
func (w *waker) startLocked() {
	if w.stopped != nil || w.closed {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.pubsub = w.client.Subscribe(ctx) // no channel yet: nothing is sent
	w.cancel, w.stopped = cancel, make(chan struct{})
	go w.listen(ctx, w.pubsub, w.stopped)
}

func (w *waker) listen(ctx context.Context, ps *redis.PubSub, stopped chan struct{}) {
	defer close(stopped)
	// A failure here is retried by go-redis, which reconnects and re-subscribes on receive.
	_ = ps.Subscribe(ctx, w.channel)
	for m := range ps.ChannelWithSubscriptions() {
		switch m := m.(type) {
		case *redis.Message:
			w.wake(m.Payload)
		case *redis.Subscription:
			// (Re)subscribed: whatever was published while we were not listening is lost.
			w.wakeAll()
		}
	}
}

// close stops the listener and wakes the waiters, which go on by polling.
func (w *waker) close() {
	w.mu.Lock()
	ps, cancel, stopped := w.pubsub, w.cancel, w.stopped
	w.closed = true
	w.mu.Unlock()
	if ps != nil {
		cancel()
		_ = ps.Close()
		<-stopped
	}
	w.wakeAll()
}
