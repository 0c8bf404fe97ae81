package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatproxy/chatproxy/internal/store"
)

const insertEvent = `INSERT INTO events (id, site_id, session_id, type, data, created_at)
VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6)`

// AddEvent appends one analytics event; nil Data is stored as {}.
func (s *Store) AddEvent(ctx context.Context, e store.Event) error {
	_, err := s.pool.Exec(ctx, insertEvent, e.ID, e.SiteID, e.SessionID, e.Type, jsonOrEmpty(e.Data), e.CreatedAt)
	return wrapErr("add event", err)
}

// CountEvents counts a site's events of one type.
func (s *Store) CountEvents(ctx context.Context, siteID, typ string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE site_id = $1 AND type = $2`, siteID, typ).Scan(&n)
	return n, wrapErr("count events", err)
}

// AddKey stores a keyring entry; see store.Store for the rules on existing kids and primaries.
// A transaction-scoped advisory lock per purpose serialises rotations of the same purpose, so
// two replicas promoting keys at once cannot both end up primary.
func (s *Store) AddKey(ctx context.Context, k store.KeyRecord) error {
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now()
	}
	var notAfter *time.Time
	if !k.NotAfter.IsZero() {
		notAfter = &k.NotAfter
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('chatproxy.keyring:' || $1))`, k.Purpose); err != nil {
			return err
		}
		if k.Primary {
			_, err := tx.Exec(ctx, `UPDATE keyring SET primary_key = false
                WHERE purpose = $1 AND kid <> $2 AND primary_key`, k.Purpose, k.KID)
			if err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO keyring (purpose, kid, material_enc, created_at, not_after, primary_key)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (purpose, kid) DO UPDATE SET not_after = excluded.not_after, primary_key = excluded.primary_key`,
			k.Purpose, k.KID, k.Material, k.CreatedAt, notAfter, k.Primary)
		return err
	})
	return wrapErr("add key", err)
}

// ListKeys returns a purpose's keys, oldest first.
func (s *Store) ListKeys(ctx context.Context, purpose string) ([]store.KeyRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT purpose, kid, material_enc, created_at, not_after, primary_key
        FROM keyring WHERE purpose = $1 ORDER BY created_at, kid`, purpose)
	if err != nil {
		return nil, wrapErr("list keys", err)
	}
	defer rows.Close()
	var keys []store.KeyRecord
	for rows.Next() {
		var k store.KeyRecord
		var notAfter *time.Time
		if err := rows.Scan(&k.Purpose, &k.KID, &k.Material, &k.CreatedAt, &notAfter, &k.Primary); err != nil {
			return nil, wrapErr("list keys", err)
		}
		k.CreatedAt = utc(k.CreatedAt)
		if notAfter != nil {
			k.NotAfter = utc(*notAfter)
		}
		keys = append(keys, k)
	}
	return keys, wrapErr("list keys", rows.Err())
}
