package analytics_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/analytics"
	"github.com/chatproxy/chatproxy/internal/store"
)

// TestQueriesMatchRawEvents: for random ranges (edges inside hours and days), the summary's
// counters equal a count of the raw events in the range rounded to whole hours; a day series
// adds up to the summary; breakdowns add up to their counter. Both engines.
func TestQueriesMatchRawEvents(t *testing.T) {
	start := time.Date(2026, 5, 3, 7, 30, 0, 0, time.UTC)
	for name, st := range engines(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			r := rand.New(rand.NewPCG(7, 7))
			evs := randomEvents(r, 1500, start)
			if _, err := st.WriteEvents(ctx, evs, analytics.Derive); err != nil {
				t.Fatal(err)
			}
			q := &analytics.Query{Store: st}
			for i := range 12 {
				from := start.Add(time.Duration(r.Int64N(int64(60 * time.Hour))))
				to := from.Add(time.Duration(1 + r.Int64N(int64(70*time.Hour))))
				if i == 0 {
					from, to = start.Add(-time.Hour), start.Add(80*time.Hour)
				}
				nf, nt, _ := analytics.NormalizeRange(from, to)
				raw, err := st.ListEvents(ctx, store.EventQuery{SiteID: "shop", From: nf, To: nt})
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]int64{}
				var up, down, purchases int64
				for _, e := range raw {
					want[e.Type]++
					var p map[string]any
					_ = json.Unmarshal(e.Data, &p)
					if e.Type == analytics.Feedback {
						if p["rating"] == "up" {
							up++
						} else {
							down++
						}
						if p["changed_from"] == "up" {
							up--
						}
					}
					if e.Type == analytics.Purchase {
						purchases++
					}
				}
				s, err := q.Summary(ctx, "shop", from, to)
				if err != nil {
					t.Fatal(err)
				}
				if s.Conversations != want[analytics.SessionStarted] || s.Messages != want[analytics.MessageSent] ||
					s.Answered != want[analytics.ReplyCompleted] || s.Failed != want[analytics.ReplyFailed] ||
					s.Refused != want[analytics.Refused] || s.Feedback.Up != up || s.Feedback.Down != down || s.Conversions.Count != purchases {
					t.Fatalf("range %s–%s: summary %+v, raw %v up %d down %d purchases %d", from, to, s, want, up, down, purchases)
				}
				series, err := q.Timeseries(ctx, "shop", "messages", "day", from, to)
				if err != nil {
					t.Fatal(err)
				}
				var sum float64
				for _, p := range series {
					sum += p.Value
				}
				if int64(sum) != s.Messages {
					t.Fatalf("day series of messages adds to %v, summary %d", sum, s.Messages)
				}
				rows, err := q.Breakdown(ctx, "shop", "page", from, to, 0)
				if err != nil {
					t.Fatal(err)
				}
				var pages int64
				for _, row := range rows {
					pages += row.Count
				}
				if pages != s.Conversations {
					t.Fatalf("pages add to %d, conversations %d", pages, s.Conversations)
				}
				how, err := q.Breakdown(ctx, "shop", "hour_of_week", from, to, 0)
				if err != nil {
					t.Fatal(err)
				}
				var hw int64
				for _, row := range how {
					hw += row.Count
				}
				if len(how) != 168 || hw != s.Conversations {
					t.Fatalf("hour of week: %d rows adding to %d, conversations %d", len(how), hw, s.Conversations)
				}
			}
		})
	}
}

// TestSummaryLatencyAndMoney checks percentiles (within the histograms' 2 % error), distinct
// and returning visitors, and chat-assisted money in the main currency.
func TestSummaryLatencyAndMoney(t *testing.T) {
	at := time.Date(2026, 6, 1, 10, 15, 0, 0, time.UTC)
	for name, st := range engines(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			var evs []store.Event
			add := func(typ, visitor string, props map[string]any, key string) {
				b, _ := json.Marshal(props)
				evs = append(evs, store.Event{ID: time.Now().String() + typ + key + visitor + string(b), SiteID: "shop", VisitorID: visitor, Type: typ, Data: b, DedupeKey: key, CreatedAt: at})
			}
			for i := 1; i <= 100; i++ {
				add(analytics.ReplyFirstToken, "v1", map[string]any{"ms": i * 10}, "")
			}
			add(analytics.SessionStarted, "v1", map[string]any{"returning": false}, "")
			add(analytics.SessionStarted, "v2", map[string]any{"returning": true}, "")
			add(analytics.Purchase, "v1", map[string]any{"order_id": "a", "value": 10.25, "currency": "EUR", "assisted": true}, "purchase:a")
			add(analytics.Purchase, "v2", map[string]any{"order_id": "b", "value": 5, "currency": "EUR", "assisted": false}, "purchase:b")
			add(analytics.Purchase, "v2", map[string]any{"order_id": "c", "value": 99, "currency": "USD", "assisted": false}, "purchase:c")
			add(analytics.Purchase, "v2", map[string]any{"order_id": "a", "value": 10.25, "currency": "EUR", "assisted": true}, "purchase:a")
			for i := range evs {
				evs[i].ID = time.Now().Add(time.Duration(i)).Format(time.RFC3339Nano) + "-" + string(rune('a'+i%26))
			}
			if n, err := st.WriteEvents(ctx, evs, analytics.Derive); err != nil || n != len(evs)-1 {
				t.Fatalf("wrote %d of %d: %v", n, len(evs), err)
			}
			s, err := (&analytics.Query{Store: st}).Summary(ctx, "shop", at.Add(-time.Hour), at.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if s.FirstTokenMS.P50 == nil || *s.FirstTokenMS.P50 < 490 || *s.FirstTokenMS.P50 > 520 || *s.FirstTokenMS.P95 < 930 || *s.FirstTokenMS.P95 > 970 {
				t.Fatalf("percentiles %v %v", *s.FirstTokenMS.P50, *s.FirstTokenMS.P95)
			}
			if s.Visitors != 2 || s.ReturningVisitors != 1 || s.Conversations != 2 {
				t.Fatalf("visitors %+v", s)
			}
			if s.Currency != "EUR" || s.Conversions.Count != 3 || s.Conversions.Value != 15.25 || s.AssistedConversions.Count != 1 || s.AssistedConversions.Value != 10.25 {
				t.Fatalf("money %+v", s)
			}
			empty, err := (&analytics.Query{Store: st}).Summary(ctx, "other", at.Add(-time.Hour), at.Add(time.Hour))
			if err != nil || empty.FirstTokenMS.P50 != nil || empty.Conversations != 0 {
				t.Fatalf("empty summary %+v %v", empty, err)
			}
		})
	}
}
