package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatproxy/chatproxy/internal/store"
)

const upsertSite = `INSERT INTO sites (id, name, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, config = excluded.config, updated_at = excluded.updated_at,
    version = nextval('sites_version_seq')`

const selectSite = `SELECT id, name, config, created_at, updated_at FROM sites`

// UpsertSite creates the site or replaces its name and config; CreatedAt of an existing site is kept.
func (s *Store) UpsertSite(ctx context.Context, site store.Site) error {
	_, err := s.pool.Exec(ctx, upsertSite, site.ID, site.Name, jsonOrEmpty(site.Config), site.CreatedAt, site.UpdatedAt)
	return wrapErr("upsert site", err)
}

// GetSite returns ErrNotFound for an unknown id.
func (s *Store) GetSite(ctx context.Context, id string) (store.Site, error) {
	site, err := scanSite(s.pool.QueryRow(ctx, selectSite+` WHERE id = $1`, id))
	return site, wrapErr("get site", err)
}

// ListSites returns every site ordered by id.
func (s *Store) ListSites(ctx context.Context) ([]store.Site, error) {
	rows, err := s.pool.Query(ctx, selectSite+` ORDER BY id`)
	if err != nil {
		return nil, wrapErr("list sites", err)
	}
	defer rows.Close()
	var sites []store.Site
	for rows.Next() {
		site, err := scanSite(rows)
		if err != nil {
			return nil, wrapErr("list sites", err)
		}
		sites = append(sites, site)
	}
	return sites, wrapErr("list sites", rows.Err())
}

func scanSite(r pgx.Row) (store.Site, error) {
	var site store.Site
	if err := r.Scan(&site.ID, &site.Name, &site.Config, &site.CreatedAt, &site.UpdatedAt); err != nil {
		return store.Site{}, err
	}
	site.CreatedAt, site.UpdatedAt = utc(site.CreatedAt), utc(site.UpdatedAt)
	return site, nil
}

// visitorUpsert upserts the visitor whose id is the expression between its two halves; the
// WHERE refuses (no row) an id that belongs to another site.
const (
	visitorUpsertHead = `INSERT INTO visitors AS v (id, site_id, fingerprint_hash, first_seen, last_seen)
VALUES (`
	visitorUpsertTail = `, $2, $3, $4, $5)
ON CONFLICT (id) DO UPDATE SET
    last_seen = GREATEST(v.last_seen, excluded.last_seen),
    fingerprint_hash = CASE WHEN excluded.fingerprint_hash <> '' THEN excluded.fingerprint_hash ELSE v.fingerprint_hash END
WHERE v.site_id = excluded.site_id`
)

// returningExpr is written so that only the visitor and fingerprint indexes can serve it, with
// or without planner statistics: a visitor id belongs to one site, so its sessions need no site
// condition (with one, plans ANDed in sessions_site_last_seen and read every session of the
// site: the session start slowed down as the table grew), and the non-empty fingerprint condition on o lets
// the partial visitors_fingerprint index match.
const returningExpr = `EXISTS (SELECT 1 FROM sessions s WHERE s.visitor_id = v.id)
    OR (v.fingerprint_hash <> '' AND EXISTS (
        SELECT 1 FROM visitors o JOIN sessions s ON s.visitor_id = o.id
        WHERE o.site_id = v.site_id AND o.fingerprint_hash = v.fingerprint_hash AND o.fingerprint_hash <> ''))`

// touchVisitor upserts the visitor and, in the same statement, looks for an earlier session of
// the visitor or of any visitor of the site sharing its (non-empty) fingerprint hash.
const touchVisitor = visitorUpsertHead + `$1` + visitorUpsertTail + `
RETURNING ` + returningExpr

// TouchVisitor creates or refreshes the visitor and reports whether it is returning.
func (s *Store) TouchVisitor(ctx context.Context, v store.Visitor) (bool, error) {
	var returning bool
	err := s.pool.QueryRow(ctx, touchVisitor, v.ID, v.SiteID, v.FingerprintHash, v.FirstSeen, v.LastSeen).Scan(&returning)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("postgres: touch visitor: %w", store.ErrForeignVisitor)
	}
	return returning, wrapErr("touch visitor", err)
}

const insertSession = `INSERT INTO sessions (id, site_id, visitor_id, created_at, last_seen, expires_at,
    ip_hash, user_agent_enc, page_url_enc, is_returning, country) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

// CreateSession inserts a session with its personal fields sealed.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	ua, page, err := sealSession(s.cipher, sess)
	if err != nil {
		return fmt.Errorf("postgres: create session: seal: %w", err)
	}
	_, err = s.pool.Exec(ctx, insertSession, sess.ID, sess.SiteID, sess.VisitorID, sess.CreatedAt,
		sess.LastSeen, sess.ExpiresAt, sess.IPHash, ua, page, sess.Returning, sess.Country)
	return wrapErr("create session", err)
}

// startSession upserts the visitor and inserts the session in one statement. An id that is not
// a visitor yet, sent with the fingerprint of a visitor of the site that had a session, is
// replaced by that visitor's id (the earliest such visitor: every new id of one device maps to
// the same one). The prior lookup orders on first_seen, which no index serves, so the plan
// reads only the few rows of visitors_fingerprint and never scans the site in last_seen order.
const startSession = `WITH prior AS (
    SELECT o.id FROM visitors o
    WHERE o.site_id = $2 AND o.fingerprint_hash = $3 AND o.fingerprint_hash <> ''
        AND NOT EXISTS (SELECT 1 FROM visitors k WHERE k.id = $1)
        AND EXISTS (SELECT 1 FROM sessions s WHERE s.visitor_id = o.id)
    ORDER BY o.first_seen, o.id LIMIT 1),
v AS (` + visitorUpsertHead + `COALESCE((SELECT id FROM prior), $1)` + visitorUpsertTail + `
    RETURNING v.id, ` + returningExpr + ` AS returning)
INSERT INTO sessions (id, site_id, visitor_id, created_at, last_seen, expires_at,
    ip_hash, user_agent_enc, page_url_enc, is_returning, country)
SELECT $6, $2, v.id, $7, $8, $9, $10, $11, $12, v.returning, $13 FROM v
RETURNING visitor_id, is_returning`

// StartSession touches the visitor and creates the session in one statement, group-committed
// with other writes that arrive at the same time. The session may go to an earlier visitor
// recognised by fingerprint (see startSession); its VisitorID says which.
func (s *Store) StartSession(ctx context.Context, v store.Visitor, sess store.Session) (store.Session, error) {
	ua, page, err := sealSession(s.cipher, sess)
	if err != nil {
		return store.Session{}, fmt.Errorf("postgres: start session: seal: %w", err)
	}
	var otherSite bool // the visitor id belongs to another site: no row, this write's outcome only
	op := &groupOp{
		queue: func(b *pgx.Batch) {
			b.Queue(startSession, v.ID, v.SiteID, v.FingerprintHash, v.FirstSeen, v.LastSeen,
				sess.ID, sess.CreatedAt, sess.LastSeen, sess.ExpiresAt, sess.IPHash, ua, page, sess.Country)
		},
		read: func(br pgx.BatchResults) error {
			err := br.QueryRow().Scan(&sess.VisitorID, &sess.Returning)
			otherSite = errors.Is(err, pgx.ErrNoRows)
			if otherSite {
				return nil
			}
			return err
		},
	}
	if err := s.writes.do(ctx, op); err != nil {
		return store.Session{}, wrapErr("start session", err)
	}
	if otherSite {
		return store.Session{}, fmt.Errorf("postgres: start session: %w", store.ErrForeignVisitor)
	}
	sess.CreatedAt, sess.LastSeen, sess.ExpiresAt = normalize(sess.CreatedAt), normalize(sess.LastSeen), normalize(sess.ExpiresAt)
	return sess, nil
}

// sealSession seals a session's personal fields, each bound to its row.
func sealSession(c store.Cipher, sess store.Session) (ua, page []byte, err error) {
	if ua, err = c.Seal([]byte(sess.UserAgent), store.SessionAAD(sess, "user_agent")); err != nil {
		return nil, nil, err
	}
	page, err = c.Seal([]byte(sess.PageURL), store.SessionAAD(sess, "page_url"))
	return ua, page, err
}

const selectSession = `SELECT id, site_id, visitor_id, created_at, last_seen, expires_at, ip_hash,
    user_agent_enc, page_url_enc, is_returning, no_analytics, country FROM sessions WHERE id = $1`

// GetSession returns the session with its personal fields opened.
func (s *Store) GetSession(ctx context.Context, id string) (store.Session, error) {
	var sess store.Session
	var ua, page []byte
	err := s.pool.QueryRow(ctx, selectSession, id).Scan(&sess.ID, &sess.SiteID, &sess.VisitorID,
		&sess.CreatedAt, &sess.LastSeen, &sess.ExpiresAt, &sess.IPHash, &ua, &page, &sess.Returning, &sess.NoAnalytics, &sess.Country)
	if err != nil {
		return store.Session{}, wrapErr("get session", err)
	}
	sess.CreatedAt, sess.LastSeen, sess.ExpiresAt = utc(sess.CreatedAt), utc(sess.LastSeen), utc(sess.ExpiresAt)
	if err := openSession(s.cipher, &sess, ua, page); err != nil {
		return store.Session{}, fmt.Errorf("postgres: get session: %w", err)
	}
	return sess, nil
}

// openSession opens the sealed fields into sess; a value that fails to open is an error,
// never garbage.
func openSession(c store.Cipher, sess *store.Session, ua, page []byte) error {
	plain, err := c.Open(ua, store.SessionAAD(*sess, "user_agent"))
	if err != nil {
		return fmt.Errorf("open user agent: %w", err)
	}
	sess.UserAgent = string(plain)
	if plain, err = c.Open(page, store.SessionAAD(*sess, "page_url")); err != nil {
		return fmt.Errorf("open page url: %w", err)
	}
	sess.PageURL = string(plain)
	return nil
}

const touchSession = `UPDATE sessions SET last_seen = GREATEST(last_seen, $2) WHERE id = $1`

// TouchSession moves LastSeen forward (never back); ErrNotFound for an unknown id.
func (s *Store) TouchSession(ctx context.Context, id string, lastSeen time.Time) error {
	tag, err := s.pool.Exec(ctx, touchSession, id, lastSeen)
	if err != nil {
		return wrapErr("touch session", err)
	}
	if tag.RowsAffected() == 0 {
		return wrapErr("touch session", store.ErrNotFound)
	}
	return nil
}

func jsonOrEmpty(b []byte) string {
	if len(b) == 0 {
		return "{}"
	}
	return string(b)
}
