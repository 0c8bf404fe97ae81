package storetest

import (
	"sync"
	"testing"

	"github.com/chatproxy/chatproxy/internal/store"
)

// runN8NBindings: a widget id binds once (the first of concurrent binds wins), moves to a new
// session only from the session named, keeps its site and origin, and goes with its session.
func runN8NBindings(t *testing.T, open Opener) {
	f := newFixture(t, open)
	first, second, third := f.session(), f.session(), f.session()
	_, err := f.s.GetN8NBinding(f.ctx, "no-such-hash")
	checkNotFound(t, "GetN8NBinding(unknown)", err)

	b := store.N8NBinding{IDHash: "hash-1", SiteID: f.site.ID, SessionID: first.ID, Origin: "https://shop.example", CreatedAt: f.now}
	got, err := f.s.BindN8NSession(f.ctx, b, "")
	if err != nil || got.SessionID != first.ID || got.Origin != b.Origin || got.SiteID != f.site.ID {
		t.Fatalf("BindN8NSession(new) = %+v, %v", got, err)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, f.now)

	// A second bind of the same id (a concurrent first message) gets the first binding.
	again := b
	again.SessionID, again.Origin = second.ID, "https://evil.example"
	if got, err := f.s.BindN8NSession(f.ctx, again, ""); err != nil || got.SessionID != first.ID || got.Origin != b.Origin {
		t.Errorf("BindN8NSession(bound, no replace) = %+v, %v; want the first binding", got, err)
	}
	// Replacing names the wrong session: nothing moves.
	if got, err := f.s.BindN8NSession(f.ctx, again, third.ID); err != nil || got.SessionID != first.ID {
		t.Errorf("BindN8NSession(replace wrong) = %+v, %v; want unchanged", got, err)
	}
	// Replacing the session it names moves it; site and origin stay.
	if got, err := f.s.BindN8NSession(f.ctx, again, first.ID); err != nil || got.SessionID != second.ID || got.Origin != b.Origin {
		t.Errorf("BindN8NSession(replace) = %+v, %v; want session %s, origin kept", got, err, second.ID)
	}
	if got, err := f.s.GetN8NBinding(f.ctx, "hash-1"); err != nil || got.SessionID != second.ID {
		t.Errorf("GetN8NBinding after replace = %+v, %v", got, err)
	}

	// Concurrent first binds of one id: all get the same binding.
	var wg sync.WaitGroup
	results := make([]store.N8NBinding, 8)
	for i := range results {
		sess := f.session()
		wg.Go(func() {
			nb := store.N8NBinding{IDHash: "hash-race", SiteID: f.site.ID, SessionID: sess.ID, Origin: "https://shop.example", CreatedAt: f.now}
			r, err := f.s.BindN8NSession(f.ctx, nb, "")
			if err != nil {
				t.Errorf("concurrent BindN8NSession: %v", err)
			}
			results[i] = r
		})
	}
	wg.Wait()
	for _, r := range results {
		if r.SessionID != results[0].SessionID || r.SessionID == "" {
			t.Fatalf("concurrent binds disagree: %+v", results)
		}
	}

	// Deleting the session deletes its binding.
	if err := f.s.DeleteSession(f.ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.GetN8NBinding(f.ctx, "hash-1")
	checkNotFound(t, "GetN8NBinding after DeleteSession", err)
}
