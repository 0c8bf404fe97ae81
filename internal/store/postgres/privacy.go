package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatproxy/chatproxy/internal/store"
)

// SetSessionNoAnalytics records a visitor's analytics consent on their session.
func (s *Store) SetSessionNoAnalytics(ctx context.Context, id string, off bool) error {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET no_analytics = $2 WHERE id = $1`, id, off)
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	return wrapErr("set session analytics", err)
}

// ListVisitorSessions returns a visitor's sessions on a site, oldest first.
func (s *Store) ListVisitorSessions(ctx context.Context, siteID, visitorID string) ([]store.Session, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, site_id, visitor_id, created_at, last_seen, expires_at, ip_hash,
        user_agent_enc, page_url_enc, is_returning, no_analytics FROM sessions
        WHERE site_id = $1 AND visitor_id = $2 ORDER BY id`, siteID, visitorID)
	if err != nil {
		return nil, wrapErr("list visitor sessions", err)
	}
	defer rows.Close()
	var out []store.Session
	for rows.Next() {
		var sess store.Session
		var ua, page []byte
		if err := rows.Scan(&sess.ID, &sess.SiteID, &sess.VisitorID, &sess.CreatedAt, &sess.LastSeen, &sess.ExpiresAt,
			&sess.IPHash, &ua, &page, &sess.Returning, &sess.NoAnalytics); err != nil {
			return nil, wrapErr("list visitor sessions", err)
		}
		sess.CreatedAt, sess.LastSeen, sess.ExpiresAt = utc(sess.CreatedAt), utc(sess.LastSeen), utc(sess.ExpiresAt)
		if err := openSession(s.cipher, &sess, ua, page); err != nil {
			return nil, fmt.Errorf("postgres: list visitor sessions: %w", err)
		}
		out = append(out, sess)
	}
	return out, wrapErr("list visitor sessions", rows.Err())
}

// ListSessionEvents returns the events that name a session, oldest first.
func (s *Store) ListSessionEvents(ctx context.Context, sessionID string) ([]store.Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, site_id, session_id, type, data, created_at FROM events
        WHERE session_id = $1 ORDER BY id`, sessionID)
	if err != nil {
		return nil, wrapErr("list session events", err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var e store.Event
		if err := rows.Scan(&e.ID, &e.SiteID, &e.SessionID, &e.Type, &e.Data, &e.CreatedAt); err != nil {
			return nil, wrapErr("list session events", err)
		}
		e.CreatedAt = utc(e.CreatedAt)
		out = append(out, e)
	}
	return out, wrapErr("list session events", rows.Err())
}

// DeleteVisitor removes a visitor; sessions and messages go by cascade, events (of their
// sessions, or naming the visitor) explicitly.
func (s *Store) DeleteVisitor(ctx context.Context, siteID, visitorID string) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM events WHERE session_id IN
            (SELECT id FROM sessions WHERE site_id = $1 AND visitor_id = $2)
            OR (site_id = $1 AND visitor_id = $2)`, siteID, visitorID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE site_id = $1 AND visitor_id = $2`,
			siteID, visitorID).Scan(&n); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM visitors WHERE site_id = $1 AND id = $2`, siteID, visitorID)
		if err == nil && tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		return err
	})
	return n, wrapErr("delete visitor", err)
}

// purgeSelect is, per kind, the rows of a site ($1) older than the cutoff ($2, and $3 the
// cutoff's UUIDv7 id for id-ordered tables) to remove, at most $4.
var purgeSelect = map[string]string{
	store.PurgeMessages: `DELETE FROM messages WHERE id IN (SELECT id FROM messages
        WHERE site_id = $1 AND id < $3 AND created_at < $2 ORDER BY id LIMIT $4) RETURNING 1`,
	store.PurgeSessions: `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions
        WHERE site_id = $1 AND last_seen < $2 AND $3 <> '' ORDER BY last_seen LIMIT $4) RETURNING 1`,
	store.PurgeVisitors: `DELETE FROM visitors WHERE id IN (SELECT id FROM visitors v
        WHERE site_id = $1 AND last_seen < $2 AND $3 <> ''
        AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.visitor_id = v.id) ORDER BY last_seen LIMIT $4) RETURNING 1`,
	store.PurgeEvents: `DELETE FROM events WHERE id IN (SELECT id FROM events
        WHERE site_id = $1 AND id < $3 AND created_at < $2 ORDER BY id LIMIT $4) RETURNING 1`,
}

// PurgeBatch deletes one batch and logs it in a single statement: both or neither happen.
func (s *Store) PurgeBatch(ctx context.Context, siteID, kind string, cutoff time.Time, limit int) (int, error) {
	del, ok := purgeSelect[kind]
	if !ok {
		return 0, fmt.Errorf("postgres: purge: unknown kind %q", kind)
	}
	var n int
	err := s.pool.QueryRow(ctx, `WITH d AS (`+del+`), c AS (SELECT count(*) AS n FROM d),
        l AS (INSERT INTO purge_log (site_id, kind, removed, cutoff, at)
            SELECT $1, $5, n, $2, now() FROM c WHERE n > 0)
        SELECT n FROM c`, siteID, cutoff, store.PurgeCutoffID(cutoff), max(limit, 1), kind).Scan(&n)
	return n, wrapErr("purge "+kind, err)
}

// PurgeTotals sums a site's purge log by kind.
func (s *Store) PurgeTotals(ctx context.Context, siteID string) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT kind, sum(removed)::bigint FROM purge_log WHERE site_id = $1 GROUP BY kind`, siteID)
	if err != nil {
		return nil, wrapErr("purge totals", err)
	}
	defer rows.Close()
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

// AcquireLease takes the lease when it is free or expired (by the server's clock), or renews it.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO leases (name, holder, until)
        VALUES ($1, $2, now() + $3 * interval '1 microsecond')
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
        WHERE leases.until < now() OR leases.holder = excluded.holder`, name, holder, ttl.Microseconds())
	if err != nil {
		return false, wrapErr("acquire lease", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseLease ends holder's lease.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
	return wrapErr("release lease", err)
}
