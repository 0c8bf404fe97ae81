package crypto

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/chatproxy/chatproxy/internal/store"
)

// The keyring is what the store engines use to seal personal fields.
var _ store.Cipher = (*Keyring)(nil)

func testKey(fill byte) []byte { return bytes.Repeat([]byte{fill}, KeySize) }

func mustKeyring(t *testing.T, entries ...KeyEntry) *Keyring {
	t.Helper()
	kr, err := NewKeyring(entries)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return kr
}

func TestSealOpenRoundTrip(t *testing.T) {
	kr := mustKeyring(t, KeyEntry{"old", testKey(1)}, KeyEntry{"new", testKey(2)})
	for _, plain := range []string{"", "hello", strings.Repeat("x", 10_000), "héllo 🌍"} {
		sealed, err := kr.Seal([]byte(plain), "msg|s1|c1|m1|user")
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if plain != "" && bytes.Contains(sealed, []byte(plain)) {
			t.Fatalf("sealed value contains the plaintext")
		}
		if kid, _ := SealedKID(sealed); kid != "new" {
			t.Fatalf("sealed under %q, want primary %q", kid, "new")
		}
		got, err := kr.Open(sealed, "msg|s1|c1|m1|user")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if got == nil || string(got) != plain {
			t.Fatalf("Open = %q (nil=%v), want %q", got, got == nil, plain)
		}
	}
}

func TestEmptyPlaintextIsStillSealed(t *testing.T) {
	kr := mustKeyring(t, KeyEntry{"k", testKey(1)})
	sealed, _ := kr.Seal(nil, "a")
	if want := 2 + 1 + nonceSize + tagSize; len(sealed) != want {
		t.Fatalf("len = %d, want %d", len(sealed), want)
	}
	if _, err := kr.Open(sealed, "b"); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("empty value opened under another aad: err = %v", err)
	}
}

func TestOpenRefuses(t *testing.T) {
	kr := mustKeyring(t, KeyEntry{"k1", testKey(1)})
	other := mustKeyring(t, KeyEntry{"k9", testKey(9)})
	sameKIDOtherKey := mustKeyring(t, KeyEntry{"k1", testKey(7)})
	const aad = "msg|site|sess|m1|user"
	sealed, _ := kr.Seal([]byte("secret text"), aad)
	foreign, _ := other.Seal([]byte("secret text"), aad)
	impostor, _ := sameKIDOtherKey.Seal([]byte("secret text"), aad)

	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	cases := []struct {
		name   string
		sealed []byte
		aad    string
		want   error
	}{
		{"wrong aad", sealed, "msg|site|sess|m1|assistant", ErrAuthentication},
		{"row swap", sealed, "msg|site|sess|m2|user", ErrAuthentication},
		{"unknown kid", foreign, aad, ErrUnknownKey},
		{"same kid, other key", impostor, aad, ErrAuthentication},
		{"tampered ciphertext", flip(len(sealed) - tagSize - 1), aad, ErrAuthentication},
		{"tampered tag", flip(len(sealed) - 1), aad, ErrAuthentication},
		{"tampered nonce", flip(2 + 2), aad, ErrAuthentication},
		{"tampered kid", flip(2), aad, ErrUnknownKey},
		{"bad version", flip(0), aad, ErrMalformed},
		{"kid length zero", append([]byte{sealVersion, 0}, sealed[2:]...), aad, ErrMalformed},
		{"kid length too big", append([]byte{sealVersion, 200}, sealed[2:]...), aad, ErrMalformed},
		{"truncated", sealed[:len(sealed)-tagSize-12], aad, ErrMalformed},
		{"plaintext stored earlier", []byte("hello"), aad, ErrMalformed},
		{"empty", nil, aad, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := kr.Open(tc.sealed, tc.aad)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if got != nil {
				t.Fatalf("returned %q with an error", got)
			}
		})
	}
}

func TestSealUsesFreshNonce(t *testing.T) {
	kr := mustKeyring(t, KeyEntry{"k", testKey(1)})
	a, _ := kr.Seal([]byte("same"), "aad")
	b, _ := kr.Seal([]byte("same"), "aad")
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical")
	}
	_, nonceA, _, _ := splitSealed(a)
	_, nonceB, _, _ := splitSealed(b)
	if bytes.Equal(nonceA, nonceB) {
		t.Fatal("nonce reused")
	}
}

func TestResealMovesToPrimary(t *testing.T) {
	old := mustKeyring(t, KeyEntry{"old", testKey(1)})
	rotated := mustKeyring(t, KeyEntry{"old", testKey(1)}, KeyEntry{"new", testKey(2)})
	const aad = "session|s|x|page_url"
	sealedOld, _ := old.Seal([]byte("https://shop.example/p/1"), aad)

	out, changed, err := rotated.Reseal(sealedOld, aad)
	if err != nil || !changed {
		t.Fatalf("Reseal old = changed %v, err %v; want true, nil", changed, err)
	}
	if kid, _ := SealedKID(out); kid != "new" {
		t.Fatalf("resealed under %q, want new", kid)
	}
	if got, err := rotated.Open(out, aad); err != nil || string(got) != "https://shop.example/p/1" {
		t.Fatalf("Open resealed = %q, %v", got, err)
	}
	if _, err := old.Open(out, aad); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old keyring opened a value under the new key: %v", err)
	}

	again, changed, err := rotated.Reseal(out, aad)
	if err != nil || changed || !bytes.Equal(again, out) {
		t.Fatalf("Reseal primary = changed %v, err %v, same %v; want false, nil, true",
			changed, err, bytes.Equal(again, out))
	}
	if _, _, err := rotated.Reseal(sealedOld, "other"); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("Reseal with wrong aad: err = %v", err)
	}
}

func TestParseKeyring(t *testing.T) {
	k1 := base64.StdEncoding.EncodeToString(testKey(1))
	k2 := base64.RawURLEncoding.EncodeToString(testKey(0xfb)) // has URL-only characters
	kr, err := ParseKeyring(" a1:" + k1 + " , b_2-:" + k2 + " ")
	if err != nil {
		t.Fatalf("ParseKeyring: %v", err)
	}
	if kr.PrimaryKID() != "b_2-" {
		t.Fatalf("primary = %q, want the last entry", kr.PrimaryKID())
	}
	if got := strings.Join(kr.KIDs(), ","); got != "a1,b_2-" {
		t.Fatalf("KIDs = %s", got)
	}
}

func TestParseKeyringErrors(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(testKey(1))
	short := base64.StdEncoding.EncodeToString(testKey(1)[:16])
	cases := []struct {
		name, spec, want string
	}{
		{"empty", "  ", "empty"},
		{"no colon", "a:" + good + ",nokey", "entry 1"},
		{"bad base64", "a:" + good + ",b:!!notbase64!!", "entry 1"},
		{"short key", "a:" + short, "entry 0"},
		{"duplicate kid", "a:" + good + ",b:" + good + ",a:" + good, "entry 2"},
		{"empty kid", ":" + good, "entry 0"},
		{"long kid", "abcdefghijklmnopq:" + good, "entry 0"},
		{"bad kid chars", "a.b:" + good, "entry 0"},
		{"trailing comma", "a:" + good + ",", "entry 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKeyring(tc.spec)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %q, want it to mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), good) || strings.Contains(err.Error(), short) {
				t.Fatalf("error reveals a key: %q", err)
			}
		})
	}
}

func TestGenerateAndFormatRoundTrip(t *testing.T) {
	kid1, key1 := GenerateKey()
	kid2, key2 := GenerateKey()
	if err := ValidKID(kid1); err != nil {
		t.Fatalf("generated kid %q: %v", kid1, err)
	}
	if kid1 == kid2 || bytes.Equal(key1, key2) || len(key1) != KeySize {
		t.Fatalf("GenerateKey not fresh: %q %q", kid1, kid2)
	}
	spec := FormatKeyring([]KeyEntry{{kid1, key1}, {kid2, key2}})
	entries, err := ParseKeyEntries(spec)
	if err != nil {
		t.Fatalf("ParseKeyEntries(FormatKeyring): %v", err)
	}
	if len(entries) != 2 || entries[1].KID != kid2 || !bytes.Equal(entries[1].Key, key2) {
		t.Fatalf("round trip lost data: %+v", entries)
	}
}

func TestHMAC(t *testing.T) {
	key := testKey(3)
	a := HMAC(key, "site", "1.2.3.0/24")
	if len(a) != 64 {
		t.Fatalf("len = %d, want 64 hex chars", len(a))
	}
	if a != HMAC(key, "site", "1.2.3.0/24") {
		t.Fatal("not deterministic")
	}
	if a == HMAC(testKey(4), "site", "1.2.3.0/24") {
		t.Fatal("key does not matter")
	}
	if HMAC(key, "ab", "c") == HMAC(key, "a", "bc") {
		t.Fatal("part boundaries are ambiguous")
	}
}

func BenchmarkSeal(b *testing.B) {
	kr, _ := NewKeyring([]KeyEntry{{"k", testKey(1)}})
	plain := []byte(strings.Repeat("a chat message of typical size. ", 8))
	b.ReportAllocs()
	for b.Loop() {
		kr.Seal(plain, "msg|site-1|0193abcd|0193ef01|assistant")
	}
}

func BenchmarkOpen(b *testing.B) {
	kr, _ := NewKeyring([]KeyEntry{{"k", testKey(1)}})
	sealed, _ := kr.Seal([]byte(strings.Repeat("a chat message of typical size. ", 8)), "aad")
	b.ReportAllocs()
	for b.Loop() {
		kr.Open(sealed, "aad")
	}
}

func TestRowSwapFails(t *testing.T) {
	kr := mustKeyring(t, KeyEntry{"k", testKey(1)})
	m1 := store.Message{ID: "m1", SessionID: "c1", SiteID: "s1", Role: store.RoleUser}
	m2 := store.Message{ID: "m2", SessionID: "c1", SiteID: "s1", Role: store.RoleUser}
	c1, _ := kr.Seal([]byte("first"), store.MessageAAD(m1))
	c2, _ := kr.Seal([]byte("second"), store.MessageAAD(m2))
	if _, err := kr.Open(c2, store.MessageAAD(m1)); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("m2's content opened in row m1: %v", err)
	}
	if _, err := kr.Open(c1, store.MessageAAD(m2)); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("m1's content opened in row m2: %v", err)
	}
	if got, err := kr.Open(c1, store.MessageAAD(m1)); err != nil || string(got) != "first" {
		t.Fatalf("own row: %q, %v", got, err)
	}
}
