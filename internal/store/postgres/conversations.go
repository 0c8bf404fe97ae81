package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/chatproxy/chatproxy/internal/store"
)

// conversationSelect summarises each session with two small lookups on its messages: one
// index-only scan of messages_session_summary gives the count, the last time and the last
// message's role and status (the conversation's status); one index probe and one heap read
// give the first visitor message (the preview). A page costs a few buffers per row whatever
// the table's size. The inner join on the summary drops sessions with no message.
const conversationSelect = `SELECT s.id, s.site_id, s.visitor_id, s.created_at, s.is_returning, s.country,
    s.page_url_enc, a.n, a.last_at, a.status, COALESCE(f.id, ''), f.content_enc
FROM sessions s
JOIN LATERAL (SELECT count(*) AS n, max(m.created_at) AS last_at,
        (array_agg(CASE WHEN m.role = 'assistant' THEN m.status ELSE 'pending' END ORDER BY m.id DESC))[1] AS status
    FROM messages m WHERE m.session_id = s.id) a ON a.n > 0
LEFT JOIN LATERAL (SELECT m.id, m.content_enc FROM messages m WHERE m.session_id = s.id AND m.role = 'user' ORDER BY m.id LIMIT 1) f ON true
`

const conversationStatus = `a.status`

// conversationQuery builds the list query for f: one site is an equality, so the
// sessions_site_created index returns rows in order and the LIMIT stops the scan early.
func conversationQuery(f store.ConversationFilter) (string, []any) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if !f.AllSites {
		if len(f.SiteIDs) == 1 {
			where = append(where, "s.site_id = "+arg(f.SiteIDs[0]))
		} else {
			where = append(where, "s.site_id = ANY("+arg(f.SiteIDs)+")")
		}
	}
	if !f.From.IsZero() {
		where = append(where, "s.created_at >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "s.created_at < "+arg(f.To))
	}
	if f.AfterID != "" {
		where = append(where, "(s.created_at, s.id) < ("+arg(f.AfterStarted)+", "+arg(f.AfterID)+")")
	}
	if f.Returning != nil {
		where = append(where, "s.is_returning = "+arg(*f.Returning))
	}
	if f.Country != "" {
		where = append(where, "s.country = "+arg(f.Country))
	}
	if f.Status != "" {
		where = append(where, conversationStatus+" = "+arg(f.Status))
	}
	q := conversationSelect
	if len(where) > 0 {
		q += "WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY s.created_at DESC, s.id DESC LIMIT " + arg(store.ConversationLimit(f.Limit))
	return q, args
}

// ListConversations returns up to f.Limit conversations, newest first, opened.
func (s *Store) ListConversations(ctx context.Context, f store.ConversationFilter) ([]store.Conversation, error) {
	if !f.AllSites && len(f.SiteIDs) == 0 {
		return nil, nil
	}
	q, args := conversationQuery(f)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, wrapErr("list conversations", err)
	}
	defer rows.Close()
	out := make([]store.Conversation, 0, store.ConversationLimit(f.Limit))
	for rows.Next() {
		c, err := s.scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list conversations: %w", err)
		}
		out = append(out, c)
	}
	return out, wrapErr("list conversations", rows.Err())
}

func (s *Store) scanConversation(rows pgx.Rows) (store.Conversation, error) {
	var c store.Conversation
	var page, first []byte
	var firstID string
	if err := rows.Scan(&c.SessionID, &c.SiteID, &c.VisitorID, &c.StartedAt, &c.Returning, &c.Country,
		&page, &c.Messages, &c.LastMessageAt, &c.Status, &firstID, &first); err != nil {
		return c, err
	}
	c.StartedAt, c.LastMessageAt = utc(c.StartedAt), utc(c.LastMessageAt)
	return c, store.OpenConversation(s.cipher, &c, page, firstID, first)
}

const selectSessionMessages = messageColumns + `WHERE session_id = ANY($1) ORDER BY session_id, id`

// SessionMessages streams the sessions' messages, opened, grouped by session.
func (s *Store) SessionMessages(ctx context.Context, ids []string, fn func(store.Message) error) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := s.pool.Query(ctx, selectSessionMessages, ids)
	if err != nil {
		return wrapErr("session messages", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := s.scanMessage(rows)
		if err != nil {
			return fmt.Errorf("postgres: session messages: %w", err)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return wrapErr("session messages", rows.Err())
}
