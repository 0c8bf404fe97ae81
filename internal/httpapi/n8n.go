package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/chat"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/n8nchat"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/stream"
)

// n8nPrefix starts the routes of the official @n8n/chat widget (docs/api.md).
const n8nPrefix = "/api/v1/n8n/"

// n8nRequest is the body @n8n/chat sends (its default chatSessionKey and chatInputKey).
type n8nRequest struct {
	Action    string          `json:"action"`
	SessionID string          `json:"sessionId"`
	ChatInput string          `json:"chatInput"`
	Metadata  json.RawMessage `json:"metadata"`
}

// n8nCall is one validated request of the widget.
type n8nCall struct {
	site   *site.Site
	origin string
	req    n8nRequest
}

// n8nChat is POST /api/v1/n8n/{site_id}: loadPreviousSession or sendMessage.
func (s *Server) n8nChat(w http.ResponseWriter, r *http.Request) error {
	st, origin, err := s.n8nSite(w, r)
	if err != nil {
		return err
	}
	var req n8nRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if !n8nchat.ValidID(req.SessionID) {
		return apierr.InvalidSessionID()
	}
	c := n8nCall{site: st, origin: origin, req: req}
	switch req.Action {
	case "loadPreviousSession":
		return s.n8nPrevious(w, r, c)
	case "sendMessage", "":
		return s.n8nSend(w, r, c)
	}
	return apierr.InvalidRequest("action must be sendMessage or loadPreviousSession.")
}

// n8nSite finds the path's site and applies its origin rule: the widget runs on the shop's
// page, so a request must carry an Origin the site allows (CORS answers only that origin).
func (s *Server) n8nSite(w http.ResponseWriter, r *http.Request) (*site.Site, string, error) {
	st, ok := s.Sites.Get(r.PathValue("site_id"))
	if !ok {
		return nil, "", apierr.SiteNotFound()
	}
	w.Header().Add("Vary", "Origin")
	o := r.Header.Get("Origin")
	if o == "" || o == "null" || !st.Origins.Allows(o) {
		return nil, "", apierr.OriginNotAllowed()
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", o)
	h.Set("Access-Control-Expose-Headers", "Retry-After, RateLimit, RateLimit-Policy, X-Request-Id")
	return st, o, nil
}

// headerList is what a preflight may ask for: header names, comma separated.
var headerList = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_|~-]+)*$`)

// n8nPreflight answers the widget's CORS preflight (its JSON Content-Type needs one). Like
// n8n it allows the headers asked for (a shop may add its own through webhookConfig.headers),
// but only for the site's own origins. The widget sends no cookies: no credentials.
func (s *Server) n8nPreflight(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := s.n8nSite(w, r); err != nil {
		return err
	}
	h := w.Header()
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	allow := "Content-Type, Accept"
	if asked := r.Header.Get("Access-Control-Request-Headers"); asked != "" && len(asked) <= 1024 && headerList.MatchString(asked) {
		allow = asked
	}
	h.Set("Access-Control-Allow-Headers", allow)
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// n8nPrevious answers loadPreviousSession from the store. The widget sends one on every page
// view, chat opened or not: it creates nothing (not a conversation) and never reaches n8n.
func (s *Server) n8nPrevious(w http.ResponseWriter, r *http.Request, c n8nCall) error {
	key := s.N8N.Key(c.req.SessionID)
	if err := s.Guard.PageView(r.Context(), c.site, s.IPs.ClientIP(r), key); err != nil {
		return err
	}
	bound, err := s.N8N.Lookup(r.Context(), c.site.ID, c.req.SessionID, c.origin)
	if err != nil {
		return err
	}
	var msgs []n8nchat.LCMessage
	if bound.Live {
		if msgs, err = s.N8N.History(r.Context(), bound.Session.ID, config.N8NHistoryLimit); err != nil {
			return err
		}
	}
	writeRaw(w, http.StatusOK, n8nchat.Previous(msgs))
	return nil
}

// n8nSend runs sendMessage through the chat use case, like POST /api/v1/chat/message: the
// same validation, guard, storage and n8n call. The widget id's first message binds it to a
// new session, after the guard let the message through.
func (s *Server) n8nSend(w http.ResponseWriter, r *http.Request, c n8nCall) error {
	if s.draining.Load() {
		return apierr.ShuttingDown(2 * time.Second)
	}
	st := c.site
	text := cleanText(c.req.ChatInput)
	if err := validateMessage(text, st); err != nil {
		return err
	}
	ctx, ip, ua := r.Context(), s.IPs.ClientIP(r), limit(cleanText(r.UserAgent()), 512)
	bound, err := s.N8N.Lookup(ctx, st.ID, c.req.SessionID, c.origin)
	if err != nil {
		return err
	}
	sess := bound.Session
	// The guard sees the widget's id as the session (its rates and stream slots are keyed by
	// the id's hash, the same before and after the binding) starting at the widget's first
	// page view: its session is made only with its first message, which the minimum delay
	// then let through, so a bound session's page view was at least that delay before it.
	key := s.N8N.Key(c.req.SessionID)
	seen := store.Session{ID: "n8n:" + key, SiteID: st.ID,
		CreatedAt: sess.CreatedAt.Add(-time.Duration(max(st.Abuse.MinFirstMessageDelayMS, 0)) * time.Millisecond)}
	if !bound.Live {
		// A site that asks for consent gets it from the shop through the widget's metadata
		// ({consent: true}), which the shop sets once the visitor agreed.
		if st.Consent == config.ConsentOptIn && !metadataConsent(c.req.Metadata) {
			return apierr.ConsentRequired()
		}
		if err := s.Guard.SessionCreate(ctx, st, ip, ""); err != nil {
			return err
		}
		if seen.CreatedAt, err = s.Guard.FirstSeen(ctx, key); err != nil {
			return err
		}
	}
	release, err := s.Guard.Message(ctx, st, seen, ip, text, "", "")
	if err != nil {
		return err
	}
	// The stream slots are held while the visitor is connected and while the reply runs,
	// whichever ends last (as for POST /api/v1/chat/message).
	connected, running := releaseAfterBoth(release)
	defer connected()
	if !bound.Live {
		sess, err = s.N8N.Bind(ctx, n8nchat.BindInput{
			SiteID: st.ID, WidgetID: c.req.SessionID, Origin: c.origin, Stale: bound.Stale, UserAgent: ua, ClientIP: ip,
		})
		if err != nil {
			running()
			return err
		}
	}
	reply, err := s.Chat.Send(ctx, chat.SendInput{
		Site: st, Session: sess, Text: text, Context: cleanContext(c.req.Metadata), ClientIP: ip,
		UserAgent: ua, OriginDomain: originDomain(r, st), NoHistory: !bound.Live, Done: running,
	})
	if err != nil {
		return err
	}
	sub, err := s.Chat.Subscribe(ctx, reply.ReplyID, sess.ID, stream.Position{})
	if err != nil {
		return err
	}
	defer sub.Close()
	if wantsStream(r) {
		return s.n8nStream(w, r, sub, reply.ReplyID)
	}
	res, err := n8nchat.Collect(ctx, sub)
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, n8nchat.Output(res))
	return nil
}

// metadataConsent reports {"consent": true} in the widget's metadata.
func metadataConsent(raw json.RawMessage) bool {
	var m struct {
		Consent bool `json:"consent"`
	}
	return len(raw) > 0 && json.Unmarshal(raw, &m) == nil && m.Consent
}

// wantsStream: @n8n/chat with enableStreaming sends Accept: text/plain; without it the
// browser's default Accept.
func wantsStream(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(mt), "text/plain") {
				return true
			}
		}
	}
	return false
}

// n8nStream writes the reply as n8n's NDJSON stream, with n8n's headers.
func (s *Server) n8nStream(w http.ResponseWriter, r *http.Request, sub stream.Subscription, replyID string) error {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	s.metrics.OpenStreams.Inc()
	s.openStreams.Add(1)
	defer func() {
		s.metrics.OpenStreams.Dec()
		s.openStreams.Add(-1)
	}()
	lw := &lineWriter{w: w, rc: http.NewResponseController(w), timeout: s.Config.StreamWriteTimeout}
	err := n8nchat.Stream(r.Context(), sub, lw, n8nchat.StreamOptions{NodeID: replyID, Heartbeat: s.Config.Heartbeat, Stop: s.streams})
	if errors.Is(err, stream.ErrSlowClient) {
		s.metrics.SlowClients.Inc()
	}
	return nil // the response has started: nothing more can be said
}

// lineWriter writes and flushes one line within the stream write timeout.
type lineWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (l *lineWriter) WriteLine(b []byte) error {
	if l.timeout > 0 {
		_ = l.rc.SetWriteDeadline(time.Now().Add(l.timeout))
	}
	if _, err := l.w.Write(b); err != nil {
		return slowOr(err)
	}
	return slowOr(l.rc.Flush())
}

func slowOr(err error) error {
	var t interface{ Timeout() bool }
	if errors.As(err, &t) && t.Timeout() {
		return stream.ErrSlowClient
	}
	return err
}

// writeRaw writes an already encoded JSON body.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
