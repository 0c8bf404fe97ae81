package guard

import (
	"context"
	"net/netip"
	"time"

	"github.com/chatproxy/chatproxy/internal/clientip"
	"github.com/chatproxy/chatproxy/internal/ratelimit"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/store"
)

// seenPeriod is how long a widget's first page view is remembered for the minimum-delay rule.
const seenPeriod = time.Hour

// seenRule admits one request of a key per seenPeriod. Spent at a widget's first page view, it
// then refuses later requests with a RetryAfter that tells when that view was: the rule's
// state is the memory, in whichever limiter the replicas share, and nothing is stored.
var seenRule = ratelimit.Rule{Name: "seen", Rate: 1, Period: seenPeriod, Burst: 1}

// PageView limits the history loads of the official @n8n/chat widget (one per page view, even
// when the visitor never opens the chat) per client IP, at the site's ip_per_minute rate
// counted apart from messages, and notes when the widget (key: its hashed session id) was
// first seen, for FirstSeen. A page view is not a conversation: it creates nothing.
func (g *Guard) PageView(ctx context.Context, st *site.Site, ip netip.Addr, key string) error {
	if n := st.Limits.IPPerMinute; n > 0 && ip.IsValid() {
		if err := g.allow(ctx, st, store.Session{}, "view:"+st.ID+":"+clientip.Key(ip), perMinute("page_view", n)); err != nil {
			return err
		}
	}
	_, err := g.lim.Allow(ctx, "seen:n8n:"+key, seenRule)
	return err
}

// FirstSeen reports when the widget was first seen by PageView or FirstSeen within the last
// hour (now when never): the minimum-delay rule counts from there, since this widget's
// session is made only with its first message.
func (g *Guard) FirstSeen(ctx context.Context, key string) (time.Time, error) {
	now := g.now()
	d, err := g.lim.Allow(ctx, "seen:n8n:"+key, seenRule)
	if err != nil || d.Allowed {
		return now, err
	}
	return now.Add(d.RetryAfter - seenPeriod), nil
}

// Upload limits file uploads per session and per client IP, at the site's session_per_minute
// and ip_per_minute rates counted apart from messages: an upload is work and storage even
// when no message ever names it.
func (g *Guard) Upload(ctx context.Context, st *site.Site, sess store.Session, ip netip.Addr) error {
	if n := st.Limits.SessionPerMinute; n > 0 {
		if err := g.allow(ctx, st, sess, "up:sess:"+sess.ID, perMinute("upload_session", n)); err != nil {
			return err
		}
	}
	if n := st.Limits.IPPerMinute; n > 0 && ip.IsValid() {
		return g.allow(ctx, st, sess, "up:ip:"+st.ID+":"+clientip.Key(ip), perMinute("upload_ip", n))
	}
	return nil
}
