package analytics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// seriesNeeds are the rollup metrics each series reads.
var seriesNeeds = map[string][]string{
	"conversations": {MetricEvents}, "messages": {MetricEvents}, "answered": {MetricEvents}, "failed": {MetricEvents},
	"refused": {MetricEvents}, "visitors": {MetricVisitors}, "returning_visitors": {MetricReturning},
	"first_token_p50": {MetricFirstToken}, "first_token_p95": {MetricFirstToken},
	"feedback_up": {MetricFeedback}, "feedback_down": {MetricFeedback},
	"conversions": {MetricPurchase}, "conversions_value": {MetricPurchase},
	"assisted_conversions": {MetricPurchase, MetricAssisted}, "assisted_value": {MetricPurchase, MetricAssisted},
}

// Series metrics: every counter of the summary.
var seriesMetrics = map[string]func(Summary) float64{
	"conversations":        func(s Summary) float64 { return float64(s.Conversations) },
	"visitors":             func(s Summary) float64 { return float64(s.Visitors) },
	"returning_visitors":   func(s Summary) float64 { return float64(s.ReturningVisitors) },
	"messages":             func(s Summary) float64 { return float64(s.Messages) },
	"answered":             func(s Summary) float64 { return float64(s.Answered) },
	"failed":               func(s Summary) float64 { return float64(s.Failed) },
	"refused":              func(s Summary) float64 { return float64(s.Refused) },
	"first_token_p50":      func(s Summary) float64 { return ptr(s.FirstTokenMS.P50) },
	"first_token_p95":      func(s Summary) float64 { return ptr(s.FirstTokenMS.P95) },
	"feedback_up":          func(s Summary) float64 { return float64(s.Feedback.Up) },
	"feedback_down":        func(s Summary) float64 { return float64(s.Feedback.Down) },
	"conversions":          func(s Summary) float64 { return float64(s.Conversions.Count) },
	"conversions_value":    func(s Summary) float64 { return s.Conversions.Value },
	"assisted_conversions": func(s Summary) float64 { return float64(s.AssistedConversions.Count) },
	"assisted_value":       func(s Summary) float64 { return s.AssistedConversions.Value },
}

func ptr(p *int64) float64 {
	if p == nil {
		return 0
	}
	return float64(*p)
}

// SeriesMetrics lists the metric names Timeseries accepts, sorted.
func SeriesMetrics() []string {
	out := make([]string, 0, len(seriesMetrics))
	for k := range seriesMetrics {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ErrMetric, ErrInterval and ErrDimension name an unknown query parameter value.
var (
	ErrMetric    = errors.New("analytics: unknown metric")
	ErrInterval  = errors.New("analytics: interval must be hour or day")
	ErrDimension = errors.New("analytics: unknown breakdown")
)

// Point is one bucket of a series.
type Point struct {
	T     time.Time `json:"t"`
	Value float64   `json:"value"`
}

// Timeseries returns one metric per hour or day over [from, to), every bucket included.
// Latency percentiles are 0 in buckets without replies.
func (q *Query) Timeseries(ctx context.Context, site, metric, interval string, from, to time.Time) ([]Point, error) {
	f, ok := seriesMetrics[metric]
	if !ok {
		return nil, ErrMetric
	}
	grain, step := store.GrainHour, time.Hour
	switch interval {
	case "hour":
	case "day":
		grain, step = store.GrainDay, 24*time.Hour
	default:
		return nil, ErrInterval
	}
	from, to, err := NormalizeRange(from, to)
	if err != nil {
		return nil, err
	}
	buckets, err := q.collect(ctx, site, from, to, seriesNeeds[metric], grain == store.GrainHour, func(t time.Time) time.Time { return Bucket(t, grain) })
	if err != nil {
		return nil, err
	}
	var out []Point
	for t := Bucket(from, grain); t.Before(to); t = t.Add(step) {
		a := buckets[t]
		if a == nil {
			a = newAgg()
		}
		out = append(out, Point{T: t, Value: f(summarize(a))})
	}
	return out, nil
}

// Row is one value of a breakdown.
type Row struct {
	Key   string `json:"key"`
	Count int64  `json:"count"`
}

// Breakdowns: conversations by page and country (where chats start), conversations by UTC
// hour of week, refusals by reason, failed replies by error code.
var breakdowns = map[string]string{
	"page": MetricPage, "country": MetricCountry, "refusal_reason": MetricReason, "error_code": MetricErrorCode,
	"hour_of_week": MetricEvents,
}

// Breakdown counts a dimension over [from, to), largest first (hour_of_week: all 168 hours
// in order, keyed "D-HH" with D the ISO weekday, 1 = Monday, and HH the UTC hour).
func (q *Query) Breakdown(ctx context.Context, site, by string, from, to time.Time, limit int) ([]Row, error) {
	metric, ok := breakdowns[by]
	if !ok {
		return nil, ErrDimension
	}
	from, to, err := NormalizeRange(from, to)
	if err != nil {
		return nil, err
	}
	if by == "hour_of_week" {
		return q.hourOfWeek(ctx, site, from, to)
	}
	all, err := q.collect(ctx, site, from, to, []string{metric}, false, func(time.Time) time.Time { return from })
	if err != nil {
		return nil, err
	}
	var rows []Row
	if a := all[from]; a != nil {
		for dim, v := range a.counts[metric] {
			if v[0] != 0 {
				rows = append(rows, Row{Key: dim, Count: v[0]})
			}
		}
	}
	slices.SortFunc(rows, func(a, b Row) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return cmpStr(a.Key, b.Key)
	})
	if limit > 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	return rows, nil
}

func (q *Query) hourOfWeek(ctx context.Context, site string, from, to time.Time) ([]Row, error) {
	buckets, err := q.collect(ctx, site, from, to, []string{MetricEvents}, true, func(t time.Time) time.Time { return t })
	if err != nil {
		return nil, err
	}
	var cells [7][24]int64
	for t, a := range buckets {
		d := (int(t.Weekday()) + 6) % 7 // Monday = 0
		cells[d][t.Hour()] += a.n(MetricEvents, SessionStarted)
	}
	rows := make([]Row, 0, 168)
	for d := range 7 {
		for h := range 24 {
			rows = append(rows, Row{Key: fmt.Sprintf("%d-%02d", d+1, h), Count: cells[d][h]})
		}
	}
	return rows, nil
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
