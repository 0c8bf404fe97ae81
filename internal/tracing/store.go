package tracing

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/chatproxy/chatproxy/internal/store"
)

// Store wraps st so that the writes of a conversation (session start and touch, message
// inserts, the stored answer) each get a span; reads and maintenance pass straight through.
// system is the engine's db.system.name ("postgresql", "sqlite"). With t off, st is returned
// as it is.
func Store(st store.Store, t Tracer, system string) store.Store {
	if !t.On() {
		return st
	}
	return &tracedStore{Store: st, t: t, system: attribute.String("db.system.name", system)}
}

type tracedStore struct {
	store.Store
	t      Tracer
	system attribute.KeyValue
}

// Span names of the traced writes.
const (
	SpanStartSession   = "store.start_session"
	SpanTouchSession   = "store.touch_session"
	SpanAddUserMessage = "store.add_user_message"
	SpanAddMessage     = "store.add_message"
	// SpanCommitBatch is a group commit's span (engines that group writes start it).
	SpanCommitBatch = "store.commit_batch"
)

func (s *tracedStore) start(ctx context.Context, name, op string) (context.Context, trace.Span) {
	ctx, span := s.t.StartClient(ctx, name)
	span.SetAttributes(s.system, attribute.String("db.operation.name", op))
	return ctx, span
}

// end records the outcome: the class of an error, never its text (it may name the server).
func end(span trace.Span, err error) {
	if err != nil {
		Fail(span, storeErrorCode(err))
	}
	span.End()
}

func storeErrorCode(err error) string {
	switch {
	case errors.Is(err, store.ErrUnavailable):
		return "store_unavailable"
	case errors.Is(err, store.ErrNotFound):
		return "store_not_found"
	case errors.Is(err, store.ErrForeignVisitor):
		return "store_foreign_visitor"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "store_canceled"
	}
	return "store_error"
}

func (s *tracedStore) StartSession(ctx context.Context, v store.Visitor, sess store.Session) (store.Session, error) {
	ctx, span := s.start(ctx, SpanStartSession, "StartSession")
	stored, err := s.Store.StartSession(ctx, v, sess)
	span.SetAttributes(AttrSiteID.String(sess.SiteID), AttrSessionID.String(sess.ID))
	end(span, err)
	return stored, err
}

func (s *tracedStore) TouchSession(ctx context.Context, id string, lastSeen time.Time) error {
	ctx, span := s.start(ctx, SpanTouchSession, "TouchSession")
	err := s.Store.TouchSession(ctx, id, lastSeen)
	end(span, err)
	return err
}

func (s *tracedStore) AddMessage(ctx context.Context, m store.Message) (store.Message, bool, error) {
	ctx, span := s.start(ctx, SpanAddMessage, "AddMessage")
	stored, created, err := s.Store.AddMessage(ctx, m)
	span.SetAttributes(AttrMessageID.String(m.ID), attribute.String("chatproxy.role", m.Role), attribute.Bool("chatproxy.created", created))
	end(span, err)
	return stored, created, err
}

func (s *tracedStore) AddUserMessage(ctx context.Context, m store.Message, depth int) (store.Message, bool, []store.Message, error) {
	ctx, span := s.start(ctx, SpanAddUserMessage, "AddUserMessage")
	stored, created, history, err := s.Store.AddUserMessage(ctx, m, depth)
	span.SetAttributes(AttrMessageID.String(m.ID), attribute.Bool("chatproxy.created", created), attribute.Int("chatproxy.history", len(history)))
	end(span, err)
	return stored, created, history, err
}
