package adminapi

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/console"
	"github.com/chatproxy/chatproxy/internal/conversations"
	"github.com/chatproxy/chatproxy/internal/store"
)

// conversationRoutes: conversations (docs/console.md "Conversations"). A conversation of a
// site outside the caller's scope answers 404, like one that does not exist, so ids cannot be
// probed; a site filter outside the scope answers 403 (site ids are not secret).
func (s *Server) conversationRoutes() {
	s.handle("GET /admin/api/v1/conversations", console.PermConversationsRead, s.listConversations)
	s.handle("GET /admin/api/v1/conversations/export", console.PermConversationsExport, s.exportConversations,
		DeniedAs(audit.ConversationExport, "conversation"))
	s.handle("GET /admin/api/v1/conversations/{session_id}", console.PermConversationsRead, s.getConversation)
	s.handle("DELETE /admin/api/v1/conversations/{session_id}", console.PermConversationsDelete, s.deleteConversation,
		DeniedAs(audit.ConversationDelete, "conversation"))
}

// conversationView is one row of the list and of the export.
type conversationView struct {
	SessionID     string    `json:"session_id"`
	SiteID        string    `json:"site_id"`
	StartedAt     time.Time `json:"started_at"`
	LastMessageAt time.Time `json:"last_message_at"`
	Messages      int       `json:"messages"`
	Status        string    `json:"status"`
	VisitorID     string    `json:"visitor_id"`
	Returning     bool      `json:"returning"`
	Country       string    `json:"country"`
	PageURL       string    `json:"page_url"`
	Preview       string    `json:"preview"`
}

func viewConversation(c store.Conversation) conversationView {
	return conversationView{SessionID: c.SessionID, SiteID: c.SiteID, StartedAt: c.StartedAt, LastMessageAt: c.LastMessageAt,
		Messages: c.Messages, Status: c.Status, VisitorID: c.VisitorID, Returning: c.Returning, Country: c.Country,
		PageURL: c.PageURL, Preview: c.Preview}
}

type conversationList struct {
	Items      []conversationView  `json:"items"`
	NextCursor string              `json:"next_cursor"`
	Scan       *conversations.Scan `json:"scan,omitempty"`
}

// conversationQuery validates the filter and narrows it to the caller's scope.
func (s *Server) conversationQuery(r *http.Request, p *console.Principal, can func(string) bool, extra ...string) (conversations.Query, error) {
	q, sites, err := conversations.ParseQuery(r.URL.Query(), time.Now(), extra...)
	if err != nil {
		return q, err
	}
	for _, id := range sites {
		if !can(id) {
			return q, apierr.Forbidden("site " + id + " is outside your sites.")
		}
	}
	scope, all := p.SiteScope()
	switch {
	case len(sites) > 0:
		q.SiteIDs = sites
	case all:
		q.AllSites = true
	default:
		q.SiteIDs = scope // empty scope: an empty list
	}
	return q, nil
}

func (s *Server) listConversations(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	q, err := s.conversationQuery(r, p, p.CanReadConversations)
	if err != nil {
		return err
	}
	page, err := s.Conversations.List(r.Context(), q)
	if err != nil {
		return err
	}
	out := conversationList{Items: make([]conversationView, 0, len(page.Items)), NextCursor: page.NextCursor, Scan: page.Scan}
	for _, c := range page.Items {
		out.Items = append(out.Items, viewConversation(c))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// transcriptView is a conversation with every message.
type transcriptView struct {
	Conversation transcriptHead `json:"conversation"`
	Messages     []messageView  `json:"messages"`
}

type transcriptHead struct {
	conversationView
	UserAgent string `json:"user_agent"`
}

// messageView is one message; text is data for the app to render (as text for the visitor,
// as the widget's safe markdown for the agent), never HTML made here.
type messageView struct {
	ID           string    `json:"id"`
	Role         string    `json:"role"`
	Text         string    `json:"text"`
	Status       string    `json:"status"`
	ErrorCode    string    `json:"error_code"`
	FirstTokenMS *int64    `json:"first_token_ms"`
	TotalMS      *int64    `json:"total_ms"`
	PageURL      string    `json:"page_url"`
	CreatedAt    time.Time `json:"created_at"`
}

// conversationSession reads the session named in the path, answering 404 for a malformed id,
// an unknown one and one outside the caller's scope alike.
func (s *Server) conversationSession(r *http.Request, can func(string) bool) (store.Session, error) {
	id := r.PathValue("session_id")
	if uuid.Validate(id) != nil || len(id) != 36 {
		return store.Session{}, apierr.NotFound()
	}
	sess, err := s.Conversations.Session(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !can(sess.SiteID)) {
		return store.Session{}, apierr.NotFound()
	}
	return sess, err
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	sess, err := s.conversationSession(r, p.CanReadConversations)
	if err != nil {
		return err
	}
	msgs, err := s.Conversations.Messages(r.Context(), sess.ID)
	if err != nil {
		return err
	}
	head := transcriptHead{conversationView: conversationView{SessionID: sess.ID, SiteID: sess.SiteID, StartedAt: sess.CreatedAt,
		Messages: len(msgs), Status: store.ConvPending, VisitorID: sess.VisitorID, Returning: sess.Returning,
		Country: sess.Country, PageURL: sess.PageURL}, UserAgent: sess.UserAgent}
	out := transcriptView{Conversation: head, Messages: make([]messageView, 0, len(msgs))}
	for _, m := range msgs {
		out.Messages = append(out.Messages, viewMessage(m, sess))
		out.Conversation.LastMessageAt = m.CreatedAt
		if m.Role == store.RoleUser && out.Conversation.Preview == "" {
			out.Conversation.Preview = conversations.Preview(m.Content)
		}
	}
	if n := len(msgs); n > 0 && msgs[n-1].Role == store.RoleAssistant {
		out.Conversation.Status = msgs[n-1].Status
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// viewMessage: latencies are null where they do not apply (visitor messages, no first token).
func viewMessage(m store.Message, sess store.Session) messageView {
	v := messageView{ID: m.ID, Role: m.Role, Text: m.Content, Status: m.Status, ErrorCode: m.ErrorCode,
		PageURL: sess.PageURL, CreatedAt: m.CreatedAt}
	if m.Role == store.RoleAssistant {
		total := m.TotalMS
		v.TotalMS = &total
		if m.FirstTokenMS >= 0 {
			first := m.FirstTokenMS
			v.FirstTokenMS = &first
		}
	}
	return v
}

func (s *Server) deleteConversation(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	sess, err := s.conversationSession(r, p.CanReadConversations)
	if err != nil {
		return err
	}
	if !p.CanDeleteConversation(sess.SiteID) {
		return s.deny(r, p, audit.Entry{Action: audit.ConversationDelete, SiteID: sess.SiteID, TargetType: "conversation", TargetID: sess.ID})
	}
	if err := s.Conversations.Delete(r.Context(), sess.ID); errors.Is(err, store.ErrNotFound) {
		return apierr.NotFound() // deleted meanwhile
	} else if err != nil {
		return err
	}
	s.record(r, p, audit.Entry{Action: audit.ConversationDelete, SiteID: sess.SiteID, TargetType: "conversation", TargetID: sess.ID,
		Diff: map[string]any{"visitor_id": sess.VisitorID, "started_at": sess.CreatedAt}})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// singleSite is the site an audit entry names: the one site a filter reads, else none.
func singleSite(q conversations.Query) string {
	if !q.AllSites && len(q.SiteIDs) == 1 {
		return q.SiteIDs[0]
	}
	return ""
}

// exportFilter is what an export's audit entry records of its filter: the search text only
// as "given" (it may hold what a visitor wrote).
func exportFilter(q conversations.Query, format string) map[string]any {
	f := map[string]any{"format": format, "sites": q.SiteIDs, "all_sites": q.AllSites}
	if !q.From.IsZero() {
		f["from"] = q.From
	}
	if !q.To.IsZero() {
		f["to"] = q.To
	}
	for k, v := range map[string]string{"status": q.Status, "country": q.Country} {
		if v != "" {
			f[k] = v
		}
	}
	if q.Returning != nil {
		f["returning"] = *q.Returning
	}
	if q.Text != "" {
		f["q"] = "<given>"
	}
	if q.Page != "" {
		f["page"] = "<given>"
	}
	return f
}

var exportFormats = []string{"csv", "jsonl"}

func validFormat(f string) bool { return slices.Contains(exportFormats, f) }
