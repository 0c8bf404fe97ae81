package analytics_test

import (
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/postgres"
	"github.com/chatproxy/chatproxy/internal/store/sqlite"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
)

// engines opens a migrated SQLite and PostgreSQL store with sites "shop" and "other".
func engines(t *testing.T) map[string]store.Store {
	t.Helper()
	ctx := t.Context()
	lite, err := sqlite.Open(ctx, storetest.NewSQLitePath(t), store.PlainCipher{})
	if err != nil {
		t.Fatal(err)
	}
	pg, err := postgres.Open(ctx, storetest.NewPostgresURL(t), store.PlainCipher{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Store{"sqlite": lite, "postgres": pg}
	for _, s := range out {
		t.Cleanup(func() { _ = s.Close() })
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"shop", "other"} {
			if err := s.UpsertSite(ctx, store.Site{ID: id, Name: id, Config: []byte("{}"), CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}
