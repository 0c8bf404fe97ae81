// Package n8nchat serves the official @n8n/chat widget as if it were n8n.
//
// The widget makes its own session id (a UUID kept in the visitor's localStorage) and sends
// it with every request; this package binds that id, on its first message, to a chatproxy
// session of the site, pinned to the first request's Origin, answers loadPreviousSession from
// the stored conversation in the LangChain-serialised shape the widget renders, and writes
// replies in the two forms the widget reads: n8n's NDJSON stream (begin/item/end) and one
// JSON {output}. Messages themselves go through the chat use case like any other. The wire
// formats are in docs/n8n-protocol.md ("The @n8n/chat widget").
package n8nchat

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/crypto"
	"github.com/chatproxy/chatproxy/internal/session"
	"github.com/chatproxy/chatproxy/internal/store"
)

// Options wire a Service.
type Options struct {
	Store    store.Store
	Sessions *session.Service
	HashKey  []byte // keys the stored hash of the widget's session id
}

// Service binds widget session ids and reads their conversations.
type Service struct{ o Options }

// New builds a Service.
func New(o Options) *Service { return &Service{o: o} }

// ValidID reports whether a widget session id is UUID-shaped (the canonical 36-character
// form crypto.randomUUID and the uuid package make). Nothing else is ever bound.
func ValidID(id string) bool {
	if len(id) != 36 {
		return false
	}
	_, err := uuid.Parse(id)
	return err == nil
}

// Key is the keyed hash of a widget session id: what is stored and what rate-limit keys use.
// The id itself is the widget's only credential, so it is never stored or logged.
func (s *Service) Key(widgetID string) string {
	return crypto.HMAC(s.o.HashKey, "n8n-session", widgetID)
}

// Bound is the state of a widget session id on a site.
type Bound struct {
	Session store.Session
	// Live: the binding names a live session. When false, Stale is the session id the binding
	// names ("" = not bound at all): that session ended, and a message binds a new one.
	Live  bool
	Stale string
}

// Lookup finds the session a widget id is bound to. An id bound on another site is
// site_mismatch, one bound on another origin of this site session_origin_mismatch: the
// binding holds the origin of its first request.
func (s *Service) Lookup(ctx context.Context, siteID, widgetID, origin string) (Bound, error) {
	b, err := s.o.Store.GetN8NBinding(ctx, s.Key(widgetID))
	if errors.Is(err, store.ErrNotFound) {
		return Bound{}, nil
	}
	if err != nil {
		return Bound{}, err
	}
	if err := checkBinding(b, siteID, origin); err != nil {
		return Bound{}, err
	}
	sess, err := s.o.Sessions.Resume(ctx, b.SessionID)
	switch {
	case err == nil:
		return Bound{Session: sess, Live: true}, nil
	case errors.Is(err, store.ErrNotFound), isExpired(err):
		return Bound{Stale: b.SessionID}, nil
	}
	return Bound{}, err
}

func isExpired(err error) bool {
	ae, ok := apierr.As(err)
	return ok && ae.Code == apierr.SessionExpired().Code
}

func checkBinding(b store.N8NBinding, siteID, origin string) error {
	switch {
	case b.SiteID != siteID:
		return apierr.SiteMismatch()
	case b.Origin != origin:
		return apierr.SessionOriginMismatch()
	}
	return nil
}

// BindInput is a first message of a widget id (or its first since its session ended).
type BindInput struct {
	SiteID, WidgetID, Origin string
	Stale                    string // the ended session the binding names, from Lookup
	UserAgent                string
	ClientIP                 netip.Addr
}

// Bind makes a chatproxy session for the widget id and binds the id to it. Of two first
// messages racing, both end up in the session of the one that bound first.
func (s *Service) Bind(ctx context.Context, in BindInput) (store.Session, error) {
	created, err := s.o.Sessions.Create(ctx, session.CreateInput{
		SiteID: in.SiteID, UserAgent: in.UserAgent, ClientIP: in.ClientIP,
	})
	if err != nil {
		return store.Session{}, err
	}
	b := store.N8NBinding{
		IDHash: s.Key(in.WidgetID), SiteID: in.SiteID, SessionID: created.Session.ID,
		Origin: in.Origin, CreatedAt: time.Now().UTC(),
	}
	held, err := s.o.Store.BindN8NSession(ctx, b, in.Stale)
	if err != nil {
		return store.Session{}, err
	}
	if err := checkBinding(held, in.SiteID, in.Origin); err != nil {
		return store.Session{}, err
	}
	if held.SessionID == created.Session.ID {
		return created.Session, nil
	}
	// Another request bound the id first: the session made here holds nothing yet.
	_ = s.o.Store.DeleteSession(context.WithoutCancel(ctx), created.Session.ID)
	return s.o.Sessions.Resume(ctx, held.SessionID)
}

// History returns the session's stored conversation, oldest first, at most limit messages
// (the newest), in the shape loadPreviousSession answers.
func (s *Service) History(ctx context.Context, sessionID string, limit int) ([]LCMessage, error) {
	msgs, err := s.o.Store.ListMessages(ctx, sessionID, store.Page{Limit: limit})
	if err != nil {
		return nil, err
	}
	return historyOf(msgs), nil
}
