package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatproxy/chatproxy/internal/store"
)

// insertEvents inserts a batch in one statement; rows whose id or (site, dedupe key) exists
// are skipped, and the ids of the inserted ones come back.
const insertEvents = `INSERT INTO events (id, site_id, session_id, visitor_id, type, data, dedupe_key, created_at)
SELECT id, site_id, NULLIF(session_id, ''), NULLIF(visitor_id, ''), type, data::jsonb, NULLIF(dedupe_key, ''), created_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
    AS t(id, site_id, session_id, visitor_id, type, data, dedupe_key, created_at)
ON CONFLICT DO NOTHING RETURNING id`

const upsertCounts = `INSERT INTO analytics_counts (site_id, grain, bucket, metric, dim, n, total)
SELECT * FROM unnest($1::text[], $2::smallint[], $3::timestamptz[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])
ON CONFLICT (site_id, grain, bucket, metric, dim)
DO UPDATE SET n = analytics_counts.n + excluded.n, total = analytics_counts.total + excluded.total`

const upsertHist = `INSERT INTO analytics_hist (site_id, grain, bucket, metric, bin, n)
SELECT * FROM unnest($1::text[], $2::smallint[], $3::timestamptz[], $4::text[], $5::int[], $6::bigint[])
ON CONFLICT (site_id, grain, bucket, metric, bin) DO UPDATE SET n = analytics_hist.n + excluded.n`

// WriteEvents inserts events and adds derive's delta to the rollups in one transaction.
func (s *Store) WriteEvents(ctx context.Context, events []store.Event, derive func([]store.Event) store.RollupDelta) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		inserted, err := insertEventBatch(ctx, tx, events)
		if err != nil {
			return err
		}
		n = len(inserted)
		if n == 0 || derive == nil {
			return nil
		}
		return applyDelta(ctx, tx, derive(inserted))
	})
	return n, wrapErr("write events", err)
}

func insertEventBatch(ctx context.Context, tx pgx.Tx, events []store.Event) ([]store.Event, error) {
	k := len(events)
	ids, sites, sessions, visitors, types, data, keys := make([]string, k), make([]string, k), make([]string, k),
		make([]string, k), make([]string, k), make([]string, k), make([]string, k)
	at := make([]time.Time, k)
	byID := make(map[string]int, k)
	for i, e := range events {
		ids[i], sites[i], sessions[i], visitors[i], types[i] = e.ID, e.SiteID, e.SessionID, e.VisitorID, e.Type
		data[i], keys[i], at[i] = jsonOrEmpty(e.Data), e.DedupeKey, e.CreatedAt
		byID[e.ID] = i
	}
	rows, err := tx.Query(ctx, insertEvents, ids, sites, sessions, visitors, types, data, keys, at)
	if err != nil {
		return nil, err
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	// Keep the caller's order: derive sees events as they were given.
	keep := make([]bool, k)
	for _, id := range got {
		keep[byID[id]] = true
	}
	out := make([]store.Event, 0, len(got))
	for i, e := range events {
		if keep[i] {
			out = append(out, e)
		}
	}
	return out, nil
}

// applyDelta adds counts and histogram bins (rows sorted by the caller, so concurrent
// replicas lock rows in one order) and merges sketches under a row lock.
func applyDelta(ctx context.Context, tx pgx.Tx, d store.RollupDelta) error {
	if len(d.Counts) > 0 {
		k := len(d.Counts)
		sites, grains, buckets, metrics, dims, ns, sums := make([]string, k), make([]int16, k), make([]time.Time, k),
			make([]string, k), make([]string, k), make([]int64, k), make([]int64, k)
		for i, c := range d.Counts {
			sites[i], grains[i], buckets[i], metrics[i], dims[i], ns[i], sums[i] = c.SiteID, int16(c.Grain), c.Bucket, c.Metric, c.Dim, c.N, c.Sum
		}
		if _, err := tx.Exec(ctx, upsertCounts, sites, grains, buckets, metrics, dims, ns, sums); err != nil {
			return err
		}
	}
	if len(d.Hist) > 0 {
		k := len(d.Hist)
		sites, grains, buckets, metrics, bins, ns := make([]string, k), make([]int16, k), make([]time.Time, k),
			make([]string, k), make([]int32, k), make([]int64, k)
		for i, h := range d.Hist {
			sites[i], grains[i], buckets[i], metrics[i], bins[i], ns[i] = h.SiteID, int16(h.Grain), h.Bucket, h.Metric, int32(h.Bin), h.N
		}
		if _, err := tx.Exec(ctx, upsertHist, sites, grains, buckets, metrics, bins, ns); err != nil {
			return err
		}
	}
	for _, sk := range d.Sketches {
		if err := mergeSketch(ctx, tx, sk, d.Merge); err != nil {
			return err
		}
	}
	return nil
}

// mergeSketch reads the stored sketch under a row lock, merges and writes it back. When no
// row exists, it inserts one; if another replica inserted it first, it merges into that.
func mergeSketch(ctx context.Context, tx pgx.Tx, sk store.SketchRow, merge func(a, b []byte) []byte) error {
	for range 2 {
		var stored []byte
		err := tx.QueryRow(ctx, `SELECT regs FROM analytics_sketches
            WHERE site_id = $1 AND grain = $2 AND bucket = $3 AND metric = $4 FOR UPDATE`,
			sk.SiteID, sk.Grain, sk.Bucket, sk.Metric).Scan(&stored)
		switch {
		case err == nil:
			_, err = tx.Exec(ctx, `UPDATE analytics_sketches SET regs = $5
                WHERE site_id = $1 AND grain = $2 AND bucket = $3 AND metric = $4`,
				sk.SiteID, sk.Grain, sk.Bucket, sk.Metric, merge(stored, sk.Regs))
			return err
		case !isNoRows(err):
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO analytics_sketches (site_id, grain, bucket, metric, regs)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, sk.SiteID, sk.Grain, sk.Bucket, sk.Metric, sk.Regs)
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
	}
	return store.ErrConflict
}

// ReadRollups returns a site's rollup cells of one grain in [From, To).
func (s *Store) ReadRollups(ctx context.Context, q store.RollupQuery) (store.Rollups, error) {
	var out store.Rollups
	// Two forms rather than "$5 IS NULL OR …", so the planner can seek the key's metric column.
	args := []any{q.SiteID, q.Grain, q.From, q.To}
	filter := ` WHERE site_id = $1 AND grain = $2 AND bucket >= $3 AND bucket < $4`
	if q.Metrics != nil {
		args = append(args, q.Metrics)
		filter += ` AND metric = ANY($5)`
	}
	rows, err := s.pool.Query(ctx, `SELECT bucket, metric, dim, n, total FROM analytics_counts`+filter, args...)
	if err != nil {
		return out, wrapErr("read rollups", err)
	}
	out.Counts, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.CountRow, error) {
		c := store.CountRow{SiteID: q.SiteID, Grain: q.Grain}
		err := r.Scan(&c.Bucket, &c.Metric, &c.Dim, &c.N, &c.Sum)
		c.Bucket = utc(c.Bucket)
		return c, err
	})
	if err != nil {
		return out, wrapErr("read rollups", err)
	}
	rows, err = s.pool.Query(ctx, `SELECT bucket, metric, bin, n FROM analytics_hist`+filter, args...)
	if err != nil {
		return out, wrapErr("read rollups", err)
	}
	out.Hist, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.HistRow, error) {
		h := store.HistRow{SiteID: q.SiteID, Grain: q.Grain}
		err := r.Scan(&h.Bucket, &h.Metric, &h.Bin, &h.N)
		h.Bucket = utc(h.Bucket)
		return h, err
	})
	if err != nil {
		return out, wrapErr("read rollups", err)
	}
	rows, err = s.pool.Query(ctx, `SELECT bucket, metric, regs FROM analytics_sketches`+filter, args...)
	if err != nil {
		return out, wrapErr("read rollups", err)
	}
	out.Sketches, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.SketchRow, error) {
		sk := store.SketchRow{SiteID: q.SiteID, Grain: q.Grain}
		err := r.Scan(&sk.Bucket, &sk.Metric, &sk.Regs)
		sk.Bucket = utc(sk.Bucket)
		return sk, err
	})
	return out, wrapErr("read rollups", err)
}

// ListEvents returns a site's raw events in [From, To), newest first.
func (s *Store) ListEvents(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.pool.Query(ctx, `SELECT id, site_id, COALESCE(session_id, ''), COALESCE(visitor_id, ''), type,
            data::text, COALESCE(dedupe_key, ''), created_at
        FROM events WHERE site_id = $1 AND created_at >= $2 AND created_at < $3
            AND ($4::text[] IS NULL OR type = ANY($4))
        ORDER BY created_at DESC, id DESC LIMIT NULLIF($5, -1)`, q.SiteID, q.From, q.To, q.Types, limit)
	if err != nil {
		return nil, wrapErr("list events", err)
	}
	evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Event, error) {
		var e store.Event
		var data string
		err := r.Scan(&e.ID, &e.SiteID, &e.SessionID, &e.VisitorID, &e.Type, &data, &e.DedupeKey, &e.CreatedAt)
		e.Data, e.CreatedAt = []byte(data), utc(e.CreatedAt)
		return e, err
	})
	return evs, wrapErr("list events", err)
}

// HadSessionBetween reports a session of the visitor on the site created in [from, to].
func (s *Store) HadSessionBetween(ctx context.Context, siteID, visitorID string, from, to time.Time) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sessions WHERE visitor_id = $2 AND site_id = $1
        AND created_at >= $3 AND created_at <= $4)`, siteID, visitorID, from, to).Scan(&ok)
	return ok, wrapErr("had session", err)
}

// PurgeEvents deletes up to limit old events of a site. Rows another replica is deleting are
// skipped (SKIP LOCKED), so replicas purging at once neither wait on nor repeat each other.
func (s *Store) PurgeEvents(ctx context.Context, siteID string, before time.Time, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM events WHERE id IN (SELECT id FROM events
        WHERE site_id = $1 AND created_at < $2 LIMIT $3 FOR UPDATE SKIP LOCKED)`, siteID, before, limit)
	if err != nil {
		return 0, wrapErr("purge events", err)
	}
	return int(tag.RowsAffected()), nil
}
