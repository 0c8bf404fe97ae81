package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// runHotPath covers the combined calls of the message path (StartSession, AddUserMessage): they
// must behave exactly like the separate calls they replace.
func runHotPath(t *testing.T, open Opener) {
	t.Run("StartSession", func(t *testing.T) {
		f := newFixture(t, open)
		start := func(v store.Visitor) store.Session {
			t.Helper()
			want := store.Session{
				ID: newID(), SiteID: v.SiteID, CreatedAt: f.now, LastSeen: f.now, ExpiresAt: f.now.Add(time.Hour),
				IPHash: "ip", UserAgent: "Agent/2 ü", PageURL: "https://shop.example/x", Returning: true, // ignored
			}
			got, err := f.s.StartSession(f.ctx, v, want)
			if err != nil {
				t.Fatalf("StartSession: %v", err)
			}
			read, err := f.s.GetSession(f.ctx, want.ID)
			if err != nil {
				t.Fatalf("GetSession after StartSession: %v", err)
			}
			if read.VisitorID != got.VisitorID || read.Returning != got.Returning ||
				read.UserAgent != want.UserAgent || read.PageURL != want.PageURL || read.IPHash != "ip" {
				t.Errorf("stored %+v, returned %+v; want the visitor returned and the fields given", read, got)
			}
			checkTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
			return got
		}
		v := store.Visitor{ID: newID(), SiteID: f.site.ID, FingerprintHash: "fp-hot", FirstSeen: f.now, LastSeen: f.now}
		if first := start(v); first.Returning || first.VisitorID != v.ID {
			t.Errorf("a new visitor's first session: returning=%v visitor=%s; want false, %s", first.Returning, first.VisitorID, v.ID)
		}
		v.LastSeen = f.now.Add(time.Minute)
		if second := start(v); !second.Returning || second.VisitorID != v.ID {
			t.Errorf("the visitor's second session: returning=%v visitor=%s; want true, %s", second.Returning, second.VisitorID, v.ID)
		}
		// A visitor recognised by fingerprint (new browser storage, same device) gets the id
		// it had, not the new one it sent: one visitor, one id.
		twin := store.Visitor{ID: newID(), SiteID: f.site.ID, FingerprintHash: "fp-hot", FirstSeen: f.now, LastSeen: f.now}
		if s := start(twin); !s.Returning || s.VisitorID != v.ID {
			t.Errorf("a new id sharing the fingerprint of a visitor with sessions: returning=%v visitor=%s; want true and the earlier id %s",
				s.Returning, s.VisitorID, v.ID)
		}
		// A known visitor id wins over the fingerprint of another visitor.
		known := store.Visitor{ID: newID(), SiteID: f.site.ID, FingerprintHash: "fp-other", FirstSeen: f.now, LastSeen: f.now}
		start(known)
		known.FingerprintHash = "fp-hot"
		if s := start(known); s.VisitorID != known.ID {
			t.Errorf("a known visitor sending another visitor's fingerprint got visitor %s; want its own %s", s.VisitorID, known.ID)
		}
		// A fingerprint with no earlier session, or seen only on another site, keeps the new id.
		other := f.addSite("other-" + f.site.ID)
		lone := store.Visitor{ID: newID(), SiteID: other.ID, FingerprintHash: "fp-hot", FirstSeen: f.now, LastSeen: f.now}
		if s := start(lone); s.Returning || s.VisitorID != lone.ID {
			t.Errorf("a fingerprint known only on another site: returning=%v visitor=%s; want false, %s", s.Returning, s.VisitorID, lone.ID)
		}
		moved := store.Visitor{ID: v.ID, SiteID: other.ID, FirstSeen: f.now, LastSeen: f.now}
		id := newID()
		_, err := f.s.StartSession(f.ctx, moved, store.Session{ID: id, SiteID: other.ID, CreatedAt: f.now,
			LastSeen: f.now, ExpiresAt: f.now.Add(time.Hour)})
		if !errors.Is(err, store.ErrForeignVisitor) {
			t.Errorf("StartSession with another site's visitor id: %v; want ErrForeignVisitor", err)
		}
		_, err = f.s.GetSession(f.ctx, id)
		checkNotFound(t, "session of a refused StartSession", err)
	})
	t.Run("AddUserMessage", func(t *testing.T) {
		f := newFixture(t, open)
		sess := f.session()
		var ids []string
		for i, text := range []string{"q1", "a1", "q2", "a2", "q3"} {
			role := store.RoleUser
			if i%2 == 1 {
				role = store.RoleAssistant
			}
			ids = append(ids, f.message(sess, role, text, "").ID)
		}
		m := newMessage(sess, store.RoleUser, "q4", "client-q4", f.now)
		stored, created, history, err := f.s.AddUserMessage(f.ctx, m, 3)
		if err != nil || !created {
			t.Fatalf("AddUserMessage: created=%v err=%v", created, err)
		}
		if stored.ID != m.ID || stored.Content != "q4" {
			t.Errorf("stored = %+v", stored)
		}
		if got := messageIDs(history); len(got) != 3 || got[0] != ids[2] || got[2] != ids[4] {
			t.Errorf("history ids = %v; want the 3 newest before the message, oldest first: %v", got, ids[2:])
		} else if history[0].Content != "q2" || history[1].Role != store.RoleAssistant {
			t.Errorf("history contents = %+v", history)
		}
		again := newMessage(sess, store.RoleUser, "q4 resent", "client-q4", f.now)
		stored, created, history, err = f.s.AddUserMessage(f.ctx, again, 3)
		if err != nil || created || history != nil || stored.ID != m.ID || stored.Content != "q4" {
			t.Errorf("repeat: stored=%s %q created=%v history=%d err=%v; want the first row, false, nil",
				stored.ID, stored.Content, created, len(history), err)
		}
		fresh := f.session()
		_, created, history, err = f.s.AddUserMessage(f.ctx, newMessage(fresh, store.RoleUser, "hi", "", f.now), 10)
		if err != nil || !created || len(history) != 0 {
			t.Errorf("first message of a session: created=%v history=%d err=%v", created, len(history), err)
		}
		_, created, history, err = f.s.AddUserMessage(f.ctx, newMessage(sess, store.RoleUser, "no depth", "", f.now), 0)
		if err != nil || !created || history != nil {
			t.Errorf("depth 0: created=%v history=%v err=%v; want no history read", created, history, err)
		}
		orphan := newMessage(store.Session{ID: newID(), SiteID: f.site.ID}, store.RoleUser, "x", "", f.now)
		if _, _, _, err := f.s.AddUserMessage(f.ctx, orphan, 5); err == nil {
			t.Error("AddUserMessage for an unknown session succeeded")
		}
	})
}
