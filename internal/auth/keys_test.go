package auth

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestNewKeysRefuses(t *testing.T) {
	cases := []struct {
		name     string
		primary  Key
		previous []Key
	}{
		{"short secret", Key{KID: "k1", Secret: secretA[:31]}, nil},
		{"empty kid", Key{KID: "", Secret: secretA}, nil},
		{"long kid", Key{KID: "abcdefghijklmnopq", Secret: secretA}, nil},
		{"bad kid chars", Key{KID: "k/1", Secret: secretA}, nil},
		{"active with NotAfter", Key{KID: "k1", Secret: secretA, NotAfter: time.Now().Add(time.Hour)}, nil},
		{"duplicate kid", Key{KID: "k1", Secret: secretA}, []Key{{KID: "k1", Secret: secretB}}},
		{"short previous", Key{KID: "k1", Secret: secretA}, []Key{{KID: "k0", Secret: []byte("short")}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewKeys(tc.primary, tc.previous...); err == nil {
				t.Fatal("NewKeys accepted it")
			}
		})
	}
}

func TestKeysFromSecretIsStable(t *testing.T) {
	a, err := KeysFromSecret(secretA)
	if err != nil {
		t.Fatalf("KeysFromSecret: %v", err)
	}
	again, _ := KeysFromSecret(bytes.Clone(secretA))
	other, _ := KeysFromSecret(secretB)
	if a.Active().KID != again.Active().KID || len(a.Active().KID) != 8 {
		t.Fatalf("kid not stable: %q vs %q", a.Active().KID, again.Active().KID)
	}
	if a.Active().KID == other.Active().KID {
		t.Fatal("different secrets share a kid")
	}
	// A token from one replica verifies on another started with the same secret.
	now := time.Now()
	tok := mustIssue(t, a, Claims{SessionID: "s", SiteID: "x", Kind: KindBearer, IssuedAt: now, ExpiresAt: now.Add(time.Hour)})
	if _, err := Verify(again, tok, KindBearer, now); err != nil {
		t.Fatalf("other replica: %v", err)
	}
	if _, err := KeysFromSecret([]byte("too short")); err == nil {
		t.Fatal("short secret accepted")
	}
}

func TestNewKeysCopiesSecrets(t *testing.T) {
	secret := bytes.Clone(secretA)
	ks := mustKeys(t, Key{KID: "k1", Secret: secret})
	now := time.Now()
	tok := mustIssue(t, ks, Claims{SessionID: "s", SiteID: "x", Kind: KindBearer, IssuedAt: now, ExpiresAt: now.Add(time.Hour)})
	secret[0] ^= 0xff
	if _, err := Verify(ks, tok, KindBearer, now); err != nil {
		t.Fatalf("caller's slice changed the keyring: %v", err)
	}
}

func TestRotationOverlap(t *testing.T) {
	ks := mustKeys(t, Key{KID: "old", Secret: secretA})
	now := time.Now()
	claims := Claims{SessionID: "s", SiteID: "x", Kind: KindBearer, IssuedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	oldToken := mustIssue(t, ks, claims)

	if err := ks.Rotate(Key{KID: "new", Secret: secretB}, time.Hour); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if ks.Active().KID != "new" {
		t.Fatalf("active = %q, want new", ks.Active().KID)
	}
	newToken := mustIssue(t, ks, claims)

	if _, err := Verify(ks, oldToken, KindBearer, now.Add(59*time.Minute)); err != nil {
		t.Fatalf("old-key token inside the overlap: %v", err)
	}
	if _, err := Verify(ks, oldToken, KindBearer, now.Add(61*time.Minute)); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("old-key token after NotAfter: err = %v, want ErrInvalidToken", err)
	}
	if _, err := Verify(ks, newToken, KindBearer, now.Add(61*time.Minute)); err != nil {
		t.Fatalf("new-key token: %v", err)
	}
}

func TestRotateDropsRetiredKeysAndRefusesReuse(t *testing.T) {
	ks := mustKeys(t, Key{KID: "k0", Secret: secretA})
	if err := ks.Rotate(Key{KID: "k1", Secret: secretB}, 0); err != nil {
		t.Fatalf("Rotate k1: %v", err)
	}
	if err := ks.Rotate(Key{KID: "k1", Secret: secretA}, time.Hour); err == nil {
		t.Fatal("Rotate accepted a kid already in the keyring")
	}
	if err := ks.Rotate(Key{KID: "k2", Secret: secretA}, time.Hour); err != nil {
		t.Fatalf("Rotate k2: %v", err)
	}
	set := ks.current.Load()
	if _, ok := set.byKID["k0"]; ok {
		t.Fatal("key past NotAfter still held")
	}
	if k, ok := set.byKID["k1"]; !ok || k.NotAfter.IsZero() {
		t.Fatalf("k1 should be kept with a NotAfter: %+v ok=%v", k, ok)
	}
	if err := ks.Rotate(Key{KID: "k3", Secret: secretA[:10]}, time.Hour); err == nil {
		t.Fatal("Rotate accepted a short secret")
	}
}

// TestConcurrentRotateVerify runs a rotator against verifiers and issuers; under -race it proves
// the keyring is safe to rotate while requests verify.
func TestConcurrentRotateVerify(t *testing.T) {
	ks := mustKeys(t, Key{KID: "k0", Secret: secretA})
	now := time.Now()
	claims := Claims{SessionID: "s", SiteID: "x", Kind: KindBearer, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	first := mustIssue(t, ks, claims)

	const rotations, workers, rounds = 40, 4, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers+1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i <= rotations; i++ {
			if err := ks.Rotate(Key{KID: fmt.Sprintf("k%d", i), Secret: secretB}, time.Hour); err != nil {
				errs <- err
				return
			}
		}
	}()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				tok, err := Issue(ks, claims)
				if err == nil {
					_, err = Verify(ks, tok, KindBearer, now)
				}
				if err == nil {
					_, err = Verify(ks, first, KindBearer, now)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("during rotation: %v", err)
	}
	if got := ks.Active().KID; got != fmt.Sprintf("k%d", rotations) {
		t.Fatalf("active = %q after %d rotations", got, rotations)
	}
}
