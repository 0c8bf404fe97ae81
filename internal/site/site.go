// Package site turns the configured sites into ready-to-use runtime objects: parsed origin lists,
// the upstream target with its JWT signer, the compiled blocklist and the public widget config.
package site

import (
	"crypto/sha256"
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
		secret := []byte(g.Secret)
		if g.SecretFile != "" {
			b, err := os.ReadFile(g.SecretFile)
			if err != nil {
				return nil, fmt.Errorf("signing.secret_file: %w", err)
			}
			secret = []byte(strings.TrimSpace(string(b)))
		}
		if len(secret) == 0 {
			secret = defaultSecret
		}
		return upstream.NewHS256Signer(kidOr(g.KID, secretKID(secret)), secret, Issuer, g.TTL.D())
	}
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
