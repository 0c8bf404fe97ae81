package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// rawExecer runs one statement below the Store API (engines' test hooks).
type rawExecer interface {
	ExecForTest(ctx context.Context, query string) error
}

func runAudit(t *testing.T, open Opener) {
	t.Run("AppendChainsAndLists", func(t *testing.T) { testAuditAppendList(t, newFixture(t, open)) })
	t.Run("Filters", func(t *testing.T) { testAuditFilters(t, newFixture(t, open)) })
	t.Run("Scope", func(t *testing.T) { testAuditScope(t, newFixture(t, open)) })
	t.Run("ConcurrentAppendsStayLinear", func(t *testing.T) { testAuditConcurrent(t, newFixture(t, open)) })
	t.Run("AppendOnly", func(t *testing.T) { testAuditAppendOnly(t, newFixture(t, open)) })
}

// chainHash is a stand-in for package audit's hash: it covers the previous hash and the row.
func chainHash(e store.AuditEntry) string {
	h := sha256.Sum256([]byte(e.PrevHash + "|" + e.ID + "|" + e.Action + "|" + string(e.Diff)))
	return hex.EncodeToString(h[:])
}

func (f *fixture) audit(e store.AuditEntry) store.AuditEntry {
	f.t.Helper()
	if e.ID == "" {
		e.ID = newID()
	}
	if e.At.IsZero() {
		e.At = f.now
	}
	if e.Result == "" {
		e.Result = "ok"
	}
	if e.ActorLabel == "" {
		e.ActorLabel = "someone@example.com"
	}
	got, err := f.s.AppendAudit(f.ctx, e, chainHash)
	if err != nil {
		f.t.Fatalf("AppendAudit: %v", err)
	}
	return got
}

func testAuditAppendList(t *testing.T, f *fixture) {
	first := f.audit(store.AuditEntry{Action: "auth.login", ActorID: "acc-1", ActorIP: "203.0.113.7", RequestID: "r1", Diff: []byte(`{"b":1,"a":"x"}`)})
	second := f.audit(store.AuditEntry{Action: "site.update", SiteID: f.site.ID, TargetType: "site", TargetID: f.site.ID})
	if first.PrevHash != "" || first.Hash != chainHash(first) || first.Seq <= 0 {
		t.Fatalf("first entry: prev %q hash %q seq %d", first.PrevHash, first.Hash, first.Seq)
	}
	if second.PrevHash != first.Hash || second.Seq <= first.Seq {
		t.Fatalf("second entry does not chain to the first: prev %q, want %q; seq %d after %d", second.PrevHash, first.Hash, second.Seq, first.Seq)
	}
	list, err := f.s.ListAudit(f.ctx, store.AuditFilter{})
	if err != nil || len(list) != 2 || list[0].ID != second.ID {
		t.Fatalf("ListAudit = %d entries, %v (want 2, newest first)", len(list), err)
	}
	got := list[1]
	if got.ActorID != "acc-1" || got.ActorIP != "203.0.113.7" || got.RequestID != "r1" || got.SiteID != "" ||
		string(got.Diff) != `{"b":1,"a":"x"}` || got.Hash != first.Hash || got.ActorLabel != first.ActorLabel {
		t.Fatalf("entry read back as %+v (the diff's bytes must come back as written)", got)
	}
	checkTime(t, "At", got.At, f.now)
	chain, err := f.s.AuditChain(f.ctx, 0, 10)
	if err != nil || len(chain) != 2 || chain[0].ID != first.ID {
		t.Fatalf("AuditChain = %d, %v", len(chain), err)
	}
	if rest, _ := f.s.AuditChain(f.ctx, chain[0].Seq, 10); len(rest) != 1 || rest[0].ID != second.ID {
		t.Fatalf("AuditChain after the first = %+v", rest)
	}
}

func testAuditFilters(t *testing.T, f *fixture) {
	var ids []string
	for i := range 7 {
		e := store.AuditEntry{Action: "auth.login", ActorID: "a", At: f.now.Add(time.Duration(i) * time.Minute)}
		if i%2 == 1 {
			e.Action, e.Result, e.SiteID, e.TargetType, e.TargetID = "site.update", "denied", "shop", "site", "shop"
		}
		ids = append(ids, f.audit(e).ID)
	}
	check := func(what string, filter store.AuditFilter, want ...string) {
		t.Helper()
		got, err := f.s.ListAudit(f.ctx, filter)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d entries, want %d", what, len(got), len(want))
		}
		for i := range want {
			if got[i].ID != want[i] {
				t.Fatalf("%s: entry %d is %s, want %s", what, i, got[i].ID, want[i])
			}
		}
	}
	check("action", store.AuditFilter{Action: "site.update"}, ids[5], ids[3], ids[1])
	check("result+site", store.AuditFilter{Result: "denied", SiteID: "shop", TargetType: "site", TargetID: "shop", ActorID: "a"}, ids[5], ids[3], ids[1])
	check("time range", store.AuditFilter{From: f.now.Add(2 * time.Minute), To: f.now.Add(4 * time.Minute)}, ids[3], ids[2])
	check("page 1", store.AuditFilter{Limit: 3}, ids[6], ids[5], ids[4])
	check("page 2", store.AuditFilter{Limit: 3, Before: ids[4]}, ids[3], ids[2], ids[1])
	check("page 3", store.AuditFilter{Limit: 3, Before: ids[1]}, ids[0])
}

func testAuditScope(t *testing.T, f *fixture) {
	shop := f.audit(store.AuditEntry{Action: "site.update", SiteID: "shop"})
	blog := f.audit(store.AuditEntry{Action: "site.update", SiteID: "blog"})
	own := f.audit(store.AuditEntry{Action: "auth.login", ActorID: "me"})
	other := f.audit(store.AuditEntry{Action: "auth.login", ActorID: "someone-else"})
	_ = other
	cases := []struct {
		scope store.AuditScope
		want  []string
	}{
		{store.AuditScope{SiteIDs: []string{"shop"}, ScopeActor: "me"}, []string{own.ID, shop.ID}},
		{store.AuditScope{SiteIDs: []string{}, ScopeActor: "me"}, []string{own.ID}},
		{store.AuditScope{AnySite: true, ScopeActor: "me"}, []string{own.ID, blog.ID, shop.ID}},
	}
	for i, c := range cases {
		got, err := f.s.ListAudit(f.ctx, store.AuditFilter{Scope: &c.scope})
		if err != nil || len(got) != len(c.want) {
			t.Fatalf("scope %d: %d entries, %v; want %d", i, len(got), err, len(c.want))
		}
		for j := range got {
			if got[j].ID != c.want[j] {
				t.Fatalf("scope %d: entry %d = %s (%s), want %s", i, j, got[j].ID, got[j].Action, c.want[j])
			}
		}
	}
}

// testAuditConcurrent: appends from many goroutines (and, on PostgreSQL, connections) still
// form one chain with no fork.
func testAuditConcurrent(t *testing.T, f *fixture) {
	const n = 24
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := f.s.AppendAudit(f.ctx, store.AuditEntry{ID: newID(), At: f.now, ActorLabel: "x", Action: "auth.login", Result: "ok"}, chainHash); err != nil {
				t.Errorf("AppendAudit: %v", err)
			}
		})
	}
	wg.Wait()
	chain, err := f.s.AuditChain(f.ctx, 0, 100)
	if err != nil || len(chain) != n {
		t.Fatalf("AuditChain = %d entries, %v; want %d", len(chain), err, n)
	}
	prev := ""
	for i, e := range chain {
		if e.PrevHash != prev || e.Hash != chainHash(e) {
			t.Fatalf("entry %d breaks the chain: prev %q, want %q", i, e.PrevHash, prev)
		}
		prev = e.Hash
	}
}

func testAuditAppendOnly(t *testing.T, f *fixture) {
	e := f.audit(store.AuditEntry{Action: "account.create", Diff: []byte(`{"role":"viewer"}`)})
	raw, ok := f.s.(rawExecer)
	if !ok {
		t.Fatalf("%T has no ExecForTest hook", f.s)
	}
	for _, q := range []string{
		`UPDATE audit_log SET action = 'auth.login'`,
		`UPDATE audit_log SET diff = '{}' WHERE id = '` + e.ID + `'`,
		`DELETE FROM audit_log`,
		`DELETE FROM audit_log WHERE id = '` + e.ID + `'`,
	} {
		if err := raw.ExecForTest(f.ctx, q); err == nil {
			t.Errorf("%s was allowed on the audit log", q)
		}
	}
	list, err := f.s.ListAudit(f.ctx, store.AuditFilter{})
	if err != nil || len(list) != 1 || list[0].Action != "account.create" || string(list[0].Diff) != `{"role":"viewer"}` {
		t.Fatalf("after the refused statements: %+v, %v", list, err)
	}
}
