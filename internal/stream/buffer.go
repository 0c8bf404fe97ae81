package stream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"
)

// Errors of a Buffer.
var (
	// ErrUnknownReply: no reply with that id is held (never started here, or expired).
	ErrUnknownReply = errors.New("stream: unknown reply")
	// ErrGone: the reply exists but the position asked for can no longer be served (another
	// epoch, or events dropped by the size bound). The client must reload history.
	ErrGone = errors.New("stream: position no longer available")
)

// Buffer keeps the events of in-flight and recently finished replies.
type Buffer interface {
	// Start registers a reply. alias is a second key (the user message) used to find the reply
	// of a message sent twice.
	// owner (the session id) is checked by Subscribe, so one session cannot follow another's reply.
	Start(ctx context.Context, replyID, alias, owner string) (epoch string, err error)
	// Append adds an event and returns it with its offset set.
	Append(ctx context.Context, replyID string, e Event) (Event, error)
	// Finish marks the reply complete; subscribers get done after the last event.
	Finish(ctx context.Context, replyID string) error
	// Lookup finds a reply by its alias.
	Lookup(ctx context.Context, alias string) (replyID string, ok bool, err error)
	// Subscribe delivers the events after from.Offset, then live ones. An empty from.Epoch means
	// "from the start of whatever epoch is current".
	// A reply of another owner is reported as ErrUnknownReply.
	Subscribe(ctx context.Context, replyID, owner string, from Position) (Subscription, error)
	Close() error
}

// Subscription is one reader of a reply.
type Subscription interface {
	// Next blocks for the next event. done is true once the reply finished and every event was
	// delivered.
	Next(ctx context.Context) (e Event, frame []byte, done bool, err error)
	Epoch() string
	Close()
}

// MemoryOptions bound what the in-memory buffer keeps.
type MemoryOptions struct {
	MaxBytesPerReply int // frames beyond this are dropped from the front (default 1 MiB)
	// FinishedTTL is how long a finished reply stays (default 15 s). A resume after that is
	// served from the database, which holds the answer before the reply finishes; readers
	// already following the reply keep it alive on their own. Short, because every kept reply
	// costs ≈ 7 KB of heap: at 1,000 replies/s a minute would hold ≈ 400 MB.
	FinishedTTL time.Duration
	MaxAge      time.Duration // an unfinished reply older than this is dropped (default 15 min)
}

// Memory is the single-node Buffer.
type Memory struct {
	opts    MemoryOptions
	epoch   string
	mu      sync.Mutex
	replies map[string]*reply
	aliases map[string]string
	stop    chan struct{}
	once    sync.Once
}

// reply holds events, not rendered frames: a frame is rendered when a subscriber reads it
// (normally once). Keeping both doubled the memory of every running reply (≈ 300 B per
// event), which decides how many long streams fit in a replica's memory.
type reply struct {
	mu       sync.Mutex
	epoch    string
	alias    string
	owner    string
	events   []slot
	first    uint64 // offset of events[0]
	id       string // the reply's id: the message id of its compact items (see slot)
	next     uint64 // next offset to assign
	bytes    int
	done     bool
	changed  chan struct{} // closed and replaced on every change
	started  time.Time
	finished time.Time
}

// NewMemory builds an in-memory buffer with a fresh epoch and starts its sweeper.
func NewMemory(o MemoryOptions) *Memory {
	if o.MaxBytesPerReply <= 0 {
		o.MaxBytesPerReply = 1 << 20
	}
	if o.FinishedTTL <= 0 {
		o.FinishedTTL = 15 * time.Second
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 15 * time.Minute
	}
	m := &Memory{opts: o, epoch: NewEpoch(), replies: map[string]*reply{}, aliases: map[string]string{}, stop: make(chan struct{})}
	go m.sweepLoop()
	return m
}

// NewEpoch returns a short random epoch string.
func NewEpoch() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (m *Memory) Start(_ context.Context, replyID, alias, owner string) (string, error) {
	return m.StartEpoch(replyID, alias, owner, m.epoch), nil
}

// StartEpoch is Start with the reply's epoch chosen by the caller: a buffer that keeps a copy
// of the reply elsewhere (Redis) gives both copies one epoch, so a position taken from either
// is valid in the other. It returns the epoch of the reply (the first one if it existed).
func (m *Memory) StartEpoch(replyID, alias, owner, epoch string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.replies[replyID]; ok {
		return r.epoch
	}
	m.replies[replyID] = &reply{id: replyID, epoch: epoch, alias: alias, owner: owner, next: 1, changed: make(chan struct{}), started: time.Now()}
	if alias != "" {
		m.aliases[alias] = replyID
	}
	return epoch
}

func (m *Memory) get(replyID string) (*reply, error) {
	m.mu.Lock()
	r, ok := m.replies[replyID]
	m.mu.Unlock()
	if !ok {
		return nil, ErrUnknownReply
	}
	return r, nil
}

func (m *Memory) Append(_ context.Context, replyID string, e Event) (Event, error) {
	r, err := m.get(replyID)
	if err != nil {
		return e, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e.Offset = r.next
	r.next++
	r.events = append(r.events, r.slotOf(e))
	r.bytes += e.size()
	for r.bytes > m.opts.MaxBytesPerReply && len(r.events) > 1 {
		r.bytes -= r.event(0).size()
		r.events[0] = slot{}
		r.events = r.events[1:]
		r.first++
	}
	if r.first == 0 {
		r.first = 1
	}
	r.notify()
	return e, nil
}

// slot is one event as the memory buffer keeps it. Nearly every event of a reply is a text item
// that differs from the others only in its content and offset: such an item keeps its content
// alone (24 bytes instead of the 112 of an Event, which decides how many long replies fit in
// a replica's memory); any other event keeps a copy of itself.
type slot struct {
	content string
	other   *Event // nil: an item with content whose message id is the reply's id
}

// slotOf stores e compactly when it is a plain item of the reply's own message.
func (r *reply) slotOf(e Event) slot {
	if e.Type == TypeItem && e.MessageID == r.id && e.UserMessageID == "" && e.Code == "" && e.Status == "" && e.RetryMS == 0 {
		return slot{content: e.Content}
	}
	return slot{other: &e}
}

// event rebuilds events[i], with its offset.
func (r *reply) event(i int) Event {
	offset := max(r.first, 1) + uint64(i)
	if o := r.events[i].other; o != nil {
		e := *o
		e.Offset = offset
		return e
	}
	return Event{Offset: offset, Type: TypeItem, Content: r.events[i].content, MessageID: r.id}
}

func (r *reply) notify() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (m *Memory) Finish(_ context.Context, replyID string) error {
	r, err := m.get(replyID)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.done = true
	r.finished = time.Now()
	r.notify()
	r.mu.Unlock()
	return nil
}

func (m *Memory) Lookup(_ context.Context, alias string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.aliases[alias]
	return id, ok, nil
}

func (m *Memory) Subscribe(_ context.Context, replyID, owner string, from Position) (Subscription, error) {
	r, err := m.get(replyID)
	if err != nil {
		return nil, err
	}
	if r.owner != owner {
		return nil, ErrUnknownReply
	}
	if from.Epoch != "" && from.Epoch != r.epoch {
		return nil, ErrGone
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if first := max(r.first, 1); from.Offset+1 < first && len(r.events) > 0 {
		return nil, ErrGone
	}
	return &memSub{r: r, epoch: r.epoch, next: from.Offset + 1}, nil
}

// Since copies, without waiting, up to limit events after offset after (fewer when the size
// bound dropped some: the first returned may then be later than after+1), and reports whether
// the reply finished with nothing left after them. It is how a write-behind copies a reply.
func (m *Memory) Since(replyID string, after uint64, limit int) (events []Event, done bool, err error) {
	r, err := m.get(replyID)
	if err != nil {
		return nil, false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	idx := 0
	if len(r.events) > 0 && after >= r.first {
		idx = int(after - r.first + 1)
	}
	idx = min(idx, len(r.events))
	end := min(idx+limit, len(r.events))
	events = make([]Event, 0, end-idx)
	for i := idx; i < end; i++ {
		events = append(events, r.event(i))
	}
	return events, r.done && end == len(r.events), nil
}

// Close stops the sweeper.
func (m *Memory) Close() error {
	m.once.Do(func() { close(m.stop) })
	return nil
}

func (m *Memory) sweepLoop() {
	t := time.NewTicker(min(5*time.Second, m.opts.FinishedTTL))
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case now := <-t.C:
			m.sweep(now)
		}
	}
}

func (m *Memory) sweep(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, r := range m.replies {
		r.mu.Lock()
		expired := (r.done && now.Sub(r.finished) > m.opts.FinishedTTL) || now.Sub(r.started) > m.opts.MaxAge
		r.mu.Unlock()
		if expired {
			delete(m.replies, id)
			if r.alias != "" {
				delete(m.aliases, r.alias)
			}
		}
	}
}

// Len reports how many replies are held (for tests and metrics).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.replies)
}

type memSub struct {
	r     *reply
	epoch string
	next  uint64
}

func (s *memSub) Epoch() string { return s.epoch }
func (s *memSub) Close()        {}

func (s *memSub) Next(ctx context.Context) (Event, []byte, bool, error) {
	return s.NextBefore(ctx, nil)
}

// NextBefore is Next that also gives up, with context.DeadlineExceeded, when deadline fires.
func (s *memSub) NextBefore(ctx context.Context, deadline <-chan time.Time) (Event, []byte, bool, error) {
	for {
		s.r.mu.Lock()
		if s.next < s.r.first && len(s.r.events) > 0 {
			s.r.mu.Unlock()
			return Event{}, nil, false, ErrGone // fell behind the size bound
		}
		if idx := int(s.next - max(s.r.first, 1)); idx >= 0 && idx < len(s.r.events) {
			e := s.r.event(idx)
			s.r.mu.Unlock()
			s.next++
			return e, e.Frame(s.epoch), false, nil
		}
		if s.r.done {
			s.r.mu.Unlock()
			return Event{}, nil, true, nil
		}
		ch := s.r.changed
		s.r.mu.Unlock()
		select {
		case <-ctx.Done():
			return Event{}, nil, false, ctx.Err()
		case <-deadline:
			return Event{}, nil, false, context.DeadlineExceeded
		case <-ch:
		}
	}
}
