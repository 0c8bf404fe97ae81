package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/analytics"
	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/session"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/store"
)

// maxEventsBody bounds POST /api/v1/events: 50 events with 1 KB of props each and headroom.
const maxEventsBody = 64 << 10

type eventsRequest struct {
	SiteID    string        `json:"site_id"`
	VisitorID string        `json:"visitor_id"`
	Token     string        `json:"token"`
	Events    []clientEvent `json:"events"`
}

type clientEvent struct {
	Name  string          `json:"name"`
	Props json.RawMessage `json:"props"`
	At    string          `json:"at"`
}

// events takes a batch of widget and shop-page events (the loader's sendBeacon). Everything is
// checked before anything is queued: a bad event refuses the whole batch.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	s.setCORS(w, r)
	var req eventsRequest
	if err := decodeEvents(w, r, &req); err != nil {
		return err
	}
	if req.SiteID == "" {
		return apierr.SiteRequired()
	}
	st, ok := s.Sites.Get(req.SiteID)
	if !ok {
		return apierr.SiteNotFound()
	}
	if err := s.checkOrigin(r, st); err != nil {
		return err
	}
	if err := s.Guard.Events(r.Context(), st, s.IPs.ClientIP(r)); err != nil {
		return err
	}
	sess, err := s.eventSession(r, req.Token, st)
	if err != nil {
		return err
	}
	visitor := sess.VisitorID
	if visitor == "" && req.VisitorID != "" {
		if _, err := uuid.Parse(req.VisitorID); err != nil || len(req.VisitorID) != 36 {
			return apierr.InvalidRequest("visitor_id must be a visitor id.")
		}
		visitor = req.VisitorID
	}
	evs, err := s.checkEvents(r, st, sess, visitor, req.Events)
	if err != nil {
		return err
	}
	if s.Events == nil {
		return apierr.Internal()
	}
	if sess.NoAnalytics || (st.Consent == config.ConsentOptIn && sess.ID == "") {
		// Withdrawn, or an opt_in site's visitor without a session (no consent given yet):
		// accepted (the page must not retry) but not kept.
		evs = nil
	}
	for _, e := range evs {
		s.Events.Add(e)
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"accepted": len(evs)})
	return nil
}

// decodeEvents reads the body: JSON sent as application/json or, as sendBeacon sends a string
// without a preflight, text/plain.
func decodeEvents(w http.ResponseWriter, r *http.Request, v *eventsRequest) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "text/plain") {
			return apierr.UnsupportedMediaType("Send the body as application/json or text/plain.")
		}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEventsBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apierr.BodyTooLarge()
		}
		return apierr.InvalidRequest("The request body could not be read.")
	}
	if !utf8.Valid(b) {
		return apierr.InvalidUTF8()
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return apierr.InvalidRequest("Field " + te.Field + " has the wrong type.")
		}
		return apierr.InvalidJSON()
	}
	return nil
}

// eventSession resolves the session of the token (bearer header, then the token field, then
// the cookie). A given token that is not valid is refused; a stale cookie only means "no
// session" (the loader's beacons carry it on every page). The zero session means none.
func (s *Server) eventSession(r *http.Request, field string, st *site.Site) (store.Session, error) {
	token, kind := credentials(r)
	if kind == session.KindCookie && field != "" {
		token, kind = field, session.KindBearer
	}
	if kind == "" && field != "" {
		token, kind = field, session.KindBearer
	}
	if token == "" {
		return store.Session{}, nil
	}
	sess, err := s.Sessions.Authenticate(r.Context(), token, kind)
	switch {
	case err != nil && kind == session.KindCookie:
		return store.Session{}, nil
	case err != nil:
		return store.Session{}, err
	case sess.SiteID != st.ID:
		return store.Session{}, apierr.SiteMismatch()
	}
	return sess, nil
}

// checkEvents validates every event and turns it into what is recorded.
func (s *Server) checkEvents(r *http.Request, st *site.Site, sess store.Session, visitor string, in []clientEvent) ([]analytics.Event, error) {
	switch {
	case len(in) == 0:
		return nil, apierr.NoEvents()
	case len(in) > analytics.MaxBatch:
		return nil, apierr.TooManyEvents(analytics.MaxBatch)
	}
	now := time.Now().UTC()
	out := make([]analytics.Event, 0, len(in))
	for _, ce := range in {
		e, err := s.checkEvent(r, st, sess, visitor, ce, now)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (s *Server) checkEvent(r *http.Request, st *site.Site, sess store.Session, visitor string, ce clientEvent, now time.Time) (analytics.Event, error) {
	if err := analytics.CheckName(ce.Name); err != nil {
		return analytics.Event{}, apierr.InvalidEventName(ce.Name + ": " + err.Error() + ".")
	}
	props, err := analytics.ParseProps(ce.Props)
	switch {
	case errors.Is(err, analytics.ErrPropsSize):
		return analytics.Event{}, apierr.PropsTooLarge()
	case err != nil:
		return analytics.Event{}, apierr.InvalidEventProps(ce.Name + ": " + err.Error() + ".")
	}
	at := now
	if ce.At != "" {
		t, err := time.Parse(time.RFC3339Nano, ce.At)
		if err != nil || t.Before(now.Add(-24*time.Hour)) || t.After(now.Add(5*time.Minute)) {
			return analytics.Event{}, apierr.InvalidEventTime()
		}
		at = t.UTC()
	}
	key, err := analytics.Builtin(ce.Name, props)
	if err != nil {
		return analytics.Event{}, apierr.InvalidEventProps(ce.Name + ": " + err.Error() + ".")
	}
	e := analytics.Event{SiteID: st.ID, SessionID: sess.ID, VisitorID: visitor, Name: ce.Name, Props: props, At: at, DedupeKey: key}
	switch ce.Name {
	case analytics.Feedback:
		err = s.checkFeedback(r, sess, props)
	case analytics.Purchase:
		err = s.attribute(r, st, visitor, at, props)
	}
	return e, err
}

// checkFeedback: a rating needs the session of the answer it rates.
func (s *Server) checkFeedback(r *http.Request, sess store.Session, props map[string]any) error {
	if sess.ID == "" {
		return apierr.Unauthorized()
	}
	id, _ := props["message_id"].(string)
	m, err := s.Store.GetMessage(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && (m.SessionID != sess.ID || m.Role != store.RoleAssistant)):
		return apierr.InvalidEventProps("feedback: message_id is not an answer of this session.")
	case err != nil:
		return err
	}
	return nil
}

// attribute marks a purchase chat-assisted when its visitor started a conversation on the
// site within the site's attribution window before it; the window is stored with it.
func (s *Server) attribute(r *http.Request, st *site.Site, visitor string, at time.Time, props map[string]any) error {
	window := st.Analytics.AttributionWindow.D()
	props["assisted"], props["window_h"] = false, int(window.Hours())
	if visitor == "" {
		return nil
	}
	ok, err := s.Store.HadSessionBetween(r.Context(), st.ID, visitor, at.Add(-window), at)
	props["assisted"] = ok
	return err
}
