package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/chatproxy/chatproxy/internal/store"
)

const selectN8NBinding = `SELECT id_hash, site_id, session_id, origin, created_at FROM n8n_bindings WHERE id_hash = $1`

// bindN8N inserts a binding, or moves an existing one to the new session when it still names
// the session being replaced ($6); RETURNING gives no row when nothing changed.
const bindN8N = `INSERT INTO n8n_bindings AS b (id_hash, site_id, session_id, origin, created_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (id_hash) DO UPDATE SET session_id = excluded.session_id
WHERE b.session_id = $6 AND $6 <> ''
RETURNING id_hash, site_id, session_id, origin, created_at`

// GetN8NBinding returns ErrNotFound for an unknown hash.
func (s *Store) GetN8NBinding(ctx context.Context, idHash string) (store.N8NBinding, error) {
	b, err := scanN8NBinding(s.pool.QueryRow(ctx, selectN8NBinding, idHash))
	return b, wrapErr("get n8n binding", err)
}

// BindN8NSession stores or moves a binding and returns the one that holds.
func (s *Store) BindN8NSession(ctx context.Context, b store.N8NBinding, replace string) (store.N8NBinding, error) {
	got, err := scanN8NBinding(s.pool.QueryRow(ctx, bindN8N, b.IDHash, b.SiteID, b.SessionID, b.Origin, b.CreatedAt, replace))
	if isNoRows(err) {
		// Bound already and not replaced: the binding that holds is the stored one.
		got, err = scanN8NBinding(s.pool.QueryRow(ctx, selectN8NBinding, b.IDHash))
	}
	return got, wrapErr("bind n8n session", err)
}

func scanN8NBinding(r pgx.Row) (store.N8NBinding, error) {
	var b store.N8NBinding
	if err := r.Scan(&b.IDHash, &b.SiteID, &b.SessionID, &b.Origin, &b.CreatedAt); err != nil {
		return store.N8NBinding{}, err
	}
	b.CreatedAt = utc(b.CreatedAt)
	return b, nil
}
