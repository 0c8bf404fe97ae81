package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// nextSiteVersion is above every version in the table. Writes are serialised on the one
// writer connection, so no two writes draw the same value.
const nextSiteVersion = `(SELECT coalesce(max(version), 0) + 1 FROM sites)`

const siteRecordColumns = `id, name, managed_by, version, disabled, coalesce(settings, ''), config, secrets_enc, created_at, updated_at`

// ListSiteRecords returns every site ordered by id.
func (s *Store) ListSiteRecords(ctx context.Context) ([]store.SiteRecord, error) {
	rows, err := s.query(ctx, `SELECT `+siteRecordColumns+` FROM sites ORDER BY id`)
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
	r, err := scanSiteRecord(s.queryRow(ctx, `SELECT `+siteRecordColumns+` FROM sites WHERE id = ?`, id))
	return r, wrapErr("get site record", err)
}

// CreateSiteRecord inserts a console site; ErrConflict when the id is taken.
func (s *Store) CreateSiteRecord(ctx context.Context, r store.SiteRecord) (store.SiteRecord, error) {
	var out store.SiteRecord
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `INSERT INTO sites (id, name, config, created_at, updated_at, managed_by, disabled, settings, secrets_enc, version)
VALUES (?, ?, ?, ?, ?, 'console', ?, ?, ?, `+nextSiteVersion+`) RETURNING `+siteRecordColumns,
			r.ID, r.Name, jsonOrEmpty(r.Public), toDB(r.CreatedAt), toDB(r.UpdatedAt), r.Disabled, jsonOrEmpty(r.Settings), nonNilBytes(r.SecretsEnc))
		var err error
		out, err = scanSiteRecord(row)
		return conflict(err)
	})
	if err == nil {
		s.siteWatch.signal()
	}
	return out, wrapErr("create site record", err)
}

// UpdateSiteRecord rewrites a console site at r.Version.
func (s *Store) UpdateSiteRecord(ctx context.Context, r store.SiteRecord) (store.SiteRecord, error) {
	var out store.SiteRecord
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `UPDATE sites SET name = ?, config = ?, settings = ?, disabled = ?, secrets_enc = ?,
    updated_at = ?, version = `+nextSiteVersion+`
WHERE id = ? AND version = ? AND managed_by = 'console' RETURNING `+siteRecordColumns,
			r.Name, jsonOrEmpty(r.Public), jsonOrEmpty(r.Settings), r.Disabled, nonNilBytes(r.SecretsEnc), toDB(r.UpdatedAt), r.ID, r.Version)
		var err error
		if out, err = scanSiteRecord(row); errors.Is(err, sql.ErrNoRows) {
			return whyNotWritten(ctx, tx, r.ID, r.Version)
		}
		return err
	})
	if err == nil {
		s.siteWatch.signal()
	}
	return out, wrapErr("update site record", err)
}

// DeleteSiteRecord removes a console site at version; its rows in other tables go with it
// (ON DELETE CASCADE).
func (s *Store) DeleteSiteRecord(ctx context.Context, id string, version int64) error {
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sites WHERE id = ? AND version = ? AND managed_by = 'console'`, id, version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		return whyNotWritten(ctx, tx, id, version)
	})
	if err == nil {
		s.siteWatch.signal()
	}
	return wrapErr("delete site record", err)
}

// whyNotWritten tells apart the reasons a conditional write matched no row.
func whyNotWritten(ctx context.Context, tx *sql.Tx, id string, version int64) error {
	var managedBy string
	var current int64
	err := tx.QueryRowContext(ctx, `SELECT managed_by, version FROM sites WHERE id = ?`, id).Scan(&managedBy, &current)
	switch {
	case errors.Is(err, sql.ErrNoRows):
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
	changed := false
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		tookOver, changed = nil, false
		listed := map[string]bool{}
		for _, r := range sites {
			listed[r.ID] = true
			var was string
			err := tx.QueryRowContext(ctx, `SELECT managed_by FROM sites WHERE id = ?`, r.ID).Scan(&was)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO sites AS s (id, name, config, created_at, updated_at, managed_by, settings, version)
VALUES (?, ?, ?, ?, ?, 'file', ?, `+nextSiteVersion+`)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, config = excluded.config, settings = excluded.settings,
    managed_by = 'file', disabled = 0, secrets_enc = NULL, updated_at = excluded.updated_at, version = excluded.version
WHERE s.managed_by <> 'file' OR s.disabled OR s.name <> excluded.name OR s.config <> excluded.config
    OR coalesce(s.settings, '') <> excluded.settings`,
				r.ID, r.Name, jsonOrEmpty(r.Public), toDB(r.CreatedAt), toDB(r.UpdatedAt), jsonOrEmpty(r.Settings))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				changed = true
				if was == store.ManagedByConsole {
					tookOver = append(tookOver, r.ID)
				}
			}
		}
		return disableUnlistedFileSites(ctx, tx, listed, &changed)
	})
	if err == nil && changed {
		s.siteWatch.signal()
	}
	return tookOver, wrapErr("sync file sites", err)
}

// disableUnlistedFileSites marks disabled the file sites the sites file no longer lists.
func disableUnlistedFileSites(ctx context.Context, tx *sql.Tx, listed map[string]bool, changed *bool) error {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM sites WHERE managed_by = 'file' AND NOT disabled`)
	if err != nil {
		return err
	}
	var gone []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			_ = rows.Close()
			return err
		}
		if !listed[id] {
			gone = append(gone, id)
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, id := range gone {
		if _, err := tx.ExecContext(ctx, `UPDATE sites SET disabled = 1, updated_at = ?, version = `+nextSiteVersion+` WHERE id = ?`,
			toDB(time.Now()), id); err != nil {
			return err
		}
		*changed = true
	}
	return nil
}

// SiteStamp reads the count and the sum and maximum of the versions.
func (s *Store) SiteStamp(ctx context.Context) (store.SiteStamp, error) {
	var st store.SiteStamp
	err := s.queryRow(ctx, `SELECT count(*), coalesce(sum(version), 0), coalesce(max(version), 0) FROM sites`).
		Scan(&st.Count, &st.SumVersion, &st.MaxVersion)
	return st, wrapErr("site stamp", err)
}

// WatchSites signals this process's site writes; other processes sharing the file are seen by
// the caller's periodic SiteStamp check.
func (s *Store) WatchSites(ctx context.Context) <-chan struct{} {
	return s.siteWatch.subscribe(ctx)
}

func scanSiteRecord(r scanner) (store.SiteRecord, error) {
	var out store.SiteRecord
	var settings, public string
	var created, updated int64
	if err := r.Scan(&out.ID, &out.Name, &out.ManagedBy, &out.Version, &out.Disabled, &settings, &public,
		&out.SecretsEnc, &created, &updated); err != nil {
		return store.SiteRecord{}, err
	}
	if settings != "" {
		out.Settings = []byte(settings)
	}
	if len(out.SecretsEnc) == 0 {
		out.SecretsEnc = nil
	}
	out.Public, out.CreatedAt, out.UpdatedAt = []byte(public), fromDB(created), fromDB(updated)
	return out, nil
}

// nonNilBytes keeps NULL for "no secrets" (a nil slice) and the bytes otherwise.
func nonNilBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// watchers fans a signal out to every WatchSites channel of this store.
type watchers struct {
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
}

func (w *watchers) subscribe(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	if w.subs == nil {
		w.subs = map[chan struct{}]struct{}{}
	}
	w.subs[ch] = struct{}{}
	w.mu.Unlock()
	go func() {
		<-ctx.Done()
		w.mu.Lock()
		delete(w.subs, ch)
		close(ch)
		w.mu.Unlock()
	}()
	return ch
}

// signal sends without blocking: a value already waiting covers this change too.
func (w *watchers) signal() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for ch := range w.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
