package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/chat"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/stream"
)

type messageRequest struct {
	Message         string          `json:"message"`
	PageURL         string          `json:"page_url"`
	ClientMessageID string          `json:"client_message_id"`
	Context         json.RawMessage `json:"context"`
	Honeypot        string          `json:"hp"`
}

func (s *Server) chatPost(w http.ResponseWriter, r *http.Request) error {
	s.setCORS(w, r)
	var req messageRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.ClientMessageID == "" {
		req.ClientMessageID = r.Header.Get("Idempotency-Key")
	}
	return s.send(w, r, req)
}

// chatGet serves the seed widget's EventSource form (?message=…) and resumption (?message_id=…).
func (s *Server) chatGet(w http.ResponseWriter, r *http.Request) error {
	s.setCORS(w, r)
	q := r.URL.Query()
	if id := q.Get("message_id"); id != "" {
		return s.resume(w, r, id)
	}
	if q.Get("message") == "" {
		return apierr.EmptyMessage()
	}
	if !utf8.ValidString(q.Get("message")) || !utf8.ValidString(q.Get("page_url")) {
		return apierr.InvalidUTF8()
	}
	return s.send(w, r, messageRequest{Message: q.Get("message"), PageURL: q.Get("page_url"), ClientMessageID: q.Get("client_message_id")})
}

// send validates a message, applies the guard, stores it and streams the reply.
func (s *Server) send(w http.ResponseWriter, r *http.Request, req messageRequest) error {
	if s.draining.Load() {
		return apierr.ShuttingDown(2 * time.Second)
	}
	sess, st, err := s.authenticate(r)
	if err != nil {
		return err
	}
	text := cleanText(req.Message)
	if err := validateMessage(text, st); err != nil {
		return err
	}
	clientID, err := cleanClientID(req.ClientMessageID)
	if err != nil {
		return err
	}
	ip := s.IPs.ClientIP(r)
	release, err := s.Guard.Message(r.Context(), st, sess, ip, text, clientID, req.Honeypot)
	if err != nil {
		return err
	}
	// The stream slots are held while the visitor is connected and while the reply runs,
	// whichever ends last: dropping the connection must not free the n8n call's slot.
	connected, running := releaseAfterBoth(release)
	defer connected()
	noHistory := s.Sessions.ClaimFresh(sess.ID)
	reply, err := s.Chat.Send(r.Context(), chat.SendInput{
		Site: st, Session: sess, Text: text, PageURL: cleanPageURL(req.PageURL, st),
		ClientMessageID: clientID, Context: cleanContext(req.Context), ClientIP: ip,
		UserAgent: limit(cleanText(r.UserAgent()), 512), OriginDomain: originDomain(r, st),
		NoHistory: noHistory, Done: running,
	})
	if err != nil {
		return err
	}
	return s.serveReply(w, r, sess.ID, reply, stream.Position{})
}

// resume continues a reply from the client's Last-Event-ID.
func (s *Server) resume(w http.ResponseWriter, r *http.Request, replyID string) error {
	if _, err := uuid.Parse(replyID); err != nil {
		return apierr.InvalidMessageID()
	}
	sess, st, err := s.authenticate(r)
	if err != nil {
		return err
	}
	release, err := s.resumeSlots(r, st, sess)
	if err != nil {
		return err
	}
	defer release()
	var from stream.Position
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		var ok bool
		if from, ok = stream.ParsePosition(id); !ok {
			return apierr.InvalidLastEventID()
		}
	}
	s.Chat.Resumed(sess)
	msg, err := s.Store.GetMessage(r.Context(), replyID)
	switch {
	case err == nil && msg.SessionID != sess.ID:
		return apierr.Forbidden("This reply belongs to another session.")
	case err == nil:
		return s.serveReply(w, r, sess.ID, chat.Reply{ReplyID: replyID, Stored: &msg}, from)
	case errors.Is(err, store.ErrNotFound):
		return s.serveReply(w, r, sess.ID, chat.Reply{ReplyID: replyID}, from)
	default:
		return err
	}
}

// resumeWait bounds how long a resume waits for a stream slot. A reconnect usually races the
// release of the connection it replaces (a draining replica answers reconnect and only then lets
// go of its slot), while the reply itself keeps its own slot until n8n is done.
const resumeWait = 2 * time.Second

// resumeSlots takes the resume's stream slots, retrying a refusal for at most resumeWait.
func (s *Server) resumeSlots(r *http.Request, st *site.Site, sess store.Session) (func(), error) {
	deadline := time.Now().Add(resumeWait)
	for {
		release, err := s.Guard.Stream(r.Context(), st, sess, s.IPs.ClientIP(r))
		var apiErr *apierr.Error
		if err == nil || !errors.As(err, &apiErr) || apiErr.Code != apierr.TooManyStreams().Code || time.Now().After(deadline) {
			return release, err
		}
		select {
		case <-r.Context().Done():
			return nil, err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// serveReply streams a reply: live from the buffer when it is held, else from the database,
// else a reset event telling the client to reload history.
func (s *Server) serveReply(w http.ResponseWriter, r *http.Request, sessionID string, reply chat.Reply, from stream.Position) error {
	var sub stream.Subscription
	if !reply.Lost && reply.ReplyID != "" {
		var err error
		sub, err = s.Chat.Subscribe(r.Context(), reply.ReplyID, sessionID, from)
		if err != nil && !errors.Is(err, stream.ErrUnknownReply) && !errors.Is(err, stream.ErrGone) {
			// The buffer is unreachable: the client reloads history instead.
			s.log.WarnContext(r.Context(), "reply buffer unavailable", "request_id", requestID(r), "err", err)
			sub = nil
		}
	}
	sw, err := stream.NewWriter(w, s.Config.StreamWriteTimeout)
	if err != nil {
		return nil // client gone
	}
	s.metrics.OpenStreams.Inc()
	s.openStreams.Add(1)
	defer func() {
		s.metrics.OpenStreams.Dec()
		s.openStreams.Add(-1)
	}()
	ctx, span := s.Tracer.Start(r.Context(), spanRelay)
	source := "live"
	switch {
	case sub != nil:
		defer sub.Close()
		err = stream.Relay(ctx, sub, sw, stream.RelayOptions{
			Heartbeat: s.Config.Heartbeat, WriteDelay: s.Config.StreamWriteDelay, Stop: s.streams})
		if err != nil && r.Context().Err() == nil && !errors.Is(err, stream.ErrSlowClient) {
			// The position is gone, or the buffer failed mid-stream: tell the client to reload.
			err = writeReset(sw)
		}
	case reply.Stored != nil && from.Offset == 0:
		source = "stored"
		err = replayStored(sw, *reply.Stored, reply.UserMessageID)
	default:
		source = "reset"
		err = writeReset(sw)
	}
	endRelaySpan(span, source, err)
	if errors.Is(err, stream.ErrSlowClient) {
		s.metrics.SlowClients.Inc()
	}
	return nil
}

// releaseAfterBoth returns two functions, each to be called once; release runs when both were.
func releaseAfterBoth(release func()) (first, second func()) {
	var left atomic.Int32
	left.Store(2)
	done := func() {
		if left.Add(-1) == 0 {
			release()
		}
	}
	return done, done
}

func writeReset(sw *stream.Writer) error {
	if err := sw.Event(stream.Event{Type: stream.TypeReset}); err != nil {
		return err
	}
	return sw.Done()
}

// replayStored sends a finished answer from the database as one begin/item/end sequence.
func replayStored(sw *stream.Writer, m store.Message, userMessageID string) error {
	events := []stream.Event{{Type: stream.TypeBegin, MessageID: m.ID, UserMessageID: userMessageID}}
	if m.Content != "" {
		events = append(events, stream.Event{Type: stream.TypeItem, Content: m.Content, MessageID: m.ID})
	}
	events = append(events, stream.Event{Type: stream.TypeEnd, MessageID: m.ID, Status: m.Status})
	for _, e := range events {
		if err := sw.Event(e); err != nil {
			return err
		}
	}
	return sw.Done()
}

// originDomain is the page origin sent upstream as context: the Origin header when it belongs
// to the site, else nothing.
func originDomain(r *http.Request, st *site.Site) string {
	o := r.Header.Get("Origin")
	if o != "" && st.Origins.Allows(o) {
		return strings.TrimPrefix(strings.TrimPrefix(o, "https://"), "http://")
	}
	return ""
}
