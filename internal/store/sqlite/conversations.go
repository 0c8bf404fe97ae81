package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/chatproxy/chatproxy/internal/store"
)

// conversationSelect summarises each session with correlated lookups on messages_session_id
// (SQLite has no LATERAL): count, last time, the last message's status, the first visitor
// message (the preview).
const conversationSelect = `SELECT s.id, s.site_id, s.visitor_id, s.created_at, s.is_returning, s.country, s.page_url_enc,
    (SELECT count(*) FROM messages m WHERE m.session_id = s.id),
    (SELECT max(m.created_at) FROM messages m WHERE m.session_id = s.id),
    ` + conversationStatus + `,
    COALESCE((SELECT m.id FROM messages m WHERE m.session_id = s.id AND m.role = 'user' ORDER BY m.id LIMIT 1), ''),
    (SELECT m.content_enc FROM messages m WHERE m.session_id = s.id AND m.role = 'user' ORDER BY m.id LIMIT 1)
FROM sessions s
WHERE EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id)`

const conversationStatus = `(SELECT CASE WHEN m.role = 'assistant' THEN m.status ELSE 'pending' END
        FROM messages m WHERE m.session_id = s.id ORDER BY m.id DESC LIMIT 1)`

func conversationQuery(f store.ConversationFilter) (string, []any) {
	var where []string
	var args []any
	if !f.AllSites {
		where = append(where, "s.site_id IN ("+placeholders(len(f.SiteIDs))+")")
		for _, id := range f.SiteIDs {
			args = append(args, id)
		}
	}
	add := func(cond string, v ...any) {
		where = append(where, cond)
		args = append(args, v...)
	}
	if !f.From.IsZero() {
		add("s.created_at >= ?", toDB(f.From))
	}
	if !f.To.IsZero() {
		add("s.created_at < ?", toDB(f.To))
	}
	if f.AfterID != "" {
		add("(s.created_at, s.id) < (?, ?)", toDB(f.AfterStarted), f.AfterID)
	}
	if f.Returning != nil {
		add("s.is_returning = ?", *f.Returning)
	}
	if f.Country != "" {
		add("s.country = ?", f.Country)
	}
	if f.Status != "" {
		add(conversationStatus+" = ?", f.Status)
	}
	q := conversationSelect
	for _, w := range where {
		q += " AND " + w
	}
	q += " ORDER BY s.created_at DESC, s.id DESC LIMIT ?"
	return q, append(args, store.ConversationLimit(f.Limit))
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// ListConversations returns up to f.Limit conversations, newest first, opened.
func (s *Store) ListConversations(ctx context.Context, f store.ConversationFilter) ([]store.Conversation, error) {
	if !f.AllSites && len(f.SiteIDs) == 0 {
		return nil, nil
	}
	q, args := conversationQuery(f)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrapErr("list conversations", err)
	}
	defer rows.Close()
	out := make([]store.Conversation, 0, store.ConversationLimit(f.Limit))
	for rows.Next() {
		var c store.Conversation
		var page, first []byte
		var firstID string
		var started, last int64
		if err := rows.Scan(&c.SessionID, &c.SiteID, &c.VisitorID, &started, &c.Returning, &c.Country,
			&page, &c.Messages, &last, &c.Status, &firstID, &first); err != nil {
			return nil, wrapErr("list conversations", err)
		}
		c.StartedAt, c.LastMessageAt = fromDB(started), fromDB(last)
		if err := store.OpenConversation(s.cipher, &c, page, firstID, first); err != nil {
			return nil, fmt.Errorf("sqlite: list conversations: %w", err)
		}
		out = append(out, c)
	}
	return out, wrapErr("list conversations", rows.Err())
}

// SessionMessages streams the sessions' messages, opened, grouped by session.
func (s *Store) SessionMessages(ctx context.Context, ids []string, fn func(store.Message) error) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.read.QueryContext(ctx, messageColumns+"WHERE session_id IN ("+placeholders(len(ids))+") ORDER BY session_id, id", args...)
	if err != nil {
		return wrapErr("session messages", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := s.scanMessage(rows)
		if err != nil {
			return fmt.Errorf("sqlite: session messages: %w", err)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return wrapErr("session messages", rows.Err())
}
