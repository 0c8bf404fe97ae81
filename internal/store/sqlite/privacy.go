package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// SetSessionNoAnalytics records a visitor's analytics consent on their session.
func (s *Store) SetSessionNoAnalytics(ctx context.Context, id string, off bool) error {
	res, err := s.exec(ctx, `UPDATE sessions SET no_analytics = ? WHERE id = ?`, off, id)
	if err == nil {
		err = expectRow(res)
	}
	return wrapErr("set session analytics", err)
}

// ListVisitorSessions returns a visitor's sessions on a site, oldest first.
func (s *Store) ListVisitorSessions(ctx context.Context, siteID, visitorID string) ([]store.Session, error) {
	rows, err := s.query(ctx, `SELECT id, site_id, visitor_id, created_at, last_seen, expires_at, ip_hash,
        user_agent_enc, page_url_enc, is_returning, no_analytics FROM sessions
        WHERE site_id = ? AND visitor_id = ? ORDER BY id`, siteID, visitorID)
	if err != nil {
		return nil, wrapErr("list visitor sessions", err)
	}
	defer func() { _ = rows.Close() }()
	var out []store.Session
	for rows.Next() {
		var sess store.Session
		var created, lastSeen, expires int64
		var ua, page []byte
		if err := rows.Scan(&sess.ID, &sess.SiteID, &sess.VisitorID, &created, &lastSeen, &expires,
			&sess.IPHash, &ua, &page, &sess.Returning, &sess.NoAnalytics); err != nil {
			return nil, wrapErr("list visitor sessions", err)
		}
		sess.CreatedAt, sess.LastSeen, sess.ExpiresAt = fromDB(created), fromDB(lastSeen), fromDB(expires)
		if err := openSession(s.cipher, &sess, ua, page); err != nil {
			return nil, fmt.Errorf("sqlite: list visitor sessions: %w", err)
		}
		out = append(out, sess)
	}
	return out, wrapErr("list visitor sessions", rows.Err())
}

// ListSessionEvents returns the events that name a session, oldest first.
func (s *Store) ListSessionEvents(ctx context.Context, sessionID string) ([]store.Event, error) {
	rows, err := s.query(ctx, `SELECT id, site_id, session_id, type, data, created_at FROM events
        WHERE session_id = ? ORDER BY id`, sessionID)
	if err != nil {
		return nil, wrapErr("list session events", err)
	}
	defer func() { _ = rows.Close() }()
	var out []store.Event
	for rows.Next() {
		var e store.Event
		var data string
		var at int64
		if err := rows.Scan(&e.ID, &e.SiteID, &e.SessionID, &e.Type, &data, &at); err != nil {
			return nil, wrapErr("list session events", err)
		}
		e.Data, e.CreatedAt = []byte(data), fromDB(at)
		out = append(out, e)
	}
	return out, wrapErr("list session events", rows.Err())
}

// DeleteVisitor removes a visitor; sessions and messages go by cascade, events (of their
// sessions, or naming the visitor) explicitly.
func (s *Store) DeleteVisitor(ctx context.Context, siteID, visitorID string) (int, error) {
	var n int
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM events WHERE session_id IN
            (SELECT id FROM sessions WHERE site_id = ?1 AND visitor_id = ?2)
            OR (site_id = ?1 AND visitor_id = ?2)`, siteID, visitorID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE site_id = ? AND visitor_id = ?`,
			siteID, visitorID).Scan(&n); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM visitors WHERE site_id = ? AND id = ?`, siteID, visitorID)
		if err != nil {
			return err
		}
		return expectRow(res)
	})
	return n, wrapErr("delete visitor", err)
}

// purgeDelete is, per kind, the rows of a site (?1) older than the cutoff (?2, and ?3 the
// cutoff's UUIDv7 id for id-ordered tables) to remove, at most ?4.
var purgeDelete = map[string]string{
	store.PurgeMessages: `DELETE FROM messages WHERE id IN (SELECT id FROM messages
        WHERE site_id = ?1 AND id < ?3 AND created_at < ?2 ORDER BY id LIMIT ?4)`,
	store.PurgeSessions: `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions
        WHERE site_id = ?1 AND last_seen < ?2 ORDER BY last_seen LIMIT ?4)`,
	store.PurgeVisitors: `DELETE FROM visitors WHERE id IN (SELECT id FROM visitors v
        WHERE site_id = ?1 AND last_seen < ?2
        AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.visitor_id = v.id) ORDER BY last_seen LIMIT ?4)`,
	store.PurgeEvents: `DELETE FROM events WHERE id IN (SELECT id FROM events
        WHERE site_id = ?1 AND id < ?3 AND created_at < ?2 ORDER BY id LIMIT ?4)`,
}

// PurgeBatch deletes one batch and logs it in the same transaction.
func (s *Store) PurgeBatch(ctx context.Context, siteID, kind string, cutoff time.Time, limit int) (int, error) {
	del, ok := purgeDelete[kind]
	if !ok {
		return 0, fmt.Errorf("sqlite: purge: unknown kind %q", kind)
	}
	var n int64
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, del, siteID, toDB(cutoff), store.PurgeCutoffID(cutoff), max(limit, 1))
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO purge_log (site_id, kind, removed, cutoff, at) VALUES (?, ?, ?, ?, ?)`,
			siteID, kind, n, toDB(cutoff), toDB(time.Now()))
		return err
	})
	return int(n), wrapErr("purge "+kind, err)
}

// PurgeTotals sums a site's purge log by kind.
func (s *Store) PurgeTotals(ctx context.Context, siteID string) (map[string]int64, error) {
	rows, err := s.query(ctx, `SELECT kind, sum(removed) FROM purge_log WHERE site_id = ? GROUP BY kind`, siteID)
	if err != nil {
		return nil, wrapErr("purge totals", err)
	}
	defer func() { _ = rows.Close() }()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, wrapErr("purge totals", err)
		}
		out[k] = n
	}
	return out, wrapErr("purge totals", rows.Err())
}

// AcquireLease takes the lease when it is free or expired, or renews it for its holder.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := time.Now()
	res, err := s.exec(ctx, `INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3)
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
        WHERE leases.until < ?4 OR leases.holder = excluded.holder`, name, holder, toDB(now.Add(ttl)), toDB(now))
	if err != nil {
		return false, wrapErr("acquire lease", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrapErr("acquire lease", err)
}

// ReleaseLease ends holder's lease.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.exec(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
	return wrapErr("release lease", err)
}
