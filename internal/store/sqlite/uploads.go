package sqlite

import (
	"context"

	"github.com/chatproxy/chatproxy/internal/store"
)

// AddUpload inserts an upload row.
func (s *Store) AddUpload(ctx context.Context, u store.Upload) error {
	_, err := s.exec(ctx, `INSERT INTO uploads (id, site_id, session_id, type, size, sealed, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, u.SiteID, u.SessionID, u.Type, u.Size, u.Sealed, toDB(u.CreatedAt), toDB(u.ExpiresAt))
	return wrapErr("add upload", err)
}

// GetUpload returns ErrNotFound for an unknown id.
func (s *Store) GetUpload(ctx context.Context, id string) (store.Upload, error) {
	var u store.Upload
	var created, expires int64
	err := s.queryRow(ctx, `SELECT id, site_id, session_id, type, size, sealed, created_at, expires_at FROM uploads WHERE id = ?`, id).
		Scan(&u.ID, &u.SiteID, &u.SessionID, &u.Type, &u.Size, &u.Sealed, &created, &expires)
	if err != nil {
		return store.Upload{}, wrapErr("get upload", err)
	}
	u.CreatedAt, u.ExpiresAt = fromDB(created), fromDB(expires)
	return u, nil
}
