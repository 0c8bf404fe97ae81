package postgres

import (
	"context"

	"github.com/chatproxy/chatproxy/internal/store"
)

// AddUpload inserts an upload row.
func (s *Store) AddUpload(ctx context.Context, u store.Upload) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO uploads (id, site_id, session_id, type, size, sealed, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, u.ID, u.SiteID, u.SessionID, u.Type, u.Size, u.Sealed, u.CreatedAt, u.ExpiresAt)
	return wrapErr("add upload", err)
}

// GetUpload returns ErrNotFound for an unknown id.
func (s *Store) GetUpload(ctx context.Context, id string) (store.Upload, error) {
	var u store.Upload
	err := s.pool.QueryRow(ctx, `SELECT id, site_id, session_id, type, size, sealed, created_at, expires_at FROM uploads WHERE id = $1`, id).
		Scan(&u.ID, &u.SiteID, &u.SessionID, &u.Type, &u.Size, &u.Sealed, &u.CreatedAt, &u.ExpiresAt)
	if err != nil {
		return store.Upload{}, wrapErr("get upload", err)
	}
	u.CreatedAt, u.ExpiresAt = utc(u.CreatedAt), utc(u.ExpiresAt)
	return u, nil
}
