package store

import (
	"context"
	"time"
)

// Upload is a file a visitor uploaded. The object itself is in object storage; the row holds
// what finds and opens it. Sealed holds the file name and the object's data key, sealed by
// the caller (deleting the row leaves the object unreadable).
type Upload struct {
	ID        string
	SiteID    string
	SessionID string
	Type      string // media type, from the content
	Size      int64  // bytes after metadata was removed
	Sealed    []byte
	CreatedAt time.Time
	ExpiresAt time.Time // a message may reference it until then
}

// Uploads stores upload rows; deleting a session deletes its uploads' rows.
type Uploads interface {
	AddUpload(ctx context.Context, u Upload) error
	// GetUpload returns ErrNotFound for an unknown id.
	GetUpload(ctx context.Context, id string) (Upload, error)
}
