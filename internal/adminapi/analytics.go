package adminapi

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/chatproxy/chatproxy/internal/analytics"
	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/console"
)

// analyticsRoutes: the dashboard's numbers (docs/console.md "Analytics"), read from rollups.
// Every route needs ?site= within the caller's scope (403 otherwise) and answers CSV for
// Accept: text/csv.
func (s *Server) analyticsRoutes() {
	s.handle("GET /admin/api/v1/analytics/summary", console.PermAnalyticsRead, s.analyticsSummary)
	s.handle("GET /admin/api/v1/analytics/timeseries", console.PermAnalyticsRead, s.analyticsTimeseries)
	s.handle("GET /admin/api/v1/analytics/breakdown", console.PermAnalyticsRead, s.analyticsBreakdown)
}

// analyticsDeadline bounds one dashboard query: a slow database answers 503, never a spinner.
const analyticsDeadline = 5 * time.Second

// analyticsQuery is the parameters every analytics route shares.
type analyticsQuery struct {
	site     string
	from, to time.Time
}

// parseAnalytics reads site, from and to (RFC 3339; default the last 7 days) and checks scope.
func (s *Server) parseAnalytics(r *http.Request, p *console.Principal) (analyticsQuery, error) {
	q := r.URL.Query()
	a := analyticsQuery{site: q.Get("site"), to: time.Now().UTC()}
	if a.site == "" {
		return a, apierr.InvalidRequest("site is required.")
	}
	if !p.InScope(a.site) {
		return a, apierr.Forbidden("This site is outside your sites.")
	}
	if s.Analytics == nil {
		return a, apierr.StorageUnavailable(errors.New("analytics not configured"))
	}
	var err error
	if v := q.Get("to"); v != "" {
		if a.to, err = time.Parse(time.RFC3339, v); err != nil {
			return a, apierr.InvalidRange("to must be an RFC 3339 time.")
		}
	}
	a.from = a.to.Add(-7 * 24 * time.Hour)
	if v := q.Get("from"); v != "" {
		if a.from, err = time.Parse(time.RFC3339, v); err != nil {
			return a, apierr.InvalidRange("from must be an RFC 3339 time.")
		}
	}
	if _, _, err := analytics.NormalizeRange(a.from, a.to); err != nil {
		return a, apierr.InvalidRange("from must be before to, at most 400 days apart.")
	}
	return a, nil
}

// contextWithDeadline bounds a dashboard query by analyticsDeadline.
func contextWithDeadline(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), analyticsDeadline)
}

func wantsCSV(r *http.Request) bool { return strings.Contains(r.Header.Get("Accept"), "text/csv") }

// writeCSV writes a header and rows as text/csv.
func writeCSV(w http.ResponseWriter, name string, header []string, rows [][]string) error {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	h.Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write(header)
	_ = cw.WriteAll(rows)
	return cw.Error()
}

func (s *Server) analyticsSummary(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	a, err := s.parseAnalytics(r, p)
	if err != nil {
		return err
	}
	ctx, cancel := contextWithDeadline(r)
	defer cancel()
	sum, err := s.Analytics.Summary(ctx, a.site, a.from, a.to)
	if err != nil {
		return analyticsErr(err)
	}
	if wantsCSV(r) {
		header, row := summaryCSV(sum)
		return writeCSV(w, "summary", header, [][]string{row})
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}

// summaryCSV flattens a summary into one row (nested fields joined with "_").
func summaryCSV(s analytics.Summary) ([]string, []string) {
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	p := func(v *int64) string {
		if v == nil {
			return ""
		}
		return i(*v)
	}
	header := []string{"conversations", "visitors", "returning_visitors", "messages", "answered", "failed", "refused",
		"first_token_ms_p50", "first_token_ms_p95", "feedback_up", "feedback_down", "conversions_count", "conversions_value",
		"assisted_conversions_count", "assisted_conversions_value", "currency"}
	row := []string{i(s.Conversations), i(s.Visitors), i(s.ReturningVisitors), i(s.Messages), i(s.Answered), i(s.Failed),
		i(s.Refused), p(s.FirstTokenMS.P50), p(s.FirstTokenMS.P95), i(s.Feedback.Up), i(s.Feedback.Down),
		i(s.Conversions.Count), f(s.Conversions.Value), i(s.AssistedConversions.Count), f(s.AssistedConversions.Value), s.Currency}
	return header, row
}

type timeseriesBody struct {
	Site     string            `json:"site"`
	Metric   string            `json:"metric"`
	Interval string            `json:"interval"`
	Points   []analytics.Point `json:"points"`
}

func (s *Server) analyticsTimeseries(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	a, err := s.parseAnalytics(r, p)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	metric, interval := q.Get("metric"), q.Get("interval")
	if interval == "" {
		interval = "day"
	}
	ctx, cancel := contextWithDeadline(r)
	defer cancel()
	points, err := s.Analytics.Timeseries(ctx, a.site, metric, interval, a.from, a.to)
	if err != nil {
		return analyticsErr(err)
	}
	if wantsCSV(r) {
		rows := make([][]string, len(points))
		for i, pt := range points {
			rows[i] = []string{pt.T.Format(time.RFC3339), strconv.FormatFloat(pt.Value, 'f', -1, 64)}
		}
		return writeCSV(w, metric, []string{"t", metric}, rows)
	}
	writeJSON(w, http.StatusOK, timeseriesBody{Site: a.site, Metric: metric, Interval: interval, Points: points})
	return nil
}

type breakdownBody struct {
	Site string          `json:"site"`
	By   string          `json:"by"`
	Rows []analytics.Row `json:"rows"`
}

func (s *Server) analyticsBreakdown(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	a, err := s.parseAnalytics(r, p)
	if err != nil {
		return err
	}
	by := r.URL.Query().Get("by")
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return apierr.InvalidLimit("limit must be between 1 and 1000.")
		}
	}
	ctx, cancel := contextWithDeadline(r)
	defer cancel()
	rows, err := s.Analytics.Breakdown(ctx, a.site, by, a.from, a.to, limit)
	if err != nil {
		return analyticsErr(err)
	}
	if wantsCSV(r) {
		out := make([][]string, len(rows))
		for i, row := range rows {
			out[i] = []string{row.Key, strconv.FormatInt(row.Count, 10)}
		}
		return writeCSV(w, by, []string{by, "count"}, out)
	}
	if rows == nil {
		rows = []analytics.Row{}
	}
	writeJSON(w, http.StatusOK, breakdownBody{Site: a.site, By: by, Rows: rows})
	return nil
}

// analyticsErr maps the query's validation errors to 400s; others pass on (storage → 503).
func analyticsErr(err error) error {
	switch {
	case errors.Is(err, analytics.ErrMetric):
		return apierr.InvalidRequest("metric must be one of " + strings.Join(analytics.SeriesMetrics(), ", ") + ".")
	case errors.Is(err, analytics.ErrInterval):
		return apierr.InvalidRequest("interval must be hour or day.")
	case errors.Is(err, analytics.ErrDimension):
		return apierr.InvalidRequest("by must be page, country, hour_of_week, refusal_reason or error_code.")
	case errors.Is(err, analytics.ErrRange):
		return apierr.InvalidRange("from must be before to, at most 400 days apart.")
	}
	return err
}
