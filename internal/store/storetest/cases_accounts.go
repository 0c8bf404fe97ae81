package storetest

import (
	"bytes"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

func runAccounts(t *testing.T, open Opener) {
	t.Run("CreateGetListUpdate", func(t *testing.T) { testAccountCRUD(t, newFixture(t, open)) })
	t.Run("EmailConflict", func(t *testing.T) { testAccountConflict(t, newFixture(t, open)) })
	t.Run("TOTPSealedAndStepsOnce", func(t *testing.T) { testAccountTOTP(t, newFixture(t, open)) })
	t.Run("AdminSessions", func(t *testing.T) { testAdminSessions(t, newFixture(t, open)) })
	t.Run("APITokens", func(t *testing.T) { testAPITokens(t, newFixture(t, open)) })
	t.Run("FirstAccountWithSetupToken", func(t *testing.T) { testFirstAccount(t, newFixture(t, open)) })
	t.Run("FirstAccountRace", func(t *testing.T) { testFirstAccountRace(t, newFixture(t, open)) })
}

func (f *fixture) account(email, role string, sites ...string) store.Account {
	f.t.Helper()
	a := store.Account{
		ID: newID(), Email: email, PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", Role: role,
		Sites: sites, AllSites: sites == nil, TokenVersion: 1, CreatedAt: f.now, UpdatedAt: f.now,
	}
	if err := f.s.CreateAccount(f.ctx, a); err != nil {
		f.t.Fatalf("CreateAccount(%s): %v", email, err)
	}
	return a
}

func testAccountCRUD(t *testing.T, f *fixture) {
	if n, err := f.s.CountAccounts(f.ctx); err != nil || n != 0 {
		t.Fatalf("CountAccounts on a fresh store = %d, %v", n, err)
	}
	owner := f.account("owner@example.com", "owner")
	viewer := f.account("viewer@example.com", "viewer", "shop", "blog")
	none := f.account("none@example.com", "admin", []string{}...)
	got, err := f.s.GetAccount(f.ctx, viewer.ID)
	if err != nil || got.Email != viewer.Email || got.AllSites || !reflect.DeepEqual(got.Sites, []string{"shop", "blog"}) || got.TokenVersion != 1 {
		t.Fatalf("GetAccount(viewer) = %+v, %v", got, err)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, f.now)
	if got, err := f.s.GetAccount(f.ctx, owner.ID); err != nil || !got.AllSites || got.Sites != nil {
		t.Fatalf("owner with all sites = %+v, %v", got, err)
	}
	if got, err := f.s.GetAccountByEmail(f.ctx, none.Email); err != nil || got.AllSites || len(got.Sites) != 0 {
		t.Fatalf("an account with an empty site list came back as %+v, %v (empty must not mean all)", got, err)
	}
	_, err = f.s.GetAccountByEmail(f.ctx, "nobody@example.com")
	checkNotFound(t, "GetAccountByEmail(unknown)", err)
	list, err := f.s.ListAccounts(f.ctx)
	if err != nil || len(list) != 3 || list[0].Email != "none@example.com" || list[2].Email != "viewer@example.com" {
		t.Fatalf("ListAccounts = %d accounts, %v (want 3 ordered by email)", len(list), err)
	}
	later := f.now.Add(time.Hour)
	viewer.Role, viewer.AllSites, viewer.Sites, viewer.DisabledAt, viewer.TokenVersion, viewer.UpdatedAt = "admin", true, nil, later, 2, later
	if err := f.s.UpdateAccount(f.ctx, viewer); err != nil {
		t.Fatal(err)
	}
	got, _ = f.s.GetAccount(f.ctx, viewer.ID)
	if got.Role != "admin" || !got.AllSites || got.TokenVersion != 2 {
		t.Fatalf("after UpdateAccount: %+v", got)
	}
	checkTime(t, "DisabledAt", got.DisabledAt, later)
	checkTime(t, "UpdatedAt", got.UpdatedAt, later)
	checkTime(t, "CreatedAt kept", got.CreatedAt, f.now)
	checkNotFound(t, "UpdateAccount(unknown)", f.s.UpdateAccount(f.ctx, store.Account{ID: newID(), Email: "x@example.com", Role: "viewer", CreatedAt: f.now, UpdatedAt: f.now}))
	if n, err := f.s.CountAccounts(f.ctx); err != nil || n != 3 {
		t.Fatalf("CountAccounts = %d, %v; want 3", n, err)
	}
}

func testAccountConflict(t *testing.T, f *fixture) {
	a := f.account("a@example.com", "owner")
	b := f.account("b@example.com", "viewer")
	dup := a
	dup.ID = newID()
	if err := f.s.CreateAccount(f.ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CreateAccount with a taken email: %v, want ErrConflict", err)
	}
	b.Email = a.Email
	if err := f.s.UpdateAccount(f.ctx, b); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("UpdateAccount to a taken email: %v, want ErrConflict", err)
	}
}

func testAccountTOTP(t *testing.T, f *fixture) {
	a := f.account("totp@example.com", "admin")
	secret := []byte("12345678901234567890")
	a.TOTPSecret, a.TOTPEnabled = secret, true
	if err := f.s.UpdateAccount(f.ctx, a); err != nil {
		t.Fatal(err)
	}
	raw, err := f.hooks().RawSealedForTest(f.ctx, "accounts", "totp_secret_enc", a.ID)
	if err != nil || len(raw) == 0 || bytes.Contains(raw, secret) {
		t.Fatalf("stored TOTP secret %q, %v: not sealed", raw, err)
	}
	got, err := f.s.GetAccount(f.ctx, a.ID)
	if err != nil || !bytes.Equal(got.TOTPSecret, secret) || !got.TOTPEnabled {
		t.Fatalf("TOTP secret read back as %q enabled=%v, %v", got.TOTPSecret, got.TOTPEnabled, err)
	}
	for i, c := range []struct {
		step int64
		ok   bool
	}{{100, true}, {100, false}, {99, false}, {101, true}} {
		ok, err := f.s.UseTOTPStep(f.ctx, a.ID, c.step)
		if err != nil || ok != c.ok {
			t.Fatalf("UseTOTPStep #%d (%d) = %v, %v; want %v", i, c.step, ok, err, c.ok)
		}
	}
}

func testAdminSessions(t *testing.T, f *fixture) {
	a := f.account("s@example.com", "viewer")
	s := store.AdminSession{IDHash: "h1", AccountID: a.ID, TokenVersion: 1, CreatedAt: f.now, LastSeen: f.now,
		ExpiresAt: f.now.Add(7 * 24 * time.Hour), IP: "203.0.113.9", UserAgent: "Firefox"}
	if err := f.s.CreateAdminSession(f.ctx, s); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.GetAdminSession(f.ctx, "h1")
	if err != nil || got.AccountID != a.ID || got.IP != s.IP || got.UserAgent != s.UserAgent || got.TokenVersion != 1 {
		t.Fatalf("GetAdminSession = %+v, %v", got, err)
	}
	checkTime(t, "ExpiresAt", got.ExpiresAt, s.ExpiresAt)
	later := f.now.Add(time.Minute)
	if err := f.s.TouchAdminSession(f.ctx, "h1", later); err != nil {
		t.Fatal(err)
	}
	_ = f.s.TouchAdminSession(f.ctx, "h1", f.now) // never moves back
	got, _ = f.s.GetAdminSession(f.ctx, "h1")
	checkTime(t, "LastSeen", got.LastSeen, later)
	checkNotFound(t, "TouchAdminSession(unknown)", f.s.TouchAdminSession(f.ctx, "nope", later))
	old := s
	old.IDHash, old.LastSeen = "h2", f.now.Add(-13*time.Hour)
	expired := s
	expired.IDHash, expired.ExpiresAt = "h3", f.now.Add(-time.Second)
	for _, x := range []store.AdminSession{old, expired} {
		if err := f.s.CreateAdminSession(f.ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	n, err := f.s.DeleteExpiredAdminSessions(f.ctx, f.now, f.now.Add(-12*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpiredAdminSessions = %d, %v; want 2 (idle and expired)", n, err)
	}
	if err := f.s.DeleteAdminSession(f.ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.GetAdminSession(f.ctx, "h1")
	checkNotFound(t, "GetAdminSession after delete", err)
}

func testAPITokens(t *testing.T, f *fixture) {
	a := f.account("t@example.com", "admin")
	b := f.account("u@example.com", "viewer")
	t1 := store.APIToken{ID: newID(), AccountID: a.ID, Name: "ci", TokenHash: "hash-1", CreatedAt: f.now, ExpiresAt: f.now.Add(24 * time.Hour)}
	t2 := store.APIToken{ID: newID(), AccountID: a.ID, Name: "deploy", TokenHash: "hash-2", CreatedAt: f.now.Add(time.Second)}
	t3 := store.APIToken{ID: newID(), AccountID: b.ID, Name: "x", TokenHash: "hash-3", CreatedAt: f.now}
	for _, tok := range []store.APIToken{t1, t2, t3} {
		if err := f.s.CreateAPIToken(f.ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.s.GetAPITokenByHash(f.ctx, "hash-1")
	if err != nil || got.ID != t1.ID || got.Name != "ci" || !got.RevokedAt.IsZero() || !got.LastUsedAt.IsZero() {
		t.Fatalf("GetAPITokenByHash = %+v, %v", got, err)
	}
	checkTime(t, "ExpiresAt", got.ExpiresAt, t1.ExpiresAt)
	if got, _ := f.s.GetAPIToken(f.ctx, t2.ID); !got.ExpiresAt.IsZero() {
		t.Fatalf("a token without expiry came back expiring at %v", got.ExpiresAt)
	}
	mine, err := f.s.ListAPITokens(f.ctx, a.ID)
	if err != nil || len(mine) != 2 || mine[0].ID != t2.ID {
		t.Fatalf("ListAPITokens(a) = %d tokens, %v (want 2, newest first)", len(mine), err)
	}
	if all, _ := f.s.ListAPITokens(f.ctx, ""); len(all) != 3 {
		t.Fatalf("ListAPITokens(all) = %d, want 3", len(all))
	}
	used := f.now.Add(time.Minute)
	if err := f.s.TouchAPIToken(f.ctx, t1.ID, used); err != nil {
		t.Fatal(err)
	}
	revoked := f.now.Add(2 * time.Minute)
	if err := f.s.RevokeAPIToken(f.ctx, t1.ID, revoked); err != nil {
		t.Fatal(err)
	}
	_ = f.s.RevokeAPIToken(f.ctx, t1.ID, revoked.Add(time.Hour)) // the first revocation time stays
	got, _ = f.s.GetAPIToken(f.ctx, t1.ID)
	checkTime(t, "LastUsedAt", got.LastUsedAt, used)
	checkTime(t, "RevokedAt", got.RevokedAt, revoked)
	checkNotFound(t, "RevokeAPIToken(unknown)", f.s.RevokeAPIToken(f.ctx, newID(), revoked))
	_, err = f.s.GetAPITokenByHash(f.ctx, "nope")
	checkNotFound(t, "GetAPITokenByHash(unknown)", err)
}

func testFirstAccount(t *testing.T, f *fixture) {
	owner := store.Account{ID: newID(), Email: "first@example.com", PasswordHash: "x", Role: "owner", AllSites: true, TokenVersion: 1, CreatedAt: f.now, UpdatedAt: f.now}
	if err := f.s.AddSetupToken(f.ctx, "expired", f.now.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := f.s.AddSetupToken(f.ctx, "good", f.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := f.s.AddSetupToken(f.ctx, "other", f.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	checkNotFound(t, "expired token", f.s.CreateFirstAccount(f.ctx, "expired", f.now, owner))
	checkNotFound(t, "unknown token", f.s.CreateFirstAccount(f.ctx, "bogus", f.now, owner))
	if n, _ := f.s.CountAccounts(f.ctx); n != 0 {
		t.Fatalf("a refused setup wrote %d accounts", n)
	}
	if err := f.s.CreateFirstAccount(f.ctx, "good", f.now, owner); err != nil {
		t.Fatalf("CreateFirstAccount: %v", err)
	}
	second := owner
	second.ID, second.Email = newID(), "second@example.com"
	checkNotFound(t, "the same token again", f.s.CreateFirstAccount(f.ctx, "good", f.now, second))
	checkNotFound(t, "another token once an account exists", f.s.CreateFirstAccount(f.ctx, "other", f.now, second))
	if n, _ := f.s.CountAccounts(f.ctx); n != 1 {
		t.Fatalf("CountAccounts = %d, want 1", n)
	}
}

// testFirstAccountRace: replicas that each logged their own setup link are used at once;
// exactly one first account is made.
func testFirstAccountRace(t *testing.T, f *fixture) {
	const n = 6
	for i := range n {
		if err := f.s.AddSetupToken(f.ctx, "tok-"+string(rune('a'+i)), f.now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			a := store.Account{ID: newID(), Email: "o" + string(rune('a'+i)) + "@example.com", PasswordHash: "x", Role: "owner",
				AllSites: true, TokenVersion: 1, CreatedAt: f.now, UpdatedAt: f.now}
			errs[i] = f.s.CreateFirstAccount(f.ctx, "tok-"+string(rune('a'+i)), f.now, a)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrNotFound):
			t.Errorf("a losing setup failed with %v, want ErrNotFound", err)
		}
	}
	if c, _ := f.s.CountAccounts(f.ctx); won != 1 || c != 1 {
		t.Fatalf("%d setups succeeded and %d accounts exist; want exactly 1", won, c)
	}
}
