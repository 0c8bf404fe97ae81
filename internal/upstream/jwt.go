package upstream

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// TokenType is the JWT header "typ" of every upstream token (RFC 8725 §3.11: explicit typing, so
// these tokens cannot be confused with session tokens signed elsewhere).
const TokenType = "n8n-webhook+jwt"

const (
	// maxTokenTTL bounds replay: n8n checks exp but keeps no jti list.
	maxTokenTTL     = 60 * time.Second
	minHMACKeyBytes = 32
)

// Signer signs the short-lived JWT that authenticates one upstream call to n8n's Webhook-node
// "JWT Auth". It is safe for concurrent use.
type Signer struct {
	method jwt.SigningMethod
	key    any // []byte for HS256, *ecdsa.PrivateKey for ES256
	kid    string
	issuer string
	ttl    time.Duration
	pub    *ecdsa.PublicKey // nil for HS256
}

// Claims is the payload of an upstream token. n8n hands it to the workflow as $json.jwtPayload, so
// the workflow can check aud, iss and jti itself (n8n checks only the signature and exp).
// There is deliberately no nbf: n8n verifies with zero clock tolerance.
type Claims struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	Audience  string `json:"aud"` // a plain string, not an array: simpler workflow checks
	SiteID    string `json:"site_id"`
	MsgID     string `json:"msg_id"`
	ID        string `json:"jti"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
}

// GetExpirationTime implements jwt.Claims.
func (c Claims) GetExpirationTime() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.ExpiresAt, 0)), nil
}

// GetIssuedAt implements jwt.Claims.
func (c Claims) GetIssuedAt() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.IssuedAt, 0)), nil
}

// GetNotBefore implements jwt.Claims; upstream tokens have no nbf.
func (c Claims) GetNotBefore() (*jwt.NumericDate, error) { return nil, nil }

// GetIssuer implements jwt.Claims.
func (c Claims) GetIssuer() (string, error) { return c.Issuer, nil }

// GetSubject implements jwt.Claims.
func (c Claims) GetSubject() (string, error) { return c.Subject, nil }

// GetAudience implements jwt.Claims.
func (c Claims) GetAudience() (jwt.ClaimStrings, error) { return jwt.ClaimStrings{c.Audience}, nil }

// Audience returns the aud claim for a site.
func Audience(siteID string) string { return "n8n:" + siteID }

// NewHS256Signer returns a signer using a shared secret of at least 32 random bytes
// (RFC 8725 §3.5: never a human-chosen passphrase). ttl is the site's signing.ttl (1–60 s).
func NewHS256Signer(kid string, secret []byte, issuer string, ttl time.Duration) (*Signer, error) {
	if len(secret) < minHMACKeyBytes {
		return nil, fmt.Errorf("HS256 secret must be at least %d bytes", minHMACKeyBytes)
	}
	ttl, err := checkTTL(ttl)
	if err != nil {
		return nil, err
	}
	key := append([]byte(nil), secret...)
	return &Signer{method: jwt.SigningMethodHS256, key: key, kid: kid, issuer: issuer, ttl: ttl}, nil
}

// NewES256Signer returns a signer using a P-256 private key; n8n's credential holds the public key.
// ttl is the site's signing.ttl (1–60 s).
func NewES256Signer(kid string, key *ecdsa.PrivateKey, issuer string, ttl time.Duration) (*Signer, error) {
	if key == nil || key.Curve != elliptic.P256() {
		return nil, errors.New("ES256 needs a P-256 private key")
	}
	ttl, err := checkTTL(ttl)
	if err != nil {
		return nil, err
	}
	return &Signer{method: jwt.SigningMethodES256, key: key, kid: kid, issuer: issuer, ttl: ttl, pub: &key.PublicKey}, nil
}

// ParseES256PrivateKeyPEM reads a P-256 private key in SEC 1 ("EC PRIVATE KEY") or PKCS #8 PEM.
func ParseES256PrivateKeyPEM(pemBytes []byte) (*ecdsa.PrivateKey, error) {
	key, err := jwt.ParseECPrivateKeyFromPEM(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("parse ES256 private key: %w", err)
	}
	if key.Curve != elliptic.P256() {
		return nil, errors.New("parse ES256 private key: not a P-256 key")
	}
	return key, nil
}

func checkTTL(ttl time.Duration) (time.Duration, error) {
	switch {
	case ttl < time.Second:
		return 0, errors.New("token TTL must be at least 1s")
	case ttl > maxTokenTTL:
		return 0, fmt.Errorf("token TTL must be at most %s", maxTokenTTL)
	}
	return ttl, nil
}

// Algorithm returns "HS256" or "ES256".
func (s *Signer) Algorithm() string { return s.method.Alg() }

// KeyID returns the kid put in every token header.
func (s *Signer) KeyID() string { return s.kid }

// KeyFingerprint identifies the signing key without revealing it (SHA-256 of the algorithm and
// the HS256 secret or the ES256 public key), so sites sharing a key can be found.
func (s *Signer) KeyFingerprint() [32]byte {
	material := []byte(s.method.Alg() + ":")
	switch k := s.key.(type) {
	case []byte:
		material = append(material, k...)
	case *ecdsa.PrivateKey:
		if pub, err := k.PublicKey.ECDH(); err == nil {
			material = append(material, pub.Bytes()...)
		}
	}
	return sha256.Sum256(material)
}

// TTL returns the lifetime of the tokens this signer issues.
func (s *Signer) TTL() time.Duration { return s.ttl }

// Sign issues a token for one request. jti is returned so it can be logged instead of the token.
func (s *Signer) Sign(req Request, now time.Time) (token string, jti string, err error) {
	jti = uuid.NewString()
	claims := Claims{
		Issuer:    s.issuer,
		Subject:   req.SessionID,
		Audience:  Audience(req.SiteID),
		SiteID:    req.SiteID,
		MsgID:     req.MessageID,
		ID:        jti,
		IssuedAt:  now.Unix(),
		ExpiresAt: now.Add(s.ttl).Unix(),
	}
	t := jwt.NewWithClaims(s.method, claims)
	t.Header["typ"] = TokenType
	if s.kid != "" {
		t.Header["kid"] = s.kid
	}
	token, err = t.SignedString(s.key)
	if err != nil {
		return "", "", fmt.Errorf("sign upstream token: %w", err)
	}
	return token, jti, nil
}

// PublicJWK returns the public key as a JWK for /.well-known/jwks.json; false for HS256, whose key
// must never be published.
func (s *Signer) PublicJWK() (map[string]any, bool) {
	if s.pub == nil {
		return nil, false
	}
	ecdhKey, err := s.pub.ECDH()
	if err != nil {
		return nil, false
	}
	raw := ecdhKey.Bytes() // 0x04 || X (32 bytes) || Y (32 bytes)
	enc := base64.RawURLEncoding
	return map[string]any{
		"kty": "EC",
		"crv": "P-256",
		"x":   enc.EncodeToString(raw[1:33]),
		"y":   enc.EncodeToString(raw[33:65]),
		"kid": s.kid,
		"alg": "ES256",
		"use": "sig",
	}, true
}
