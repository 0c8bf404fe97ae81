package store

import (
	"context"
	"time"
)

// N8NBinding ties the session id the official @n8n/chat widget makes (a UUID it keeps in the
// visitor's localStorage) to a chatproxy session of one site. Only a keyed hash of the
// widget's id is stored: the id is the widget's only credential.
type N8NBinding struct {
	IDHash    string // keyed hash of the widget's sessionId
	SiteID    string
	SessionID string
	Origin    string // the Origin of the first request; later requests must come from it
	CreatedAt time.Time
}

// N8NBindings stores those bindings. Deleting a session deletes its binding.
type N8NBindings interface {
	// GetN8NBinding returns ErrNotFound for an unknown hash.
	GetN8NBinding(ctx context.Context, idHash string) (N8NBinding, error)
	// BindN8NSession stores b when its IDHash is not bound yet, or moves an existing binding
	// to b.SessionID when it still names the session replace (its session ended; "" never
	// matches). It returns the binding that holds afterwards: b, or the one already stored
	// (a concurrent first request won, or replace did not match). Site and origin of an
	// existing binding never change.
	BindN8NSession(ctx context.Context, b N8NBinding, replace string) (N8NBinding, error)
}
