// Package chat is the reply use case: from a visitor's message to the answer.
//
// It stores the visitor's message, starts the reply (which belongs to no HTTP request: a
// disconnect never cancels it), calls n8n, appends each normalised chunk to the reply buffer,
// and stores the answer with its status. HTTP handlers only subscribe.
package chat

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/analytics"
	"github.com/chatproxy/chatproxy/internal/metrics"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/stream"
	"github.com/chatproxy/chatproxy/internal/tracing"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

// Caller calls n8n (upstream.Client in production).
type Caller interface {
	Call(ctx context.Context, t upstream.Target, req upstream.Request, emit func(upstream.Chunk)) error
}

// Geo resolves an IP to a place; nil when no GEOIP_DB is configured.
type Geo interface {
	Lookup(ip netip.Addr) (country, city string)
}

// Options wire a Service.
type Options struct {
	Store        store.Store
	Buffer       stream.Buffer
	Upstream     Caller
	Metrics      *metrics.Metrics
	Log          *slog.Logger
	Tracer       tracing.Tracer // the n8n call's span; zero = off
	Geo          Geo
	IPHashKey    []byte              // keys the hashed client IP sent upstream
	ReplyTimeout time.Duration       // upper bound of one reply (upstream total + storing)
	Events       *analytics.Recorder // message and reply events; nil records nothing
}

// Service runs replies.
type Service struct {
	o Options
	// running counts replies in flight. Not a WaitGroup: a reply may start while a shutdown
	// already waits, which WaitGroup forbids.
	running atomic.Int64
	outbox  *outbox
	// base is the parent of every reply's context: replies outlive their HTTP requests, and
	// Abort cancels them all when a shutdown deadline passes.
	base  context.Context
	abort context.CancelFunc
}

// New builds a Service and starts its outbox (answers waiting for the database).
func New(o Options) *Service {
	if o.ReplyTimeout <= 0 {
		o.ReplyTimeout = 3 * time.Minute
	}
	s := &Service{o: o}
	s.base, s.abort = context.WithCancel(context.Background())
	s.outbox = newOutbox(o.Store, o.Log, 10000)
	return s
}

// SendInput is one validated visitor message.
type SendInput struct {
	Site            *site.Site
	Session         store.Session
	Text            string
	PageURL         string
	ClientMessageID string
	Context         map[string]any
	ClientIP        netip.Addr
	UserAgent       string
	OriginDomain    string
	// NoHistory: the session is known to have no earlier message (skip the history query).
	NoHistory bool
	// Done, when set, is called exactly once: when the reply Send started has finished (n8n
	// is done and the answer stored), or before Send returns when it started none (a joined
	// reply, an error). The caller's concurrency slots are given back there, so a visitor who
	// drops the connection keeps holding them while the n8n call runs.
	Done func()
}

// Reply tells the handler what to subscribe to.
type Reply struct {
	ReplyID       string
	UserMessageID string
	// Stored is set when the reply is no longer buffered and is served from the database.
	Stored *store.Message
	// Lost is true when the message was accepted earlier but its reply is gone (replica died).
	Lost bool
}

// NewID returns a time-ordered id.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// answerKey is the assistant message's client id: it makes storing an answer idempotent.
func answerKey(userMessageID string) string { return "answer-to:" + userMessageID }

// Send stores the user message and starts the reply, or joins the reply of the same message sent
// earlier (same client_message_id).
func (s *Service) Send(ctx context.Context, in SendInput) (reply Reply, err error) {
	started := false
	defer func() {
		if !started && in.Done != nil {
			in.Done()
		}
	}()
	now := time.Now().UTC()
	msg := store.Message{
		ID: NewID(), SessionID: in.Session.ID, SiteID: in.Site.ID, Role: store.RoleUser,
		Content: in.Text, Status: store.StatusComplete, ClientMessageID: in.ClientMessageID, CreatedAt: now,
	}
	depth := in.Site.HistoryDepth
	if in.NoHistory {
		depth = 0
	}
	start := time.Now()
	// The history is read with the insert (one round trip): it is the context sent upstream.
	stored, created, history, err := s.o.Store.AddUserMessage(ctx, msg, depth)
	s.o.Metrics.ObserveDB("add_message", start)
	if err != nil {
		return Reply{}, err
	}
	if !created {
		return s.join(ctx, stored)
	}
	s.event(in.Session, analytics.MessageSent, nil)
	replyID := NewID()
	if _, err := s.o.Buffer.Start(ctx, replyID, stored.ID, in.Session.ID); err != nil {
		return Reply{}, err
	}
	s.running.Add(1)
	started = true
	r := s.newReply(ctx, in, stored, replyID)
	// begin is in the buffer before the handler subscribes, so the SSE headers and begin leave
	// in one write; the reply then runs on its own goroutine.
	r.emit(stream.Event{Type: stream.TypeBegin, MessageID: replyID, UserMessageID: stored.ID})
	go r.run(history)
	// Let the reply goroutine send the upstream request first: it is the long pole of the
	// first token, and this handler's own writes to the visitor can overlap with n8n's work.
	runtime.Gosched()
	return Reply{ReplyID: replyID, UserMessageID: stored.ID}, nil
}

// join finds the reply of a message that was already stored.
func (s *Service) join(ctx context.Context, user store.Message) (Reply, error) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		if id, ok, err := s.o.Buffer.Lookup(ctx, user.ID); err == nil && ok {
			return Reply{ReplyID: id, UserMessageID: user.ID}, nil
		}
		answer, err := s.o.Store.NextMessage(ctx, user.SessionID, user.ID, store.RoleAssistant)
		if err == nil {
			return Reply{ReplyID: answer.ID, UserMessageID: user.ID, Stored: &answer}, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return Reply{}, err
		}
		if time.Now().After(deadline) {
			return Reply{UserMessageID: user.ID, Lost: true}, nil
		}
		select {
		case <-ctx.Done():
			return Reply{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Subscribe follows a buffered reply from a position.
func (s *Service) Subscribe(ctx context.Context, replyID, sessionID string, from stream.Position) (stream.Subscription, error) {
	return s.o.Buffer.Subscribe(ctx, replyID, sessionID, from)
}

// Wait blocks until every running reply finished and the outbox is empty, or ctx ends
// (graceful shutdown).
func (s *Service) Wait(ctx context.Context) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for s.running.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return s.outbox.drain(ctx)
}

// Abort cancels every running reply: each stores what it has (status partial or failed) and
// ends its stream, so a visitor resuming on another replica sees the end instead of waiting.
func (s *Service) Abort() { s.abort() }

// Close stops background work.
func (s *Service) Close() {
	s.abort()
	s.outbox.close()
}

// event records an analytics event of a session (never with message text), unless its
// visitor withdrew analytics consent.
func (s *Service) event(sess store.Session, name string, props map[string]any) {
	if sess.NoAnalytics {
		return
	}
	s.o.Events.Add(analytics.Event{SiteID: sess.SiteID, SessionID: sess.ID, VisitorID: sess.VisitorID, Name: name, Props: props})
}

// Resumed records that a visitor picked a reply up again after its connection dropped.
func (s *Service) Resumed(sess store.Session) { s.event(sess, analytics.Resumed, nil) }
