package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// runUploads: an upload row reads back as written and goes with its session.
func runUploads(t *testing.T, open Opener) {
	f := newFixture(t, open)
	sess := f.session()
	u := store.Upload{ID: newID(), SiteID: f.site.ID, SessionID: sess.ID, Type: "image/png", Size: 1234,
		Sealed: []byte{1, 2, 3}, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}
	if err := f.s.AddUpload(f.ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.GetUpload(f.ctx, u.ID)
	if err != nil || got.SessionID != sess.ID || got.Type != u.Type || got.Size != u.Size || !bytes.Equal(got.Sealed, u.Sealed) {
		t.Fatalf("GetUpload = %+v, %v", got, err)
	}
	checkTime(t, "ExpiresAt", got.ExpiresAt, u.ExpiresAt)
	_, err = f.s.GetUpload(f.ctx, newID())
	checkNotFound(t, "GetUpload(unknown)", err)
	if err := f.s.DeleteSession(f.ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.GetUpload(f.ctx, u.ID)
	checkNotFound(t, "GetUpload after DeleteSession", err)
}
