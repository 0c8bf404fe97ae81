package keys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/chatproxy/chatproxy/internal/crypto"
	"github.com/chatproxy/chatproxy/internal/store"
)

// Tables walked by Reencrypt, in order.
const (
	TableMessages = "messages"
	TableSessions = "sessions"
)

// ReencryptOptions tune a re-encryption run.
type ReencryptOptions struct {
	Batch int           // rows per batch; 0 = the store's default (500), capped by the store at 5000
	Pause time.Duration // sleep between batches, to go easy on a busy database
	// ProgressFile, when set, records the position after every batch so an interrupted run
	// resumes there; it is removed when the run completes. "" keeps no file.
	ProgressFile string
	// OnBatch, when set, is called after every batch with the running totals.
	OnBatch func(table string, messages, sessions Counts)
}

// Counts are a table's totals: sealed values checked and rows rewritten.
type Counts struct {
	Checked   int `json:"checked"`
	Rewritten int `json:"rewritten"`
}

// ReencryptReport is what a run did, including the parts done by the runs it resumed.
type ReencryptReport struct {
	Primary  string // the field key every value is now sealed with
	Messages Counts
	Sessions Counts
	Resumed  bool // continued from a progress file
}

// progress is the ProgressFile content. It holds row ids and counts only.
type progress struct {
	Primary  string `json:"primary"`
	Table    string `json:"table"`
	After    string `json:"after"`
	Messages Counts `json:"messages"`
	Sessions Counts `json:"sessions"`
}

// Reencrypt walks messages, then sessions, and reseals every value not sealed with fields'
// primary key under it.
//
// It is resumable twice over. With a ProgressFile it continues after the last finished batch
// (a file written for another primary key is ignored: rows before its position may be under the
// key that has since been replaced). Without one, a rerun starts from the beginning but stays
// cheap: Reseal returns a value already under the primary as it is, without decrypting, and the
// store rewrites nothing for it, so finished rows cost one read. The store rewrites a row only if
// it still holds the bytes that were read, so concurrent runs and live traffic are safe.
func Reencrypt(ctx context.Context, st store.Store, fields *crypto.Keyring, o ReencryptOptions) (ReencryptReport, error) {
	pos, resumed, err := loadProgress(o.ProgressFile, fields.PrimaryKID())
	if err != nil {
		return ReencryptReport{}, err
	}
	report := func() ReencryptReport {
		return ReencryptReport{Primary: pos.Primary, Messages: pos.Messages, Sessions: pos.Sessions, Resumed: resumed}
	}
	walks := []struct {
		table  string
		walk   func(context.Context, string, int, store.ResealFunc) (string, int, error)
		counts *Counts
	}{
		{TableMessages, st.ReencryptMessages, &pos.Messages},
		{TableSessions, st.ReencryptSessions, &pos.Sessions},
	}
	for i, w := range walks {
		if i < tableIndex(pos.Table) {
			continue // finished by an earlier run
		}
		if pos.Table != w.table {
			pos.Table, pos.After = w.table, ""
		}
		if err := walkTable(ctx, fields, o, &pos, w.walk, w.counts); err != nil {
			return report(), fmt.Errorf("keys: reencrypt %s: %w", w.table, err)
		}
	}
	if o.ProgressFile != "" {
		if err := os.Remove(o.ProgressFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return report(), err
		}
	}
	return report(), nil
}

// walkTable runs one table's batches from pos.After to the end, saving progress after each.
func walkTable(ctx context.Context, fields *crypto.Keyring, o ReencryptOptions, pos *progress,
	walk func(context.Context, string, int, store.ResealFunc) (string, int, error), counts *Counts) error {
	reseal := func(old []byte, aad string) ([]byte, bool, error) {
		counts.Checked++ // the store calls reseal from the calling goroutine only
		return fields.Reseal(old, aad)
	}
	for {
		last, n, err := walk(ctx, pos.After, o.Batch, reseal)
		if err != nil {
			return err
		}
		if last == "" {
			return nil
		}
		counts.Rewritten += n
		pos.After = last
		if err := saveProgress(o.ProgressFile, *pos); err != nil {
			return err
		}
		if o.OnBatch != nil {
			o.OnBatch(pos.Table, pos.Messages, pos.Sessions)
		}
		if err := sleep(ctx, o.Pause); err != nil {
			return err
		}
	}
}

func tableIndex(table string) int {
	if table == TableSessions {
		return 1
	}
	return 0
}

// loadProgress reads path; a missing file, or one written for another primary key, starts over.
func loadProgress(path, primary string) (progress, bool, error) {
	fresh := progress{Primary: primary, Table: TableMessages}
	if path == "" {
		return fresh, false, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fresh, false, nil
	}
	if err != nil {
		return fresh, false, fmt.Errorf("keys: progress file: %w", err)
	}
	var p progress
	if err := json.Unmarshal(b, &p); err != nil {
		return fresh, false, fmt.Errorf("keys: progress file %s is damaged (delete it to start over): %w", path, err)
	}
	if p.Primary != primary || (p.Table != TableMessages && p.Table != TableSessions) {
		return fresh, false, nil
	}
	return p, true, nil
}

// saveProgress replaces path atomically, so a crash leaves the old or the new position.
func saveProgress(path string, p progress) error {
	if path == "" {
		return nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("keys: progress file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("keys: progress file: %w", err)
	}
	return nil
}

// ProgressFileFor names the progress file of the database identified by dsn (a DATABASE_URL or
// SQLite path) in dir. The name carries a hash of dsn, never the dsn, which may hold a password.
func ProgressFileFor(dir, dsn string) string {
	return filepath.Join(dir, "reencrypt-"+crypto.HMAC([]byte("chatproxy reencrypt progress"), dsn)[:16]+".json")
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
