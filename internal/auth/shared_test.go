package auth

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestReplaceSwapsTheWholeKeyring(t *testing.T) {
	ks := mustKeys(t, Key{KID: "k0", Secret: secretA})
	now := time.Now()
	claims := Claims{SessionID: "s", SiteID: "x", Kind: KindBearer, IssuedAt: now, ExpiresAt: now.Add(2 * time.Hour)}
	k0Token := mustIssue(t, ks, claims)

	if err := ks.Replace(Key{KID: "k1", Secret: secretB}, Key{KID: "k0", Secret: secretA, NotAfter: now.Add(time.Hour)}); err != nil {
		t.Fatalf("Replace: %v", err)
	}
	if ks.Active().KID != "k1" {
		t.Fatalf("active = %q, want k1", ks.Active().KID)
	}
	if _, err := Verify(ks, k0Token, KindBearer, now); err != nil {
		t.Fatalf("k0 token before its NotAfter: %v", err)
	}
	if _, err := Verify(ks, k0Token, KindBearer, now.Add(61*time.Minute)); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("k0 token after its NotAfter: err = %v, want ErrInvalidToken", err)
	}

	// A set that does not pass the checks leaves the keyring as it was.
	bad := [][]Key{
		{{KID: "k2", Secret: secretA[:5]}},
		{{KID: "k2", Secret: secretA, NotAfter: now}},
		{{KID: "k2", Secret: secretA}, {KID: "k2", Secret: secretB}},
	}
	for i, set := range bad {
		if err := ks.Replace(set[0], set[1:]...); err == nil {
			t.Errorf("bad set %d accepted", i)
		}
	}
	if ks.Active().KID != "k1" {
		t.Fatalf("a refused Replace changed the keyring: active = %q", ks.Active().KID)
	}

	// Replacing without k0 drops it at once.
	if err := ks.Replace(Key{KID: "k1", Secret: secretB}); err != nil {
		t.Fatalf("Replace: %v", err)
	}
	if _, err := Verify(ks, k0Token, KindBearer, now); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("dropped k0 still verifies: %v", err)
	}
}

func TestUnknownKIDHookReloadsThenRetries(t *testing.T) {
	now := time.Now()
	claims := Claims{SessionID: "s", SiteID: "x", Kind: KindBearer, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	// Replica A rotated to k1; replica B still holds only k0.
	replicaA := mustKeys(t, Key{KID: "k1", Secret: secretB})
	replicaB := mustKeys(t, Key{KID: "k0", Secret: secretA})
	token := mustIssue(t, replicaA, claims)

	if _, err := Verify(replicaB, token, KindBearer, now); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("without a hook: err = %v, want ErrInvalidToken", err)
	}
	var calls atomic.Int32
	replicaB.OnUnknownKID(func() {
		calls.Add(1)
		if err := replicaB.Replace(Key{KID: "k1", Secret: secretB}, Key{KID: "k0", Secret: secretA, NotAfter: now.Add(time.Hour)}); err != nil {
			t.Errorf("Replace: %v", err)
		}
	})
	if _, err := Verify(replicaB, token, KindBearer, now); err != nil {
		t.Fatalf("with the hook: %v", err)
	}
	if _, err := Verify(replicaB, token, KindBearer, now); err != nil || calls.Load() != 1 {
		t.Fatalf("known kid: err = %v, hook calls = %d; want nil and 1", err, calls.Load())
	}
}

func TestUnknownKIDHookIgnoresMalformedAndRetiredKIDs(t *testing.T) {
	now := time.Now()
	claims := Claims{SessionID: "s", SiteID: "x", Kind: KindBearer, IssuedAt: now, ExpiresAt: now.Add(3 * time.Hour)}
	old := mustKeys(t, Key{KID: "old", Secret: secretA})
	oldToken := mustIssue(t, old, claims)
	ks := mustKeys(t, Key{KID: "new", Secret: secretB}, Key{KID: "old", Secret: secretA, NotAfter: now.Add(time.Hour)})
	var calls atomic.Int32
	ks.OnUnknownKID(func() { calls.Add(1) })

	if _, err := Verify(ks, oldToken, KindBearer, now.Add(2*time.Hour)); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("retired kid: err = %v, want ErrInvalidToken", err)
	}
	if _, ok := ks.verifyingKey("../../etc/passwd", now); ok {
		t.Fatal("malformed kid found a key")
	}
	if _, ok := ks.verifyingKey("", now); ok {
		t.Fatal("empty kid found a key")
	}
	if calls.Load() != 0 {
		t.Fatalf("hook ran %d times for retired or malformed kids, want 0", calls.Load())
	}
	if _, ok := ks.verifyingKey("unseen", now); ok || calls.Load() != 1 {
		t.Fatalf("well-formed unknown kid: ok=%v calls=%d; want false, 1", ok, calls.Load())
	}
	ks.OnUnknownKID(nil)
	if _, ok := ks.verifyingKey("unseen", now); ok || calls.Load() != 1 {
		t.Fatalf("hook removed but still called: calls=%d", calls.Load())
	}
}
