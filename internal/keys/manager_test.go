package keys

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/auth"
	"github.com/chatproxy/chatproxy/internal/crypto"
)

func TestSeedFromSecretKeepsExistingTokensValid(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		fk := newFieldKeys("f1")
		dsn := e.newDSN(t)
		st := openStore(t, e, dsn, fk.ring(t, "f1"))
		clk := newClock()

		// A token issued before the keyring was stored: signed with JWT_SECRET_KEY alone.
		before, err := auth.KeysFromSecret([]byte(jwtSecret))
		if err != nil {
			t.Fatal(err)
		}
		oldToken := issue(t, before, clk)

		ks := mustLoad(t, newManager(t, st, fk.ring(t, "f1"), clk, nil))
		seedKID := auth.KeyFromSecret([]byte(jwtSecret)).KID
		if ks.Active().KID != seedKID {
			t.Fatalf("active kid = %q, want the seed %q", ks.Active().KID, seedKID)
		}
		if err := verify(ks, oldToken, clk.Now()); err != nil {
			t.Fatalf("token from before the keyring: %v", err)
		}
		rows := listKeys(t, st)
		if len(rows) != 1 || !rows[0].Primary || rows[0].KID != seedKID || !rows[0].NotAfter.IsZero() {
			t.Fatalf("stored keys = %+v, want one primary %s without NotAfter", rows, seedKID)
		}

		// Another replica (and a restart with a changed JWT_SECRET_KEY) uses what is stored.
		other := newManager(t, openStore(t, e, dsn, fk.ring(t, "f1")), fk.ring(t, "f1"), clk, func(o *Options) {
			o.Secret = []byte("a-different-secret-that-is-long-enough-0123")
		})
		if ks2 := mustLoad(t, other); ks2.Active().KID != seedKID || verify(ks2, oldToken, clk.Now()) != nil {
			t.Fatalf("second Load: active %q; want the stored seed %q verifying the old token", ks2.Active().KID, seedKID)
		}
		if n := len(listKeys(t, st)); n != 1 {
			t.Fatalf("second Load stored another key: %d rows", n)
		}
	})
}

func TestSeedNeedsASecret(t *testing.T) {
	e := engines()[0]
	fk := newFieldKeys("f1")
	st := openStore(t, e, e.newDSN(t), fk.ring(t, "f1"))
	m := newManager(t, st, fk.ring(t, "f1"), newClock(), func(o *Options) { o.Secret = nil })
	if _, err := m.Load(t.Context()); err == nil || !strings.Contains(err.Error(), "JWT_SECRET_KEY") {
		t.Fatalf("Load without a secret on an empty keyring: err = %v", err)
	}
}

func TestRotateKeepsOldTokensUntilNotAfter(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		fk := newFieldKeys("f1")
		st := openStore(t, e, e.newDSN(t), fk.ring(t, "f1"))
		clk := newClock()
		m := newManager(t, st, fk.ring(t, "f1"), clk, nil)
		ks := mustLoad(t, m)
		seedKID := ks.Active().KID
		oldToken := issue(t, ks, clk)

		r, err := m.Rotate(t.Context())
		if err != nil {
			t.Fatalf("Rotate: %v", err)
		}
		if r.KID == seedKID || ks.Active().KID != r.KID || !slices.Equal(r.Retired, []string{seedKID}) {
			t.Fatalf("rotation %+v, active %q: want a new primary replacing %s", r, ks.Active().KID, seedKID)
		}
		wantEnd := clk.Now().Add(lifetime + DefaultRefreshInterval + clockSkew)
		if !r.Until.Equal(wantEnd) {
			t.Fatalf("old key verifies until %v, want %v (token lifetime + refresh interval + skew)", r.Until, wantEnd)
		}
		rows := listKeys(t, st)
		if len(rows) != 2 || rows[0].KID != seedKID || rows[0].Primary || !rows[0].NotAfter.Equal(wantEnd) || !rows[1].Primary || rows[1].KID != r.KID {
			t.Fatalf("stored keys after rotation = %+v", rows)
		}
		newToken := issue(t, ks, clk)

		// The old token verifies right up to NotAfter (its own expiry is later), then fails.
		if err := verify(ks, oldToken, wantEnd.Add(-time.Second)); err != nil {
			t.Fatalf("old token before NotAfter: %v", err)
		}
		if err := verify(ks, oldToken, wantEnd); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("old token at NotAfter: err = %v, want ErrInvalidToken", err)
		}
		if err := verify(ks, newToken, wantEnd.Add(-time.Second)); err != nil {
			t.Fatalf("new token: %v", err)
		}

		// Once the clock passes NotAfter, a reload drops the old key from memory altogether.
		clk.Add(lifetime + time.Hour)
		if err := m.Sync(t.Context()); err != nil {
			t.Fatalf("Sync: %v", err)
		}
		if err := verify(ks, oldToken, wantEnd.Add(-time.Hour)); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("pruned key still verifies: %v", err)
		}
		infos, err := m.List(t.Context())
		if err != nil || len(infos) != 2 || infos[0].Status != StatusRetired || infos[1].Status != StatusSigning {
			t.Fatalf("List = %+v, %v", infos, err)
		}
	})
}

func TestRotateAndRevokeEndsOldKeysNow(t *testing.T) {
	e := engines()[0]
	fk := newFieldKeys("f1")
	st := openStore(t, e, e.newDSN(t), fk.ring(t, "f1"))
	clk := newClock()
	m := newManager(t, st, fk.ring(t, "f1"), clk, nil)
	ks := mustLoad(t, m)
	oldToken := issue(t, ks, clk)
	if _, err := m.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	midToken := issue(t, ks, clk)
	r, err := m.RotateAndRevoke(t.Context())
	if err != nil {
		t.Fatalf("RotateAndRevoke: %v", err)
	}
	if len(r.Retired) != 2 || !r.Until.Equal(clk.Now()) {
		t.Fatalf("revoking rotation = %+v, want both earlier keys ended now", r)
	}
	for name, tok := range map[string]string{"seed": oldToken, "first rotation": midToken} {
		if err := verify(ks, tok, clk.Now()); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("%s token after revoke: err = %v, want ErrInvalidToken", name, err)
		}
	}
	if err := verify(ks, issue(t, ks, clk), clk.Now()); err != nil {
		t.Fatalf("token of the new key: %v", err)
	}
}

func TestReplicasConverge(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		fk := newFieldKeys("f1")
		dsn := e.newDSN(t)
		clk := newClock()
		stA := openStore(t, e, dsn, fk.ring(t, "f1"))
		stB := &countingStore{Store: openStore(t, e, dsn, fk.ring(t, "f1"))}
		a := newManager(t, stA, fk.ring(t, "f1"), clk, nil)
		b := newManager(t, stB, fk.ring(t, "f1"), clk, nil)
		ksA, ksB := mustLoad(t, a), mustLoad(t, b)

		// A rotates; B has not reloaded, yet A's new tokens verify on B at once (unknown kid →
		// one immediate reload).
		r, err := a.Rotate(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		tok := issue(t, ksA, clk)
		reads := stB.lists.Load()
		if err := verify(ksB, tok, clk.Now()); err != nil {
			t.Fatalf("replica B refused replica A's new token: %v", err)
		}
		if got := stB.lists.Load() - reads; got != 1 || ksB.Active().KID != r.KID {
			t.Fatalf("B: %d keyring reads, active %q; want 1 and %q", got, ksB.Active().KID, r.KID)
		}

		// Unknown kids reload at most once per MinReloadGap: forged kids cannot flood the database.
		forged, _ := auth.NewKeys(auth.Key{KID: "forged1", Secret: bytes.Repeat([]byte("x"), 32)})
		forgedTok := issue(t, forged, clk)
		clk.Add(DefaultMinReloadGap)
		reads = stB.lists.Load()
		for range 5 {
			if err := verify(ksB, forgedTok, clk.Now()); !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("forged kid: err = %v", err)
			}
		}
		if got := stB.lists.Load() - reads; got != 1 {
			t.Fatalf("5 forged-kid tokens caused %d reloads, want 1", got)
		}

		// Without any token to prompt it, B picks up a rotation made elsewhere (here: A again)
		// at its next periodic Sync.
		r2, err := a.Rotate(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Sync(t.Context()); err != nil {
			t.Fatalf("Sync: %v", err)
		}
		if ksB.Active().KID != r2.KID || ksA.Active().KID != r2.KID {
			t.Fatalf("after Sync: A signs with %q, B with %q; want both %q", ksA.Active().KID, ksB.Active().KID, r2.KID)
		}
		if err := verify(ksA, issue(t, ksB, clk), clk.Now()); err != nil {
			t.Fatalf("A refused B's token: %v", err)
		}
	})
}

func TestScheduledRotationHappensOnceAcrossReplicas(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		fk := newFieldKeys("f1")
		dsn := e.newDSN(t)
		clk := newClock()
		every := func(o *Options) { o.RotateEvery = 24 * time.Hour }
		a := newManager(t, openStore(t, e, dsn, fk.ring(t, "f1")), fk.ring(t, "f1"), clk, every)
		b := newManager(t, openStore(t, e, dsn, fk.ring(t, "f1")), fk.ring(t, "f1"), clk, every)
		st := openStore(t, e, dsn, fk.ring(t, "f1"))
		ksA, ksB := mustLoad(t, a), mustLoad(t, b)

		for _, m := range []*Manager{a, b} {
			if err := m.Sync(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(listKeys(t, st)); n != 1 {
			t.Fatalf("rotated before due: %d keys", n)
		}
		clk.Add(24 * time.Hour)
		for _, m := range []*Manager{a, b} {
			if err := m.Sync(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		rows := listKeys(t, st)
		if len(rows) != 2 || !rows[1].Primary || ksA.Active().KID != rows[1].KID || ksB.Active().KID != rows[1].KID {
			t.Fatalf("after the due Syncs: %d keys, A %q, B %q; want 2 and both on the new one", len(rows), ksA.Active().KID, ksB.Active().KID)
		}
	})
}

func TestConcurrentRotationsAreHarmless(t *testing.T) {
	e := engines()[0]
	fk := newFieldKeys("f1")
	dsn := e.newDSN(t)
	clk := newClock()
	stA, stB := openStore(t, e, dsn, fk.ring(t, "f1")), openStore(t, e, dsn, fk.ring(t, "f1"))
	a, b := newManager(t, stA, fk.ring(t, "f1"), clk, nil), newManager(t, stB, fk.ring(t, "f1"), clk, nil)
	ksA, ksB := mustLoad(t, a), mustLoad(t, b)

	// Both replicas decided to rotate from the same reading of the table.
	rows := listKeys(t, stA)
	ra, err := a.rotateFrom(t.Context(), rows, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	tokA := issue(t, ksA, clk) // signed with A's key before B's rotation demotes it
	rb, err := b.rotateFrom(t.Context(), rows, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Manager{a, b} {
		if _, err := m.reload(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if ksA.Active().KID != rb.KID || ksB.Active().KID != rb.KID {
		t.Fatalf("active: A %q, B %q; want the later rotation %q", ksA.Active().KID, ksB.Active().KID, rb.KID)
	}
	end := clk.Now().Add(lifetime + DefaultRefreshInterval + clockSkew)
	for name, ks := range map[string]*auth.Keys{"A": ksA, "B": ksB} {
		if err := verify(ks, tokA, end.Add(-time.Second)); err != nil {
			t.Errorf("%s refused a token of the demoted key %s inside its overlap: %v", name, ra.KID, err)
		}
		if err := verify(ks, tokA, end.Add(time.Second)); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("%s accepted a token of the demoted key after its overlap: %v", name, err)
		}
	}
	// A later rotation writes the implied end down without extending it.
	clk.Add(time.Hour)
	if _, err := a.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, r := range listKeys(t, stA) {
		if r.KID == ra.KID && !r.NotAfter.Equal(end) {
			t.Fatalf("demoted key NotAfter = %v, want its implied end %v", r.NotAfter, end)
		}
	}
}

func TestKeyMaterialIsSealed(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		fk := newFieldKeys("f1")
		dsn := e.newDSN(t)
		st := openStore(t, e, dsn, fk.ring(t, "f1"))
		clk := newClock()
		m := newManager(t, st, fk.ring(t, "f1"), clk, nil)
		ks := mustLoad(t, m)
		if _, err := m.Rotate(t.Context()); err != nil {
			t.Fatal(err)
		}
		secrets := [][]byte{[]byte(jwtSecret), ks.Active().Secret}
		rows := listKeys(t, st)
		for _, r := range rows {
			for _, s := range secrets {
				if bytes.Contains(r.Material, s) {
					t.Fatalf("key %s: material holds a secret in the clear", r.KID)
				}
			}
			if kid, err := crypto.SealedKID(r.Material); err != nil || kid != "f1" {
				t.Fatalf("key %s: sealed by %q, %v; want f1", r.KID, kid, err)
			}
		}
		// The AAD binds material to its kid: another row's material does not open as this one.
		if _, err := fk.ring(t, "f1").Open(rows[0].Material, materialAAD(Purpose, rows[1].KID)); !errors.Is(err, crypto.ErrAuthentication) {
			t.Fatalf("material opened under another kid: %v", err)
		}
		if e.name == "sqlite" {
			checkFilesHoldNoSecret(t, filepath.Dir(dsn), secrets)
		}
	})
}

// checkFilesHoldNoSecret scans the database files (main and WAL) byte for byte.
func checkFilesHoldNoSecret(t *testing.T, dir string, secrets [][]byte) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range entries {
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(b, s) {
				t.Fatalf("%s holds a session-token secret in the clear", de.Name())
			}
		}
	}
}

func TestUnreadableKeys(t *testing.T) {
	e := engines()[0]
	fk := newFieldKeys("f1", "f2")
	dsn := e.newDSN(t)
	clk := newClock()
	old := newManager(t, openStore(t, e, dsn, fk.ring(t, "f1")), fk.ring(t, "f1"), clk, nil)
	seedToken := issue(t, mustLoad(t, old), clk)

	// Field key f1 is gone: the primary cannot be opened, and Load says which key is missing.
	onlyF2 := newManager(t, openStore(t, e, dsn, fk.ring(t, "f2")), fk.ring(t, "f2"), clk, nil)
	if _, err := onlyF2.Load(t.Context()); err == nil || !strings.Contains(err.Error(), `"f1"`) {
		t.Fatalf("Load with the sealing field key missing: err = %v", err)
	}

	// After a rotation under f2 the seed (sealed with f1) only verifies: it is skipped, not fatal,
	// and SealedWithOlderFieldKeys names it until it retires.
	both := newManager(t, openStore(t, e, dsn, fk.ring(t, "f1", "f2")), fk.ring(t, "f1", "f2"), clk, nil)
	mustLoad(t, both)
	if _, err := both.Rotate(t.Context()); err != nil {
		t.Fatal(err)
	}
	stale, err := both.SealedWithOlderFieldKeys(t.Context())
	if err != nil || len(stale) != 1 || stale[0].SealedBy != "f1" || stale[0].Status != StatusVerifying {
		t.Fatalf("SealedWithOlderFieldKeys = %+v, %v; want the seed, sealed by f1, verifying", stale, err)
	}
	ks := mustLoad(t, onlyF2)
	if err := verify(ks, seedToken, clk.Now()); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("token of an unreadable key: err = %v", err)
	}
	clk.Add(lifetime + time.Hour)
	if stale, err := both.SealedWithOlderFieldKeys(t.Context()); err != nil || len(stale) != 0 {
		t.Fatalf("after the seed retired: %+v, %v; want none", stale, err)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	e := engines()[0]
	fk := newFieldKeys("f1")
	st := openStore(t, e, e.newDSN(t), fk.ring(t, "f1"))
	cases := map[string]Options{
		"no store":        {Fields: fk.ring(t, "f1"), TokenLifetime: time.Hour},
		"no field keys":   {Store: st, TokenLifetime: time.Hour},
		"no lifetime":     {Store: st, Fields: fk.ring(t, "f1")},
		"negative rotate": {Store: st, Fields: fk.ring(t, "f1"), TokenLifetime: time.Hour, RotateEvery: -time.Hour},
	}
	for name, o := range cases {
		if _, err := New(o); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}
