package bench

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// floorSamples is how many times each floor statement runs (≈ 0.5 s on a local PostgreSQL).
const floorSamples = 2000

// StoreFloor is what PostgreSQL alone costs one visitor at concurrency 1, measured on the
// benchmark's own database with one plain connection and nothing else running: a round trip
// (SELECT 1) and the smallest durable write (a one-row INSERT into a table with only a primary
// key, committed). chatproxy stores a message durably before it calls n8n, so the second figure
// is part of every first token; the added latency cannot go below it.
type StoreFloor struct {
	RoundTripP50ms     float64 `json:"round_trip_p50_ms"`
	DurableInsertP50ms float64 `json:"durable_insert_p50_ms"`
}

// measureFloor runs the floor statements floorSamples times each and returns their medians.
func measureFloor(ctx context.Context, dbURL string) (StoreFloor, error) {
	conn, err := adminConnect(ctx, dbURL)
	if err != nil {
		return StoreFloor{}, err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, `CREATE TABLE chatbench_floor (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, content bytea NOT NULL)`); err != nil {
		return StoreFloor{}, fmt.Errorf("floor table: %w", err)
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), `DROP TABLE chatbench_floor`) }()
	content := make([]byte, 100) // about a sealed short message
	var one int
	roundTrip, err := medianOf(floorSamples, func() error { return conn.QueryRow(ctx, `SELECT 1`).Scan(&one) })
	if err != nil {
		return StoreFloor{}, fmt.Errorf("floor round trip: %w", err)
	}
	insert, err := medianOf(floorSamples, func() error {
		_, err := conn.Exec(ctx, `INSERT INTO chatbench_floor (content) VALUES ($1)`, content)
		return err
	})
	if err != nil {
		return StoreFloor{}, fmt.Errorf("floor insert: %w", err)
	}
	return StoreFloor{RoundTripP50ms: ms(roundTrip), DurableInsertP50ms: ms(insert)}, nil
}

// medianOf times n runs of f.
func medianOf(n int, f func() error) (time.Duration, error) {
	took := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	return percentile(took, 50), nil
}
