// Package privacy carries out visitors' and operators' requests for their data.
//
// Export gathers everything stored about a session or a visitor (sessions with their opened
// personal fields, messages, analytics events); erasure removes it in one transaction per
// visitor or session and drops the sessions from the token cache. Callers authorise the
// request (the session's own token, or an operator's scope) and write the audit entries.
package privacy

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// Forgetter drops erased sessions from the token cache (session.Service).
type Forgetter interface{ Forget(ids ...string) }

// Service runs data requests against the store.
type Service struct {
	Store    store.Store
	Sessions Forgetter // nil: no cache to clear
	Now      func() time.Time
}

// Export is everything stored about one visitor of a site (or one session of theirs).
type Export struct {
	Format     string          `json:"format"` // "chatproxy-export/1"
	ExportedAt time.Time       `json:"exported_at"`
	SiteID     string          `json:"site_id"`
	VisitorID  string          `json:"visitor_id"`
	Sessions   []SessionExport `json:"sessions"`
}

// SessionExport is one conversation with what was stored around it.
type SessionExport struct {
	ID        string          `json:"id"`
	CreatedAt time.Time       `json:"created_at"`
	LastSeen  time.Time       `json:"last_seen"`
	ExpiresAt time.Time       `json:"expires_at"`
	PageURL   string          `json:"page_url"`
	UserAgent string          `json:"user_agent"`
	IPHash    string          `json:"ip_hash"` // a keyed hash of the address's /24 or /48; the address is never stored
	Returning bool            `json:"returning"`
	Analytics bool            `json:"analytics"` // false once the visitor withdrew consent
	Messages  []MessageExport `json:"messages"`
	Events    []EventExport   `json:"events"`
	// Attachments names the files the visitor uploaded (empty: this server stores none yet).
	Attachments []string `json:"attachments"`
}

// MessageExport is one turn of a conversation.
type MessageExport struct {
	ID        string    `json:"id"`
	Role      string    `json:"role"`
	Content   string    `json:"content"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// EventExport is one analytics event (never message text).
type EventExport struct {
	Type      string          `json:"type"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"created_at"`
}

// ExportFormat names the export's shape.
const ExportFormat = "chatproxy-export/1"

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// ExportSession returns one session's data.
func (s *Service) ExportSession(ctx context.Context, sess store.Session) (Export, error) {
	se, err := s.sessionExport(ctx, sess)
	if err != nil {
		return Export{}, err
	}
	return Export{Format: ExportFormat, ExportedAt: s.now(), SiteID: sess.SiteID, VisitorID: sess.VisitorID,
		Sessions: []SessionExport{se}}, nil
}

// ExportVisitor returns every session of a site's visitor; ErrNotFound when they have none.
func (s *Service) ExportVisitor(ctx context.Context, siteID, visitorID string) (Export, error) {
	sessions, err := s.Store.ListVisitorSessions(ctx, siteID, visitorID)
	if err != nil {
		return Export{}, err
	}
	if len(sessions) == 0 {
		return Export{}, store.ErrNotFound
	}
	out := Export{Format: ExportFormat, ExportedAt: s.now(), SiteID: siteID, VisitorID: visitorID, Sessions: []SessionExport{}}
	for _, sess := range sessions {
		se, err := s.sessionExport(ctx, sess)
		if err != nil {
			return Export{}, err
		}
		out.Sessions = append(out.Sessions, se)
	}
	return out, nil
}

func (s *Service) sessionExport(ctx context.Context, sess store.Session) (SessionExport, error) {
	out := SessionExport{
		ID: sess.ID, CreatedAt: sess.CreatedAt, LastSeen: sess.LastSeen, ExpiresAt: sess.ExpiresAt,
		PageURL: sess.PageURL, UserAgent: sess.UserAgent, IPHash: sess.IPHash, Returning: sess.Returning,
		Analytics: !sess.NoAnalytics, Messages: []MessageExport{}, Events: []EventExport{}, Attachments: []string{},
	}
	msgs, err := s.allMessages(ctx, sess.ID)
	if err != nil {
		return SessionExport{}, err
	}
	for _, m := range msgs {
		out.Messages = append(out.Messages, MessageExport{ID: m.ID, Role: m.Role, Content: m.Content, Status: m.Status, CreatedAt: m.CreatedAt})
	}
	events, err := s.Store.ListSessionEvents(ctx, sess.ID)
	if err != nil {
		return SessionExport{}, err
	}
	for _, e := range events {
		out.Events = append(out.Events, EventExport{Type: e.Type, Data: json.RawMessage(e.Data), CreatedAt: e.CreatedAt})
	}
	return out, nil
}

// allMessages reads a session's messages, oldest first, page by page from the newest.
func (s *Service) allMessages(ctx context.Context, sessionID string) ([]store.Message, error) {
	var all []store.Message
	before := ""
	for {
		page, err := s.Store.ListMessages(ctx, sessionID, store.Page{Before: before, Limit: 200})
		if err != nil {
			return nil, err
		}
		all = append(page, all...)
		if len(page) < 200 {
			return all, nil
		}
		before = page[0].ID
	}
}

// EraseSession removes one session with its messages and events, and its visitor when no
// other session of theirs is left.
func (s *Service) EraseSession(ctx context.Context, sess store.Session) error {
	if err := s.Store.DeleteSession(ctx, sess.ID); err != nil {
		return err
	}
	s.forget(sess.ID)
	left, err := s.Store.ListVisitorSessions(ctx, sess.SiteID, sess.VisitorID)
	if err != nil || len(left) > 0 {
		return err
	}
	if _, err := s.Store.DeleteVisitor(ctx, sess.SiteID, sess.VisitorID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// EraseVisitor removes a site's visitor with all their sessions; it returns the sessions'
// ids. ErrNotFound for an unknown visitor.
func (s *Service) EraseVisitor(ctx context.Context, siteID, visitorID string) ([]string, error) {
	sessions, err := s.Store.ListVisitorSessions(ctx, siteID, visitorID)
	if err != nil {
		return nil, err
	}
	if _, err := s.Store.DeleteVisitor(ctx, siteID, visitorID); err != nil {
		return nil, err
	}
	ids := make([]string, len(sessions))
	for i, sess := range sessions {
		ids[i] = sess.ID
	}
	s.forget(ids...)
	return ids, nil
}

func (s *Service) forget(ids ...string) {
	if s.Sessions != nil {
		s.Sessions.Forget(ids...)
	}
}
