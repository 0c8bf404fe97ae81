package store

import (
	"context"
	"time"
)

// Rollup grains: a bucket is one UTC hour or one UTC day.
const (
	GrainHour = 0
	GrainDay  = 1
)

// CountRow is an additive rollup cell: N events (and Sum, e.g. money in hundredths) of one
// metric and dimension value in one bucket.
type CountRow struct {
	SiteID string
	Grain  int
	Bucket time.Time
	Metric string
	Dim    string
	N      int64
	Sum    int64
}

// HistRow is one bin of a mergeable latency histogram: merging buckets adds their counts.
type HistRow struct {
	SiteID string
	Grain  int
	Bucket time.Time
	Metric string
	Bin    int
	N      int64
}

// SketchRow is a mergeable distinct-count sketch (HyperLogLog registers) of one bucket.
type SketchRow struct {
	SiteID string
	Grain  int
	Bucket time.Time
	Metric string
	Regs   []byte
}

// RollupDelta is what a batch of events adds to the rollups. Merge combines two sketches'
// registers (the engine reads the stored one, merges and writes it back in one transaction).
type RollupDelta struct {
	Counts   []CountRow
	Hist     []HistRow
	Sketches []SketchRow
	Merge    func(stored, add []byte) []byte
}

// RollupQuery selects one site's rollup cells of one grain with Bucket in [From, To).
type RollupQuery struct {
	SiteID   string
	Grain    int
	From, To time.Time
	Metrics  []string // nil = every metric
}

// Rollups are the cells a RollupQuery selected.
type Rollups struct {
	Counts   []CountRow
	Hist     []HistRow
	Sketches []SketchRow
}

// EventQuery lists a site's raw events with CreatedAt in [From, To), newest first.
type EventQuery struct {
	SiteID   string
	From, To time.Time
	Types    []string // nil = every type
	Limit    int      // <= 0 means all
}

// Analytics is the storage of analytics events and their rollups.
type Analytics interface {
	// WriteEvents inserts events in one transaction. An event whose (SiteID, DedupeKey) is
	// already stored is skipped; derive is called once with the events actually inserted,
	// and its delta is added to the rollups in the same transaction, so rollups always
	// match the raw rows. It returns how many events were inserted.
	WriteEvents(ctx context.Context, events []Event, derive func(inserted []Event) RollupDelta) (int, error)
	// ReadRollups returns the rollup cells a query selects.
	ReadRollups(ctx context.Context, q RollupQuery) (Rollups, error)
	// ListEvents returns raw events (tests, the full recomputation, recent feedback).
	ListEvents(ctx context.Context, q EventQuery) ([]Event, error)
	// HadSessionBetween reports whether the visitor started a session on the site in [from, to].
	HadSessionBetween(ctx context.Context, siteID, visitorID string, from, to time.Time) (bool, error)
	// PurgeEvents deletes at most limit of the site's raw events older than before (rollups
	// are kept) and returns how many it deleted. Concurrent calls are safe.
	PurgeEvents(ctx context.Context, siteID string, before time.Time, limit int) (int, error)
}
