package analytics

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// Query answers the dashboard from rollups only: full UTC days in a range are read from the
// daily rollups, the hours at its edges from the hourly ones. Raw events are never scanned.
type Query struct {
	Store store.Store
}

// MaxRange is the longest range one query may ask for.
const MaxRange = 400 * 24 * time.Hour

// ErrRange: from is not before to, or the range is longer than MaxRange.
var ErrRange = errors.New("analytics: bad range")

// agg is the merged rollup cells of one bucket (or of a whole range).
type agg struct {
	counts   map[string]map[string][2]int64 // metric → dim → (n, sum)
	hist     map[string]map[int]int64       // metric → bin → n
	sketches map[string][]byte              // metric → merged registers
}

func newAgg() *agg {
	return &agg{counts: map[string]map[string][2]int64{}, hist: map[string]map[int]int64{}, sketches: map[string][]byte{}}
}

func (a *agg) addCount(c store.CountRow) {
	m := a.counts[c.Metric]
	if m == nil {
		m = map[string][2]int64{}
		a.counts[c.Metric] = m
	}
	v := m[c.Dim]
	m[c.Dim] = [2]int64{v[0] + c.N, v[1] + c.Sum}
}

func (a *agg) addHist(h store.HistRow) {
	m := a.hist[h.Metric]
	if m == nil {
		m = map[int]int64{}
		a.hist[h.Metric] = m
	}
	m[h.Bin] += h.N
}

func (a *agg) addSketch(s store.SketchRow) {
	a.sketches[s.Metric] = MergeSketches(a.sketches[s.Metric], s.Regs)
}

// n is the count of one metric and dimension; sum is its Sum.
func (a *agg) n(metric, dim string) int64   { return a.counts[metric][dim][0] }
func (a *agg) sum(metric, dim string) int64 { return a.counts[metric][dim][1] }

// total is the count of a metric over every dimension.
func (a *agg) total(metric string) (n, sum int64) {
	for _, v := range a.counts[metric] {
		n, sum = n+v[0], sum+v[1]
	}
	return n, sum
}

// NormalizeRange rounds from down and to up to whole hours (the rollups' resolution).
func NormalizeRange(from, to time.Time) (time.Time, time.Time, error) {
	from, to = from.UTC().Truncate(time.Hour), to.UTC()
	if t := to.Truncate(time.Hour); !t.Equal(to) {
		to = t.Add(time.Hour)
	}
	if !from.Before(to) || to.Sub(from) > MaxRange {
		return from, to, ErrRange
	}
	return from, to, nil
}

// collect merges a site's cells in [from, to) into buckets keyed by bucketOf(cell start).
// Hours at the range's edges come from the hourly rollups, whole days from the daily ones;
// hourOnly reads hourly rollups throughout (breakdowns by hour).
func (q *Query) collect(ctx context.Context, site string, from, to time.Time, metrics []string, hourOnly bool, bucketOf func(time.Time) time.Time) (map[time.Time]*agg, error) {
	out := map[time.Time]*agg{}
	get := func(t time.Time) *agg {
		k := bucketOf(t)
		if out[k] == nil {
			out[k] = newAgg()
		}
		return out[k]
	}
	read := func(grain int, a, b time.Time) error {
		if !a.Before(b) {
			return nil
		}
		r, err := q.Store.ReadRollups(ctx, store.RollupQuery{SiteID: site, Grain: grain, From: a, To: b, Metrics: metrics})
		for _, c := range r.Counts {
			get(c.Bucket).addCount(c)
		}
		for _, h := range r.Hist {
			get(h.Bucket).addHist(h)
		}
		for _, s := range r.Sketches {
			get(s.Bucket).addSketch(s)
		}
		return err
	}
	dayFrom := Bucket(from, store.GrainDay)
	if dayFrom.Before(from) {
		dayFrom = dayFrom.Add(24 * time.Hour)
	}
	dayTo := Bucket(to, store.GrainDay)
	if hourOnly || !dayFrom.Before(dayTo) {
		return out, read(store.GrainHour, from, to)
	}
	for _, step := range []struct {
		grain int
		a, b  time.Time
	}{{store.GrainHour, from, dayFrom}, {store.GrainDay, dayFrom, dayTo}, {store.GrainHour, dayTo, to}} {
		if err := read(step.grain, step.a, step.b); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Percentiles of a latency in ms; nil when nothing was measured.
type Percentiles struct {
	P50 *int64 `json:"p50"`
	P95 *int64 `json:"p95"`
}

// Votes counts feedback ratings.
type Votes struct {
	Up   int64 `json:"up"`
	Down int64 `json:"down"`
}

// Money is a count of purchases and their value in major units of Summary.Currency.
type Money struct {
	Count int64   `json:"count"`
	Value float64 `json:"value"`
}

// Summary is the dashboard's totals for a range.
type Summary struct {
	Conversations       int64       `json:"conversations"`
	Visitors            int64       `json:"visitors"`
	ReturningVisitors   int64       `json:"returning_visitors"`
	Messages            int64       `json:"messages"`
	Answered            int64       `json:"answered"`
	Failed              int64       `json:"failed"`
	Refused             int64       `json:"refused"`
	FirstTokenMS        Percentiles `json:"first_token_ms"`
	Feedback            Votes       `json:"feedback"`
	Conversions         Money       `json:"conversions"`
	AssistedConversions Money       `json:"assisted_conversions"`
	Currency            string      `json:"currency"`
}

// summaryMetrics are the rollup metrics a summary reads.
var summaryMetrics = []string{MetricEvents, MetricFeedback, MetricPurchase, MetricAssisted, MetricFirstToken, MetricVisitors, MetricReturning}

// Summary totals a site's range.
func (q *Query) Summary(ctx context.Context, site string, from, to time.Time) (Summary, error) {
	from, to, err := NormalizeRange(from, to)
	if err != nil {
		return Summary{}, err
	}
	all, err := q.collect(ctx, site, from, to, summaryMetrics, false, func(time.Time) time.Time { return from })
	if err != nil {
		return Summary{}, err
	}
	a := all[from]
	if a == nil {
		a = newAgg()
	}
	return summarize(a), nil
}

func summarize(a *agg) Summary {
	s := Summary{
		Conversations: a.n(MetricEvents, SessionStarted), Messages: a.n(MetricEvents, MessageSent),
		Answered: a.n(MetricEvents, ReplyCompleted), Failed: a.n(MetricEvents, ReplyFailed),
		Refused:  a.n(MetricEvents, Refused),
		Visitors: sketchCount(a.sketches[MetricVisitors]), ReturningVisitors: sketchCount(a.sketches[MetricReturning]),
		Feedback: Votes{Up: a.n(MetricFeedback, "up"), Down: a.n(MetricFeedback, "down")},
		Currency: mainCurrency(a),
	}
	s.FirstTokenMS = percentiles(a.hist[MetricFirstToken])
	s.Conversions.Count, _ = a.total(MetricPurchase)
	s.Conversions.Value = float64(a.sum(MetricPurchase, s.Currency)) / 100
	s.AssistedConversions.Count, _ = a.total(MetricAssisted)
	s.AssistedConversions.Value = float64(a.sum(MetricAssisted, s.Currency)) / 100
	return s
}

func percentiles(h map[int]int64) Percentiles {
	var p Percentiles
	if v, ok := quantile(h, 0.50); ok {
		n := int64(v + 0.5)
		p.P50 = &n
	}
	if v, ok := quantile(h, 0.95); ok {
		n := int64(v + 0.5)
		p.P95 = &n
	}
	return p
}

// mainCurrency is the currency of most purchases (ties: alphabetical); values are reported in
// it alone, as amounts in different currencies cannot be added.
func mainCurrency(a *agg) string {
	best, bestN := "", int64(-1)
	dims := make([]string, 0, len(a.counts[MetricPurchase]))
	for c := range a.counts[MetricPurchase] {
		dims = append(dims, c)
	}
	slices.Sort(dims)
	for _, c := range dims {
		if n := a.n(MetricPurchase, c); n > bestN {
			best, bestN = c, n
		}
	}
	return best
}
