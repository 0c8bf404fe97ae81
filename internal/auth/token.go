package auth

import (
	"crypto/rand"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token kinds: the same session gets one of each, and each is accepted only where it belongs
// (RFC 8725 §3.12), so a cookie value replayed as a bearer header is refused.
const (
	KindBearer = "bearer"
	KindCookie = "cookie"
)

const (
	tokenType = "chatproxy-session+jwt"
	issuer    = "chatproxy"
	audience  = "chatproxy"
)

// Errors from Verify. Their text never contains the token.
var (
	ErrInvalidToken = errors.New("auth: invalid token")
	ErrExpiredToken = errors.New("auth: token expired")
)

// Claims is what a session token asserts.
type Claims struct {
	SessionID string
	SiteID    string
	Kind      string // KindBearer or KindCookie
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// tokenClaims is the JWT payload. A struct (not MapClaims) keeps decoding typed and cheap.
type tokenClaims struct {
	jwt.RegisteredClaims
	SiteID string `json:"site_id"`
	Kind   string `json:"kind"`
}

// Issue signs c with the active key. Times are kept to whole seconds, as JWT NumericDate does.
func Issue(keys *Keys, c Claims) (string, error) {
	switch {
	case c.SessionID == "" || c.SiteID == "":
		return "", errors.New("auth: token needs a session id and a site id")
	case c.Kind != KindBearer && c.Kind != KindCookie:
		return "", errors.New("auth: token kind must be bearer or cookie")
	case c.IssuedAt.IsZero() || !c.ExpiresAt.After(c.IssuedAt):
		return "", errors.New("auth: token needs an issue time before its expiry")
	}
	key := keys.Active()
	claims := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   c.SessionID,
			Audience:  jwt.ClaimStrings{audience},
			ExpiresAt: jwt.NewNumericDate(c.ExpiresAt),
			IssuedAt:  jwt.NewNumericDate(c.IssuedAt),
			ID:        rand.Text(), // 128+ random bits
		},
		SiteID: c.SiteID,
		Kind:   c.Kind,
	}
	token := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	token.Header["kid"] = key.KID
	token.Header["typ"] = tokenType
	return token.SignedString(key.Secret)
}

// Verify checks token at time now and returns its claims. It accepts only HS256 with a known,
// unretired kid, the session token type, our issuer and audience, an expiry in the future, and
// the kind wantKind. Expired tokens give ErrExpiredToken; everything else ErrInvalidToken.
func Verify(keys *Keys, token, wantKind string, now time.Time) (Claims, error) {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithAudience(audience),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	var tc tokenClaims
	_, err := parser.ParseWithClaims(token, &tc, func(t *jwt.Token) (any, error) {
		return lookupKey(keys, t.Header, now)
	})
	if err != nil {
		return Claims{}, classify(err, &tc, wantKind)
	}
	if tc.Kind != wantKind {
		return Claims{}, invalid("wrong kind")
	}
	if tc.Subject == "" || tc.SiteID == "" || tc.IssuedAt == nil {
		return Claims{}, invalid("missing claims")
	}
	return Claims{
		SessionID: tc.Subject,
		SiteID:    tc.SiteID,
		Kind:      tc.Kind,
		IssuedAt:  tc.IssuedAt.Time,
		ExpiresAt: tc.ExpiresAt.Time,
	}, nil
}

// lookupKey runs after the algorithm check and before the signature check. The kid is only used
// as a map key: a header never chooses where a key comes from (RFC 8725 §3.10).
func lookupKey(keys *Keys, header map[string]any, now time.Time) (any, error) {
	if typ, _ := header["typ"].(string); typ != tokenType {
		return nil, invalid("wrong typ")
	}
	if _, ok := header["crit"]; ok {
		return nil, invalid("crit header") // we understand no extensions (RFC 7515 §4.1.11)
	}
	kid, _ := header["kid"].(string)
	if kid == "" {
		return nil, invalid("missing kid")
	}
	secret, ok := keys.verifyingKey(kid, now)
	if !ok {
		return nil, invalid("unknown or retired kid")
	}
	return secret, nil
}

// classify maps a golang-jwt error to our sentinels with a fixed reason, never the library's text
// (which can quote bytes of the token). A token is "expired" only when its signature was good and
// expiry is its sole fault; the claims were decoded, so the kind can still be checked.
func classify(err error, tc *tokenClaims, wantKind string) error {
	var te *tokenError
	switch {
	case errors.As(err, &te):
		return te
	case errors.Is(err, jwt.ErrTokenMalformed):
		return invalid("malformed")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return invalid("bad signature or algorithm")
	case errors.Is(err, jwt.ErrTokenExpired) && onlyExpired(err) && tc.Kind == wantKind:
		return ErrExpiredToken
	default:
		return invalid("bad claims")
	}
}

func onlyExpired(err error) bool {
	others := []error{
		jwt.ErrTokenInvalidAudience, jwt.ErrTokenInvalidIssuer, jwt.ErrTokenNotValidYet,
		jwt.ErrTokenRequiredClaimMissing, jwt.ErrTokenUnverifiable, jwt.ErrTokenUsedBeforeIssued,
	}
	for _, o := range others {
		if errors.Is(err, o) {
			return false
		}
	}
	return true
}

// tokenError is ErrInvalidToken with a fixed reason for logs.
type tokenError struct{ reason string }

func invalid(reason string) error { return &tokenError{reason: reason} }

func (e *tokenError) Error() string { return ErrInvalidToken.Error() + ": " + e.reason }
func (e *tokenError) Unwrap() error { return ErrInvalidToken }
