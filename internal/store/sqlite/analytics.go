package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

const insertEventIgnore = `INSERT INTO events (id, site_id, session_id, visitor_id, type, data, dedupe_key, created_at)
VALUES (?, ?, NULLIF(?, ''), NULLIF(?, ''), ?, ?, NULLIF(?, ''), ?) ON CONFLICT DO NOTHING`

// WriteEvents inserts events and adds derive's delta to the rollups in one transaction.
func (s *Store) WriteEvents(ctx context.Context, events []store.Event, derive func([]store.Event) store.RollupDelta) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	var n int
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, insertEventIgnore)
		if err != nil {
			return err
		}
		defer ins.Close()
		inserted := make([]store.Event, 0, len(events))
		for _, e := range events {
			res, err := ins.ExecContext(ctx, e.ID, e.SiteID, e.SessionID, e.VisitorID, e.Type, jsonOrEmpty(e.Data), e.DedupeKey, toDB(e.CreatedAt))
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 1 {
				inserted = append(inserted, e)
			}
		}
		n = len(inserted)
		if n == 0 || derive == nil {
			return nil
		}
		return applyDelta(ctx, tx, derive(inserted))
	})
	return n, wrapErr("write events", err)
}

func applyDelta(ctx context.Context, tx *sql.Tx, d store.RollupDelta) error {
	for _, c := range d.Counts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO analytics_counts (site_id, grain, bucket, metric, dim, n, total)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site_id, grain, bucket, metric, dim)
            DO UPDATE SET n = n + excluded.n, total = total + excluded.total`,
			c.SiteID, c.Grain, toDB(c.Bucket), c.Metric, c.Dim, c.N, c.Sum); err != nil {
			return err
		}
	}
	for _, h := range d.Hist {
		if _, err := tx.ExecContext(ctx, `INSERT INTO analytics_hist (site_id, grain, bucket, metric, bin, n)
            VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (site_id, grain, bucket, metric, bin) DO UPDATE SET n = n + excluded.n`,
			h.SiteID, h.Grain, toDB(h.Bucket), h.Metric, h.Bin, h.N); err != nil {
			return err
		}
	}
	for _, sk := range d.Sketches {
		// One writer connection: nobody changes the row between this read and the write.
		var stored []byte
		err := tx.QueryRowContext(ctx, `SELECT regs FROM analytics_sketches
            WHERE site_id = ? AND grain = ? AND bucket = ? AND metric = ?`, sk.SiteID, sk.Grain, toDB(sk.Bucket), sk.Metric).Scan(&stored)
		regs := sk.Regs
		switch {
		case err == nil:
			regs = d.Merge(stored, sk.Regs)
		case err != sql.ErrNoRows:
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO analytics_sketches (site_id, grain, bucket, metric, regs)
            VALUES (?, ?, ?, ?, ?) ON CONFLICT (site_id, grain, bucket, metric) DO UPDATE SET regs = excluded.regs`,
			sk.SiteID, sk.Grain, toDB(sk.Bucket), sk.Metric, regs); err != nil {
			return err
		}
	}
	return nil
}

// metricFilter is the SQL and arguments selecting metrics (none = every metric).
func metricFilter(metrics []string) (string, []any) {
	if len(metrics) == 0 {
		return "", nil
	}
	args := make([]any, len(metrics))
	for i, m := range metrics {
		args[i] = m
	}
	return " AND metric IN (?" + strings.Repeat(", ?", len(metrics)-1) + ")", args
}

// ReadRollups returns a site's rollup cells of one grain in [From, To).
func (s *Store) ReadRollups(ctx context.Context, q store.RollupQuery) (store.Rollups, error) {
	var out store.Rollups
	mf, margs := metricFilter(q.Metrics)
	filter := ` WHERE site_id = ? AND grain = ? AND bucket >= ? AND bucket < ?` + mf
	args := append([]any{q.SiteID, q.Grain, toDB(q.From), toDB(q.To)}, margs...)
	err := s.scanRows(ctx, `SELECT bucket, metric, dim, n, total FROM analytics_counts`+filter, args, func(r *sql.Rows) error {
		c := store.CountRow{SiteID: q.SiteID, Grain: q.Grain}
		var b int64
		err := r.Scan(&b, &c.Metric, &c.Dim, &c.N, &c.Sum)
		c.Bucket = fromDB(b)
		out.Counts = append(out.Counts, c)
		return err
	})
	if err == nil {
		err = s.scanRows(ctx, `SELECT bucket, metric, bin, n FROM analytics_hist`+filter, args, func(r *sql.Rows) error {
			h := store.HistRow{SiteID: q.SiteID, Grain: q.Grain}
			var b int64
			err := r.Scan(&b, &h.Metric, &h.Bin, &h.N)
			h.Bucket = fromDB(b)
			out.Hist = append(out.Hist, h)
			return err
		})
	}
	if err == nil {
		err = s.scanRows(ctx, `SELECT bucket, metric, regs FROM analytics_sketches`+filter, args, func(r *sql.Rows) error {
			sk := store.SketchRow{SiteID: q.SiteID, Grain: q.Grain}
			var b int64
			err := r.Scan(&b, &sk.Metric, &sk.Regs)
			sk.Bucket = fromDB(b)
			out.Sketches = append(out.Sketches, sk)
			return err
		})
	}
	return out, wrapErr("read rollups", err)
}

// scanRows runs a read and calls each for every row.
func (s *Store) scanRows(ctx context.Context, query string, args []any, each func(*sql.Rows) error) error {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ListEvents returns a site's raw events in [From, To), newest first.
func (s *Store) ListEvents(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	tf, targs := "", []any{}
	if len(q.Types) > 0 {
		tf = " AND type IN (?" + strings.Repeat(", ?", len(q.Types)-1) + ")"
		for _, t := range q.Types {
			targs = append(targs, t)
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = -1
	}
	args := append([]any{q.SiteID, toDB(q.From), toDB(q.To)}, targs...)
	args = append(args, limit)
	var out []store.Event
	err := s.scanRows(ctx, `SELECT id, site_id, COALESCE(session_id, ''), COALESCE(visitor_id, ''), type, data,
            COALESCE(dedupe_key, ''), created_at
        FROM events WHERE site_id = ? AND created_at >= ? AND created_at < ?`+tf+`
        ORDER BY created_at DESC, id DESC LIMIT ?`, args, func(r *sql.Rows) error {
		var e store.Event
		var data string
		var at int64
		err := r.Scan(&e.ID, &e.SiteID, &e.SessionID, &e.VisitorID, &e.Type, &data, &e.DedupeKey, &at)
		e.Data, e.CreatedAt = []byte(data), fromDB(at)
		out = append(out, e)
		return err
	})
	return out, wrapErr("list events", err)
}

// HadSessionBetween reports a session of the visitor on the site created in [from, to].
func (s *Store) HadSessionBetween(ctx context.Context, siteID, visitorID string, from, to time.Time) (bool, error) {
	var ok bool
	err := s.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sessions WHERE visitor_id = ? AND site_id = ?
        AND created_at >= ? AND created_at <= ?)`, visitorID, siteID, toDB(from), toDB(to)).Scan(&ok)
	return ok, wrapErr("had session", err)
}

// PurgeEvents deletes up to limit old events of a site.
func (s *Store) PurgeEvents(ctx context.Context, siteID string, before time.Time, limit int) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM events WHERE id IN (SELECT id FROM events
        WHERE site_id = ? AND created_at < ? LIMIT ?)`, siteID, toDB(before), limit)
	if err != nil {
		return 0, wrapErr("purge events", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
