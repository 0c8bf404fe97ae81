package chat

import (
	"context"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/trace"

	"github.com/chatproxy/chatproxy/internal/analytics"
	"github.com/chatproxy/chatproxy/internal/clientip"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/stream"
	"github.com/chatproxy/chatproxy/internal/tracing"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

// reply is the state of one running answer.
type reply struct {
	s       *Service
	ctx     context.Context
	cancel  context.CancelFunc
	id      string
	in      SendInput
	user    store.Message
	text    strings.Builder
	started time.Time
	first   time.Duration // -1 until the first text
	call    trace.Span    // the n8n call's span (no-op when tracing is off)
	// broken: an append to the reply buffer failed; resetSent: the reset that replaces the
	// rest of the events is in the buffer.
	broken, resetSent bool
}

// newReply prepares a reply; its context is detached from the HTTP request (reqCtx), whose
// trace it stays in.
func (s *Service) newReply(reqCtx context.Context, in SendInput, user store.Message, replyID string) *reply {
	ctx, cancel := context.WithTimeout(s.o.Tracer.Detach(s.base, reqCtx), s.o.ReplyTimeout)
	return &reply{s: s, ctx: ctx, cancel: cancel, id: replyID, in: in, user: user, started: time.Now(), first: -1}
}

// run is the life of one reply after its begin event.
func (r *reply) run(history []store.Message) {
	s, in, replyID := r.s, r.in, r.id
	defer s.running.Add(-1)
	defer r.cancel()
	ctx := r.ctx
	req := r.request(history)
	callCtx, call := s.o.Tracer.StartClient(ctx, spanN8NCall)
	r.call = call
	err := s.o.Upstream.Call(callCtx, in.Site.Target, req, r.onChunk)
	status, code := r.outcome(err)
	r.endCall(status, code)
	if code != "" {
		r.emit(stream.Event{Type: stream.TypeError, Code: code, Content: friendly(code), MessageID: replyID})
		s.o.Metrics.Errors.WithLabelValues(code).Inc()
		// The class, never err itself: network errors name n8n's host and port (docs/security.md).
		s.o.Log.WarnContext(callCtx, "reply failed", "site", in.Site.ID, "session", in.Session.ID, "message", replyID, "code", code, "class", upstream.ErrorClass(err))
	}
	total := time.Since(r.started)
	s.o.Metrics.UpstreamTotal.WithLabelValues(in.Site.ID).Observe(total.Seconds())
	s.o.Metrics.Replies.WithLabelValues(in.Site.ID, status).Inc()
	r.store(status, code, total)
	r.recordOutcome(status, code, total)
	r.emit(stream.Event{Type: stream.TypeEnd, MessageID: replyID, Status: status})
	// n8n is done and the answer stored: the caller's slots go back before the buffer's
	// bookkeeping, so a visitor's next message right after end never finds them still held.
	if in.Done != nil {
		in.Done()
	}
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer fcancel()
	if err := s.o.Buffer.Finish(fctx, replyID); err != nil {
		s.o.Log.ErrorContext(ctx, "finish reply buffer", "message", replyID, "err", err)
	}
}

// emit appends an event to the reply buffer. Once an append fails (Redis away), later events
// would leave a silent hole for readers, so the reply stops appending text and instead tries to
// append one reset event, which tells readers to reload the history (the answer is stored in
// full from r.text). Finish is still attempted at the end.
func (r *reply) emit(e stream.Event) {
	if r.broken {
		if r.resetSent {
			return
		}
		e = stream.Event{Type: stream.TypeReset, MessageID: r.id}
	}
	ctx := r.ctx
	if ctx.Err() != nil { // aborted: the closing events must still reach the buffer
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
	}
	_, err := r.s.o.Buffer.Append(ctx, r.id, e)
	switch {
	case err == nil && r.broken:
		r.resetSent = true
	case err != nil && !r.broken:
		r.broken = true
		r.s.o.Log.WarnContext(ctx, "reply buffer append failed: readers will be told to reload history", "message", r.id, "err", err)
		r.emit(e) // try the reset at once
	}
}

func (r *reply) onChunk(c upstream.Chunk) {
	switch c.Kind {
	case upstream.ChunkText:
		if c.Text == "" {
			return
		}
		first := r.first < 0
		if first {
			r.first = time.Since(r.started)
			r.call.AddEvent(tracing.EventFirstToken)
			r.s.o.Metrics.UpstreamFirstToken.WithLabelValues(r.in.Site.ID).Observe(r.first.Seconds())
			r.s.event(r.in.Session, analytics.ReplyFirstToken, map[string]any{"ms": r.first.Milliseconds()})
		}
		r.text.WriteString(c.Text)
		r.emit(stream.Event{Type: stream.TypeItem, Content: c.Text, MessageID: r.id})
		if first {
			// n8n often sends a burst of chunks at once; without a yield this goroutine would
			// work through the whole burst before the visitor's handler, just woken, writes
			// the first token (measured: ≈ 50 µs later at concurrency 1).
			runtime.Gosched()
		}
	case upstream.ChunkRunStart:
		// A later node run becomes a new paragraph of the same answer.
		if r.text.Len() > 0 {
			r.text.WriteString("\n\n")
			r.emit(stream.Event{Type: stream.TypeItem, Content: "\n\n", MessageID: r.id})
		}
	}
}

// CodeInterrupted: the server stopped the reply (shutdown past its drain deadline).
const CodeInterrupted = "interrupted"

func friendly(code string) string {
	if code == CodeInterrupted {
		return "The answer was interrupted because the server restarted. Please ask again."
	}
	return upstream.FriendlyMessage(code)
}

// outcome maps the upstream result to the stored status and the error code shown.
func (r *reply) outcome(err error) (status, code string) {
	if err == nil {
		if strings.TrimSpace(r.text.String()) == "" {
			return store.StatusFailed, upstream.CodeEmpty
		}
		return store.StatusComplete, ""
	}
	code = upstream.CodeBadResponse
	if ue, ok := upstream.AsError(err); ok {
		code = ue.Code
	} else if r.ctx.Err() != nil {
		code = upstream.CodeTimeout
	}
	if code == upstream.CodeCanceled {
		code = CodeInterrupted
	}
	if r.text.Len() > 0 {
		return store.StatusPartial, code
	}
	return store.StatusFailed, code
}

// store writes the answer; when the database is down the outbox keeps it and retries.
func (r *reply) store(status, code string, total time.Duration) {
	m := store.Message{
		ID: r.id, SessionID: r.in.Session.ID, SiteID: r.in.Site.ID, Role: store.RoleAssistant,
		Content: r.text.String(), Status: status, ErrorCode: code, ClientMessageID: answerKey(r.user.ID),
		FirstTokenMS: r.first.Milliseconds(), TotalMS: total.Milliseconds(), CreatedAt: time.Now().UTC(),
	}
	if r.first < 0 {
		m.FirstTokenMS = -1
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 3*time.Second)
	defer cancel()
	start := time.Now()
	_, _, err := r.s.o.Store.AddMessage(ctx, m)
	r.s.o.Metrics.ObserveDB("add_message", start)
	if err != nil {
		r.s.o.Log.WarnContext(ctx, "answer kept in outbox until the database is back", "message", r.id, "err", err)
		r.s.outbox.push(m)
	}
}

// request builds the upstream request with the conversation context.
func (r *reply) request(history []store.Message) upstream.Request {
	in := r.in
	req := upstream.Request{
		SiteID: in.Site.ID, SessionID: in.Session.ID, MessageID: r.user.ID, VisitorID: in.Session.VisitorID,
		Returning: in.Session.Returning, Text: in.Text, Time: r.user.CreatedAt,
		PageURL: in.PageURL, OriginDomain: in.OriginDomain, UserAgent: in.UserAgent, Context: in.Context,
		History: historyItems(history),
	}
	if in.ClientIP.IsValid() {
		switch in.Site.ClientIP {
		case "raw":
			req.ClientIP = in.ClientIP.String()
		case "hashed":
			req.ClientIP = clientip.HashPrefix(r.s.o.IPHashKey, in.ClientIP)
		}
		if r.s.o.Geo != nil {
			req.Country, req.City = r.s.o.Geo.Lookup(in.ClientIP)
		}
	}
	return req
}

// historyItems converts the stored history to what is sent upstream, leaving out empty turns
// (an answer that failed before its first token).
func historyItems(msgs []store.Message) []upstream.HistoryItem {
	if len(msgs) == 0 {
		return nil
	}
	out := make([]upstream.HistoryItem, 0, len(msgs))
	for _, m := range msgs {
		if m.Content == "" {
			continue
		}
		out = append(out, upstream.HistoryItem{Role: m.Role, Content: m.Content, CreatedAt: m.CreatedAt})
	}
	return out
}

// spanN8NCall is the span of the call to n8n; it carries the time to the first token.
const spanN8NCall = "n8n.call"

// endCall ends the n8n call's span with the reply's status, its error code and the time to the
// first token (also an event at that moment).
func (r *reply) endCall(status, code string) {
	if !r.call.IsRecording() {
		return
	}
	r.call.SetAttributes(tracing.AttrSiteID.String(r.in.Site.ID), tracing.AttrMessageID.String(r.id), tracing.AttrStatus.String(status))
	if r.first >= 0 {
		r.call.SetAttributes(tracing.AttrFirstTokenMS.Float64(float64(r.first.Microseconds()) / 1000))
	}
	if code != "" {
		tracing.Fail(r.call, code)
	}
	r.call.End()
}

// recordOutcome records reply_failed (no answer reached the visitor) or reply_completed with
// the answer's length in characters, never its text.
func (r *reply) recordOutcome(status, code string, total time.Duration) {
	if status == store.StatusFailed {
		r.s.event(r.in.Session, analytics.ReplyFailed, map[string]any{"code": code})
		return
	}
	props := map[string]any{"ms": total.Milliseconds(), "chars": utf8.RuneCountInString(r.text.String()), "status": status}
	if code != "" {
		props["code"] = code
	}
	r.s.event(r.in.Session, analytics.ReplyCompleted, props)
}
