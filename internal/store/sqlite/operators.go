package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// CreateAdminSession inserts a console session.
func (s *Store) CreateAdminSession(ctx context.Context, a store.AdminSession) error {
	_, err := s.exec(ctx, `INSERT INTO admin_sessions (id_hash, account_id, token_version, created_at, last_seen, expires_at, ip, user_agent)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, a.IDHash, a.AccountID, a.TokenVersion, toDB(a.CreatedAt), toDB(a.LastSeen), toDB(a.ExpiresAt), a.IP, a.UserAgent)
	return wrapErr("create admin session", conflict(err))
}

// GetAdminSession returns ErrNotFound for an unknown id hash.
func (s *Store) GetAdminSession(ctx context.Context, idHash string) (store.AdminSession, error) {
	var a store.AdminSession
	var created, seen, expires int64
	err := s.queryRow(ctx, `SELECT id_hash, account_id, token_version, created_at, last_seen, expires_at, ip, user_agent
FROM admin_sessions WHERE id_hash = ?`, idHash).Scan(&a.IDHash, &a.AccountID, &a.TokenVersion, &created, &seen, &expires, &a.IP, &a.UserAgent)
	if err != nil {
		return store.AdminSession{}, wrapErr("get admin session", err)
	}
	a.CreatedAt, a.LastSeen, a.ExpiresAt = fromDB(created), fromDB(seen), fromDB(expires)
	return a, nil
}

// TouchAdminSession moves last_seen forward.
func (s *Store) TouchAdminSession(ctx context.Context, idHash string, lastSeen time.Time) error {
	res, err := s.exec(ctx, `UPDATE admin_sessions SET last_seen = max(last_seen, ?) WHERE id_hash = ?`, toDB(lastSeen), idHash)
	if err != nil {
		return wrapErr("touch admin session", err)
	}
	return wrapErr("touch admin session", expectRow(res))
}

// DeleteAdminSession removes one session.
func (s *Store) DeleteAdminSession(ctx context.Context, idHash string) error {
	_, err := s.exec(ctx, `DELETE FROM admin_sessions WHERE id_hash = ?`, idHash)
	return wrapErr("delete admin session", err)
}

// DeleteExpiredAdminSessions removes sessions past either expiry.
func (s *Store) DeleteExpiredAdminSessions(ctx context.Context, now, idleBefore time.Time) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM admin_sessions WHERE expires_at <= ? OR last_seen < ?`, toDB(now), toDB(idleBefore))
	if err != nil {
		return 0, wrapErr("delete expired admin sessions", err)
	}
	n, err := res.RowsAffected()
	return int(n), wrapErr("delete expired admin sessions", err)
}

const tokenColumns = `id, account_id, name, token_hash, created_at, expires_at, last_used_at, revoked_at`

// CreateAPIToken inserts t.
func (s *Store) CreateAPIToken(ctx context.Context, t store.APIToken) error {
	_, err := s.exec(ctx, `INSERT INTO api_tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.AccountID, t.Name, t.TokenHash, toDB(t.CreatedAt), nullTime(t.ExpiresAt), nullTime(t.LastUsedAt), nullTime(t.RevokedAt))
	return wrapErr("create api token", conflict(err))
}

// GetAPIToken returns ErrNotFound for an unknown id.
func (s *Store) GetAPIToken(ctx context.Context, id string) (store.APIToken, error) {
	t, err := scanToken(s.queryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = ?`, id))
	return t, wrapErr("get api token", err)
}

// GetAPITokenByHash returns ErrNotFound for an unknown hash.
func (s *Store) GetAPITokenByHash(ctx context.Context, hash string) (store.APIToken, error) {
	t, err := scanToken(s.queryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = ?`, hash))
	return t, wrapErr("get api token", err)
}

// ListAPITokens returns an account's tokens ("" = all), newest first.
func (s *Store) ListAPITokens(ctx context.Context, accountID string) ([]store.APIToken, error) {
	rows, err := s.query(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE ? = '' OR account_id = ?
ORDER BY created_at DESC, id DESC`, accountID, accountID)
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
	res, err := s.exec(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, toDB(at), id)
	if err != nil {
		return wrapErr("revoke api token", err)
	}
	return wrapErr("revoke api token", expectRow(res))
}

// TouchAPIToken moves last_used_at forward.
func (s *Store) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	res, err := s.exec(ctx, `UPDATE api_tokens SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?`, toDB(at), id)
	if err != nil {
		return wrapErr("touch api token", err)
	}
	return wrapErr("touch api token", expectRow(res))
}

func scanToken(r scanner) (store.APIToken, error) {
	var t store.APIToken
	var created int64
	var expires, used, revoked sql.NullInt64
	if err := r.Scan(&t.ID, &t.AccountID, &t.Name, &t.TokenHash, &created, &expires, &used, &revoked); err != nil {
		return store.APIToken{}, err
	}
	t.CreatedAt = fromDB(created)
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = fromNull(expires), fromNull(used), fromNull(revoked)
	return t, nil
}

func fromNull(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromDB(v.Int64)
}
