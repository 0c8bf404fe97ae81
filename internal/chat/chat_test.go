package chat

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/metrics"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/sqlite"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
	"github.com/chatproxy/chatproxy/internal/stream"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fakeCaller plays n8n: it emits chunks, then returns err; with a gate it waits for the gate
// (or the call's end) first.
type fakeCaller struct {
	chunks []string
	err    error
	gate   chan struct{}
	calls  atomic.Int32
}

func (f *fakeCaller) Call(ctx context.Context, _ upstream.Target, _ upstream.Request, emit func(upstream.Chunk)) error {
	f.calls.Add(1)
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return upstream.NewError(upstream.CodeCanceled, true, ctx.Err())
		}
	}
	for _, c := range f.chunks {
		emit(upstream.Chunk{Kind: upstream.ChunkText, Text: c})
	}
	return f.err
}

// harness is a Service on SQLite and the memory buffer, with one site and one session.
type harness struct {
	t    *testing.T
	st   store.Store
	buf  stream.Buffer
	svc  *Service
	site *site.Site
	sess store.Session
}

func newHarness(t *testing.T, caller Caller, wrap func(stream.Buffer) stream.Buffer) *harness {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, storetest.NewSQLitePath(t), store.PlainCipher{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := st.UpsertSite(ctx, store.Site{ID: "shop", Name: "shop", Config: []byte(`{}`), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	sess, err := st.StartSession(ctx, store.Visitor{ID: NewID(), SiteID: "shop", FirstSeen: now, LastSeen: now},
		store.Session{ID: NewID(), SiteID: "shop", CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var buf stream.Buffer = stream.NewMemory(stream.MemoryOptions{})
	t.Cleanup(func() { _ = buf.Close() })
	if wrap != nil {
		buf = wrap(buf)
	}
	svc := New(Options{Store: st, Buffer: buf, Upstream: caller, Metrics: metrics.New(), Log: quiet, ReplyTimeout: 10 * time.Second})
	t.Cleanup(svc.Close)
	return &harness{t: t, st: st, buf: buf, svc: svc, site: &site.Site{Site: config.Site{ID: "shop", HistoryDepth: 10}}, sess: sess}
}

func (h *harness) send(text, clientID string, done func()) Reply {
	h.t.Helper()
	r, err := h.svc.Send(context.Background(), SendInput{Site: h.site, Session: h.sess, Text: text, ClientMessageID: clientID, Done: done})
	if err != nil {
		h.t.Fatalf("Send: %v", err)
	}
	return r
}

// events reads a reply's events to its end.
func (h *harness) events(replyID string) []stream.Event {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub, err := h.svc.Subscribe(ctx, replyID, h.sess.ID, stream.Position{})
	if err != nil {
		h.t.Fatalf("Subscribe: %v", err)
	}
	defer sub.Close()
	var out []stream.Event
	for {
		e, _, done, err := sub.Next(ctx)
		if err != nil {
			h.t.Fatalf("Next: %v (events so far %+v)", err, out)
		}
		if done {
			return out
		}
		out = append(out, e)
	}
}

// answer waits for the stored answer of a reply.
func (h *harness) answer(replyID string) store.Message {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := h.st.GetMessage(context.Background(), replyID)
		if err == nil {
			return m
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("answer %s never stored: %v", replyID, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func types(events []stream.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type
	}
	return out
}

// TestSendJoinsRunningReply: the same client message id sent again while the reply runs joins
// that reply: one stored user message, one n8n call, one answer; Done of the joining Send is
// called at once and that of the first when the reply ends.
func TestSendJoinsRunningReply(t *testing.T) {
	caller := &fakeCaller{chunks: []string{"Hel", "lo"}, gate: make(chan struct{})}
	h := newHarness(t, caller, nil)
	var firstDone, secondDone atomic.Bool
	first := h.send("hi", "client-1", func() { firstDone.Store(true) })
	second := h.send("hi", "client-1", func() { secondDone.Store(true) })
	if second.ReplyID != first.ReplyID || second.UserMessageID != first.UserMessageID || second.Stored != nil || second.Lost {
		t.Fatalf("second send %+v did not join the running reply %+v", second, first)
	}
	if !secondDone.Load() || firstDone.Load() {
		t.Fatalf("Done: joining send %v (want called at once), running reply %v (want not yet)", secondDone.Load(), firstDone.Load())
	}
	close(caller.gate)
	if got := types(h.events(first.ReplyID)); len(got) != 4 || got[0] != "begin" || got[3] != "end" {
		t.Fatalf("events %v", got)
	}
	if m := h.answer(first.ReplyID); m.Content != "Hello" || m.Status != store.StatusComplete {
		t.Fatalf("answer %+v", m)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !firstDone.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !firstDone.Load() {
		t.Fatal("Done of the reply never called")
	}
	// After the end, the same id is served from the database.
	third := h.send("hi", "client-1", nil)
	if caller.calls.Load() != 1 || third.ReplyID != first.ReplyID {
		t.Fatalf("n8n called %d times; third send %+v", caller.calls.Load(), third)
	}
	msgs, _ := h.st.ListMessages(context.Background(), h.sess.ID, store.Page{})
	if len(msgs) != 2 {
		t.Fatalf("%d messages stored, want 2", len(msgs))
	}
}

// TestOutcomeStatuses: every way a call can end maps to a stored status and the error code
// shown to the visitor.
func TestOutcomeStatuses(t *testing.T) {
	cases := []struct {
		name         string
		chunks       []string
		err          error
		abort        bool
		status, code string
	}{
		{"complete", []string{"ok"}, nil, false, store.StatusComplete, ""},
		{"no text is empty", []string{" "}, nil, false, store.StatusFailed, upstream.CodeEmpty},
		{"error before text", nil, upstream.NewError(upstream.CodeStatus, true, errors.New("500")), false, store.StatusFailed, upstream.CodeStatus},
		{"error after text", []string{"half"}, upstream.NewError(upstream.CodeTimeout, true, errors.New("idle")), false, store.StatusPartial, upstream.CodeTimeout},
		{"not an upstream error", []string{"x"}, errors.New("odd"), false, store.StatusPartial, upstream.CodeBadResponse},
		{"aborted by shutdown", nil, nil, true, store.StatusFailed, CodeInterrupted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			caller := &fakeCaller{chunks: tc.chunks, err: tc.err}
			if tc.abort {
				caller.gate = make(chan struct{})
			}
			h := newHarness(t, caller, nil)
			r := h.send("q", "", nil)
			if tc.abort {
				h.svc.Abort()
			}
			events := h.events(r.ReplyID)
			var code, status string
			for _, e := range events {
				switch e.Type {
				case stream.TypeError:
					code = e.Code
					if e.Content == "" {
						t.Error("error event without a friendly text")
					}
				case stream.TypeEnd:
					status = e.Status
				}
			}
			if code != tc.code || status != tc.status {
				t.Fatalf("events %v: code %q status %q, want %q %q", types(events), code, status, tc.code, tc.status)
			}
			if m := h.answer(r.ReplyID); m.Status != tc.status {
				t.Fatalf("stored status %q, want %q", m.Status, tc.status)
			}
		})
	}
}

// failingBuffer fails the append with index failAt (0 = begin), once.
type failingBuffer struct {
	stream.Buffer
	mu      sync.Mutex
	n       int
	failAt  int
	appends []string
}

func (b *failingBuffer) Append(ctx context.Context, id string, e stream.Event) (stream.Event, error) {
	b.mu.Lock()
	i := b.n
	b.n++
	b.mu.Unlock()
	if i == b.failAt {
		return stream.Event{}, errors.New("buffer unreachable")
	}
	b.mu.Lock()
	b.appends = append(b.appends, e.Type)
	b.mu.Unlock()
	return b.Buffer.Append(ctx, id, e)
}

// TestAppendFailsAfterEventEmitted: once an append fails mid-reply, readers get one reset event
// instead of a silent hole, nothing more is appended, and the whole answer is still stored.
func TestAppendFailsAfterEventEmitted(t *testing.T) {
	caller := &fakeCaller{chunks: []string{"a", "b", "c", "d"}}
	var fb *failingBuffer
	h := newHarness(t, caller, func(b stream.Buffer) stream.Buffer {
		fb = &failingBuffer{Buffer: b, failAt: 2} // begin, "a", then "b" fails
		return fb
	})
	r := h.send("q", "", nil)
	got := types(h.events(r.ReplyID))
	want := []string{"begin", "item", "reset"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("events %v, want %v", got, want)
	}
	if m := h.answer(r.ReplyID); m.Content != "abcd" || m.Status != store.StatusComplete {
		t.Fatalf("stored answer %+v, want the whole text", m)
	}
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if len(fb.appends) != 3 {
		t.Fatalf("appended after the reset: %v", fb.appends)
	}
}

// downStore fails AddMessage while down.
type downStore struct {
	store.Store
	down atomic.Bool
}

func (d *downStore) AddMessage(ctx context.Context, m store.Message) (store.Message, bool, error) {
	if d.down.Load() {
		return store.Message{}, false, store.ErrUnavailable
	}
	return d.Store.AddMessage(ctx, m)
}

// TestOutboxDropsOldestWhenFull: while the database is down the outbox keeps at most its bound,
// dropping the oldest answer, and writes the rest in order when the database is back.
func TestOutboxDropsOldestWhenFull(t *testing.T) {
	h := newHarness(t, &fakeCaller{}, nil)
	ds := &downStore{Store: h.st}
	ds.down.Store(true)
	o := newOutbox(ds, quiet, 2)
	defer o.close()
	var ids []string
	for i := range 3 {
		m := store.Message{ID: NewID(), SessionID: h.sess.ID, SiteID: "shop", Role: store.RoleAssistant, Content: "answer",
			Status: store.StatusComplete, ClientMessageID: "answer-to:" + string(rune('a'+i)), CreatedAt: time.Now().UTC()}
		ids = append(ids, m.ID)
		o.push(m)
	}
	if o.Len() != 2 {
		t.Fatalf("outbox holds %d, want its bound of 2", o.Len())
	}
	ds.down.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.drain(ctx); err != nil {
		t.Fatalf("outbox never drained: %v", err)
	}
	if _, err := h.st.GetMessage(ctx, ids[0]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the oldest answer was not dropped: %v", err)
	}
	for _, id := range ids[1:] {
		if _, err := h.st.GetMessage(ctx, id); err != nil {
			t.Fatalf("answer %s not written after the outage: %v", id, err)
		}
	}
}
