package storetest

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/chatproxy/chatproxy/internal/store"
)

func runMessages(t *testing.T, open Opener) {
	t.Run("RoundTrip", func(t *testing.T) {
		f := newFixture(t, open)
		sess := f.session()
		_, err := f.s.GetMessage(f.ctx, newID())
		checkNotFound(t, "GetMessage(unknown)", err)

		contents := []string{
			"plain ascii",
			"emoji 👋🏽👨‍👩‍👧 and flags 🇫🇷",
			"日本語のテキスト, العربية, עברית, Ελληνικά",
			"combining: e\u0301 and zero-width\u200djoiner, NUL \x00 inside",
			"",
			strings.Repeat("long ✓ ", 10000),
		}
		for _, content := range contents {
			want := newMessage(sess, store.RoleAssistant, content, "", f.now)
			want.Status = store.StatusPartial
			stored, created, err := f.s.AddMessage(f.ctx, want)
			if err != nil || !created {
				t.Fatalf("AddMessage: created=%v err=%v", created, err)
			}
			got, err := f.s.GetMessage(f.ctx, want.ID)
			if err != nil {
				t.Fatalf("GetMessage: %v", err)
			}
			checkTime(t, "CreatedAt", got.CreatedAt, f.now)
			checkTime(t, "stored CreatedAt", stored.CreatedAt, f.now)
			want.CreatedAt, got.CreatedAt, stored.CreatedAt = f.now, f.now, f.now
			if got != want || stored != want {
				t.Errorf("round trip of %.40q:\n got %+v\nwant %+v", content, got, want)
			}
		}
		dup := newMessage(sess, store.RoleUser, "x", "", f.now)
		dup.ID = f.message(sess, store.RoleUser, "first", "").ID
		if _, _, err := f.s.AddMessage(f.ctx, dup); err == nil {
			t.Error("AddMessage with a duplicate id succeeded")
		}
	})
	t.Run("Idempotent", func(t *testing.T) {
		f := newFixture(t, open)
		sess := f.session()
		first := f.message(sess, store.RoleUser, "hello", "client-1")
		again := newMessage(sess, store.RoleUser, "hello, resent", "client-1", f.now)
		stored, created, err := f.s.AddMessage(f.ctx, again)
		if err != nil || created {
			t.Fatalf("repeat AddMessage: created=%v err=%v; want false, nil", created, err)
		}
		if stored.ID != first.ID || stored.Content != "hello" {
			t.Errorf("repeat AddMessage returned %s %q, want the first row %s %q", stored.ID, stored.Content, first.ID, "hello")
		}
		f.message(f.session(), store.RoleUser, "same client id, other session", "client-1")
		f.message(sess, store.RoleUser, "no client id", "")
		f.message(sess, store.RoleUser, "no client id again", "")
		msgs, err := f.s.ListMessages(f.ctx, sess.ID, store.Page{})
		if err != nil || len(msgs) != 3 {
			t.Fatalf("ListMessages = %d messages, %v; want 3", len(msgs), err)
		}
	})
	t.Run("ConcurrentDuplicates", func(t *testing.T) {
		f := newFixture(t, open)
		sess := f.session()
		const n = 20
		var wg sync.WaitGroup
		ids := make([]string, n)
		created := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				m := newMessage(sess, store.RoleUser, "double click", "client-dup", f.now)
				var stored store.Message
				stored, created[i], errs[i] = f.s.AddMessage(f.ctx, m)
				ids[i] = stored.ID
			})
		}
		wg.Wait()
		createdCount := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("AddMessage #%d: %v", i, errs[i])
			}
			if created[i] {
				createdCount++
			}
			if ids[i] != ids[0] {
				t.Errorf("AddMessage #%d returned id %s, #0 returned %s", i, ids[i], ids[0])
			}
		}
		msgs, err := f.s.ListMessages(f.ctx, sess.ID, store.Page{})
		if createdCount != 1 || err != nil || len(msgs) != 1 {
			t.Errorf("created %d times, %d rows stored (%v); want exactly 1", createdCount, len(msgs), err)
		}
	})
	t.Run("Next", func(t *testing.T) {
		f := newFixture(t, open)
		sess := f.session()
		q1 := f.message(sess, store.RoleUser, "q1", "")
		_, err := f.s.NextMessage(f.ctx, sess.ID, q1.ID, store.RoleAssistant)
		checkNotFound(t, "NextMessage before the answer", err)
		a1 := f.message(sess, store.RoleAssistant, "a1", "")
		q2 := f.message(sess, store.RoleUser, "q2", "")
		f.message(f.session(), store.RoleAssistant, "other session", "")
		a2 := f.message(sess, store.RoleAssistant, "a2", "")
		for _, c := range []struct{ after, want store.Message }{{q1, a1}, {q2, a2}, {a1, a2}} {
			got, err := f.s.NextMessage(f.ctx, sess.ID, c.after.ID, store.RoleAssistant)
			if err != nil || got.ID != c.want.ID || got.Content != c.want.Content {
				t.Errorf("NextMessage(after %s) = %s %q, %v; want %s", c.after.Content, got.ID, got.Content, err, c.want.Content)
			}
		}
		_, err = f.s.NextMessage(f.ctx, sess.ID, a2.ID, store.RoleAssistant)
		checkNotFound(t, "NextMessage after the last", err)
	})
}

func runPagination(t *testing.T, open Opener) {
	f := newFixture(t, open)
	sess := f.session()
	other := f.session()
	var ids []string
	for i := range 7 {
		ids = append(ids, f.message(sess, store.RoleUser, string(rune('a'+i)), "").ID)
		f.message(other, store.RoleUser, "noise", "")
	}
	cases := []struct {
		name string
		page store.Page
		want []string
	}{
		{"newest three", store.Page{Limit: 3}, ids[4:7]},
		{"three before the fifth", store.Page{Before: ids[4], Limit: 3}, ids[1:4]},
		{"fewer than the limit left", store.Page{Before: ids[1], Limit: 3}, ids[0:1]},
		{"nothing before the first", store.Page{Before: ids[0], Limit: 3}, nil},
		{"default limit", store.Page{}, ids},
		{"negative limit means default", store.Page{Limit: -5}, ids},
	}
	for _, c := range cases {
		got, err := f.s.ListMessages(f.ctx, sess.ID, c.page)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if gotIDs := messageIDs(got); strings.Join(gotIDs, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: got %v, want %v", c.name, gotIDs, c.want)
		}
	}
	if got, err := f.s.ListMessages(f.ctx, newID(), store.Page{}); err != nil || len(got) != 0 {
		t.Errorf("ListMessages(unknown session) = %d, %v; want empty", len(got), err)
	}

	big := f.session()
	var bigIDs []string
	for range 205 {
		bigIDs = append(bigIDs, f.message(big, store.RoleUser, "m", "").ID)
	}
	got, err := f.s.ListMessages(f.ctx, big.ID, store.Page{Limit: 1000})
	if err != nil || len(got) != 200 || got[0].ID != bigIDs[5] || got[199].ID != bigIDs[204] {
		t.Errorf("ListMessages(limit 1000) = %d messages, %v; want the newest 200 in order", len(got), err)
	}
	if got, _ := f.s.ListMessages(f.ctx, big.ID, store.Page{}); len(got) != 50 || got[49].ID != bigIDs[204] {
		t.Errorf("ListMessages(default) = %d messages; want the newest 50", len(got))
	}
}

func messageIDs(msgs []store.Message) []string {
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.ID)
	}
	return ids
}

func runSealing(t *testing.T, open Opener) {
	f := newFixture(t, open)
	h := f.hooks()
	sess, victim := f.session(), f.session()
	secret := "my card is 4111 1111 1111 1111"
	a := f.message(sess, store.RoleUser, secret, "")
	b := f.message(sess, store.RoleUser, "harmless", "")

	raw, err := h.RawSealedForTest(f.ctx, "messages", "content_enc", a.ID)
	if err != nil {
		t.Fatalf("RawSealedForTest: %v", err)
	}
	if bytes.Contains(raw, []byte(secret)) || bytes.Contains(raw, []byte("4111")) || sealedVersion(raw) != 1 {
		t.Errorf("raw content column holds %q: not sealed by the cipher", raw)
	}
	if err := h.SetRawSealedForTest(f.ctx, "messages", "content_enc", b.ID, raw); err != nil {
		t.Fatalf("SetRawSealedForTest: %v", err)
	}
	if _, err := f.s.GetMessage(f.ctx, b.ID); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetMessage of a row holding another row's content: err = %v, want an open error", err)
	}
	if _, err := f.s.ListMessages(f.ctx, sess.ID, store.Page{}); err == nil {
		t.Error("ListMessages over a row holding another row's content succeeded")
	}

	for _, column := range []string{"user_agent_enc", "page_url_enc"} {
		raw, err := h.RawSealedForTest(f.ctx, "sessions", column, sess.ID)
		if err != nil {
			t.Fatalf("RawSealedForTest(%s): %v", column, err)
		}
		if bytes.Contains(raw, []byte("Mozilla")) || bytes.Contains(raw, []byte("shop.example")) {
			t.Errorf("raw %s holds %q: not sealed", column, raw)
		}
	}
	raw, _ = h.RawSealedForTest(f.ctx, "sessions", "user_agent_enc", sess.ID)
	if err := h.SetRawSealedForTest(f.ctx, "sessions", "user_agent_enc", victim.ID, raw); err != nil {
		t.Fatalf("SetRawSealedForTest: %v", err)
	}
	if _, err := f.s.GetSession(f.ctx, victim.ID); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSession of a row holding another row's user agent: err = %v, want an open error", err)
	}
	if _, err := f.s.GetSession(f.ctx, sess.ID); err != nil {
		t.Errorf("GetSession of the untouched row: %v", err)
	}
}
