// Package console holds the operator console's use cases and roles.
//
// Accounts have argon2id passwords and optional TOTP (RFC 6238); console sessions are random
// cookie ids stored as SHA-256 hashes, with a CSRF token derived from each; API tokens are
// bearer secrets stored as hashes; failed sign-ins back off per account and per client
// address in the shared limiter; a one-time setup token creates the first owner. Roles and
// site scope are answered by the Principal (roles.go). HTTP and audit live elsewhere.
package console

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/ratelimit"
	"github.com/chatproxy/chatproxy/internal/store"
)

// Lifetimes fixed by the issue.
const (
	SessionIdle    = 12 * time.Hour
	SessionMaxAge  = 7 * 24 * time.Hour
	SetupTokenTTL  = time.Hour
	touchEvery     = time.Minute // last_seen / last_used_at are written at most this often
	TokenPrefix    = "cpa_"
	maxTokenName   = 100
	maxEmailLength = 254
)

// Options configure a Service.
type Options struct {
	Store   store.Accounts
	Limiter ratelimit.Limiter // shared with the chat path: Redis across replicas
	// CSRFKey derives each session's CSRF token; every replica needs the same one.
	CSRFKey []byte
	Log     *slog.Logger
	Now     func() time.Time // tests; default time.Now
}

// Service runs the console's use cases.
type Service struct {
	st      store.Accounts
	limiter ratelimit.Limiter
	csrfKey []byte
	log     *slog.Logger
	now     func() time.Time
}

// New builds a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Limiter == nil {
		return nil, errors.New("console: store and limiter are required")
	}
	if len(o.CSRFKey) < 32 {
		return nil, errors.New("console: the CSRF key needs at least 32 bytes")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: o.Store, limiter: o.Limiter, csrfKey: o.CSRFKey, log: o.Log, now: o.Now}, nil
}

func (s *Service) clock() time.Time { return s.now().UTC() }

// newID is a time-ordered UUIDv7.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// randomSecret is 32 random bytes, base64url without padding.
func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is what is stored for a cookie id, API token or setup token.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NormalizeEmail trims and lower-cases an email; it does not validate it.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// checkEmail validates a normalized email: a bare address, no display name.
func checkEmail(email string) error {
	if email == "" || len(email) > maxEmailLength {
		return apierr.InvalidRequest("email must be an email address of at most 254 characters.")
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return apierr.InvalidRequest("email must be a plain email address like ops@example.com.")
	}
	return nil
}

var siteIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// checkSites validates a site scope list (sites need not exist yet: scopes may be set up
// before the site is created).
func checkSites(ids []string) ([]string, error) {
	seen := map[string]bool{}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if !siteIDPattern.MatchString(id) {
			return nil, apierr.InvalidRequest("sites must hold site ids (a-z 0-9 - _), got " + strings.ToValidUTF8(truncate(id, 70), "?") + ".")
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// ParseTTL reads a lifetime like "30d", "12h" or "90m" ("" = none).
func ParseTTL(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		d, err := time.ParseDuration(days + "h")
		if err != nil || d <= 0 {
			return 0, apierr.InvalidRequest("expires must be a lifetime like 30d, 12h or 90m.")
		}
		return d * 24, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, apierr.InvalidRequest("expires must be a lifetime like 30d, 12h or 90m.")
	}
	return d, nil
}
