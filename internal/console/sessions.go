package console

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/netip"
	"strings"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/store"
)

// Client describes where a request comes from (kept with sessions, written to the audit log).
type Client struct {
	IP        netip.Addr
	UserAgent string
}

func (c Client) ipString() string {
	if !c.IP.IsValid() {
		return ""
	}
	return c.IP.String()
}

// SignedIn is the result of a sign-in: the cookie value to set (shown once, never stored)
// and the CSRF token the console sends back in X-CSRF-Token.
type SignedIn struct {
	Account   store.Account
	Cookie    string
	CSRFToken string
}

// startSession makes a new session for a with a fresh random id: an id a browser held before
// sign-in is never promoted (session fixation).
func (s *Service) startSession(ctx context.Context, a store.Account, c Client) (SignedIn, error) {
	now := s.clock()
	raw := randomSecret()
	sess := store.AdminSession{
		IDHash: hashSecret(raw), AccountID: a.ID, TokenVersion: a.TokenVersion,
		CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(SessionMaxAge),
		IP: c.ipString(), UserAgent: truncate(strings.ToValidUTF8(c.UserAgent, ""), 512),
	}
	if err := s.st.CreateAdminSession(ctx, sess); err != nil {
		return SignedIn{}, err
	}
	if _, err := s.st.DeleteExpiredAdminSessions(ctx, now, now.Add(-SessionIdle)); err != nil {
		s.log.Warn("console: sweeping expired sessions failed", "err", err)
	}
	return SignedIn{Account: a, Cookie: raw, CSRFToken: s.csrfFor(raw)}, nil
}

// csrfFor derives the CSRF token of a session from its cookie id: HMAC-SHA256 under the
// server key, so a page without the (HttpOnly) cookie cannot compute it.
func (s *Service) csrfFor(cookie string) string {
	mac := hmac.New(sha256.New, s.csrfKey)
	mac.Write([]byte("chatproxy console csrf|"))
	mac.Write([]byte(cookie))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// CSRFToken returns the session's CSRF token ("" for a token-authenticated principal).
func (p *Principal) CSRFToken() string { return p.csrf }

// CheckCSRF reports whether token is the session's CSRF token (constant time).
func (p *Principal) CheckCSRF(token string) bool {
	return p.csrf != "" && token != "" && subtle.ConstantTimeCompare([]byte(p.csrf), []byte(token)) == 1
}

// AuthenticateCookie resolves a console cookie to its principal. Unknown, idle, expired,
// outdated (password changed, account disabled) sessions answer 401.
func (s *Service) AuthenticateCookie(ctx context.Context, cookie string) (*Principal, error) {
	if cookie == "" || len(cookie) > 128 {
		return nil, apierr.Unauthorized()
	}
	hash := hashSecret(cookie)
	sess, err := s.st.GetAdminSession(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierr.Unauthorized()
	}
	if err != nil {
		return nil, err
	}
	now := s.clock()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeen) > SessionIdle {
		_ = s.st.DeleteAdminSession(ctx, hash)
		return nil, apierr.SessionExpired()
	}
	a, err := s.activeAccount(ctx, sess.AccountID)
	if err != nil {
		return nil, err
	}
	if a.TokenVersion != sess.TokenVersion {
		_ = s.st.DeleteAdminSession(ctx, hash)
		return nil, apierr.SessionExpired()
	}
	if now.Sub(sess.LastSeen) >= touchEvery {
		if err := s.st.TouchAdminSession(ctx, hash, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return &Principal{Account: a, Via: ViaCookie, SessionHash: hash, csrf: s.csrfFor(cookie)}, nil
}

// AuthenticateToken resolves an API token ("cpa_…") to its principal. Unknown, revoked and
// expired tokens, and tokens of disabled accounts, answer 401.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (*Principal, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 128 {
		return nil, apierr.Unauthorized()
	}
	t, err := s.st.GetAPITokenByHash(ctx, hashSecret(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierr.Unauthorized()
	}
	if err != nil {
		return nil, err
	}
	now := s.clock()
	if !t.RevokedAt.IsZero() || (!t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)) {
		return nil, apierr.Unauthorized()
	}
	a, err := s.activeAccount(ctx, t.AccountID)
	if err != nil {
		return nil, err
	}
	if now.Sub(t.LastUsedAt) >= touchEvery {
		if err := s.st.TouchAPIToken(ctx, t.ID, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return &Principal{Account: a, Via: ViaToken, TokenID: t.ID}, nil
}

// activeAccount loads an account that may act: it exists and is not disabled.
func (s *Service) activeAccount(ctx context.Context, id string) (store.Account, error) {
	a, err := s.st.GetAccount(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Account{}, apierr.Unauthorized()
	}
	if err != nil {
		return store.Account{}, err
	}
	if !a.DisabledAt.IsZero() {
		return store.Account{}, apierr.Unauthorized()
	}
	return a, nil
}

// Logout ends the principal's cookie session (a token principal has none to end).
func (s *Service) Logout(ctx context.Context, p *Principal) error {
	if p.SessionHash == "" {
		return nil
	}
	return s.st.DeleteAdminSession(ctx, p.SessionHash)
}
