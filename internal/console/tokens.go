package console

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/store"
)

// MaxTokenTTL bounds an API token's lifetime.
const MaxTokenTTL = 3650 * 24 * time.Hour

// CreateToken makes an API token for the account and returns the token itself, which is
// never stored and cannot be shown again. ttl 0 = no expiry.
func (s *Service) CreateToken(ctx context.Context, accountID, name string, ttl time.Duration) (string, store.APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > maxTokenName || !utf8.ValidString(name) {
		return "", store.APIToken{}, apierr.InvalidRequest("name must be 1-100 characters.")
	}
	if ttl < 0 || ttl > MaxTokenTTL {
		return "", store.APIToken{}, apierr.InvalidRequest("expires must be at most 3650d.")
	}
	if _, err := s.GetAccount(ctx, accountID); err != nil {
		return "", store.APIToken{}, err
	}
	now := s.clock()
	raw := TokenPrefix + randomSecret()
	t := store.APIToken{ID: newID(), AccountID: accountID, Name: name, TokenHash: hashSecret(raw), CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	if err := s.st.CreateAPIToken(ctx, t); err != nil {
		return "", store.APIToken{}, err
	}
	return raw, t, nil
}

// ListTokens returns an account's tokens ("" = every account's), newest first.
func (s *Service) ListTokens(ctx context.Context, accountID string) ([]store.APIToken, error) {
	return s.st.ListAPITokens(ctx, accountID)
}

// GetToken returns 404 not_found for an unknown id.
func (s *Service) GetToken(ctx context.Context, id string) (store.APIToken, error) {
	t, err := s.st.GetAPIToken(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.APIToken{}, apierr.NotFound()
	}
	return t, err
}

// RevokeToken revokes a token at once (on every replica: each request reads the row).
func (s *Service) RevokeToken(ctx context.Context, id string) (store.APIToken, error) {
	if err := s.st.RevokeAPIToken(ctx, id, s.clock()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.APIToken{}, apierr.NotFound()
		}
		return store.APIToken{}, err
	}
	return s.GetToken(ctx, id)
}
