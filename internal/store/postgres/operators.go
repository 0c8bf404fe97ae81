package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatproxy/chatproxy/internal/store"
)

// CreateAdminSession inserts a console session.
func (s *Store) CreateAdminSession(ctx context.Context, a store.AdminSession) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO admin_sessions (id_hash, account_id, token_version, created_at, last_seen, expires_at, ip, user_agent)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, a.IDHash, a.AccountID, a.TokenVersion, a.CreatedAt, a.LastSeen, a.ExpiresAt, a.IP, a.UserAgent)
	return wrapErr("create admin session", conflict(err))
}

// GetAdminSession returns ErrNotFound for an unknown id hash.
func (s *Store) GetAdminSession(ctx context.Context, idHash string) (store.AdminSession, error) {
	var a store.AdminSession
	err := s.pool.QueryRow(ctx, `SELECT id_hash, account_id, token_version, created_at, last_seen, expires_at, ip, user_agent
FROM admin_sessions WHERE id_hash = $1`, idHash).Scan(&a.IDHash, &a.AccountID, &a.TokenVersion, &a.CreatedAt, &a.LastSeen, &a.ExpiresAt, &a.IP, &a.UserAgent)
	if err != nil {
		return store.AdminSession{}, wrapErr("get admin session", err)
	}
	a.CreatedAt, a.LastSeen, a.ExpiresAt = utc(a.CreatedAt), utc(a.LastSeen), utc(a.ExpiresAt)
	return a, nil
}

// TouchAdminSession moves last_seen forward.
func (s *Store) TouchAdminSession(ctx context.Context, idHash string, lastSeen time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE admin_sessions SET last_seen = GREATEST(last_seen, $2) WHERE id_hash = $1`, idHash, lastSeen)
	if err != nil {
		return wrapErr("touch admin session", err)
	}
	if tag.RowsAffected() == 0 {
		return wrapErr("touch admin session", store.ErrNotFound)
	}
	return nil
}

// DeleteAdminSession removes one session.
func (s *Store) DeleteAdminSession(ctx context.Context, idHash string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM admin_sessions WHERE id_hash = $1`, idHash)
	return wrapErr("delete admin session", err)
}

// DeleteExpiredAdminSessions removes sessions past either expiry.
func (s *Store) DeleteExpiredAdminSessions(ctx context.Context, now, idleBefore time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM admin_sessions WHERE expires_at <= $1 OR last_seen < $2`, now, idleBefore)
	if err != nil {
		return 0, wrapErr("delete expired admin sessions", err)
	}
	return int(tag.RowsAffected()), nil
}

const tokenColumns = `id, account_id, name, token_hash, created_at, expires_at, last_used_at, revoked_at`

// CreateAPIToken inserts t.
func (s *Store) CreateAPIToken(ctx context.Context, t store.APIToken) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO api_tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.ID, t.AccountID, t.Name, t.TokenHash, t.CreatedAt, optTime(t.ExpiresAt), optTime(t.LastUsedAt), optTime(t.RevokedAt))
	return wrapErr("create api token", conflict(err))
}

// GetAPIToken returns ErrNotFound for an unknown id.
func (s *Store) GetAPIToken(ctx context.Context, id string) (store.APIToken, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`, id))
	return t, wrapErr("get api token", err)
}

// GetAPITokenByHash returns ErrNotFound for an unknown hash.
func (s *Store) GetAPITokenByHash(ctx context.Context, hash string) (store.APIToken, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = $1`, hash))
	return t, wrapErr("get api token", err)
}

// ListAPITokens returns an account's tokens ("" = all), newest first.
func (s *Store) ListAPITokens(ctx context.Context, accountID string) ([]store.APIToken, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE $1 = '' OR account_id = $1
ORDER BY created_at DESC, id DESC`, accountID)
	if err != nil {
		return nil, wrapErr("list api tokens", err)
	}
	defer rows.Close()
	var out []store.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, wrapErr("list api tokens", err)
		}
		out = append(out, t)
	}
	return out, wrapErr("list api tokens", rows.Err())
}

// RevokeAPIToken sets revoked_at once.
func (s *Store) RevokeAPIToken(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1`, id, at)
	if err != nil {
		return wrapErr("revoke api token", err)
	}
	if tag.RowsAffected() == 0 {
		return wrapErr("revoke api token", store.ErrNotFound)
	}
	return nil
}

// TouchAPIToken moves last_used_at forward.
func (s *Store) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = GREATEST(last_used_at, $2) WHERE id = $1`, id, at)
	if err != nil {
		return wrapErr("touch api token", err)
	}
	if tag.RowsAffected() == 0 {
		return wrapErr("touch api token", store.ErrNotFound)
	}
	return nil
}

func scanToken(r pgx.Row) (store.APIToken, error) {
	var t store.APIToken
	var expires, used, revoked *time.Time
	if err := r.Scan(&t.ID, &t.AccountID, &t.Name, &t.TokenHash, &t.CreatedAt, &expires, &used, &revoked); err != nil {
		return store.APIToken{}, err
	}
	t.CreatedAt = utc(t.CreatedAt)
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = fromOpt(expires), fromOpt(used), fromOpt(revoked)
	return t, nil
}
