// Package sitecfg manages console sites, their keys and their hot reload.
//
// A site's JSON form is config.Site's (the sites file's names) with the read-only fields of
// View; it is validated by config.ValidateSite, the rule the sites file obeys, plus the SSRF
// rule for webhook URLs entered in the console. Console sites sign their n8n tokens with keys
// the server generates (an HS256 secret shown once, or an ES256 pair whose public half is in
// the JWKS), sealed at rest with the field keys; a rotation keeps the previous key for an
// overlap. Every change is one transaction that bumps the site's version; every replica
// reloads on PostgreSQL's NOTIFY (or this process's signal on SQLite) and on a periodic
// check of the table's stamp, compiles the console sites and swaps the site registry.
package sitecfg

import (
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

// Defaults.
const (
	// Overlap is how long a rotated-out key still signs a retry when n8n refuses the new one,
	// and stays in the JWKS and `chatproxy keys show` (docs/security-keys.md).
	Overlap = 24 * time.Hour
	// PollEvery is the period of the stamp check that backs up change notifications.
	PollEvery = time.Second
	// MaxBody bounds a site's JSON (the blocklist and texts make it the console's largest).
	MaxBody = 256 << 10
	// ResolveTimeout bounds the webhook host's DNS lookup at save time.
	ResolveTimeout = 5 * time.Second
)

// Options configure a Service.
type Options struct {
	Store  store.SiteRecords
	Cipher store.Cipher // seals the console sites' signing keys (the field keyring)
	// Registry is the served set. The sites it holds when New is called are the configured
	// ones (sites file, environment); console sites are published after them.
	Registry *site.Registry
	// AllowPrivateUpstream (CHATPROXY_ALLOW_PRIVATE_UPSTREAM) lets webhook URLs resolve to
	// private and loopback addresses, for development.
	AllowPrivateUpstream bool
	// Resolver looks webhook hosts up at save time (nil = the system resolver); the upstream
	// client should use the same one at dial time.
	Resolver upstream.Resolver
	// OnPublish is called with the new served set after every reload (e.g. to drop the
	// upstream state of removed sites).
	OnPublish func(sites []*site.Site)
	Log       *slog.Logger
	Now       func() time.Time
	PollEvery time.Duration // 0 = PollEvery
}

// Service is the sites use case. It is safe for concurrent use.
type Service struct {
	opts   Options
	file   []*site.Site
	fileID map[string]bool

	mu       sync.Mutex // one reload at a time
	compiled map[string]compiledSite
	stamp    store.SiteStamp
	loaded   bool
}

type compiledSite struct {
	version int64
	site    *site.Site
}

// New makes the service; call SyncFileSites and Reload before serving, then Run.
func New(o Options) *Service {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PollEvery <= 0 {
		o.PollEvery = PollEvery
	}
	s := &Service{opts: o, file: append([]*site.Site(nil), o.Registry.All()...), fileID: map[string]bool{}, compiled: map[string]compiledSite{}}
	for _, f := range s.file {
		s.fileID[f.ID] = true
	}
	return s
}

// storeError maps the store's write outcomes to the API's errors.
func storeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return apierr.NotFound()
	case errors.Is(err, store.ErrManagedByFile):
		return apierr.SiteManagedByFile()
	case errors.Is(err, store.ErrVersionMismatch):
		return apierr.PreconditionFailed()
	case errors.Is(err, store.ErrConflict):
		return apierr.SiteExists()
	}
	return err
}

// Precondition is a parsed If-Match header: nil matches any version.
type Precondition func(version int64) bool

// ETag is the entity tag of a site at version.
func ETag(version int64) string { return `"` + itoa(version) + `"` }

// IfMatch parses an If-Match header: nil when absent, else a Precondition that holds for the
// listed strong tags ("*" for any). Weak tags never match (RFC 9110 §13.1.1).
func IfMatch(h http.Header) Precondition {
	values := h.Values("If-Match")
	if len(values) == 0 {
		return nil
	}
	var tags []string
	for _, v := range values {
		for _, t := range splitComma(v) {
			if t == "*" {
				return func(int64) bool { return true }
			}
			tags = append(tags, t)
		}
	}
	return func(version int64) bool {
		want := ETag(version)
		for _, t := range tags {
			if t == want {
				return true
			}
		}
		return false
	}
}
