package analytics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/analytics"
	"github.com/chatproxy/chatproxy/internal/store"
)

// randomEvents makes n events of every kind over three days, with repeated order ids and
// feedback changes, for sites shop and other.
func randomEvents(r *rand.Rand, n int, start time.Time) []store.Event {
	names := []string{analytics.SessionStarted, analytics.MessageSent, analytics.ReplyFirstToken, analytics.ReplyCompleted,
		analytics.ReplyFailed, analytics.Refused, analytics.Resumed, analytics.WidgetLoaded, analytics.WidgetOpened,
		analytics.SuggestionClicked, analytics.Feedback, analytics.AddToCart, analytics.Purchase, "newsletter_signup"}
	out := make([]store.Event, 0, n)
	for range n {
		name := names[r.IntN(len(names))]
		e := store.Event{
			ID: uuid.Must(uuid.NewV7()).String(), SiteID: []string{"shop", "shop", "other"}[r.IntN(3)], Type: name,
			VisitorID: fmt.Sprintf("v%d", r.IntN(40)), SessionID: fmt.Sprintf("s%d", r.IntN(60)),
			CreatedAt: start.Add(time.Duration(r.Int64N(int64(72 * time.Hour)))).Truncate(time.Microsecond),
		}
		if r.IntN(10) == 0 {
			e.VisitorID = ""
		}
		props := map[string]any{}
		switch name {
		case analytics.SessionStarted:
			props = map[string]any{"returning": r.IntN(2) == 0, "country": []string{"DE", "FR", ""}[r.IntN(3)], "page": []string{"/", "/p/1", "/cart"}[r.IntN(3)], "referrer": "example.org"}
		case analytics.ReplyFirstToken:
			props["ms"] = r.IntN(5000)
		case analytics.ReplyCompleted:
			props = map[string]any{"ms": r.IntN(20000), "chars": r.IntN(900), "status": "complete"}
		case analytics.ReplyFailed:
			props["code"] = []string{"upstream_timeout", "upstream_unavailable"}[r.IntN(2)]
		case analytics.Refused:
			props["reason"] = []string{"ip", "session", "too_fast"}[r.IntN(3)]
		case analytics.Feedback:
			msg := fmt.Sprintf("m%d", r.IntN(20))
			props = map[string]any{"message_id": msg, "rating": "up"}
			e.DedupeKey = "feedback:" + msg + ":1"
			if r.IntN(3) == 0 {
				props = map[string]any{"message_id": msg, "rating": "down", "changed_from": "up"}
				e.DedupeKey = "feedback:" + msg + ":2"
			}
		case analytics.AddToCart, analytics.Purchase:
			props = map[string]any{"sku": "A-1", "value": float64(r.IntN(10000)) / 100, "currency": []string{"EUR", "USD"}[r.IntN(2)]}
			if name == analytics.Purchase {
				order := fmt.Sprintf("o%d", r.IntN(30))
				props = map[string]any{"order_id": order, "value": props["value"], "currency": props["currency"], "assisted": r.IntN(2) == 0}
				e.DedupeKey = "purchase:" + order
			}
		}
		e.Data, _ = json.Marshal(props)
		out = append(out, e)
	}
	return out
}

// canonical flattens a delta (or stored rollups) into comparable cells, leaving out cells
// that add nothing.
func canonical(counts []store.CountRow, hist []store.HistRow, sketches []store.SketchRow) map[string]string {
	out := map[string]string{}
	for _, c := range counts {
		k := fmt.Sprintf("c|%s|%d|%d|%s|%s", c.SiteID, c.Grain, c.Bucket.Unix(), c.Metric, c.Dim)
		prev := [2]int64{}
		if s, ok := out[k]; ok {
			_, _ = fmt.Sscanf(s, "%d/%d", &prev[0], &prev[1])
		}
		out[k] = fmt.Sprintf("%d/%d", prev[0]+c.N, prev[1]+c.Sum)
	}
	for k, v := range out {
		if v == "0/0" {
			delete(out, k)
		}
	}
	for _, h := range hist {
		out[fmt.Sprintf("h|%s|%d|%d|%s|%d", h.SiteID, h.Grain, h.Bucket.Unix(), h.Metric, h.Bin)] = fmt.Sprint(h.N)
	}
	for _, s := range sketches {
		k := fmt.Sprintf("s|%s|%d|%d|%s", s.SiteID, s.Grain, s.Bucket.Unix(), s.Metric)
		out[k] = fmt.Sprintf("%x", analytics.MergeSketches([]byte(out[k]), s.Regs))
	}
	return out
}

// TestRollupsEqualFullRecomputation writes random events in random batches (duplicates
// included) and checks that the incrementally kept rollups equal a recomputation from the
// stored raw events, on both engines.
func TestRollupsEqualFullRecomputation(t *testing.T) {
	start := time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)
	for name, st := range engines(t) {
		t.Run(name, func(t *testing.T) {
			for seed := range uint64(3) {
				r := rand.New(rand.NewPCG(seed, 99))
				evs := randomEvents(r, 700, start.Add(time.Duration(seed)*96*time.Hour))
				for len(evs) > 0 {
					k := min(len(evs), 1+r.IntN(80))
					if _, err := st.WriteEvents(context.Background(), evs[:k], analytics.Derive); err != nil {
						t.Fatal(err)
					}
					// A retried batch (same ids) adds nothing.
					if r.IntN(5) == 0 {
						if n, err := st.WriteEvents(context.Background(), evs[:k], analytics.Derive); err != nil || n != 0 {
							t.Fatalf("retried batch: n=%d err=%v", n, err)
						}
					}
					evs = evs[k:]
				}
			}
			from, to := start.Add(-48*time.Hour), start.Add(30*24*time.Hour)
			var stored []store.CountRow
			var hist []store.HistRow
			var sk []store.SketchRow
			var raw []store.Event
			for _, site := range []string{"shop", "other"} {
				ev, err := st.ListEvents(context.Background(), store.EventQuery{SiteID: site, From: from, To: to})
				if err != nil {
					t.Fatal(err)
				}
				raw = append(raw, ev...)
				for _, g := range []int{store.GrainHour, store.GrainDay} {
					ru, err := st.ReadRollups(context.Background(), store.RollupQuery{SiteID: site, Grain: g, From: from, To: to})
					if err != nil {
						t.Fatal(err)
					}
					stored, hist, sk = append(stored, ru.Counts...), append(hist, ru.Hist...), append(sk, ru.Sketches...)
				}
			}
			full := analytics.Derive(raw)
			want, got := canonical(full.Counts, full.Hist, full.Sketches), canonical(stored, hist, sk)
			if len(want) < 100 {
				t.Fatalf("only %d cells: the generator is broken", len(want))
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: rollup %q, recomputed %q", k, short(got[k]), short(v))
				}
			}
			for k := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s: in the rollups only (%q)", k, short(got[k]))
				}
			}
		})
	}
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func TestSketchCountsDistinct(t *testing.T) {
	regs := analytics.MergeSketches(nil, nil)
	for _, n := range []int{1, 10, 1000, 20000} {
		regs = analytics.MergeSketches(nil, nil)
		d := analytics.Derive(nil)
		_ = d
		for i := range n {
			regs = analytics.MergeSketches(regs, analytics.SketchOf(fmt.Sprintf("visitor-%d", i)))
		}
		got := analytics.SketchCount(regs)
		if diff := float64(got-int64(n)) / float64(n); diff > 0.05 || diff < -0.05 || (n <= 10 && got != int64(n)) {
			t.Errorf("%d distinct ids counted as %d", n, got)
		}
	}
	if !bytes.Equal(analytics.MergeSketches(analytics.SketchOf("a"), analytics.SketchOf("b")), analytics.MergeSketches(analytics.SketchOf("b"), analytics.SketchOf("a"))) {
		t.Fatal("merge depends on order")
	}
}
