package adminapi

import (
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/console"
	"github.com/chatproxy/chatproxy/internal/store"
)

// Data subject requests (docs/privacy.md#operator-requests): find everything stored about a
// visitor id (with its site) or a session id, export it, erase it. Exports and erasures are
// audited; a site outside the caller's scope answers 404 like an unknown one, so ids cannot be
// probed.
func (s *Server) subjectRoutes() {
	s.handle("GET /admin/api/v1/subjects", console.PermConversationsRead, s.findSubject)
	s.handle("GET /admin/api/v1/subjects/export", console.PermConversationsExport, s.exportSubject,
		DeniedAs(audit.SubjectExport, "visitor"))
	s.handle("DELETE /admin/api/v1/subjects", console.PermConversationsDelete, s.eraseSubject,
		DeniedAs(audit.SubjectErase, "visitor"))
}

// subject names the visitor a request is about.
type subject struct{ siteID, visitorID, sessionID string }

// subjectOf reads ?site=&visitor_id= or ?session_id= and resolves a session to its visitor.
func (s *Server) subjectOf(r *http.Request) (subject, error) {
	q := r.URL.Query()
	sub := subject{siteID: q.Get("site"), visitorID: q.Get("visitor_id"), sessionID: q.Get("session_id")}
	switch {
	case sub.sessionID != "" && sub.visitorID == "":
		if _, err := uuid.Parse(sub.sessionID); err != nil {
			return subject{}, apierr.InvalidRequest("session_id must be a session id.")
		}
		sess, err := s.Privacy.Store.GetSession(r.Context(), sub.sessionID)
		if errors.Is(err, store.ErrNotFound) {
			return subject{}, apierr.NotFound()
		}
		if err != nil {
			return subject{}, err
		}
		if sub.siteID != "" && sub.siteID != sess.SiteID {
			return subject{}, apierr.NotFound()
		}
		sub.siteID, sub.visitorID = sess.SiteID, sess.VisitorID
	case sub.visitorID != "" && sub.sessionID == "":
		if sub.siteID == "" {
			return subject{}, apierr.InvalidRequest("site is required with visitor_id (visitor ids are per site).")
		}
		if _, err := uuid.Parse(sub.visitorID); err != nil {
			return subject{}, apierr.InvalidRequest("visitor_id must be a visitor id.")
		}
	default:
		return subject{}, apierr.InvalidRequest("Give either visitor_id (with site) or session_id.")
	}
	return sub, nil
}

type subjectSession struct {
	ID        string `json:"id"`
	CreatedAt string `json:"created_at"`
	LastSeen  string `json:"last_seen"`
	Messages  int    `json:"messages"`
	Events    int    `json:"events"`
}

type subjectSummary struct {
	SiteID    string           `json:"site_id"`
	VisitorID string           `json:"visitor_id"`
	Sessions  []subjectSession `json:"sessions"`
}

// findSubject lists the visitor's sessions with how much each holds.
func (s *Server) findSubject(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	sub, err := s.subjectOf(r)
	if err != nil {
		return err
	}
	if !p.CanReadConversations(sub.siteID) {
		return apierr.NotFound()
	}
	out, err := s.Privacy.ExportVisitor(r.Context(), sub.siteID, sub.visitorID)
	if errors.Is(err, store.ErrNotFound) {
		return apierr.NotFound()
	}
	if err != nil {
		return err
	}
	sum := subjectSummary{SiteID: sub.siteID, VisitorID: sub.visitorID, Sessions: []subjectSession{}}
	for _, se := range out.Sessions {
		sum.Sessions = append(sum.Sessions, subjectSession{ID: se.ID, CreatedAt: se.CreatedAt.Format(timeFormat),
			LastSeen: se.LastSeen.Format(timeFormat), Messages: len(se.Messages), Events: len(se.Events)})
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}

const timeFormat = "2006-01-02T15:04:05.999999Z07:00"

// exportSubject answers everything stored about the visitor (privacy.Export).
func (s *Server) exportSubject(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	sub, err := s.subjectOf(r)
	if err != nil {
		return err
	}
	if err := s.subjectAllowed(r, p, sub, p.CanExportConversations(sub.siteID), audit.SubjectExport); err != nil {
		return err
	}
	out, err := s.Privacy.ExportVisitor(r.Context(), sub.siteID, sub.visitorID)
	if errors.Is(err, store.ErrNotFound) {
		return apierr.NotFound()
	}
	if err != nil {
		return err
	}
	s.record(r, p, audit.Entry{Action: audit.SubjectExport, SiteID: sub.siteID, TargetType: "visitor", TargetID: sub.visitorID,
		Diff: map[string]any{"sessions": len(out.Sessions)}})
	w.Header().Set("Content-Disposition", `attachment; filename="visitor-`+sub.visitorID+`.json"`)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// subjectAllowed refuses a request the principal may not make: an audited denial when it can
// see the site's conversations, else the same 404 as an unknown subject.
func (s *Server) subjectAllowed(r *http.Request, p *console.Principal, sub subject, allowed bool, action audit.Action) error {
	switch {
	case allowed:
		return nil
	case p.CanReadConversations(sub.siteID):
		return s.deny(r, p, audit.Entry{Action: action, SiteID: sub.siteID, TargetType: "visitor", TargetID: sub.visitorID})
	default:
		return apierr.NotFound()
	}
}

type eraseAnswer struct {
	SiteID    string   `json:"site_id"`
	VisitorID string   `json:"visitor_id"`
	Sessions  []string `json:"sessions"`
}

// eraseSubject erases the visitor with every session, message and event of theirs.
func (s *Server) eraseSubject(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	sub, err := s.subjectOf(r)
	if err != nil {
		return err
	}
	if err := s.subjectAllowed(r, p, sub, p.CanDeleteConversation(sub.siteID), audit.SubjectErase); err != nil {
		return err
	}
	ids, err := s.Privacy.EraseVisitor(r.Context(), sub.siteID, sub.visitorID)
	if errors.Is(err, store.ErrNotFound) {
		return apierr.NotFound()
	}
	if err != nil {
		return err
	}
	s.record(r, p, audit.Entry{Action: audit.SubjectErase, SiteID: sub.siteID, TargetType: "visitor", TargetID: sub.visitorID,
		Diff: map[string]any{"sessions": ids}})
	writeJSON(w, http.StatusOK, eraseAnswer{SiteID: sub.siteID, VisitorID: sub.visitorID, Sessions: ids})
	return nil
}
