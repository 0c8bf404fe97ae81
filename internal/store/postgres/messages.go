package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/chatproxy/chatproxy/internal/store"
)

// The conflict target names the unique (session_id, client_message_id) pair only, so a
// duplicate primary key is still an error. NULL client ids never conflict.
const insertMessage = `INSERT INTO messages (id, session_id, site_id, role, content_enc, status,
    client_message_id, first_token_ms, total_ms, created_at, error_code)
VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, ''), $8, $9, $10, $11)
ON CONFLICT (session_id, client_message_id) DO NOTHING`

const messageColumns = `SELECT id, session_id, site_id, role, content_enc, status,
    COALESCE(client_message_id, ''), first_token_ms, total_ms, created_at, error_code FROM messages `

const (
	selectMessage          = messageColumns + `WHERE id = $1`
	selectMessageByClient  = messageColumns + `WHERE session_id = $1 AND client_message_id = $2`
	selectNextMessage      = messageColumns + `WHERE session_id = $1 AND id > $2 AND role = $3 ORDER BY id LIMIT 1`
	selectNewestMessages   = messageColumns + `WHERE session_id = $1 ORDER BY id DESC LIMIT $2`
	selectMessagesBeforeID = messageColumns + `WHERE session_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`
)

// AddMessage inserts m with its content sealed. A repeat of a (session, client message id)
// pair writes nothing and returns the stored row with created=false: the insert waits for a
// concurrent twin to commit, then the fallback read finds it.
func (s *Store) AddMessage(ctx context.Context, m store.Message) (store.Message, bool, error) {
	stored, created, _, err := s.AddUserMessage(ctx, m, 0)
	return stored, created, err
}

// AddUserMessage inserts m and reads up to depth messages of history before it in the same
// batch: one round trip and one implicit transaction, so the history is read right after the
// insert and both fail together. It goes through the write group, so concurrent inserts share
// one commit.
func (s *Store) AddUserMessage(ctx context.Context, m store.Message, depth int) (store.Message, bool, []store.Message, error) {
	sealed, err := s.cipher.Seal([]byte(m.Content), store.MessageAAD(m))
	if err != nil {
		return store.Message{}, false, nil, fmt.Errorf("postgres: add message: seal: %w", err)
	}
	var created bool
	var history []store.Message
	var historyErr error // a row of history that cannot be opened: this write's problem only
	op := &groupOp{
		queue: func(b *pgx.Batch) {
			b.Queue(insertMessage, m.ID, m.SessionID, m.SiteID, m.Role, sealed, m.Status,
				m.ClientMessageID, m.FirstTokenMS, m.TotalMS, m.CreatedAt, m.ErrorCode)
			if depth > 0 {
				b.Queue(selectMessagesBeforeID, m.SessionID, m.ID, store.PageLimit(depth))
			}
		},
		read: func(br pgx.BatchResults) error {
			tag, err := br.Exec()
			if err != nil {
				return err
			}
			created = tag.RowsAffected() == 1
			if depth <= 0 {
				return nil
			}
			rows, err := br.Query()
			if err != nil {
				return err
			}
			history, historyErr = s.scanMessages(rows, nil)
			return rows.Err() // the statement's own failure, after the rows are closed
		},
	}
	if err := s.writes.do(ctx, op); err != nil {
		return store.Message{}, false, nil, wrapErr("add message", err)
	}
	if historyErr != nil {
		return store.Message{}, false, nil, wrapErr("add message: history", historyErr)
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
	var rows pgx.Rows
	var err error
	if p.Before == "" {
		rows, err = s.pool.Query(ctx, selectNewestMessages, sessionID, limit)
	} else {
		rows, err = s.pool.Query(ctx, selectMessagesBeforeID, sessionID, p.Before, limit)
	}
	msgs, err := s.scanMessages(rows, err)
	return msgs, wrapErr("list messages", err)
}

// scanMessages reads rows selected newest first and returns them oldest first.
func (s *Store) scanMessages(rows pgx.Rows, err error) ([]store.Message, error) {
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
	return s.scanMessage(s.pool.QueryRow(ctx, query, args...))
}

// scanMessage reads one row and opens its content; a value that fails to open is an error.
func (s *Store) scanMessage(r pgx.Row) (store.Message, error) {
	var m store.Message
	var sealed []byte
	err := r.Scan(&m.ID, &m.SessionID, &m.SiteID, &m.Role, &sealed, &m.Status,
		&m.ClientMessageID, &m.FirstTokenMS, &m.TotalMS, &m.CreatedAt, &m.ErrorCode)
	if err != nil {
		return store.Message{}, err
	}
	m.CreatedAt = utc(m.CreatedAt)
	plain, err := s.cipher.Open(sealed, store.MessageAAD(m))
	if err != nil {
		return store.Message{}, fmt.Errorf("open content of message %s: %w", m.ID, err)
	}
	m.Content = string(plain)
	return m, nil
}
