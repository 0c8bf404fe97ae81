package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// ReencryptMessages re-seals message contents in id order after afterID. Reads run on a
// reader and the rewrite is one writer transaction; each UPDATE matches on the old bytes, so a
// row changed meanwhile (e.g. by a concurrent run) is skipped, never overwritten.
func (s *Store) ReencryptMessages(ctx context.Context, afterID string, limit int, reseal store.ResealFunc) (string, int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, session_id, site_id, role, content_enc FROM messages
        WHERE id > ? ORDER BY id LIMIT ?`, afterID, store.ReencryptLimit(limit))
	if err != nil {
		return "", 0, wrapErr("reencrypt messages", err)
	}
	var lastID string
	var todo []store.Resealed
	for rows.Next() {
		var m store.Message
		var sealed []byte
		if err := rows.Scan(&m.ID, &m.SessionID, &m.SiteID, &m.Role, &sealed); err != nil {
			rows.Close()
			return "", 0, wrapErr("reencrypt messages", err)
		}
		lastID = m.ID
		fresh, changed, err := reseal(sealed, store.MessageAAD(m))
		if err != nil {
			rows.Close()
			return "", 0, fmt.Errorf("sqlite: reencrypt message %s: %w", m.ID, err)
		}
		if changed {
			todo = append(todo, store.Resealed{ID: m.ID, Old: [2][]byte{sealed}, New: [2][]byte{fresh}})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", 0, wrapErr("reencrypt messages", err)
	}
	n, err := s.rewrite(ctx, `UPDATE messages SET content_enc = ?2 WHERE id = ?1 AND content_enc = ?3`, todo, 1)
	return lastID, n, wrapErr("reencrypt messages", err)
}

// ReencryptSessions re-seals sessions' user agent and page URL in id order after afterID.
func (s *Store) ReencryptSessions(ctx context.Context, afterID string, limit int, reseal store.ResealFunc) (string, int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, site_id, user_agent_enc, page_url_enc FROM sessions
        WHERE id > ? ORDER BY id LIMIT ?`, afterID, store.ReencryptLimit(limit))
	if err != nil {
		return "", 0, wrapErr("reencrypt sessions", err)
	}
	var lastID string
	var todo []store.Resealed
	for rows.Next() {
		var sess store.Session
		var r store.Resealed
		if err := rows.Scan(&sess.ID, &sess.SiteID, &r.Old[0], &r.Old[1]); err != nil {
			rows.Close()
			return "", 0, wrapErr("reencrypt sessions", err)
		}
		lastID, r.ID = sess.ID, sess.ID
		changed, err := store.ResealSession(sess, &r, reseal)
		if err != nil {
			rows.Close()
			return "", 0, fmt.Errorf("sqlite: reencrypt session %s: %w", sess.ID, err)
		}
		if changed {
			todo = append(todo, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", 0, wrapErr("reencrypt sessions", err)
	}
	n, err := s.rewrite(ctx, `UPDATE sessions SET user_agent_enc = ?2, page_url_enc = ?3
        WHERE id = ?1 AND user_agent_enc = ?4 AND page_url_enc = ?5`, todo, 2)
	return lastID, n, wrapErr("reencrypt sessions", err)
}

// rewrite runs update once per row in one writer transaction. Its parameters are ?1 = id,
// then the width new values, then the width old values.
func (s *Store) rewrite(ctx context.Context, update string, rows []store.Resealed, width int) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	total := 0
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, update)
		if err != nil {
			return err
		}
		defer st.Close()
		args := make([]any, 1+2*width)
		for _, r := range rows {
			args[0] = r.ID
			for i := range width {
				args[1+i], args[1+width+i] = r.New[i], r.Old[i]
			}
			res, err := st.ExecContext(ctx, args...)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			total += int(n)
		}
		return nil
	})
	return total, err
}

// DeleteSessionsBefore removes a site's sessions idle since before t (messages go by cascade),
// their events, and the site's visitors idle since before t that have no session left.
func (s *Store) DeleteSessionsBefore(ctx context.Context, siteID string, t time.Time) (int, error) {
	var n int64
	cutoff := toDB(t)
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM events WHERE session_id IN
            (SELECT id FROM sessions WHERE site_id = ? AND last_seen < ?)`, siteID, cutoff); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE site_id = ? AND last_seen < ?`, siteID, cutoff)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM visitors WHERE site_id = ? AND last_seen < ?
            AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.visitor_id = visitors.id)`, siteID, cutoff)
		return err
	})
	return int(n), wrapErr("delete sessions", err)
}

// DeleteSession removes one session with its messages and events.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM events WHERE session_id = ?`, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
		if err != nil {
			return err
		}
		return expectRow(res)
	})
	return wrapErr("delete session", err)
}
