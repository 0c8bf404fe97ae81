// Package site turns the configured sites into ready-to-use runtime objects.
//
// Each site gets its parsed origin list, the upstream target with its JWT signer (and the HS256
// key chosen for it), the compiled blocklist and the public widget config.
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

// Registry holds every site by id.
type Registry struct {
	byID  map[string]*Site
	order []*Site
}

// NewRegistry compiles the configured sites. defaultSecret is SESSION_SECRET_KEY.
func NewRegistry(sites []config.Site, defaultSecret []byte) (*Registry, error) {
	r := &Registry{byID: make(map[string]*Site, len(sites))}
	for _, cs := range sites {
		s, err := compile(cs, defaultSecret)
		if err != nil {
			return nil, fmt.Errorf("site %s: %w", cs.ID, err)
		}
		r.byID[s.ID] = s
		r.order = append(r.order, s)
	}
	return r, nil
}

func compile(cs config.Site, defaultSecret []byte) (*Site, error) {
	origins, err := origin.ParseList(cs.AllowedOrigins)
	if err != nil {
		return nil, err
	}
	signer, err := newSigner(cs, defaultSecret)
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
			Signer:  signer,
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
	s, ok := r.byID[id]
	return s, ok
}

// ForOrigin returns the first site that allows the Origin header value.
func (r *Registry) ForOrigin(header string) (*Site, bool) {
	for _, s := range r.order {
		if s.Origins.Allows(header) {
			return s, true
		}
	}
	return nil, false
}

// ForHost returns the first site with an allowed origin on that bare host name (see
// origin.List.AllowsHost).
func (r *Registry) ForHost(hostname string) (*Site, bool) {
	for _, s := range r.order {
		if s.Origins.AllowsHost(hostname) {
			return s, true
		}
	}
	return nil, false
}

// All lists the sites in configuration order.
func (r *Registry) All() []*Site { return r.order }

// SharedKeys lists the groups of sites (ids in configuration order) that sign their n8n
// tokens with the same key: whoever holds one's n8n credential can mint tokens the others'
// n8n accepts. Start-up warns about each group.
func (r *Registry) SharedKeys() [][]string {
	byKey := map[[32]byte][]string{}
	var order [][32]byte
	for _, s := range r.order {
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
	MinFirstMessageDelayMS int           `json:"min_first_message_delay_ms"`
	Widget                 config.Widget `json:"widget"`
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
		ImageHosts: hosts, MinFirstMessageDelayMS: max(cs.Abuse.MinFirstMessageDelayMS, 0), Widget: w,
	}
}
