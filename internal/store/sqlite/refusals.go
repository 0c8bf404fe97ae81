package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

const upsertRefusal = `INSERT INTO refusal_counts (site_id, reason, minute, count) VALUES (?, ?, ?, ?)
ON CONFLICT (site_id, minute, reason) DO UPDATE SET count = count + excluded.count`

// AddRefusals adds the counts and their rollups in one write transaction.
func (s *Store) AddRefusals(ctx context.Context, counts []store.RefusalCount, rollups store.RollupDelta) error {
	if len(counts) == 0 {
		return nil
	}
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, upsertRefusal)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, c := range counts {
			minute := c.Minute.UTC().Truncate(time.Minute)
			if _, err := st.ExecContext(ctx, c.SiteID, c.Reason, toDB(minute), c.Count); err != nil {
				return err
			}
		}
		return applyDelta(ctx, tx, rollups)
	})
	return wrapErr("add refusals", err)
}

// RefusalCounts returns a site's counters in [from, to).
func (s *Store) RefusalCounts(ctx context.Context, siteID string, from, to time.Time) ([]store.RefusalCount, error) {
	rows, err := s.query(ctx, `SELECT reason, minute, count FROM refusal_counts
        WHERE site_id = ? AND minute >= ? AND minute < ? ORDER BY minute, reason`, siteID, toDB(from), toDB(to))
	if err != nil {
		return nil, wrapErr("refusal counts", err)
	}
	defer rows.Close()
	var out []store.RefusalCount
	for rows.Next() {
		c := store.RefusalCount{SiteID: siteID}
		var minute int64
		if err := rows.Scan(&c.Reason, &minute, &c.Count); err != nil {
			return nil, wrapErr("refusal counts", err)
		}
		c.Minute = fromDB(minute)
		out = append(out, c)
	}
	return out, wrapErr("refusal counts", rows.Err())
}
