package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

const insertEvent = `INSERT INTO events (id, site_id, session_id, type, data, created_at)
VALUES (?, ?, NULLIF(?, ''), ?, ?, ?)`

// AddEvent appends one analytics event; nil Data is stored as {}.
func (s *Store) AddEvent(ctx context.Context, e store.Event) error {
	_, err := s.exec(ctx, insertEvent, e.ID, e.SiteID, e.SessionID, e.Type, jsonOrEmpty(e.Data), toDB(e.CreatedAt))
	return wrapErr("add event", err)
}

// CountEvents counts a site's events of one type.
func (s *Store) CountEvents(ctx context.Context, siteID, typ string) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM events WHERE site_id = ? AND type = ?`, siteID, typ).Scan(&n)
	return n, wrapErr("count events", err)
}

// AddKey stores a keyring entry; see store.Store for the rules on existing kids and primaries.
func (s *Store) AddKey(ctx context.Context, k store.KeyRecord) error {
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now()
	}
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		if k.Primary {
			_, err := tx.ExecContext(ctx, `UPDATE keyring SET primary_key = 0
                WHERE purpose = ? AND kid <> ? AND primary_key = 1`, k.Purpose, k.KID)
			if err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO keyring (purpose, kid, material_enc, created_at, not_after, primary_key)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (purpose, kid) DO UPDATE SET not_after = excluded.not_after, primary_key = excluded.primary_key`,
			k.Purpose, k.KID, k.Material, toDB(k.CreatedAt), nullTime(k.NotAfter), k.Primary)
		return err
	})
	return wrapErr("add key", err)
}

// ListKeys returns a purpose's keys, oldest first.
func (s *Store) ListKeys(ctx context.Context, purpose string) ([]store.KeyRecord, error) {
	rows, err := s.query(ctx, `SELECT purpose, kid, material_enc, created_at, not_after, primary_key
        FROM keyring WHERE purpose = ? ORDER BY created_at, kid`, purpose)
	if err != nil {
		return nil, wrapErr("list keys", err)
	}
	defer rows.Close()
	var keys []store.KeyRecord
	for rows.Next() {
		var k store.KeyRecord
		var created int64
		var notAfter sql.NullInt64
		if err := rows.Scan(&k.Purpose, &k.KID, &k.Material, &created, &notAfter, &k.Primary); err != nil {
			return nil, wrapErr("list keys", err)
		}
		k.CreatedAt = fromDB(created)
		if notAfter.Valid {
			k.NotAfter = fromDB(notAfter.Int64)
		}
		keys = append(keys, k)
	}
	return keys, wrapErr("list keys", rows.Err())
}

func nullTime(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: toDB(t), Valid: true}
}
