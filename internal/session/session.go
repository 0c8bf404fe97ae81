// Package session creates visitor sessions and authenticates later requests.
//
// A request carries a signed bearer token (for iframes without cookies) or the session cookie,
// both bound to one site and session, checked against the stored session's idle and absolute
// expiry.
package session

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/analytics"
	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/auth"
	"github.com/chatproxy/chatproxy/internal/clientip"
	"github.com/chatproxy/chatproxy/internal/crypto"
	"github.com/chatproxy/chatproxy/internal/metrics"
	"github.com/chatproxy/chatproxy/internal/store"
)

// Token kinds: the bearer token goes in the JSON answer, the cookie token only in Set-Cookie.
const (
	KindBearer = auth.KindBearer
	KindCookie = auth.KindCookie
)

// Options wire a Service.
type Options struct {
	Store   store.Store
	Keys    *auth.Keys
	Idle    time.Duration
	MaxAge  time.Duration
	HashKey []byte // keys the stored IP prefix hash and fingerprint hash
	Metrics *metrics.Metrics
	Events  *analytics.Recorder // session_started; nil records nothing
	Geo     Geo                 // the country of session_started and of the stored session; nil = unknown
}

// Geo resolves an IP to a place (internal/geoip).
type Geo interface {
	Lookup(ip netip.Addr) (country, city string)
}

// Service creates and checks sessions.
type Service struct {
	o     Options
	cache *cache
}

// New builds a Service.
func New(o Options) *Service { return &Service{o: o, cache: newCache(cacheTTL, cacheMax)} }

// CreateInput is a validated session request.
type CreateInput struct {
	SiteID string
	// VisitorID comes from the widget. It is replaced when it is not a valid id or names another
	// site's visitor, and by the visitor's earlier id when the fingerprint recognises it.
	VisitorID   string
	Fingerprint string
	PageURL     string
	UserAgent   string
	ClientIP    netip.Addr
	Referrer    string // the host page's referrer; only its host is recorded
}

// Created is a new session with its tokens.
type Created struct {
	Session     store.Session
	Token       string // bearer token
	CookieToken string // cookie value (a different token)
}

// Create stores a new session for the visitor; the returned session names the visitor id to
// keep (see CreateInput.VisitorID).
func (s *Service) Create(ctx context.Context, in CreateInput) (Created, error) {
	now := time.Now().UTC()
	visitor := in.VisitorID
	if _, err := uuid.Parse(visitor); err != nil || len(visitor) != 36 {
		visitor = uuid.Must(uuid.NewV7()).String()
	}
	v := store.Visitor{ID: visitor, SiteID: in.SiteID, FirstSeen: now, LastSeen: now}
	if in.Fingerprint != "" {
		v.FingerprintHash = crypto.HMAC(s.o.HashKey, "fp", in.SiteID, in.Fingerprint)
	}
	sess := store.Session{
		ID: uuid.Must(uuid.NewV7()).String(), SiteID: in.SiteID,
		CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(s.o.MaxAge),
		UserAgent: in.UserAgent, PageURL: in.PageURL,
	}
	if in.ClientIP.IsValid() {
		sess.IPHash = clientip.HashPrefix(s.o.HashKey, in.ClientIP)
		if s.o.Geo != nil {
			sess.Country, _ = s.o.Geo.Lookup(in.ClientIP)
		}
	}
	start := time.Now()
	stored, err := s.o.Store.StartSession(ctx, v, sess)
	if errors.Is(err, store.ErrForeignVisitor) {
		// The id is another site's visitor (copied or guessed): this is a new visitor here.
		v.ID = uuid.Must(uuid.NewV7()).String()
		stored, err = s.o.Store.StartSession(ctx, v, sess)
	}
	s.o.Metrics.ObserveDB("start_session", start)
	if err != nil {
		return Created{}, err
	}
	sess = stored
	s.cache.put(sess, true)
	s.recordStart(in, sess)
	out := Created{Session: sess}
	claims := auth.Claims{SessionID: sess.ID, SiteID: sess.SiteID, IssuedAt: now, ExpiresAt: sess.ExpiresAt}
	claims.Kind = KindBearer
	if out.Token, err = auth.Issue(s.o.Keys, claims); err != nil {
		return Created{}, err
	}
	claims.Kind = KindCookie
	if out.CookieToken, err = auth.Issue(s.o.Keys, claims); err != nil {
		return Created{}, err
	}
	return out, nil
}

// Authenticate checks a token of the given kind and returns the live session it names.
func (s *Service) Authenticate(ctx context.Context, token, kind string) (store.Session, error) {
	now := time.Now()
	claims, ok := s.cache.verifiedClaims(token, kind, now)
	if !ok {
		var err error
		if claims, err = auth.Verify(s.o.Keys, token, kind, now); err != nil {
			if errors.Is(err, auth.ErrExpiredToken) {
				return store.Session{}, apierr.SessionExpired()
			}
			return store.Session{}, apierr.Unauthorized()
		}
		s.cache.putVerified(token, kind, claims, now)
	}
	sess, err := s.live(ctx, claims.SessionID, now)
	if errors.Is(err, errUnknownSession) {
		return store.Session{}, apierr.Unauthorized()
	}
	if err != nil {
		return store.Session{}, err
	}
	if sess.SiteID != claims.SiteID {
		return store.Session{}, apierr.Unauthorized()
	}
	return sess, nil
}

// Resume returns the live session with this id for a caller that holds no token: the
// official @n8n/chat widget, whose own session id is bound to it (package n8nchat). An unknown
// id is ErrNotFound; an idle or expired session is apierr session_expired.
func (s *Service) Resume(ctx context.Context, id string) (store.Session, error) {
	sess, err := s.live(ctx, id, time.Now())
	if errors.Is(err, errUnknownSession) {
		return store.Session{}, store.ErrNotFound
	}
	return sess, err
}

// errUnknownSession: a token or binding names a session the store does not hold.
var errUnknownSession = errors.New("session: unknown session")

// live reads the session (cached), checks its idle and absolute expiry and touches it.
func (s *Service) live(ctx context.Context, id string, now time.Time) (store.Session, error) {
	sess, ok := s.cache.get(id, now)
	if !ok {
		start := time.Now()
		var err error
		sess, err = s.o.Store.GetSession(ctx, id)
		s.o.Metrics.ObserveDB("get_session", start)
		if errors.Is(err, store.ErrNotFound) {
			return store.Session{}, errUnknownSession
		}
		if err != nil {
			return store.Session{}, err
		}
		s.cache.put(sess, false)
	}
	if now.After(sess.ExpiresAt) || now.Sub(sess.LastSeen) > s.o.Idle {
		return store.Session{}, apierr.SessionExpired()
	}
	// Touch at most once a minute: idle expiry needs no finer grain, and it saves a write per request.
	if now.Sub(sess.LastSeen) > time.Minute {
		if err := s.o.Store.TouchSession(ctx, sess.ID, now.UTC()); err == nil {
			sess.LastSeen = now.UTC()
			s.cache.touch(sess.ID, sess.LastSeen)
		}
	}
	return sess, nil
}

// ClaimFresh reports, once, that the session was created by this process and has had no
// message through it yet: its history is known to be empty, so the first reply needs no history
// query. The check and the marking are one step under the cache's lock, so of two first
// messages racing only one skips the history; every later call returns false.
func (s *Service) ClaimFresh(id string) bool { return s.cache.claimFresh(id) }

// Forget drops erased sessions from this replica's cache, so their tokens stop at once here
// (other replicas notice within the cache's few seconds).
func (s *Service) Forget(ids ...string) {
	for _, id := range ids {
		s.cache.forget(id)
	}
}

// SetAnalytics records whether the session's visitor consents to analytics events.
func (s *Service) SetAnalytics(ctx context.Context, id string, on bool) error {
	if err := s.o.Store.SetSessionNoAnalytics(ctx, id, !on); err != nil {
		return err
	}
	s.cache.forget(id)
	return nil
}

// recordStart records session_started: whether the visitor is returning, the country, the
// page path (no query: it may carry personal data) and the referrer's host. Never the IP.
func (s *Service) recordStart(in CreateInput, sess store.Session) {
	if s.o.Events == nil {
		return
	}
	country := sess.Country // looked up once, in Create
	s.o.Events.Add(analytics.Event{
		SiteID: sess.SiteID, SessionID: sess.ID, VisitorID: sess.VisitorID, Name: analytics.SessionStarted, At: sess.CreatedAt,
		Props: map[string]any{"returning": sess.Returning, "country": country, "page": analytics.PagePath(in.PageURL),
			"referrer": analytics.ReferrerHost(in.Referrer)},
	})
}
