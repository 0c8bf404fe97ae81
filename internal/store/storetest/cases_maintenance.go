package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

func runEvents(t *testing.T, open Opener) {
	f := newFixture(t, open)
	other := f.addSite("other-" + f.site.ID)
	sess := f.session()
	events := []store.Event{
		{ID: newID(), SiteID: f.site.ID, SessionID: sess.ID, Type: "chat_opened", Data: []byte(`{"page":"/cart"}`), CreatedAt: f.now},
		{ID: newID(), SiteID: f.site.ID, SessionID: sess.ID, Type: "chat_opened", CreatedAt: f.now},    // nil data
		{ID: newID(), SiteID: f.site.ID, Type: "widget_loaded", Data: []byte(`{}`), CreatedAt: f.now},  // no session
		{ID: newID(), SiteID: f.site.ID, SessionID: newID(), Type: "token_rejected", CreatedAt: f.now}, // unknown session
		{ID: newID(), SiteID: other.ID, Type: "chat_opened", Data: []byte(`{"n":1}`), CreatedAt: f.now},
	}
	for _, e := range events {
		if err := f.s.AddEvent(f.ctx, e); err != nil {
			t.Fatalf("AddEvent(%s): %v", e.Type, err)
		}
	}
	if err := f.s.AddEvent(f.ctx, events[0]); err == nil {
		t.Error("AddEvent with a duplicate id succeeded")
	}
	counts := []struct {
		site, typ string
		want      int
	}{
		{f.site.ID, "chat_opened", 2}, {f.site.ID, "widget_loaded", 1}, {f.site.ID, "token_rejected", 1},
		{other.ID, "chat_opened", 1}, {f.site.ID, "never_seen", 0}, {"no-such-site", "chat_opened", 0},
	}
	for _, c := range counts {
		if n, err := f.s.CountEvents(f.ctx, c.site, c.typ); err != nil || n != c.want {
			t.Errorf("CountEvents(%s, %s) = %d, %v; want %d", c.site, c.typ, n, err, c.want)
		}
	}
}

func runKeyring(t *testing.T, open Opener) {
	f := newFixture(t, open)
	add := func(k store.KeyRecord) {
		t.Helper()
		if err := f.s.AddKey(f.ctx, k); err != nil {
			t.Fatalf("AddKey(%s/%s): %v", k.Purpose, k.KID, err)
		}
	}
	check := func(purpose string, want ...store.KeyRecord) {
		t.Helper()
		got, err := f.s.ListKeys(f.ctx, purpose)
		if err != nil || len(got) != len(want) {
			t.Fatalf("ListKeys(%s) = %d keys, %v; want %d", purpose, len(got), err, len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Purpose != w.Purpose || g.KID != w.KID || !bytes.Equal(g.Material, w.Material) || g.Primary != w.Primary {
				t.Errorf("key %d = %s/%s primary=%v %q; want %s/%s primary=%v %q",
					i, g.Purpose, g.KID, g.Primary, g.Material, w.Purpose, w.KID, w.Primary, w.Material)
			}
			checkTime(t, "CreatedAt of "+w.KID, g.CreatedAt, w.CreatedAt)
			if !g.NotAfter.Equal(w.NotAfter) || (!w.NotAfter.IsZero() && g.NotAfter.Location() != time.UTC) {
				t.Errorf("NotAfter of %s = %v, want %v", w.KID, g.NotAfter, w.NotAfter)
			}
		}
	}
	k1 := store.KeyRecord{Purpose: "fields", KID: "k1", Material: []byte("sealed-1"), CreatedAt: f.now, Primary: true}
	k2 := store.KeyRecord{Purpose: "fields", KID: "k2", Material: []byte("sealed-2"), CreatedAt: f.now.Add(time.Hour)}
	tok := store.KeyRecord{Purpose: "tokens", KID: "t1", Material: []byte("sealed-t"), CreatedAt: f.now, Primary: true}
	add(k1)
	add(k2)
	add(tok)
	check("fields", k1, k2)
	check("nothing")

	// Promoting k2 demotes k1 but leaves the other purpose's primary alone.
	k2.Primary = true
	add(k2)
	k1.Primary = false
	check("fields", k1, k2)
	check("tokens", tok)

	// Re-adding a kid updates NotAfter and Primary only: a kid names one key for ever.
	retired := k1
	retired.Material, retired.CreatedAt = []byte("other material"), f.now.Add(48*time.Hour)
	retired.NotAfter = f.now.Add(24 * time.Hour)
	add(retired)
	k1.NotAfter = retired.NotAfter
	check("fields", k1, k2)
}

// resealTo2 moves testCipher version-1 values to version 2, checking the AAD on the way.
func resealTo2() store.ResealFunc {
	return func(old []byte, aad string) ([]byte, bool, error) {
		if sealedVersion(old) == 2 {
			return old, false, nil
		}
		plain, err := testCipher{}.Open(old, aad)
		if err != nil {
			return nil, false, err
		}
		fresh, err := testCipher{version: 2}.Seal(plain, aad)
		return fresh, true, err
	}
}

func runReencrypt(t *testing.T, open Opener) {
	f := newFixture(t, open)
	sessions := []store.Session{f.session(), f.session(), f.session()}
	var msgs []store.Message
	for i := range 5 {
		msgs = append(msgs, f.message(sessions[i%3], store.RoleUser, "secret "+string(rune('a'+i)), ""))
	}
	walk := func(name string, fn func(after string, limit int, reseal store.ResealFunc) (string, int, error)) (batches, total int) {
		t.Helper()
		after := ""
		for {
			last, n, err := fn(after, 2, resealTo2())
			if err != nil {
				t.Fatalf("%s after %q: %v", name, after, err)
			}
			if last == "" {
				return batches, total
			}
			if last <= after {
				t.Fatalf("%s did not move forward: %q after %q", name, last, after)
			}
			batches, total, after = batches+1, total+n, last
		}
	}
	reMsgs := func(after string, limit int, r store.ResealFunc) (string, int, error) {
		return f.s.ReencryptMessages(f.ctx, after, limit, r)
	}
	reSess := func(after string, limit int, r store.ResealFunc) (string, int, error) {
		return f.s.ReencryptSessions(f.ctx, after, limit, r)
	}
	if batches, n := walk("ReencryptMessages", reMsgs); batches != 3 || n != 5 {
		t.Errorf("message walk: %d batches, %d rewritten; want 3, 5", batches, n)
	}
	if batches, n := walk("ReencryptSessions", reSess); batches != 2 || n != 3 {
		t.Errorf("session walk: %d batches, %d rewritten; want 2, 3", batches, n)
	}
	if _, n := walk("ReencryptMessages again", reMsgs); n != 0 {
		t.Errorf("second message walk rewrote %d rows, want 0", n)
	}
	if _, n := walk("ReencryptSessions again", reSess); n != 0 {
		t.Errorf("second session walk rewrote %d rows, want 0", n)
	}

	h := f.hooks()
	for _, m := range msgs {
		raw, _ := h.RawSealedForTest(f.ctx, "messages", "content_enc", m.ID)
		got, err := f.s.GetMessage(f.ctx, m.ID)
		if sealedVersion(raw) != 2 || err != nil || got.Content != m.Content {
			t.Errorf("message %s after re-encryption: version %d, %q, %v", m.ID, sealedVersion(raw), got.Content, err)
		}
	}
	for _, s := range sessions {
		raw, _ := h.RawSealedForTest(f.ctx, "sessions", "page_url_enc", s.ID)
		got, err := f.s.GetSession(f.ctx, s.ID)
		if sealedVersion(raw) != 2 || err != nil || got.PageURL != s.PageURL || got.UserAgent != s.UserAgent {
			t.Errorf("session %s after re-encryption: version %d, %+v, %v", s.ID, sealedVersion(raw), got, err)
		}
	}

	// Resuming from the middle only visits what follows, and a reseal error stops the walk.
	last, _, err := f.s.ReencryptMessages(f.ctx, msgs[3].ID, 10, resealTo2())
	if err != nil || last != msgs[4].ID {
		t.Errorf("resume after %s: last = %s, %v; want %s", msgs[3].ID, last, err, msgs[4].ID)
	}
	boom := errors.New("boom")
	failing := func([]byte, string) ([]byte, bool, error) { return nil, false, boom }
	if _, _, err := f.s.ReencryptSessions(f.ctx, "", 10, failing); !errors.Is(err, boom) {
		t.Errorf("ReencryptSessions with a failing reseal: err = %v, want boom", err)
	}
}

func runRetention(t *testing.T, open Opener) {
	t.Run("DeleteSessionsBefore", func(t *testing.T) {
		f := newFixture(t, open)
		other := f.addSite("other-" + f.site.ID)
		old, fresh := f.session(), f.session()
		foreignOld := f.sessionOf(f.visitorOn(other.ID, ""))
		oldMsg := f.message(old, store.RoleUser, "old", "")
		freshMsg := f.message(fresh, store.RoleUser, "fresh", "")
		for _, s := range []store.Session{old, fresh, foreignOld} {
			e := store.Event{ID: newID(), SiteID: s.SiteID, SessionID: s.ID, Type: "chat_opened", CreatedAt: f.now}
			if err := f.s.AddEvent(f.ctx, e); err != nil {
				t.Fatalf("AddEvent: %v", err)
			}
		}
		if err := f.s.TouchSession(f.ctx, fresh.ID, f.now.Add(2*time.Hour)); err != nil {
			t.Fatalf("TouchSession: %v", err)
		}
		n, err := f.s.DeleteSessionsBefore(f.ctx, f.site.ID, f.now.Add(time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("DeleteSessionsBefore = %d, %v; want 1", n, err)
		}
		_, err = f.s.GetSession(f.ctx, old.ID)
		checkNotFound(t, "GetSession(deleted)", err)
		_, err = f.s.GetMessage(f.ctx, oldMsg.ID)
		checkNotFound(t, "GetMessage(of deleted session)", err)
		if _, err := f.s.GetMessage(f.ctx, freshMsg.ID); err != nil {
			t.Errorf("message of the kept session: %v", err)
		}
		if _, err := f.s.GetSession(f.ctx, foreignOld.ID); err != nil {
			t.Errorf("old session of another site: %v", err)
		}
		if c, _ := f.s.CountEvents(f.ctx, f.site.ID, "chat_opened"); c != 1 {
			t.Errorf("events left on the site = %d, want 1", c)
		}
		if c, _ := f.s.CountEvents(f.ctx, other.ID, "chat_opened"); c != 1 {
			t.Errorf("events left on the other site = %d, want 1", c)
		}
	})
	t.Run("DeleteSession", func(t *testing.T) {
		f := newFixture(t, open)
		sess, kept := f.session(), f.session()
		m := f.message(sess, store.RoleUser, "bye", "")
		keptMsg := f.message(kept, store.RoleUser, "stay", "")
		e := store.Event{ID: newID(), SiteID: f.site.ID, SessionID: sess.ID, Type: "chat_opened", CreatedAt: f.now}
		if err := f.s.AddEvent(f.ctx, e); err != nil {
			t.Fatalf("AddEvent: %v", err)
		}
		if err := f.s.DeleteSession(f.ctx, sess.ID); err != nil {
			t.Fatalf("DeleteSession: %v", err)
		}
		_, err := f.s.GetMessage(f.ctx, m.ID)
		checkNotFound(t, "GetMessage(of deleted session)", err)
		if c, _ := f.s.CountEvents(f.ctx, f.site.ID, "chat_opened"); c != 0 {
			t.Errorf("events of the deleted session left: %d", c)
		}
		if _, err := f.s.GetMessage(f.ctx, keptMsg.ID); err != nil {
			t.Errorf("message of another session: %v", err)
		}
		checkNotFound(t, "DeleteSession(again)", f.s.DeleteSession(f.ctx, sess.ID))
	})
}
