package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatproxy/chatproxy/internal/store"
)

// sitesChannel is the NOTIFY channel of site changes; the payload is the site id.
const sitesChannel = "chatproxy_sites"

const siteRecordColumns = `id, name, managed_by, version, disabled, coalesce(settings::text, ''), config::text,
    secrets_enc, created_at, updated_at`

// ListSiteRecords returns every site ordered by id.
func (s *Store) ListSiteRecords(ctx context.Context) ([]store.SiteRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+siteRecordColumns+` FROM sites ORDER BY id`)
	if err != nil {
		return nil, wrapErr("list site records", err)
	}
	defer rows.Close()
	var out []store.SiteRecord
	for rows.Next() {
		r, err := scanSiteRecord(rows)
		if err != nil {
			return nil, wrapErr("list site records", err)
		}
		out = append(out, r)
	}
	return out, wrapErr("list site records", rows.Err())
}

// GetSiteRecord returns ErrNotFound for an unknown id.
func (s *Store) GetSiteRecord(ctx context.Context, id string) (store.SiteRecord, error) {
	r, err := scanSiteRecord(s.pool.QueryRow(ctx, `SELECT `+siteRecordColumns+` FROM sites WHERE id = $1`, id))
	return r, wrapErr("get site record", err)
}

// CreateSiteRecord inserts a console site; ErrConflict when the id is taken.
func (s *Store) CreateSiteRecord(ctx context.Context, r store.SiteRecord) (store.SiteRecord, error) {
	var out store.SiteRecord
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		row := tx.QueryRow(ctx, `INSERT INTO sites (id, name, config, created_at, updated_at, managed_by, disabled, settings, secrets_enc)
VALUES ($1, $2, $3, $4, $5, 'console', $6, $7, $8) RETURNING `+siteRecordColumns,
			r.ID, r.Name, jsonOrEmpty(r.Public), r.CreatedAt, r.UpdatedAt, r.Disabled, jsonOrEmpty(r.Settings), r.SecretsEnc)
		var err error
		if out, err = scanSiteRecord(row); err != nil {
			return conflict(err)
		}
		return notifySites(ctx, tx, r.ID)
	})
	return out, wrapErr("create site record", err)
}

// UpdateSiteRecord rewrites a console site at r.Version.
func (s *Store) UpdateSiteRecord(ctx context.Context, r store.SiteRecord) (store.SiteRecord, error) {
	var out store.SiteRecord
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		row := tx.QueryRow(ctx, `UPDATE sites SET name = $3, config = $4, settings = $5, disabled = $6, secrets_enc = $7,
    updated_at = $8, version = nextval('sites_version_seq')
WHERE id = $1 AND version = $2 AND managed_by = 'console' RETURNING `+siteRecordColumns,
			r.ID, r.Version, r.Name, jsonOrEmpty(r.Public), jsonOrEmpty(r.Settings), r.Disabled, r.SecretsEnc, r.UpdatedAt)
		var err error
		if out, err = scanSiteRecord(row); err != nil {
			if isNoRows(err) {
				return whyNotWritten(ctx, tx, r.ID, r.Version)
			}
			return err
		}
		return notifySites(ctx, tx, r.ID)
	})
	return out, wrapErr("update site record", err)
}

// DeleteSiteRecord removes a console site at version; its rows in other tables go with it
// (ON DELETE CASCADE).
func (s *Store) DeleteSiteRecord(ctx context.Context, id string, version int64) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sites WHERE id = $1 AND version = $2 AND managed_by = 'console'`, id, version)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return whyNotWritten(ctx, tx, id, version)
		}
		return notifySites(ctx, tx, id)
	})
	return wrapErr("delete site record", err)
}

// whyNotWritten tells apart the reasons a conditional write matched no row.
func whyNotWritten(ctx context.Context, tx pgx.Tx, id string, version int64) error {
	var managedBy string
	var current int64
	err := tx.QueryRow(ctx, `SELECT managed_by, version FROM sites WHERE id = $1`, id).Scan(&managedBy, &current)
	switch {
	case isNoRows(err):
		return store.ErrNotFound
	case err != nil:
		return err
	case managedBy != store.ManagedByConsole:
		return store.ErrManagedByFile
	case current != version:
		return store.ErrVersionMismatch
	}
	return fmt.Errorf("site %s: conditional write matched nothing", id)
}

// SyncFileSites stores the file sites in one transaction (see store.SiteRecords).
func (s *Store) SyncFileSites(ctx context.Context, sites []store.SiteRecord) ([]string, error) {
	var tookOver []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tookOver = nil
		// Replicas starting together serialise here, so none reads a half-synced table.
		if _, err := tx.Exec(ctx, `LOCK TABLE sites IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		managedBy, err := siteManagers(ctx, tx)
		if err != nil {
			return err
		}
		ids := make([]string, 0, len(sites))
		changed := false
		for _, r := range sites {
			ids = append(ids, r.ID)
			tag, err := tx.Exec(ctx, `INSERT INTO sites AS s (id, name, config, created_at, updated_at, managed_by, settings)
VALUES ($1, $2, $3, $4, $5, 'file', $6)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, config = excluded.config, settings = excluded.settings,
    managed_by = 'file', disabled = false, secrets_enc = NULL, updated_at = excluded.updated_at,
    version = nextval('sites_version_seq')
WHERE s.managed_by <> 'file' OR s.disabled OR s.name <> excluded.name OR s.config::text <> excluded.config::text
    OR coalesce(s.settings::text, '') <> excluded.settings::text`,
				r.ID, r.Name, jsonOrEmpty(r.Public), r.CreatedAt, r.UpdatedAt, jsonOrEmpty(r.Settings))
			if err != nil {
				return err
			}
			if tag.RowsAffected() > 0 {
				changed = true
				if managedBy[r.ID] == store.ManagedByConsole {
					tookOver = append(tookOver, r.ID)
				}
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE sites SET disabled = true, version = nextval('sites_version_seq'), updated_at = $2
WHERE managed_by = 'file' AND NOT disabled AND NOT (id = ANY($1))`, ids, time.Now().UTC())
		if err != nil {
			return err
		}
		if changed || tag.RowsAffected() > 0 {
			return notifySites(ctx, tx, "")
		}
		return nil
	})
	return tookOver, wrapErr("sync file sites", err)
}

// siteManagers maps every stored site id to who manages it.
func siteManagers(ctx context.Context, tx pgx.Tx) (map[string]string, error) {
	rows, err := tx.Query(ctx, `SELECT id, managed_by FROM sites`)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var id, by string
	_, err = pgx.ForEachRow(rows, []any{&id, &by}, func() error {
		out[id] = by
		return nil
	})
	return out, err
}

// SiteStamp reads the count and the sum and maximum of the versions.
func (s *Store) SiteStamp(ctx context.Context) (store.SiteStamp, error) {
	var st store.SiteStamp
	err := s.pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(version), 0)::bigint, coalesce(max(version), 0) FROM sites`).
		Scan(&st.Count, &st.SumVersion, &st.MaxVersion)
	return st, wrapErr("site stamp", err)
}

func notifySites(ctx context.Context, tx pgx.Tx, id string) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, sitesChannel, id)
	return err
}

func scanSiteRecord(r pgx.Row) (store.SiteRecord, error) {
	var out store.SiteRecord
	var settings, public string
	if err := r.Scan(&out.ID, &out.Name, &out.ManagedBy, &out.Version, &out.Disabled, &settings, &public,
		&out.SecretsEnc, &out.CreatedAt, &out.UpdatedAt); err != nil {
		return store.SiteRecord{}, err
	}
	if settings != "" {
		out.Settings = []byte(settings)
	}
	out.Public = []byte(public)
	out.CreatedAt, out.UpdatedAt = utc(out.CreatedAt), utc(out.UpdatedAt)
	return out, nil
}

// WatchSites LISTENs on a connection of its own, reconnecting with back-off (see
// store.SiteRecords).
func (s *Store) WatchSites(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go func() {
		defer close(ch)
		backoff := 100 * time.Millisecond
		for ctx.Err() == nil {
			err := s.listen(ctx, ch)
			if ctx.Err() != nil {
				return
			}
			if err != nil && errors.Is(err, context.Canceled) {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}()
	return ch
}

// listen holds one LISTEN connection until it fails or ctx ends.
func (s *Store) listen(ctx context.Context, ch chan<- struct{}) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+sitesChannel); err != nil {
		return err
	}
	signal(ch) // changes made while no connection listened are picked up now
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		signal(ch)
	}
}

// signal sends without blocking: a value already waiting covers this change too.
func signal(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
