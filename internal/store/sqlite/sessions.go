package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

const upsertSite = `INSERT INTO sites (id, name, config, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ` + nextSiteVersion + `)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, config = excluded.config, updated_at = excluded.updated_at,
    version = excluded.version`

const selectSite = `SELECT id, name, config, created_at, updated_at FROM sites`

// UpsertSite creates the site or replaces its name and config; CreatedAt of an existing site is kept.
func (s *Store) UpsertSite(ctx context.Context, site store.Site) error {
	_, err := s.exec(ctx, upsertSite, site.ID, site.Name, jsonOrEmpty(site.Config),
		toDB(site.CreatedAt), toDB(site.UpdatedAt))
	if err == nil {
		s.siteWatch.signal()
	}
	return wrapErr("upsert site", err)
}

// GetSite returns ErrNotFound for an unknown id.
func (s *Store) GetSite(ctx context.Context, id string) (store.Site, error) {
	site, err := scanSite(s.queryRow(ctx, selectSite+` WHERE id = ?`, id))
	return site, wrapErr("get site", err)
}

// ListSites returns every site ordered by id.
func (s *Store) ListSites(ctx context.Context) ([]store.Site, error) {
	rows, err := s.query(ctx, selectSite+` ORDER BY id`)
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

type scanner interface{ Scan(dest ...any) error }

func scanSite(r scanner) (store.Site, error) {
	var site store.Site
	var config string
	var created, updated int64
	if err := r.Scan(&site.ID, &site.Name, &config, &created, &updated); err != nil {
		return store.Site{}, err
	}
	site.Config, site.CreatedAt, site.UpdatedAt = []byte(config), fromDB(created), fromDB(updated)
	return site, nil
}

// visitorUpsert upserts the visitor whose id is the expression between its two halves; the
// WHERE refuses (no row) an id that belongs to another site.
const (
	visitorUpsertHead = `INSERT INTO visitors (id, site_id, fingerprint_hash, first_seen, last_seen)
VALUES (`
	visitorUpsertTail = `, ?2, ?3, ?4, ?5)
ON CONFLICT (id) DO UPDATE SET
    last_seen = max(visitors.last_seen, excluded.last_seen),
    fingerprint_hash = CASE WHEN excluded.fingerprint_hash <> '' THEN excluded.fingerprint_hash
        ELSE visitors.fingerprint_hash END
WHERE visitors.site_id = excluded.site_id`
)

// returningExpr looks for an earlier session of the visitor or of any visitor of the site
// sharing its (non-empty) fingerprint hash. SQLite's RETURNING does not see the INSERT's alias,
// hence the full table name. Only the visitor and fingerprint indexes can serve it (see the
// PostgreSQL store's returningExpr).
const returningExpr = `EXISTS (SELECT 1 FROM sessions s WHERE s.visitor_id = visitors.id)
    OR (visitors.fingerprint_hash <> '' AND EXISTS (
        SELECT 1 FROM visitors o JOIN sessions s ON s.visitor_id = o.id
        WHERE o.site_id = visitors.site_id AND o.fingerprint_hash = visitors.fingerprint_hash
            AND o.fingerprint_hash <> ''))`

// touchVisitor upserts the visitor and reports in the same statement whether it is returning.
const touchVisitor = visitorUpsertHead + `?1` + visitorUpsertTail + `
RETURNING ` + returningExpr

// startVisitor is touchVisitor for a new session: an id that is not a visitor yet, sent with
// the fingerprint of a visitor of the site that had a session, is replaced by that visitor's id
// (the earliest such visitor: every new id of one device maps to the same one). It returns the
// visitor id used.
const startVisitor = visitorUpsertHead + `COALESCE((
    SELECT o.id FROM visitors o
    WHERE o.site_id = ?2 AND o.fingerprint_hash = ?3 AND o.fingerprint_hash <> ''
        AND NOT EXISTS (SELECT 1 FROM visitors k WHERE k.id = ?1)
        AND EXISTS (SELECT 1 FROM sessions s WHERE s.visitor_id = o.id)
    ORDER BY o.first_seen, o.id LIMIT 1), ?1)` + visitorUpsertTail + `
RETURNING visitors.id, ` + returningExpr

// TouchVisitor creates or refreshes the visitor and reports whether it is returning.
func (s *Store) TouchVisitor(ctx context.Context, v store.Visitor) (bool, error) {
	st, err := s.stmt(ctx, s.write, touchVisitor)
	if err != nil {
		return false, wrapErr("touch visitor", err)
	}
	var returning bool
	err = st.QueryRowContext(ctx, v.ID, v.SiteID, v.FingerprintHash, toDB(v.FirstSeen), toDB(v.LastSeen)).Scan(&returning)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("sqlite: touch visitor: %w", store.ErrForeignVisitor)
	}
	return returning, wrapErr("touch visitor", err)
}

const insertSession = `INSERT INTO sessions (id, site_id, visitor_id, created_at, last_seen, expires_at,
    ip_hash, user_agent_enc, page_url_enc, is_returning, country) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// CreateSession inserts a session with its personal fields sealed.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	ua, page, err := sealSession(s.cipher, sess)
	if err != nil {
		return fmt.Errorf("sqlite: create session: seal: %w", err)
	}
	_, err = s.exec(ctx, insertSession, sess.ID, sess.SiteID, sess.VisitorID, toDB(sess.CreatedAt),
		toDB(sess.LastSeen), toDB(sess.ExpiresAt), sess.IPHash, ua, page, sess.Returning, sess.Country)
	return wrapErr("create session", err)
}

// StartSession touches the visitor and creates the session in one write transaction. The
// session may go to an earlier visitor recognised by fingerprint (see startVisitor); its
// VisitorID says which. Sealing the personal fields first is safe: their associated data
// names the session's row, not its visitor.
func (s *Store) StartSession(ctx context.Context, v store.Visitor, sess store.Session) (store.Session, error) {
	ua, page, err := sealSession(s.cipher, sess)
	if err != nil {
		return store.Session{}, fmt.Errorf("sqlite: start session: seal: %w", err)
	}
	touch, err := s.stmt(ctx, s.write, startVisitor)
	if err != nil {
		return store.Session{}, wrapErr("start session", err)
	}
	insert, err := s.stmt(ctx, s.write, insertSession)
	if err != nil {
		return store.Session{}, wrapErr("start session", err)
	}
	err = s.inWriteTx(ctx, func(tx *sql.Tx) error {
		err := tx.StmtContext(ctx, touch).QueryRowContext(ctx, v.ID, v.SiteID, v.FingerprintHash,
			toDB(v.FirstSeen), toDB(v.LastSeen)).Scan(&sess.VisitorID, &sess.Returning)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrForeignVisitor
		}
		if err != nil {
			return err
		}
		_, err = tx.StmtContext(ctx, insert).ExecContext(ctx, sess.ID, sess.SiteID, sess.VisitorID,
			toDB(sess.CreatedAt), toDB(sess.LastSeen), toDB(sess.ExpiresAt), sess.IPHash, ua, page, sess.Returning, sess.Country)
		return err
	})
	if err != nil {
		return store.Session{}, wrapErr("start session", err)
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
    user_agent_enc, page_url_enc, is_returning, no_analytics, country FROM sessions WHERE id = ?`

// GetSession returns the session with its personal fields opened.
func (s *Store) GetSession(ctx context.Context, id string) (store.Session, error) {
	var sess store.Session
	var created, lastSeen, expires int64
	var ua, page []byte
	err := s.queryRow(ctx, selectSession, id).Scan(&sess.ID, &sess.SiteID, &sess.VisitorID,
		&created, &lastSeen, &expires, &sess.IPHash, &ua, &page, &sess.Returning, &sess.NoAnalytics, &sess.Country)
	if err != nil {
		return store.Session{}, wrapErr("get session", err)
	}
	sess.CreatedAt, sess.LastSeen, sess.ExpiresAt = fromDB(created), fromDB(lastSeen), fromDB(expires)
	if err := openSession(s.cipher, &sess, ua, page); err != nil {
		return store.Session{}, fmt.Errorf("sqlite: get session: %w", err)
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

const touchSession = `UPDATE sessions SET last_seen = max(last_seen, ?) WHERE id = ?`

// TouchSession moves LastSeen forward (never back); ErrNotFound for an unknown id.
func (s *Store) TouchSession(ctx context.Context, id string, lastSeen time.Time) error {
	res, err := s.exec(ctx, touchSession, toDB(lastSeen), id)
	if err != nil {
		return wrapErr("touch session", err)
	}
	return wrapErr("touch session", expectRow(res))
}

// expectRow turns "no row changed" into ErrNotFound.
func expectRow(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func jsonOrEmpty(b []byte) string {
	if len(b) == 0 {
		return "{}"
	}
	return string(b)
}
