package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/store"
)

// IDAt returns a random UUIDv7 string whose time is t: rows that look made at t.
func IDAt(t time.Time) string {
	u := uuid.Must(uuid.NewV7())
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		u[i] = byte(ms >> (40 - 8*i))
	}
	return u.String()
}

func runPrivacy(t *testing.T, open Opener) {
	t.Run("VisitorSessionsEventsAndDelete", func(t *testing.T) {
		f := newFixture(t, open)
		other := f.addSite("other-" + f.site.ID)
		v := f.visitor("")
		a, b := f.sessionOf(v), f.sessionOf(v)
		stranger := f.session()
		foreign := f.sessionOf(f.visitorOn(other.ID, ""))
		f.message(a, store.RoleUser, "mine", "")
		keep := f.message(stranger, store.RoleUser, "theirs", "")
		for _, s := range []store.Session{a, b, stranger} {
			if err := f.s.AddEvent(f.ctx, store.Event{ID: newID(), SiteID: f.site.ID, SessionID: s.ID, Type: "chat_opened", CreatedAt: f.now}); err != nil {
				t.Fatal(err)
			}
		}
		// An event naming the visitor but no session (the shop's ChatProxy.track) goes too.
		noRollup := func([]store.Event) store.RollupDelta { return store.RollupDelta{} }
		if _, err := f.s.WriteEvents(f.ctx, []store.Event{{ID: newID(), SiteID: f.site.ID, VisitorID: v.ID, Type: "chat_opened", Data: []byte(`{}`), CreatedAt: f.now}}, noRollup); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.ListVisitorSessions(f.ctx, f.site.ID, v.ID)
		if err != nil || len(got) != 2 || got[0].ID != a.ID || got[1].ID != b.ID || got[0].PageURL != a.PageURL {
			t.Fatalf("ListVisitorSessions = %+v, %v; want a and b, opened", got, err)
		}
		if got, _ := f.s.ListVisitorSessions(f.ctx, other.ID, v.ID); len(got) != 0 {
			t.Errorf("ListVisitorSessions on another site = %d sessions, want 0", len(got))
		}
		if ev, err := f.s.ListSessionEvents(f.ctx, a.ID); err != nil || len(ev) != 1 || ev[0].Type != "chat_opened" {
			t.Errorf("ListSessionEvents = %+v, %v", ev, err)
		}
		if _, err := f.s.DeleteVisitor(f.ctx, other.ID, v.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteVisitor on another site = %v, want ErrNotFound", err)
		}
		n, err := f.s.DeleteVisitor(f.ctx, f.site.ID, v.ID)
		if err != nil || n != 2 {
			t.Fatalf("DeleteVisitor = %d, %v; want 2", n, err)
		}
		for _, s := range []store.Session{a, b} {
			_, err := f.s.GetSession(f.ctx, s.ID)
			checkNotFound(t, "GetSession(erased visitor)", err)
			if ev, _ := f.s.ListSessionEvents(f.ctx, s.ID); len(ev) != 0 {
				t.Errorf("events of an erased session left: %d", len(ev))
			}
		}
		if _, err := f.s.GetMessage(f.ctx, keep.ID); err != nil {
			t.Errorf("another visitor's message: %v", err)
		}
		if _, err := f.s.GetSession(f.ctx, foreign.ID); err != nil {
			t.Errorf("another site's session: %v", err)
		}
		if c, _ := f.s.CountEvents(f.ctx, f.site.ID, "chat_opened"); c != 1 {
			t.Errorf("events left = %d, want the stranger's 1", c)
		}
	})
	t.Run("NoAnalytics", func(t *testing.T) {
		f := newFixture(t, open)
		s := f.session()
		if got, _ := f.s.GetSession(f.ctx, s.ID); got.NoAnalytics {
			t.Fatal("a new session has NoAnalytics")
		}
		if err := f.s.SetSessionNoAnalytics(f.ctx, s.ID, true); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.s.GetSession(f.ctx, s.ID); !got.NoAnalytics {
			t.Error("NoAnalytics not stored")
		}
		checkNotFound(t, "SetSessionNoAnalytics(unknown)", f.s.SetSessionNoAnalytics(f.ctx, newID(), true))
	})
	t.Run("PurgeBatch", func(t *testing.T) { runPurgeBatch(t, open) })
	t.Run("Lease", func(t *testing.T) {
		f := newFixture(t, open)
		ok, err := f.s.AcquireLease(f.ctx, "purge", "a", time.Minute)
		if err != nil || !ok {
			t.Fatalf("first AcquireLease = %v, %v", ok, err)
		}
		if ok, _ := f.s.AcquireLease(f.ctx, "purge", "b", time.Minute); ok {
			t.Error("b took a's running lease")
		}
		if ok, _ := f.s.AcquireLease(f.ctx, "purge", "a", time.Minute); !ok {
			t.Error("a could not renew its lease")
		}
		if ok, _ := f.s.AcquireLease(f.ctx, "other", "b", time.Minute); !ok {
			t.Error("a lease of another name was refused")
		}
		if err := f.s.ReleaseLease(f.ctx, "purge", "b"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := f.s.AcquireLease(f.ctx, "purge", "b", time.Minute); ok {
			t.Error("b released a's lease")
		}
		if err := f.s.ReleaseLease(f.ctx, "purge", "a"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := f.s.AcquireLease(f.ctx, "purge", "b", 50*time.Millisecond); !ok {
			t.Error("b could not take a released lease")
		}
		time.Sleep(100 * time.Millisecond)
		if ok, _ := f.s.AcquireLease(f.ctx, "purge", "a", time.Minute); !ok {
			t.Error("a could not take b's expired lease")
		}
	})
}

func runPurgeBatch(t *testing.T, open Opener) {
	f := newFixture(t, open)
	other := f.addSite("other-" + f.site.ID)
	old := f.now.Add(-48 * time.Hour)
	cutoff := f.now.Add(-24 * time.Hour)
	oldSess, live := f.session(), f.session()
	foreign := f.sessionOf(f.visitorOn(other.ID, ""))
	for _, s := range []store.Session{oldSess, live, foreign} {
		for i := range 5 {
			m := newMessage(s, store.RoleUser, "old", "", old)
			m.ID = IDAt(old.Add(time.Duration(i) * time.Millisecond))
			if _, _, err := f.s.AddMessage(f.ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.s.AddEvent(f.ctx, store.Event{ID: IDAt(old), SiteID: s.SiteID, SessionID: s.ID, Type: "old", CreatedAt: old}); err != nil {
			t.Fatal(err)
		}
	}
	fresh := f.message(live, store.RoleUser, "fresh", "")
	// oldSess was last seen long ago; live is still in use.
	if err := f.s.TouchSession(f.ctx, live.ID, f.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	purge := func(kind string, at time.Time) int {
		t.Helper()
		total := 0
		for {
			n, err := f.s.PurgeBatch(f.ctx, f.site.ID, kind, at, 2)
			if err != nil {
				t.Fatalf("PurgeBatch(%s): %v", kind, err)
			}
			if n > 2 {
				t.Fatalf("PurgeBatch(%s) removed %d rows with limit 2", kind, n)
			}
			if n == 0 {
				return total
			}
			total += n
		}
	}
	if n := purge(store.PurgeMessages, cutoff); n != 10 {
		t.Errorf("messages purged = %d, want the 10 old ones of this site", n)
	}
	if _, err := f.s.GetMessage(f.ctx, fresh.ID); err != nil {
		t.Errorf("fresh message purged: %v", err)
	}
	if msgs, _ := f.s.ListMessages(f.ctx, foreign.ID, store.Page{Limit: 50}); len(msgs) != 5 {
		t.Errorf("another site's messages left = %d, want 5", len(msgs))
	}
	if n := purge(store.PurgeEvents, cutoff); n != 2 {
		t.Errorf("events purged = %d, want 2", n)
	}
	// Sessions last seen before f.now+30m: oldSess only (live was touched to f.now+1h).
	if n := purge(store.PurgeSessions, f.now.Add(30*time.Minute)); n != 1 {
		t.Errorf("sessions purged = %d, want 1", n)
	}
	if _, err := f.s.GetSession(f.ctx, live.ID); err != nil {
		t.Errorf("live session purged: %v", err)
	}
	if n := purge(store.PurgeVisitors, f.now.Add(30*time.Minute)); n != 1 {
		t.Errorf("visitors purged = %d, want oldSess's visitor", n)
	}
	totals, err := f.s.PurgeTotals(f.ctx, f.site.ID)
	if err != nil || totals[store.PurgeMessages] != 10 || totals[store.PurgeEvents] != 2 ||
		totals[store.PurgeSessions] != 1 || totals[store.PurgeVisitors] != 1 {
		t.Errorf("PurgeTotals = %v, %v", totals, err)
	}
	if got, _ := f.s.PurgeTotals(f.ctx, other.ID); len(got) != 0 {
		t.Errorf("another site's purge log = %v, want empty", got)
	}
	if _, err := f.s.PurgeBatch(f.ctx, f.site.ID, "accounts", cutoff, 10); err == nil {
		t.Error("PurgeBatch of an unknown kind succeeded")
	}
}
