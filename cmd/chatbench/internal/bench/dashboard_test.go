package bench

import (
	"context"
	"testing"
)

// TestDashboardSeedsAndTimes: a small dashboard run seeds PostgreSQL and times every query.
func TestDashboardSeedsAndTimes(t *testing.T) {
	rep, err := RunDashboard(context.Background(), DashboardOptions{PostgresURL: DefaultPostgresURL, Events: 4000, Days: 3, Repeats: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.RollupCells == 0 || len(rep.Queries) != 22 {
		t.Fatalf("report %+v", rep)
	}
	for _, q := range rep.Queries {
		if q.N != 2 || q.MaxMs <= 0 {
			t.Fatalf("query %s not timed: %+v", q.Name, q)
		}
	}
}
