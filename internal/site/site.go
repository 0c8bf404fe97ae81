// Package site turns the configured sites into ready-to-use runtime objects.
//
// Each site gets its parsed origin list, the upstream target with its JWT signer (and the HS256
// key chosen for it), the compiled blocklist and the public widget config. The Registry holds
// the current set as an immutable snapshot that Publish swaps atomically, so sites managed in
// the console change without a restart while lookups stay lock- and allocation-free.
package site

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/origin"
	"github.com/chatproxy/chatproxy/internal/textnorm"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

// Issuer is the `iss` claim of every upstream JWT.
const Issuer = "chatproxy"

// Site is one configured site, compiled.
type Site struct {
	config.Site
	Origins   origin.List
	Target    upstream.Target
	Blocklist *textnorm.Blocklist
	// PublicJSON is the body of GET /api/v1/sites/{id}/config and PublicETag its ETag.
	PublicJSON []byte
	PublicETag string
}

// Registry holds every served site by id. Readers see one consistent snapshot per call.
type Registry struct {
	snap atomic.Pointer[snapshot]
}

// snapshot is never changed once published.
type snapshot struct {
	byID  map[string]*Site
	order []*Site
	// exact maps each exact allowed origin, as browsers send it, to the index of the first
	// site listing it; firstWildcard is the index of the first site with a wildcard entry.
	// ForOrigin answers from them without parsing (nor allocating) when no wildcard site
	// comes first.
	exact         map[string]int
	firstWildcard int
}

// NewRegistry compiles the configured sites. defaultSecret is SESSION_SECRET_KEY.
func NewRegistry(sites []config.Site, defaultSecret []byte) (*Registry, error) {
	compiled := make([]*Site, 0, len(sites))
	for _, cs := range sites {
		signer, err := newSigner(cs, defaultSecret)
		if err != nil {
			return nil, fmt.Errorf("site %s: %w", cs.ID, err)
		}
		s, err := compile(cs, Keys{Current: signer})
		if err != nil {
			return nil, fmt.Errorf("site %s: %w", cs.ID, err)
		}
		compiled = append(compiled, s)
	}
	r := &Registry{}
	r.Publish(compiled)
	return r, nil
}

// Keys are the n8n signing keys of a site: Current signs every call. Previous, until
// PreviousUntil, signs one retry of a call n8n refused with 401 or 403, so n8n's credential can
// be switched to a rotated key within the overlap without a failed answer.
type Keys struct {
	Current       *upstream.Signer
	Previous      *upstream.Signer
	PreviousUntil time.Time
}

// CompileManaged compiles a site managed in the console: its webhook URL is untrusted (the
// SSRF rules apply at every call) and its keys come from the caller.
func CompileManaged(cs config.Site, keys Keys) (*Site, error) {
	if keys.Current == nil {
		return nil, fmt.Errorf("site %s: no signing key", cs.ID)
	}
	cs.Trusted = false
	return compile(cs, keys)
}

// Publish makes sites the served set, in that order (ForOrigin picks the first match).
// Lookups already running finish on the set they started with.
func (r *Registry) Publish(sites []*Site) {
	snap := &snapshot{byID: make(map[string]*Site, len(sites)), order: append([]*Site(nil), sites...),
		exact: map[string]int{}, firstWildcard: len(sites)}
	for i, s := range sites {
		snap.byID[s.ID] = s
		for _, p := range s.Origins {
			if p.Wildcard {
				snap.firstWildcard = min(snap.firstWildcard, i)
				continue
			}
			if _, seen := snap.exact[p.String()]; !seen {
				snap.exact[p.String()] = i
			}
		}
	}
	r.snap.Store(snap)
}

func compile(cs config.Site, keys Keys) (*Site, error) {
	origins, err := origin.ParseList(cs.AllowedOrigins)
	if err != nil {
		return nil, err
	}
	blocklist, err := textnorm.CompileBlocklist(cs.Abuse.Blocklist)
	if err != nil {
		return nil, fmt.Errorf("abuse.blocklist: %w", err)
	}
	s := &Site{
		Site:      cs,
		Origins:   origins,
		Blocklist: blocklist,
		Target: upstream.Target{
			SiteID:  cs.ID,
			URL:     cs.WebhookURL,
			Format:  upstream.Format(cs.PayloadFormat),
			Trusted: cs.Trusted,
			Signer:  keys.Current,
			// The previous key is only worth a retry while its overlap lasts.
			Previous:      keys.Previous,
			PreviousUntil: keys.PreviousUntil,
		},
	}
	s.PublicJSON, err = json.Marshal(publicConfig(cs))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(s.PublicJSON)
	s.PublicETag = `"` + hex.EncodeToString(sum[:8]) + `"`
	return s, nil
}

func newSigner(cs config.Site, defaultSecret []byte) (*upstream.Signer, error) {
	g := cs.Signing
	switch g.Algorithm {
	case "ES256":
		pem, err := os.ReadFile(g.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("signing.private_key_file: %w", err)
		}
		key, err := upstream.ParseES256PrivateKeyPEM(pem)
		if err != nil {
			return nil, fmt.Errorf("signing.private_key_file: %w", err)
		}
		return upstream.NewES256Signer(kidOr(g.KID, cs.ID+"-es256"), key, Issuer, g.TTL.D())
	default:
		secret, _, err := UpstreamSecret(cs, defaultSecret)
		if err != nil {
			return nil, err
		}
		return upstream.NewHS256Signer(kidOr(g.KID, secretKID(secret)), secret, Issuer, g.TTL.D())
	}
}

// Where a site's HS256 secret comes from (`chatproxy keys show` prints it).
const (
	SourceSecret     = "signing.secret"
	SourceSecretFile = "signing.secret_file"
	SourceSession    = "SESSION_SECRET_KEY"
	SourceDerived    = "derived from SESSION_SECRET_KEY for this site (HKDF-SHA256)"
)

// UpstreamSecret returns the HS256 secret a site signs its n8n tokens with, and where it comes
// from: the site's own signing.secret_file or signing.secret when set; else, for site
// "default" (the seed's single site, whose n8n credential already holds it),
// SESSION_SECRET_KEY itself; else a secret derived from SESSION_SECRET_KEY for this site
// alone, so whoever holds one site's n8n credential cannot mint tokens another site accepts.
func UpstreamSecret(cs config.Site, sessionSecret []byte) (secret []byte, source string, err error) {
	g := cs.Signing
	switch {
	case g.SecretFile != "":
		b, err := os.ReadFile(g.SecretFile)
		if err != nil {
			return nil, "", fmt.Errorf("signing.secret_file: %w", err)
		}
		return []byte(strings.TrimSpace(string(b))), SourceSecretFile, nil
	case g.Secret != "":
		return []byte(g.Secret), SourceSecret, nil
	case len(sessionSecret) == 0:
		return nil, "", fmt.Errorf("signing: no HS256 secret; set SESSION_SECRET_KEY or signing.secret")
	case cs.ID == config.DefaultSiteID:
		return sessionSecret, SourceSession, nil
	}
	derived, err := DeriveSecret(sessionSecret, cs.ID)
	return derived, SourceDerived, err
}

// DeriveSecret derives a site's HS256 secret from SESSION_SECRET_KEY with HKDF-SHA256 (RFC
// 5869), the site id in the info string. The result is text (43 characters of base64url, 256
// bits) because n8n's JWT Auth credential takes its passphrase as text and uses its bytes.
func DeriveSecret(sessionSecret []byte, siteID string) ([]byte, error) {
	key, err := hkdf.Key(sha256.New, sessionSecret, nil, "chatproxy n8n HS256 v1 site="+siteID, 32)
	if err != nil {
		return nil, fmt.Errorf("derive the n8n secret of site %s: %w", siteID, err)
	}
	return []byte(base64.RawURLEncoding.EncodeToString(key)), nil
}

func kidOr(kid, def string) string {
	if kid != "" {
		return kid
	}
	return def
}

// secretKID derives a stable, non-reversible key id from an HMAC secret.
func secretKID(secret []byte) string {
	sum := sha256.Sum256(append([]byte("kid:"), secret...))
	return hex.EncodeToString(sum[:4])
}

// Get returns the site with that id.
func (r *Registry) Get(id string) (*Site, bool) {
	s, ok := r.snap.Load().byID[id]
	return s, ok
}

// ForOrigin returns the first site that allows the Origin header value.
func (r *Registry) ForOrigin(header string) (*Site, bool) {
	snap := r.snap.Load()
	i, ok := snap.exact[header]
	switch {
	case ok && i < snap.firstWildcard:
		return snap.order[i], true
	case snap.firstWildcard == len(snap.order):
		return nil, false // no wildcard anywhere: the exact entries are the whole answer
	}
	o, err := origin.Parse(header)
	if err != nil || o.String() != header {
		return nil, false
	}
	for _, s := range snap.order {
		if s.Origins.AllowsOrigin(o) {
			return s, true
		}
	}
	return nil, false
}

// ForHost returns the first site with an allowed origin on that bare host name (see
// origin.List.AllowsHost).
func (r *Registry) ForHost(hostname string) (*Site, bool) {
	for _, s := range r.snap.Load().order {
		if s.Origins.AllowsHost(hostname) {
			return s, true
		}
	}
	return nil, false
}

// All lists the sites in order: the configured ones, then the console's by id. The slice
// belongs to the snapshot: do not modify it.
func (r *Registry) All() []*Site { return r.snap.Load().order }

// JWKs are the site's public signing keys (ES256 only): the current one and, during a
// rotation's overlap, the previous one.
func (s *Site) JWKs(now time.Time) []map[string]any {
	var keys []map[string]any
	if jwk, ok := s.Target.Signer.PublicJWK(); ok {
		keys = append(keys, jwk)
	}
	if p := s.Target.Previous; p != nil && now.Before(s.Target.PreviousUntil) {
		if jwk, ok := p.PublicJWK(); ok {
			keys = append(keys, jwk)
		}
	}
	return keys
}

// SharedKeys lists the groups of sites (ids in configuration order) that sign their n8n
// tokens with the same key: whoever holds one's n8n credential can mint tokens the others'
// n8n accepts. Start-up warns about each group.
func (r *Registry) SharedKeys() [][]string {
	byKey := map[[32]byte][]string{}
	var order [][32]byte
	for _, s := range r.All() {
		fp := s.Target.Signer.KeyFingerprint()
		if _, seen := byKey[fp]; !seen {
			order = append(order, fp)
		}
		byKey[fp] = append(byKey[fp], s.ID)
	}
	var groups [][]string
	for _, fp := range order {
		if len(byKey[fp]) > 1 {
			groups = append(groups, byKey[fp])
		}
	}
	return groups
}

type publicSite struct {
	SiteID            string   `json:"site_id"`
	Name              string   `json:"name"`
	AllowedOrigins    []string `json:"allowed_origins"`
	Language          string   `json:"language"`
	MaxMessageLength  int      `json:"max_message_length"`
	AllowRemoteImages bool     `json:"allow_remote_images"`
	ImageHosts        []string `json:"image_hosts"`
	// MinFirstMessageDelayMS lets the widget hold a quick first message until the bot rule
	// (abuse.min_first_message_delay_ms after session creation) would let it through.
	MinFirstMessageDelayMS int          `json:"min_first_message_delay_ms"`
	Widget                 publicWidget `json:"widget"`
	// The widget's privacy behaviour (docs/privacy.md): what to ask before storing anything,
	// where the policy is, and whether to send a fingerprint.
	Consent          string `json:"consent"`
	PrivacyPolicyURL string `json:"privacy_policy_url"`
	Identify         string `json:"identify"`
}

// publicWidget is the widget part of the public config: language, allow_remote_images and
// image_hosts are at the config's top level, so they are left out here.
type publicWidget config.Widget

// MarshalJSON writes the widget's fields without the three the top level carries.
func (w publicWidget) MarshalJSON() ([]byte, error) {
	full, err := json.Marshal(config.Widget(w))
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(full, &fields); err != nil {
		return nil, err
	}
	delete(fields, "language")
	delete(fields, "allow_remote_images")
	delete(fields, "image_hosts")
	return json.Marshal(fields)
}

// publicConfig is the part of a site a browser may see: no secrets, no upstream URL.
func publicConfig(cs config.Site) publicSite {
	w := cs.Widget
	if w.Suggestions == nil {
		w.Suggestions = []string{}
	}
	if w.Texts == nil {
		w.Texts = map[string]string{}
	}
	hosts := cs.Widget.ImageHosts
	if hosts == nil {
		hosts = []string{}
	}
	return publicSite{
		SiteID: cs.ID, Name: cs.Name, AllowedOrigins: cs.AllowedOrigins, Language: cs.Widget.Language,
		MaxMessageLength: cs.Limits.MaxMessageLength, AllowRemoteImages: cs.Widget.AllowRemoteImages,
		ImageHosts: hosts, MinFirstMessageDelayMS: max(cs.Abuse.MinFirstMessageDelayMS, 0), Widget: publicWidget(w),
		Consent: cs.Consent, PrivacyPolicyURL: cs.PrivacyPolicyURL, Identify: cs.Identify,
	}
}
