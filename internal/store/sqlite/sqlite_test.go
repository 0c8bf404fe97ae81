package sqlite

import (
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
)

func open(t *testing.T, path string, c store.Cipher) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, c)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, c store.Cipher) store.Store {
		return open(t, storetest.NewSQLitePath(t), c)
	})
}

func TestPragmas(t *testing.T) {
	s := open(t, storetest.NewSQLitePath(t), store.PlainCipher{})
	want := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "10000"}
	for pool, db := range map[string]*sql.DB{"write": s.write, "read": s.read} {
		for pragma, value := range want {
			var got string
			if err := db.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil || got != value {
				t.Errorf("%s pool: PRAGMA %s = %q, %v; want %q", pool, pragma, got, err, value)
			}
		}
	}
	if _, err := s.read.ExecContext(t.Context(), "CREATE TABLE x (y)"); err == nil {
		t.Error("the reader pool accepted a write")
	}
}

// TestMigrateConcurrently starts three stores on one file at once, like three processes.
func TestMigrateConcurrently(t *testing.T) {
	path := storetest.NewSQLitePath(t)
	stores := []*Store{open(t, path, store.PlainCipher{}), open(t, path, store.PlainCipher{}), open(t, path, store.PlainCipher{})}
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, s := range stores {
		wg.Go(func() { errs[i] = s.Migrate(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate #%d: %v", i, err)
		}
	}
	applied, latest, err := stores[0].SchemaVersion(t.Context())
	if err != nil || applied != latest {
		t.Errorf("SchemaVersion = %d, %d, %v; want equal", applied, latest, err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	_, err := Open(t.Context(), filepath.Join(t.TempDir(), "missing-dir", "x.db"), store.PlainCipher{})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open in a missing directory: err = %v, want ErrUnavailable", err)
	}
	if _, err := Open(t.Context(), "x.db?mode=ro", store.PlainCipher{}); err == nil {
		t.Error("Open accepted a path carrying parameters")
	}
}
