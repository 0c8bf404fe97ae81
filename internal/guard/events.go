package guard

import (
	"context"
	"net/netip"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/clientip"
	"github.com/chatproxy/chatproxy/internal/site"
)

// Events limits POST /api/v1/events requests per client IP and site. A refusal is counted
// in Prometheus but records no analytics event: a flood must not make the server write.
func (g *Guard) Events(ctx context.Context, st *site.Site, ip netip.Addr) error {
	n := st.Analytics.EventsPerMinute
	if n <= 0 || !ip.IsValid() {
		return nil
	}
	rule := perMinute("events", n)
	d, err := g.lim.Allow(ctx, "ev:"+st.ID+":"+clientip.Key(ip), rule)
	if err != nil || d.Allowed {
		return err
	}
	g.metrics.Refusals.WithLabelValues("events").Inc()
	e := apierr.RateLimited(d.RetryAfter)
	e.Headers = rateLimitHeaders(rule, d)
	return e
}
