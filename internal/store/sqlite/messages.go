package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/chatproxy/chatproxy/internal/store"
)

// The conflict target names the unique (session_id, client_message_id) pair only, so a
// duplicate primary key is still an error. NULL client ids never conflict.
const insertMessage = `INSERT INTO messages (id, session_id, site_id, role, content_enc, status,
    client_message_id, first_token_ms, total_ms, created_at, error_code)
VALUES (?, ?, ?, ?, ?, ?, NULLIF(?, ''), ?, ?, ?, ?)
ON CONFLICT (session_id, client_message_id) DO NOTHING`

const messageColumns = `SELECT id, session_id, site_id, role, content_enc, status,
    COALESCE(client_message_id, ''), first_token_ms, total_ms, created_at, error_code FROM messages `

const (
	selectMessage          = messageColumns + `WHERE id = ?`
	selectMessageByClient  = messageColumns + `WHERE session_id = ? AND client_message_id = ?`
	selectNextMessage      = messageColumns + `WHERE session_id = ? AND id > ? AND role = ? ORDER BY id LIMIT 1`
	selectNewestMessages   = messageColumns + `WHERE session_id = ? ORDER BY id DESC LIMIT ?`
	selectMessagesBeforeID = messageColumns + `WHERE session_id = ? AND id < ? ORDER BY id DESC LIMIT ?`
)

// AddMessage inserts m with its content sealed. A repeat of a (session, client message id)
// pair writes nothing and returns the stored row with created=false.
func (s *Store) AddMessage(ctx context.Context, m store.Message) (store.Message, bool, error) {
	sealed, err := s.cipher.Seal([]byte(m.Content), store.MessageAAD(m))
	if err != nil {
		return store.Message{}, false, fmt.Errorf("sqlite: add message: seal: %w", err)
	}
	res, err := s.exec(ctx, insertMessage, m.ID, m.SessionID, m.SiteID, m.Role, sealed, m.Status,
		m.ClientMessageID, m.FirstTokenMS, m.TotalMS, toDB(m.CreatedAt), m.ErrorCode)
	if err != nil {
		return store.Message{}, false, wrapErr("add message", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return store.Message{}, false, wrapErr("add message", err)
	} else if n == 1 {
		m.CreatedAt = normalize(m.CreatedAt)
		return m, true, nil
	}
	existing, err := s.oneMessage(ctx, selectMessageByClient, m.SessionID, m.ClientMessageID)
	if err != nil {
		return store.Message{}, false, wrapErr("add message: read existing", err)
	}
	return existing, false, nil
}

// AddUserMessage inserts m and reads its history in one write transaction, so both succeed
// or fail together, as on PostgreSQL.
func (s *Store) AddUserMessage(ctx context.Context, m store.Message, depth int) (store.Message, bool, []store.Message, error) {
	if depth <= 0 {
		stored, created, err := s.AddMessage(ctx, m)
		return stored, created, nil, err
	}
	sealed, err := s.cipher.Seal([]byte(m.Content), store.MessageAAD(m))
	if err != nil {
		return store.Message{}, false, nil, fmt.Errorf("sqlite: add message: seal: %w", err)
	}
	insert, err := s.stmt(ctx, s.write, insertMessage)
	if err != nil {
		return store.Message{}, false, nil, wrapErr("add message", err)
	}
	list, err := s.stmt(ctx, s.write, selectMessagesBeforeID)
	if err != nil {
		return store.Message{}, false, nil, wrapErr("add message", err)
	}
	var created bool
	var history []store.Message
	err = s.inWriteTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, insert).ExecContext(ctx, m.ID, m.SessionID, m.SiteID, m.Role, sealed,
			m.Status, m.ClientMessageID, m.FirstTokenMS, m.TotalMS, toDB(m.CreatedAt), m.ErrorCode)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err
		}
		created = true
		history, err = s.scanMessages(tx.StmtContext(ctx, list).QueryContext(ctx, m.SessionID, m.ID, store.PageLimit(depth)))
		return err
	})
	if err != nil {
		return store.Message{}, false, nil, wrapErr("add message", err)
	}
	if created {
		m.CreatedAt = normalize(m.CreatedAt)
		return m, true, history, nil
	}
	existing, err := s.oneMessage(ctx, selectMessageByClient, m.SessionID, m.ClientMessageID)
	if err != nil {
		return store.Message{}, false, nil, wrapErr("add message: read existing", err)
	}
	return existing, false, nil, nil
}

// GetMessage returns ErrNotFound for an unknown id.
func (s *Store) GetMessage(ctx context.Context, id string) (store.Message, error) {
	m, err := s.oneMessage(ctx, selectMessage, id)
	return m, wrapErr("get message", err)
}

// NextMessage returns the session's first message with role after afterID.
func (s *Store) NextMessage(ctx context.Context, sessionID, afterID, role string) (store.Message, error) {
	m, err := s.oneMessage(ctx, selectNextMessage, sessionID, afterID, role)
	return m, wrapErr("next message", err)
}

// ListMessages returns the newest p.Limit messages older than p.Before, oldest first.
func (s *Store) ListMessages(ctx context.Context, sessionID string, p store.Page) ([]store.Message, error) {
	limit := store.PageLimit(p.Limit)
	var rows *sql.Rows
	var err error
	if p.Before == "" {
		rows, err = s.query(ctx, selectNewestMessages, sessionID, limit)
	} else {
		rows, err = s.query(ctx, selectMessagesBeforeID, sessionID, p.Before, limit)
	}
	msgs, err := s.scanMessages(rows, err)
	return msgs, wrapErr("list messages", err)
}

// scanMessages reads rows selected newest first and returns them oldest first.
func (s *Store) scanMessages(rows *sql.Rows, err error) ([]store.Message, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	msgs := make([]store.Message, 0, 16)
	for rows.Next() {
		m, err := s.scanMessage(rows)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Reverse(msgs) // read newest first to apply the limit; callers want oldest first
	return msgs, nil
}

func (s *Store) oneMessage(ctx context.Context, query string, args ...any) (store.Message, error) {
	return s.scanMessage(s.queryRow(ctx, query, args...))
}

// scanMessage reads one row and opens its content; a value that fails to open is an error.
func (s *Store) scanMessage(r scanner) (store.Message, error) {
	var m store.Message
	var sealed []byte
	var created int64
	err := r.Scan(&m.ID, &m.SessionID, &m.SiteID, &m.Role, &sealed, &m.Status,
		&m.ClientMessageID, &m.FirstTokenMS, &m.TotalMS, &created, &m.ErrorCode)
	if err != nil {
		return store.Message{}, err
	}
	m.CreatedAt = fromDB(created)
	plain, err := s.cipher.Open(sealed, store.MessageAAD(m))
	if err != nil {
		return store.Message{}, fmt.Errorf("open content of message %s: %w", m.ID, err)
	}
	m.Content = string(plain)
	return m, nil
}
