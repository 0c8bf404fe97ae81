// Package metrics owns chatproxy's Prometheus collectors.
//
// One *Metrics is built per process with its own registry (no global default registry) and
// served on the separate metrics listener.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is every collector chatproxy updates.
type Metrics struct {
	Registry *prometheus.Registry

	HTTPRequests       *prometheus.CounterVec   // route, status
	HTTPDuration       *prometheus.HistogramVec // route
	OpenStreams        prometheus.Gauge
	UpstreamFirstToken *prometheus.HistogramVec // site
	UpstreamTotal      *prometheus.HistogramVec // site
	Errors             *prometheus.CounterVec   // code
	DBDuration         *prometheus.HistogramVec // op
	Refusals           *prometheus.CounterVec   // reason (rate limits, abuse rules)
	RateLimitFallback  *prometheus.CounterVec   // op
	Replies            *prometheus.CounterVec   // site, status
	SlowClients        prometheus.Counter
	AnalyticsEvents    *prometheus.CounterVec // event (built-in names; others are "custom")
}

// New registers every collector on a fresh registry.
func New() *Metrics {
	latency := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatproxy_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "status"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "chatproxy_http_request_duration_seconds", Help: "Time to the end of the response (streams included).", Buckets: latency,
		}, []string{"route"}),
		OpenStreams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chatproxy_open_streams", Help: "SSE streams open right now.",
		}),
		UpstreamFirstToken: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "chatproxy_upstream_first_token_seconds", Help: "From the n8n call to its first text.", Buckets: latency,
		}, []string{"site"}),
		UpstreamTotal: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "chatproxy_upstream_total_seconds", Help: "From the n8n call to the end of its answer.", Buckets: latency,
		}, []string{"site"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatproxy_errors_total", Help: "Errors by stable error code.",
		}, []string{"code"}),
		DBDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "chatproxy_db_duration_seconds", Help: "Database call latency by operation.", Buckets: latency,
		}, []string{"op"}),
		Refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatproxy_refusals_total", Help: "Requests refused by rate limits and abuse rules, by reason.",
		}, []string{"reason"}),
		AnalyticsEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatproxy_analytics_events_total", Help: "Analytics events accepted for recording, by event name (custom names as \"custom\").",
		}, []string{"event"}),
		RateLimitFallback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatproxy_ratelimit_fallback_total", Help: "Rate-limit decisions taken locally because Redis failed.",
		}, []string{"op"}),
		Replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatproxy_replies_total", Help: "Finished replies by site and stored status.",
		}, []string{"site", "status"}),
		SlowClients: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatproxy_slow_clients_total", Help: "Streams dropped because the client did not read in time.",
		}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.HTTPRequests, m.HTTPDuration, m.OpenStreams, m.UpstreamFirstToken, m.UpstreamTotal,
		m.Errors, m.DBDuration, m.Refusals, m.RateLimitFallback, m.Replies, m.SlowClients,
		m.AnalyticsEvents,
	)
	return m
}

// AnalyticsDropped exposes dropped (analytics events and refusal counts not stored because a
// queue or bound was full; a number that only grows) as chatproxy_analytics_dropped_total.
func (m *Metrics) AnalyticsDropped(dropped func() int64) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "chatproxy_analytics_dropped_total",
		Help: "Analytics events and refusal counts dropped because the queue or bound was full.",
	}, func() float64 { return float64(dropped()) }))
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// ObserveHTTP records one finished request.
func (m *Metrics) ObserveHTTP(route string, status int, d time.Duration) {
	m.HTTPRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.HTTPDuration.WithLabelValues(route).Observe(d.Seconds())
}

// ObserveDB records one database call.
func (m *Metrics) ObserveDB(op string, start time.Time) {
	m.DBDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
}
