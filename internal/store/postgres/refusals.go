package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatproxy/chatproxy/internal/store"
)

const upsertRefusal = `INSERT INTO refusal_counts (site_id, reason, minute, count) VALUES ($1, $2, $3, $4)
ON CONFLICT (site_id, minute, reason) DO UPDATE SET count = refusal_counts.count + excluded.count`

// AddRefusals adds the counts (one pipelined batch) and their rollups in one transaction. The
// caller sorts counts, so concurrent replicas lock rows in one order.
func (s *Store) AddRefusals(ctx context.Context, counts []store.RefusalCount, rollups store.RollupDelta) error {
	if len(counts) == 0 {
		return nil
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var b pgx.Batch
		for _, c := range counts {
			b.Queue(upsertRefusal, c.SiteID, c.Reason, c.Minute.UTC().Truncate(time.Minute), c.Count)
		}
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return err
		}
		return applyDelta(ctx, tx, rollups)
	})
	return wrapErr("add refusals", err)
}

// RefusalCounts returns a site's counters in [from, to).
func (s *Store) RefusalCounts(ctx context.Context, siteID string, from, to time.Time) ([]store.RefusalCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT reason, minute, count FROM refusal_counts
        WHERE site_id = $1 AND minute >= $2 AND minute < $3 ORDER BY minute, reason`, siteID, from, to)
	if err != nil {
		return nil, wrapErr("refusal counts", err)
	}
	defer rows.Close()
	var out []store.RefusalCount
	for rows.Next() {
		c := store.RefusalCount{SiteID: siteID}
		if err := rows.Scan(&c.Reason, &c.Minute, &c.Count); err != nil {
			return nil, wrapErr("refusal counts", err)
		}
		c.Minute = utc(c.Minute)
		out = append(out, c)
	}
	return out, wrapErr("refusal counts", rows.Err())
}
