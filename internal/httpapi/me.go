package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/store"
)

// The visitor's own data (docs/api.md#visitor-data, docs/privacy.md): every route acts on the
// session its token names, never on an id from the request.

// meExport answers the session's data as a JSON download.
func (s *Server) meExport(w http.ResponseWriter, r *http.Request) error {
	s.setCORS(w, r)
	sess, _, err := s.authenticate(r)
	if err != nil {
		return err
	}
	out, err := s.Privacy.ExportSession(r.Context(), sess)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="conversation-`+sess.ID+`.json"`)
	writeJSON(w, http.StatusOK, out)
	return nil
}

type eraseRequest struct {
	Scope     string `json:"scope"`      // "session" (default) or "visitor"
	VisitorID string `json:"visitor_id"` // scope visitor: the long-lived id the widget keeps
}

type eraseResponse struct {
	Erased   string   `json:"erased"` // "session" or "visitor"
	Sessions []string `json:"sessions"`
}

// meDelete erases the session (messages, events, and the visitor when nothing else is left),
// or with scope "visitor" every session of the visitor on this site: that takes the visitor's
// id and a session started within config.VisitorEraseFreshness.
func (s *Server) meDelete(w http.ResponseWriter, r *http.Request) error {
	s.setCORS(w, r)
	sess, _, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req eraseRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	out := eraseResponse{Erased: "session", Sessions: []string{sess.ID}}
	switch req.Scope {
	case "", "session":
		err = s.Privacy.EraseSession(r.Context(), sess)
	case "visitor":
		if req.VisitorID != sess.VisitorID {
			return apierr.Forbidden("This visitor id is not the session's visitor.")
		}
		if time.Since(sess.CreatedAt) > config.VisitorEraseFreshness {
			return apierr.FreshSessionRequired()
		}
		out.Erased = "visitor"
		out.Sessions, err = s.Privacy.EraseVisitor(r.Context(), sess.SiteID, sess.VisitorID)
	default:
		return apierr.InvalidRequest("scope must be session or visitor.")
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.recordErase(r, sess, out)
	s.setSessionCookie(w, r, "", -1)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// recordErase writes the audit entry that proves the erasure: ids only, no content.
func (s *Server) recordErase(r *http.Request, sess store.Session, out eraseResponse) {
	if s.Audit == nil {
		return
	}
	e := audit.Entry{
		Actor: audit.Actor{Label: "visitor"}, Action: audit.VisitorErase, SiteID: sess.SiteID,
		TargetType: out.Erased, TargetID: sess.ID, RequestID: requestID(r),
		Diff: map[string]any{"sessions": out.Sessions},
	}
	if out.Erased == "visitor" {
		e.TargetID = sess.VisitorID
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if _, err := s.Audit.Record(ctx, e); err != nil {
		s.log.Error("audit entry not written", "action", e.Action.String(), "err", err)
	}
}

type consentRequest struct {
	Analytics *bool `json:"analytics"`
}

// meConsent records whether the visitor consents to analytics events for this session.
func (s *Server) meConsent(w http.ResponseWriter, r *http.Request) error {
	s.setCORS(w, r)
	sess, _, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req consentRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Analytics == nil {
		return apierr.InvalidRequest("analytics (true or false) is required.")
	}
	if err := s.Sessions.SetAnalytics(r.Context(), sess.ID, *req.Analytics); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
