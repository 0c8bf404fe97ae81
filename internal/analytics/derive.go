package analytics

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// Rollup metrics. Every event counts under MetricEvents with its name as the dimension; the
// others add dimensions the dashboard breaks down by, money, latencies and distinct visitors.
const (
	MetricEvents     = "events"      // dim: event name
	MetricPage       = "page"        // session_started by page path
	MetricCountry    = "country"     // session_started by country ("" = unknown)
	MetricReason     = "refusal"     // refused by reason
	MetricErrorCode  = "error_code"  // reply_failed by code
	MetricFeedback   = "feedback"    // dim up|down (a change moves one from the old rating)
	MetricPurchase   = "purchase"    // dim currency; Sum in hundredths
	MetricAssisted   = "assisted"    // chat-assisted purchases: dim currency; Sum in hundredths
	MetricCart       = "add_to_cart" // dim currency; Sum in hundredths
	MetricFirstToken = "first_token_ms"
	MetricReplyTotal = "reply_ms"
	MetricVisitors   = "visitors"
	MetricReturning  = "returning_visitors"
)

// Bucket returns the start of the UTC hour or day that holds t.
func Bucket(t time.Time, grain int) time.Time {
	t = t.UTC()
	if grain == store.GrainDay {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	return t.Truncate(time.Hour)
}

type countKey struct {
	site   string
	grain  int
	bucket time.Time
	metric string
	dim    string
}

type histKey struct {
	site   string
	grain  int
	bucket time.Time
	metric string
	bin    int
}

type sketchKey struct {
	site   string
	grain  int
	bucket time.Time
	metric string
}

// deriver accumulates what a batch of events adds to the rollups.
type deriver struct {
	counts   map[countKey][2]int64
	hist     map[histKey]int64
	sketches map[sketchKey][]byte
}

// Derive computes the rollup delta of events: a pure function of the rows, so applying the
// deltas of any split of a set of events gives the same rollups as deriving the whole set.
func Derive(events []store.Event) store.RollupDelta {
	d := deriver{counts: map[countKey][2]int64{}, hist: map[histKey]int64{}, sketches: map[sketchKey][]byte{}}
	for _, e := range events {
		var props map[string]any
		if len(e.Data) > 0 {
			dec := json.NewDecoder(strings.NewReader(string(e.Data)))
			dec.UseNumber()
			_ = dec.Decode(&props)
		}
		for _, g := range []int{store.GrainHour, store.GrainDay} {
			d.event(e, props, g, Bucket(e.CreatedAt, g))
		}
	}
	return d.delta()
}

func (d *deriver) count(e store.Event, g int, b time.Time, metric, dim string, n, sum int64) {
	k := countKey{e.SiteID, g, b, metric, dim}
	v := d.counts[k]
	d.counts[k] = [2]int64{v[0] + n, v[1] + sum}
}

func (d *deriver) sketch(e store.Event, g int, b time.Time, metric string) {
	k := sketchKey{e.SiteID, g, b, metric}
	regs := d.sketches[k]
	if regs == nil {
		regs = make([]byte, hllM)
		d.sketches[k] = regs
	}
	sketchAdd(regs, e.VisitorID)
}

func (d *deriver) observe(e store.Event, g int, b time.Time, metric string, v any) {
	if ms, ok := number(v); ok && ms >= 0 {
		d.hist[histKey{e.SiteID, g, b, metric, histBin(ms)}]++
	}
}

// event adds one event's cells in one grain.
func (d *deriver) event(e store.Event, p map[string]any, g int, b time.Time) {
	d.count(e, g, b, MetricEvents, e.Type, 1, 0)
	if e.VisitorID != "" {
		d.sketch(e, g, b, MetricVisitors)
	}
	switch e.Type {
	case SessionStarted:
		d.count(e, g, b, MetricPage, propStr(p, "page"), 1, 0)
		d.count(e, g, b, MetricCountry, propStr(p, "country"), 1, 0)
		if ret, _ := p["returning"].(bool); ret && e.VisitorID != "" {
			d.sketch(e, g, b, MetricReturning)
		}
	case Refused:
		d.count(e, g, b, MetricReason, propStr(p, "reason"), 1, 0)
	case ReplyFailed:
		d.count(e, g, b, MetricErrorCode, propStr(p, "code"), 1, 0)
	case ReplyFirstToken:
		d.observe(e, g, b, MetricFirstToken, p["ms"])
	case ReplyCompleted:
		d.observe(e, g, b, MetricReplyTotal, p["ms"])
	case Feedback:
		d.count(e, g, b, MetricFeedback, propStr(p, "rating"), 1, 0)
		if from := propStr(p, "changed_from"); from != "" {
			d.count(e, g, b, MetricFeedback, from, -1, 0)
		}
	case AddToCart:
		d.count(e, g, b, MetricCart, propStr(p, "currency"), 1, hundredths(p["value"]))
	case Purchase:
		cur, v := propStr(p, "currency"), hundredths(p["value"])
		d.count(e, g, b, MetricPurchase, cur, 1, v)
		if a, _ := p["assisted"].(bool); a {
			d.count(e, g, b, MetricAssisted, cur, 1, v)
		}
	}
}

func propStr(p map[string]any, k string) string {
	s, _ := p[k].(string)
	return s
}

// delta returns the accumulated cells sorted by key: replicas writing at once then lock
// rows in the same order.
func (d *deriver) delta() store.RollupDelta {
	out := store.RollupDelta{Merge: MergeSketches}
	for k, v := range d.counts {
		out.Counts = append(out.Counts, store.CountRow{SiteID: k.site, Grain: k.grain, Bucket: k.bucket, Metric: k.metric, Dim: k.dim, N: v[0], Sum: v[1]})
	}
	slices.SortFunc(out.Counts, func(a, b store.CountRow) int {
		return cmpKeys(a.SiteID, b.SiteID, a.Grain, b.Grain, a.Bucket, b.Bucket, a.Metric+"\x00"+a.Dim, b.Metric+"\x00"+b.Dim)
	})
	for k, n := range d.hist {
		out.Hist = append(out.Hist, store.HistRow{SiteID: k.site, Grain: k.grain, Bucket: k.bucket, Metric: k.metric, Bin: k.bin, N: n})
	}
	slices.SortFunc(out.Hist, func(a, b store.HistRow) int {
		if c := cmpKeys(a.SiteID, b.SiteID, a.Grain, b.Grain, a.Bucket, b.Bucket, a.Metric, b.Metric); c != 0 {
			return c
		}
		return a.Bin - b.Bin
	})
	for k, regs := range d.sketches {
		out.Sketches = append(out.Sketches, store.SketchRow{SiteID: k.site, Grain: k.grain, Bucket: k.bucket, Metric: k.metric, Regs: regs})
	}
	slices.SortFunc(out.Sketches, func(a, b store.SketchRow) int {
		return cmpKeys(a.SiteID, b.SiteID, a.Grain, b.Grain, a.Bucket, b.Bucket, a.Metric, b.Metric)
	})
	return out
}

func cmpKeys(sa, sb string, ga, gb int, ba, bb time.Time, ma, mb string) int {
	if c := strings.Compare(sa, sb); c != 0 {
		return c
	}
	if ga != gb {
		return ga - gb
	}
	if c := ba.Compare(bb); c != 0 {
		return c
	}
	return strings.Compare(ma, mb)
}

func sortInts(s []int) { slices.Sort(s) }
