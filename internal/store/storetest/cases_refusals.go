package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// runRefusals: counters add up per (site, reason, minute), one row each, within a batch and
// across batches; reads are per site and half-open in time.
func runRefusals(t *testing.T, open Opener) {
	f := newFixture(t, open)
	other := f.addSite("other-" + f.site.ID)
	m0 := f.now.Truncate(time.Minute)
	m1 := m0.Add(time.Minute)
	batch := []store.RefusalCount{
		{SiteID: f.site.ID, Reason: "session", Minute: m0.Add(17 * time.Second), Count: 5},
		{SiteID: f.site.ID, Reason: "ip", Minute: m0, Count: 2},
		{SiteID: f.site.ID, Reason: "session", Minute: m1, Count: 1},
		{SiteID: other.ID, Reason: "session", Minute: m0, Count: 9},
	}
	hour := m0.UTC().Truncate(time.Hour)
	rollup := store.RollupDelta{Counts: []store.CountRow{{SiteID: f.site.ID, Grain: store.GrainHour, Bucket: hour, Metric: "refusal", Dim: "session", N: 6}}}
	if err := f.s.AddRefusals(f.ctx, batch, rollup); err != nil {
		t.Fatalf("AddRefusals: %v", err)
	}
	if err := f.s.AddRefusals(f.ctx, []store.RefusalCount{{SiteID: f.site.ID, Reason: "session", Minute: m0, Count: 3}}, store.RollupDelta{}); err != nil {
		t.Fatalf("AddRefusals again: %v", err)
	}
	if err := f.s.AddRefusals(f.ctx, nil, store.RollupDelta{}); err != nil {
		t.Fatalf("AddRefusals of nothing: %v", err)
	}
	// The rollup delta was applied in the same transaction.
	r, err := f.s.ReadRollups(f.ctx, store.RollupQuery{SiteID: f.site.ID, Grain: store.GrainHour, From: hour, To: hour.Add(time.Hour), Metrics: []string{"refusal"}})
	if err != nil || len(r.Counts) != 1 || r.Counts[0].N != 6 || r.Counts[0].Dim != "session" {
		t.Fatalf("rollups after AddRefusals: %+v, %v", r.Counts, err)
	}
	got, err := f.s.RefusalCounts(f.ctx, f.site.ID, m0, m1.Add(time.Minute))
	if err != nil {
		t.Fatalf("RefusalCounts: %v", err)
	}
	want := []store.RefusalCount{
		{SiteID: f.site.ID, Reason: "ip", Minute: m0.UTC(), Count: 2},
		{SiteID: f.site.ID, Reason: "session", Minute: m0.UTC(), Count: 8},
		{SiteID: f.site.ID, Reason: "session", Minute: m1.UTC(), Count: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("RefusalCounts:\n got %+v\nwant %+v", got, want)
	}
	if got, _ := f.s.RefusalCounts(f.ctx, f.site.ID, m1, m1.Add(time.Minute)); len(got) != 1 || got[0].Count != 1 {
		t.Fatalf("one minute: %+v", got)
	}
	if got, _ := f.s.RefusalCounts(f.ctx, other.ID, m0, m1); len(got) != 1 || got[0].Count != 9 {
		t.Fatalf("other site: %+v", got)
	}
}
