package storetest

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

func runSiteRecords(t *testing.T, open Opener) {
	t.Run("CreateGetList", func(t *testing.T) { testSiteRecordCreate(t, newFixture(t, open)) })
	t.Run("UpdateAtVersion", func(t *testing.T) { testSiteRecordUpdate(t, newFixture(t, open)) })
	t.Run("DeleteAtVersionCascades", func(t *testing.T) { testSiteRecordDelete(t, newFixture(t, open)) })
	t.Run("SyncFileSites", func(t *testing.T) { testSyncFileSites(t, newFixture(t, open)) })
	t.Run("StampSeesEveryChange", func(t *testing.T) { testSiteStamp(t, newFixture(t, open)) })
	t.Run("WatchSignalsWrites", func(t *testing.T) { testWatchSites(t, newFixture(t, open)) })
}

func (f *fixture) consoleSite(id string) store.SiteRecord {
	f.t.Helper()
	r, err := f.s.CreateSiteRecord(f.ctx, store.SiteRecord{
		ID: id, Name: "Console " + id, Settings: []byte(`{"id":"` + id + `","history_depth":10}`),
		Public: []byte(`{"site_id":"` + id + `"}`), SecretsEnc: []byte("sealed\x00keys"), CreatedAt: f.now, UpdatedAt: f.now,
	})
	if err != nil {
		f.t.Fatalf("CreateSiteRecord(%s): %v", id, err)
	}
	return r
}

func (f *fixture) stamp() store.SiteStamp {
	f.t.Helper()
	st, err := f.s.SiteStamp(f.ctx)
	if err != nil {
		f.t.Fatalf("SiteStamp: %v", err)
	}
	return st
}

func testSiteRecordCreate(t *testing.T, f *fixture) {
	before := f.stamp()
	r := f.consoleSite("shop")
	if r.ManagedBy != store.ManagedByConsole || r.Version <= before.MaxVersion || r.Disabled ||
		string(r.Settings) != `{"id":"shop","history_depth":10}` || !bytes.Equal(r.SecretsEnc, []byte("sealed\x00keys")) {
		t.Fatalf("created %+v (table's max version before: %d)", r, before.MaxVersion)
	}
	checkTime(t, "CreatedAt", r.CreatedAt, f.now)
	got, err := f.s.GetSiteRecord(f.ctx, "shop")
	if err != nil || got.Version != r.Version || string(got.Public) != `{"site_id":"shop"}` || got.Name != "Console shop" {
		t.Fatalf("GetSiteRecord = %+v, %v", got, err)
	}
	// The fixture's site (UpsertSite) is a file site without settings or secrets.
	file, err := f.s.GetSiteRecord(f.ctx, f.site.ID)
	if err != nil || file.ManagedBy != store.ManagedByFile || file.Settings != nil || file.SecretsEnc != nil || file.Version == 0 {
		t.Fatalf("file site = %+v, %v", file, err)
	}
	for _, id := range []string{"shop", f.site.ID} {
		if _, err := f.s.CreateSiteRecord(f.ctx, store.SiteRecord{ID: id, Name: "again", CreatedAt: f.now, UpdatedAt: f.now}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateSiteRecord(%s) again: %v, want ErrConflict", id, err)
		}
	}
	_, err = f.s.GetSiteRecord(f.ctx, "nope")
	checkNotFound(t, "GetSiteRecord(unknown)", err)
	list, err := f.s.ListSiteRecords(f.ctx)
	if err != nil || len(list) != 2 || !slices.IsSortedFunc(list, func(a, b store.SiteRecord) int { return compareStrings(a.ID, b.ID) }) {
		t.Fatalf("ListSiteRecords = %+v, %v", list, err)
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testSiteRecordUpdate(t *testing.T, f *fixture) {
	r := f.consoleSite("shop")
	other := f.consoleSite("blog")
	upd := r
	upd.Name, upd.Settings, upd.Disabled, upd.SecretsEnc = "Renamed", []byte(`{"id":"shop","history_depth":3}`), true, []byte("new keys")
	upd.UpdatedAt = f.now.Add(time.Minute)
	got, err := f.s.UpdateSiteRecord(f.ctx, upd)
	if err != nil || got.Name != "Renamed" || !got.Disabled || string(got.Settings) != `{"id":"shop","history_depth":3}` ||
		string(got.SecretsEnc) != "new keys" || got.Version <= other.Version {
		t.Fatalf("UpdateSiteRecord = %+v, %v; want the new values and a version above every other (%d)", got, err, other.Version)
	}
	checkTime(t, "UpdatedAt", got.UpdatedAt, upd.UpdatedAt)
	checkTime(t, "CreatedAt kept", got.CreatedAt, f.now)

	stale := upd // still at the old version
	stale.Name = "lost update"
	if _, err := f.s.UpdateSiteRecord(f.ctx, stale); !errors.Is(err, store.ErrVersionMismatch) {
		t.Fatalf("update at a stale version: %v, want ErrVersionMismatch", err)
	}
	if now, _ := f.s.GetSiteRecord(f.ctx, "shop"); now.Name != "Renamed" || now.Version != got.Version {
		t.Fatalf("a refused update changed the row: %+v", now)
	}
	if _, err := f.s.UpdateSiteRecord(f.ctx, store.SiteRecord{ID: "nope", Version: 1}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update unknown: %v", err)
	}
	file, _ := f.s.GetSiteRecord(f.ctx, f.site.ID)
	file.Name = "changed from the console"
	if _, err := f.s.UpdateSiteRecord(f.ctx, file); !errors.Is(err, store.ErrManagedByFile) {
		t.Errorf("update a file site: %v, want ErrManagedByFile", err)
	}
}

func testSiteRecordDelete(t *testing.T, f *fixture) {
	r := f.consoleSite("shop")
	v := f.visitorOn("shop", "")
	sess := f.sessionOf(v)
	f.message(sess, store.RoleUser, "hello", "")
	if err := f.s.DeleteSiteRecord(f.ctx, "shop", r.Version-1); !errors.Is(err, store.ErrVersionMismatch) {
		t.Fatalf("delete at a stale version: %v", err)
	}
	file, _ := f.s.GetSiteRecord(f.ctx, f.site.ID)
	if err := f.s.DeleteSiteRecord(f.ctx, f.site.ID, file.Version); !errors.Is(err, store.ErrManagedByFile) {
		t.Fatalf("delete a file site: %v", err)
	}
	if err := f.s.DeleteSiteRecord(f.ctx, "shop", r.Version); err != nil {
		t.Fatalf("DeleteSiteRecord: %v", err)
	}
	_, err := f.s.GetSiteRecord(f.ctx, "shop")
	checkNotFound(t, "deleted site", err)
	_, err = f.s.GetSession(f.ctx, sess.ID)
	checkNotFound(t, "a deleted site's session", err)
	if err := f.s.DeleteSiteRecord(f.ctx, "shop", r.Version); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete again: %v", err)
	}
}

func testSyncFileSites(t *testing.T, f *fixture) {
	f.consoleSite("taken")
	file := func(id, settings string) store.SiteRecord {
		return store.SiteRecord{ID: id, Name: "File " + id, Settings: []byte(settings), Public: []byte(`{}`), CreatedAt: f.now, UpdatedAt: f.now}
	}
	tookOver, err := f.s.SyncFileSites(f.ctx, []store.SiteRecord{file("a", `{"v":1}`), file("taken", `{"v":1}`)})
	if err != nil || !slices.Equal(tookOver, []string{"taken"}) {
		t.Fatalf("SyncFileSites = %v, %v; want the console site taken over", tookOver, err)
	}
	taken, _ := f.s.GetSiteRecord(f.ctx, "taken")
	if taken.ManagedBy != store.ManagedByFile || taken.SecretsEnc != nil || string(taken.Settings) != `{"v":1}` {
		t.Fatalf("taken over: %+v", taken)
	}
	// The fixture's site is not listed any more: disabled, kept.
	if gone, _ := f.s.GetSiteRecord(f.ctx, f.site.ID); !gone.Disabled {
		t.Fatalf("an unlisted file site stays enabled: %+v", gone)
	}
	before := f.stamp()
	if tookOver, err := f.s.SyncFileSites(f.ctx, []store.SiteRecord{file("a", `{"v":1}`), file("taken", `{"v":1}`)}); err != nil || len(tookOver) != 0 {
		t.Fatalf("SyncFileSites again: %v, %v", tookOver, err)
	}
	if after := f.stamp(); after != before {
		t.Fatalf("an unchanged sync changed the table: %+v -> %+v", before, after)
	}
	a, _ := f.s.GetSiteRecord(f.ctx, "a")
	if _, err := f.s.SyncFileSites(f.ctx, []store.SiteRecord{file("a", `{"v":2}`), file("taken", `{"v":1}`)}); err != nil {
		t.Fatal(err)
	}
	if a2, _ := f.s.GetSiteRecord(f.ctx, "a"); a2.Version <= a.Version || string(a2.Settings) != `{"v":2}` {
		t.Fatalf("changed file site: %+v (was version %d)", a2, a.Version)
	}
}

// testSiteStamp: every kind of write changes the stamp, including a create and a delete
// together (the count is the same, the sum is not).
func testSiteStamp(t *testing.T, f *fixture) {
	s0 := f.stamp()
	r := f.consoleSite("shop")
	s1 := f.stamp()
	if s1 == s0 || s1.Count != s0.Count+1 {
		t.Fatalf("create: %+v -> %+v", s0, s1)
	}
	r.Name = "x"
	r, err := f.s.UpdateSiteRecord(f.ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	s2 := f.stamp()
	if s2 == s1 || s2.Count != s1.Count {
		t.Fatalf("update: %+v -> %+v", s1, s2)
	}
	if err := f.s.DeleteSiteRecord(f.ctx, "shop", r.Version); err != nil {
		t.Fatal(err)
	}
	f.consoleSite("blog")
	if s3 := f.stamp(); s3 == s2 {
		t.Fatalf("delete + create: the stamp did not change (%+v)", s3)
	}
}

func testWatchSites(t *testing.T, f *fixture) {
	ch := f.s.WatchSites(f.ctx)
	drain := time.After(500 * time.Millisecond) // PostgreSQL signals once it listens
	for done := false; !done; {
		select {
		case <-ch:
		case <-drain:
			done = true
		}
	}
	f.consoleSite("shop")
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatal("the watch channel closed")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no signal within 2 s of a site write")
	}
}
