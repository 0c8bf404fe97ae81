package keys

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/crypto"
	"github.com/chatproxy/chatproxy/internal/store"
)

// conversation is what writeRows stored, to read back afterwards.
type conversation struct {
	sessions []store.Session
	messages []store.Message
}

// writeRows stores n sessions with two messages each through st (whose cipher decides the key).
func writeRows(t *testing.T, st store.Store, n int) conversation {
	t.Helper()
	ctx := t.Context()
	now := time.Now().UTC()
	site := store.Site{ID: "shop-" + uuid.NewString()[:8], Name: "Shop", Config: []byte(`{}`), CreatedAt: now, UpdatedAt: now}
	if err := st.UpsertSite(ctx, site); err != nil {
		t.Fatalf("UpsertSite: %v", err)
	}
	var c conversation
	for i := range n {
		v := store.Visitor{ID: uuid.Must(uuid.NewV7()).String(), SiteID: site.ID, FirstSeen: now, LastSeen: now}
		if _, err := st.TouchVisitor(ctx, v); err != nil {
			t.Fatalf("TouchVisitor: %v", err)
		}
		s := store.Session{
			ID: uuid.Must(uuid.NewV7()).String(), SiteID: site.ID, VisitorID: v.ID, CreatedAt: now, LastSeen: now,
			ExpiresAt: now.Add(time.Hour), UserAgent: "Mozilla/5.0 canary-ua", PageURL: "https://shop.example/p/" + uuid.NewString(),
		}
		if err := st.CreateSession(ctx, s); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		c.sessions = append(c.sessions, s)
		for _, role := range []string{store.RoleUser, store.RoleAssistant} {
			m := store.Message{
				ID: uuid.Must(uuid.NewV7()).String(), SessionID: s.ID, SiteID: site.ID, Role: role,
				Content: role + " text " + uuid.NewString(), Status: store.StatusComplete, FirstTokenMS: -1, CreatedAt: now,
			}
			if _, _, err := st.AddMessage(ctx, m); err != nil {
				t.Fatalf("AddMessage #%d: %v", i, err)
			}
			c.messages = append(c.messages, m)
		}
	}
	return c
}

// checkReadable reads every row back through st and compares it with what was written.
func checkReadable(t *testing.T, st store.Store, c conversation) {
	t.Helper()
	for _, want := range c.messages {
		got, err := st.GetMessage(t.Context(), want.ID)
		if err != nil || got.Content != want.Content {
			t.Fatalf("message %s: %q, %v", want.ID, got.Content, err)
		}
	}
	for _, want := range c.sessions {
		got, err := st.GetSession(t.Context(), want.ID)
		if err != nil || got.UserAgent != want.UserAgent || got.PageURL != want.PageURL {
			t.Fatalf("session %s: %q %q, %v", want.ID, got.UserAgent, got.PageURL, err)
		}
	}
}

func TestReencryptMovesRowsToTheNewestKey(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		fk := newFieldKeys("k1", "k2")
		dsn := e.newDSN(t)
		rows := writeRows(t, openStore(t, e, dsn, fk.ring(t, "k1")), 3)
		both := fk.ring(t, "k1", "k2")
		st := openStore(t, e, dsn, both)

		report, err := Reencrypt(t.Context(), st, both, ReencryptOptions{Batch: 2})
		if err != nil {
			t.Fatalf("Reencrypt: %v", err)
		}
		want := ReencryptReport{Primary: "k2", Messages: Counts{Checked: 6, Rewritten: 6}, Sessions: Counts{Checked: 6, Rewritten: 3}}
		if report != want {
			t.Fatalf("report = %+v, want %+v", report, want)
		}
		// Everything opens with k2 alone: nothing is left under k1.
		checkReadable(t, openStore(t, e, dsn, fk.ring(t, "k2")), rows)

		again, err := Reencrypt(t.Context(), st, both, ReencryptOptions{})
		if err != nil {
			t.Fatalf("second Reencrypt: %v", err)
		}
		if again.Messages.Rewritten != 0 || again.Sessions.Rewritten != 0 || again.Messages.Checked != 6 {
			t.Fatalf("second run = %+v, want 6 messages checked and nothing rewritten", again)
		}
	})
}

func TestReencryptResumesFromItsProgressFile(t *testing.T) {
	e := engines()[0]
	fk := newFieldKeys("k1", "k2")
	dsn := e.newDSN(t)
	rows := writeRows(t, openStore(t, e, dsn, fk.ring(t, "k1")), 3)
	both := fk.ring(t, "k1", "k2")
	st := openStore(t, e, dsn, both)
	progress := filepath.Join(t.TempDir(), "progress.json")

	// The first run is stopped (like Ctrl-C) after its first session batch.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stopAfterSessions := func(table string, _, _ Counts) {
		if table == TableSessions {
			cancel()
		}
	}
	first, err := Reencrypt(ctx, st, both, ReencryptOptions{Batch: 1, ProgressFile: progress, OnBatch: stopAfterSessions, Pause: time.Millisecond})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v", err)
	}
	if first.Messages.Rewritten != 6 || first.Sessions.Rewritten != 1 {
		t.Fatalf("interrupted run = %+v, want 6 messages and 1 session rewritten", first)
	}
	if _, err := os.Stat(progress); err != nil {
		t.Fatalf("no progress file after an interrupted run: %v", err)
	}

	second, err := Reencrypt(t.Context(), st, both, ReencryptOptions{Batch: 1, ProgressFile: progress})
	if err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	// It resumed: the totals carry over and the messages were not walked again.
	want := ReencryptReport{Primary: "k2", Resumed: true, Messages: Counts{Checked: 6, Rewritten: 6}, Sessions: Counts{Checked: 6, Rewritten: 3}}
	if second != want {
		t.Fatalf("resumed run = %+v, want %+v", second, want)
	}
	if _, err := os.Stat(progress); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("progress file left after a complete run: %v", err)
	}
	checkReadable(t, openStore(t, e, dsn, fk.ring(t, "k2")), rows)
}

func TestReencryptIgnoresProgressOfAnotherPrimary(t *testing.T) {
	e := engines()[0]
	fk := newFieldKeys("k1", "k2", "k3")
	dsn := e.newDSN(t)
	rows := writeRows(t, openStore(t, e, dsn, fk.ring(t, "k1")), 2)
	progress := filepath.Join(t.TempDir(), "progress.json")
	// A position left by a run towards k2, near the end of the sessions.
	if err := saveProgress(progress, progressAt("k2", TableSessions, rows.sessions[1].ID)); err != nil {
		t.Fatal(err)
	}
	all := fk.ring(t, "k1", "k2", "k3")
	r, err := Reencrypt(t.Context(), openStore(t, e, dsn, all), all, ReencryptOptions{ProgressFile: progress})
	if err != nil {
		t.Fatal(err)
	}
	if r.Resumed || r.Messages.Rewritten != 4 || r.Sessions.Rewritten != 2 {
		t.Fatalf("run towards k3 = %+v, want a full walk from the start", r)
	}
	checkReadable(t, openStore(t, e, dsn, fk.ring(t, "k3")), rows)

	if err := os.WriteFile(progress, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Reencrypt(t.Context(), openStore(t, e, dsn, all), all, ReencryptOptions{ProgressFile: progress}); err == nil {
		t.Fatal("a damaged progress file was silently ignored")
	}
}

func TestReencryptStopsAtAValueUnderAnUnknownKey(t *testing.T) {
	e := engines()[0]
	fk := newFieldKeys("k1", "k2")
	dsn := e.newDSN(t)
	writeRows(t, openStore(t, e, dsn, fk.ring(t, "k1")), 1)
	onlyK2 := fk.ring(t, "k2")
	_, err := Reencrypt(t.Context(), openStore(t, e, dsn, onlyK2), onlyK2, ReencryptOptions{})
	if !errors.Is(err, crypto.ErrUnknownKey) {
		t.Fatalf("err = %v, want ErrUnknownKey", err)
	}
}

func progressAt(primary, table, after string) progress {
	return progress{Primary: primary, Table: table, After: after}
}

func TestProgressFileNameHidesTheDSN(t *testing.T) {
	dsn := "postgres://app:hunter2@db.internal/chatproxy"
	name := ProgressFileFor("/data", dsn)
	if filepath.Dir(name) != "/data" {
		t.Fatalf("ProgressFileFor = %q, want a file in /data", name)
	}
	for _, part := range []string{"hunter2", "db.internal", "app"} {
		if strings.Contains(filepath.Base(name), part) {
			t.Fatalf("progress file name %q reveals %q", name, part)
		}
	}
	if ProgressFileFor("/data", dsn+"2") == name {
		t.Fatal("two databases share a progress file")
	}
}
