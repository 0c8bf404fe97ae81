package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

func runSchema(t *testing.T, open Opener) {
	t.Run("VersionBeforeAndAfterMigrate", func(t *testing.T) {
		t.Parallel()
		s := open(t, testCipher{version: 1})
		applied, latest, err := s.SchemaVersion(t.Context())
		if err != nil || applied != 0 || latest < 1 {
			t.Fatalf("fresh SchemaVersion = %d, %d, %v; want 0, >=1, nil", applied, latest, err)
		}
		for i := range 2 { // the second run must be a no-op
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatalf("Migrate #%d: %v", i+1, err)
			}
			applied, latest2, err := s.SchemaVersion(t.Context())
			if err != nil || applied != latest || latest2 != latest {
				t.Fatalf("after Migrate #%d: SchemaVersion = %d, %d, %v; want %d, %d", i+1, applied, latest2, err, latest, latest)
			}
		}
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
	t.Run("RefusesNewerSchema", func(t *testing.T) {
		f := newFixture(t, open)
		_, latest, _ := f.s.SchemaVersion(f.ctx)
		if err := f.hooks().SetSchemaVersionForTest(f.ctx, latest+1); err != nil {
			t.Fatalf("SetSchemaVersionForTest: %v", err)
		}
		err := f.s.Migrate(f.ctx)
		if !errors.Is(err, store.ErrSchemaTooNew) {
			t.Fatalf("Migrate on newer schema: err = %v, want ErrSchemaTooNew", err)
		}
		for _, n := range []int{latest, latest + 1} {
			if !strings.Contains(err.Error(), fmt.Sprint(n)) {
				t.Errorf("error %q does not name version %d", err, n)
			}
		}
		if applied, _, err := f.s.SchemaVersion(f.ctx); err != nil || applied != latest+1 {
			t.Errorf("SchemaVersion applied = %d, %v; want %d", applied, err, latest+1)
		}
	})
}

func runSites(t *testing.T, open Opener) {
	t.Run("RoundTripAndUpsert", func(t *testing.T) {
		f := newFixture(t, open)
		_, err := f.s.GetSite(f.ctx, "nope")
		checkNotFound(t, "GetSite(unknown)", err)

		got, err := f.s.GetSite(f.ctx, f.site.ID)
		if err != nil {
			t.Fatalf("GetSite: %v", err)
		}
		if got.Name != f.site.Name || !bytes.Equal(got.Config, f.site.Config) {
			t.Errorf("GetSite = %+v, want %+v", got, f.site)
		}
		checkTime(t, "CreatedAt", got.CreatedAt, f.now)

		later := f.now.Add(time.Hour)
		config := []byte(`{"theme": "light", "greeting": "Grüß dich 👋"}`)
		update := store.Site{ID: f.site.ID, Name: "Renamed", Config: config, CreatedAt: later, UpdatedAt: later}
		if err := f.s.UpsertSite(f.ctx, update); err != nil {
			t.Fatalf("UpsertSite (update): %v", err)
		}
		got, err = f.s.GetSite(f.ctx, f.site.ID)
		if err != nil || got.Name != "Renamed" || !bytes.Equal(got.Config, config) {
			t.Fatalf("after update GetSite = %+v, %v; config must come back byte for byte", got, err)
		}
		checkTime(t, "CreatedAt after update (kept)", got.CreatedAt, f.now)
		checkTime(t, "UpdatedAt after update", got.UpdatedAt, later)
	})
	t.Run("List", func(t *testing.T) {
		f := newFixture(t, open)
		f.addSite("aaa-first")
		f.addSite("zzz-last")
		sites, err := f.s.ListSites(f.ctx)
		if err != nil || len(sites) != 3 {
			t.Fatalf("ListSites = %d sites, %v; want 3", len(sites), err)
		}
		if sites[0].ID != "aaa-first" || sites[1].ID != f.site.ID || sites[2].ID != "zzz-last" {
			t.Errorf("ListSites order = %s, %s, %s; want by id", sites[0].ID, sites[1].ID, sites[2].ID)
		}
	})
}

func runVisitors(t *testing.T, open Opener) {
	f := newFixture(t, open)
	// fresh makes a new visitor and returns what its first touch reported.
	fresh := func(siteID, fingerprint string) (store.Visitor, bool) {
		t.Helper()
		v := store.Visitor{ID: newID(), SiteID: siteID, FingerprintHash: fingerprint, FirstSeen: f.now, LastSeen: f.now}
		returning, err := f.s.TouchVisitor(f.ctx, v)
		if err != nil {
			t.Fatalf("TouchVisitor: %v", err)
		}
		return v, returning
	}
	touch := func(v store.Visitor) bool {
		t.Helper()
		v.LastSeen = v.LastSeen.Add(time.Minute)
		returning, err := f.s.TouchVisitor(f.ctx, v)
		if err != nil {
			t.Fatalf("TouchVisitor: %v", err)
		}
		return returning
	}
	v, returning := fresh(f.site.ID, "fp-a")
	if returning || touch(v) {
		t.Error("visitor with no session yet is returning")
	}
	f.sessionOf(v)
	if !touch(v) {
		t.Error("visitor with an earlier session is not returning")
	}
	if _, returning := fresh(f.site.ID, "fp-a"); !returning {
		t.Error("new visitor sharing a fingerprint with a visitor that had a session is not returning")
	}
	if _, returning := fresh(f.site.ID, "fp-b"); returning {
		t.Error("visitor with another fingerprint is returning")
	}
	f.sessionOf(f.visitor("")) // a visitor without fingerprint that had a session
	if _, returning := fresh(f.site.ID, ""); returning {
		t.Error("empty fingerprints must never match each other")
	}
	otherSite := f.addSite("other-" + f.site.ID)
	if _, returning := fresh(otherSite.ID, "fp-a"); returning {
		t.Error("a fingerprint seen on another site made the visitor returning")
	}
	// A later touch without fingerprint keeps, and matches on, the stored one.
	late, _ := fresh(f.site.ID, "fp-c")
	f.sessionOf(f.visitor("fp-c"))
	late.FingerprintHash = ""
	if !touch(late) {
		t.Error("touch without fingerprint must match on the stored fingerprint")
	}
	moved := store.Visitor{ID: v.ID, SiteID: otherSite.ID, FirstSeen: f.now, LastSeen: f.now}
	if _, err := f.s.TouchVisitor(f.ctx, moved); !errors.Is(err, store.ErrForeignVisitor) {
		t.Errorf("TouchVisitor with the id of another site's visitor: %v; want ErrForeignVisitor", err)
	}
}

func runSessions(t *testing.T, open Opener) {
	t.Run("RoundTrip", func(t *testing.T) {
		f := newFixture(t, open)
		_, err := f.s.GetSession(f.ctx, newID())
		checkNotFound(t, "GetSession(unknown)", err)

		v := f.visitor("")
		want := store.Session{
			ID: newID(), SiteID: f.site.ID, VisitorID: v.ID,
			CreatedAt: f.now, LastSeen: f.now.Add(time.Second), ExpiresAt: f.now.Add(time.Hour),
			IPHash: "ip-hash", UserAgent: "Agent/1.0 (ünïcødé; 日本語) 🚀", PageURL: "https://shop.example/p/ß?q=ü#frag",
			Returning: true,
		}
		if err := f.s.CreateSession(f.ctx, want); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		if err := f.s.CreateSession(f.ctx, want); err == nil {
			t.Error("CreateSession with a duplicate id succeeded")
		}
		got, err := f.s.GetSession(f.ctx, want.ID)
		if err != nil {
			t.Fatalf("GetSession: %v", err)
		}
		checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
		checkTime(t, "LastSeen", got.LastSeen, want.LastSeen)
		checkTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
		got.CreatedAt, got.LastSeen, got.ExpiresAt = want.CreatedAt, want.LastSeen, want.ExpiresAt
		if got != want {
			t.Errorf("GetSession = %+v\nwant %+v", got, want)
		}
	})
	t.Run("Touch", func(t *testing.T) {
		f := newFixture(t, open)
		sess := f.session()
		later := f.now.Add(10 * time.Minute)
		if err := f.s.TouchSession(f.ctx, sess.ID, later); err != nil {
			t.Fatalf("TouchSession: %v", err)
		}
		if err := f.s.TouchSession(f.ctx, sess.ID, f.now); err != nil { // older: must not move back
			t.Fatalf("TouchSession (older): %v", err)
		}
		got, err := f.s.GetSession(f.ctx, sess.ID)
		if err != nil {
			t.Fatalf("GetSession: %v", err)
		}
		checkTime(t, "LastSeen", got.LastSeen, later)
		checkNotFound(t, "TouchSession(unknown)", f.s.TouchSession(f.ctx, newID(), later))
	})
}
