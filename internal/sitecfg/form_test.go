package sitecfg

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/store"
)

// TestMergePatchRFC7396 runs the examples of RFC 7396 Appendix A.
func TestMergePatchRFC7396(t *testing.T) {
	for _, tc := range []struct{ target, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"a":"foo"}`, `"bar"`, `"bar"`},
		{`{"e":null}`, `{"a":1}`, `{"a":1,"e":null}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	} {
		var target, patch, want any
		for _, p := range []struct {
			s string
			v *any
		}{{tc.target, &target}, {tc.patch, &patch}, {tc.want, &want}} {
			if err := json.Unmarshal([]byte(p.s), p.v); err != nil {
				t.Fatal(err)
			}
		}
		if got := mergePatch(target, patch); !reflect.DeepEqual(got, want) {
			t.Errorf("merge %s with %s = %v, want %s", tc.target, tc.patch, got, tc.want)
		}
	}
}

func TestDecodeSettingsStrict(t *testing.T) {
	for body, want := range map[string]string{
		`{"id":"a","limits":{"ip_per_minute":5,"per_hour":3}}`:      "Unknown field limits.per_hour.",
		`{"id":"a","colour":"red"}`:                                 "Unknown field colour.",
		`{"id":"a","signing":{"secret":"x"}}`:                       "signing.secret cannot be set",
		`{"id":"a","signing":{"private_key_file":"/etc/k"}}`:        "signing.private_key_file cannot be set",
		`{"id":"a","history_depth":"ten"}`:                          "Field history_depth has the wrong type.",
		`{"id":"a","limits":{"ip_per_minute":1.5}}`:                 "Field limits.ip_per_minute has the wrong type.",
		`{"id":"a","abuse":{"repeat_window":"soon"}}`:               "want a duration",
		`{"id":"a","widget":{"texts":{"any key":"is fine"},"x":1}}`: "Unknown field widget.x.",
	} {
		doc, err := parseDocument([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		_, err = decodeSettings(doc)
		ae, ok := apierr.As(err)
		if !ok || ae.Code != "invalid_request" || !strings.Contains(ae.Message, want) {
			t.Errorf("%s: %v; want invalid_request with %q", body, err, want)
		}
	}
	doc, _ := parseDocument([]byte(`{"id":"a","name":"A","abuse":{"repeat_window":90},"widget":{"texts":{"send":"Go"}}}`))
	s, err := decodeSettings(doc)
	if err != nil || s.Abuse.RepeatWindow.D() != 90*time.Second || s.Widget.Texts["send"] != "Go" || s.Limits.MaxMessageLength != 4000 || s.Trusted {
		t.Fatalf("decoded %+v, %v (defaults applied, untrusted)", s, err)
	}
}

func TestIfMatch(t *testing.T) {
	h := http.Header{}
	if IfMatch(h) != nil {
		t.Fatal("no header must mean no precondition")
	}
	h.Set("If-Match", `"7", "9"`)
	if p := IfMatch(h); !p(7) || !p(9) || p(8) {
		t.Fatal(`"7", "9" must match 7 and 9 only`)
	}
	h.Set("If-Match", `W/"7"`)
	if IfMatch(h)(7) {
		t.Fatal("a weak tag must not match")
	}
	h.Set("If-Match", "*")
	if !IfMatch(h)(123) {
		t.Fatal("* must match")
	}
}

// plain is a cipher that binds to the AAD without encrypting, for unit tests.
type plain struct{}

func (plain) Seal(p []byte, aad string) ([]byte, error) { return append([]byte(aad+"|"), p...), nil }
func (plain) Open(s []byte, aad string) ([]byte, error) {
	rest, ok := strings.CutPrefix(string(s), aad+"|")
	if !ok {
		return nil, apierr.Internal()
	}
	return []byte(rest), nil
}

var _ store.Cipher = plain{}

func TestKeysRotateSealAndExpire(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	first, shown, err := newKey("HS256", "shop", now)
	if err != nil || shown == "" || len(shown) != 43 || !strings.HasPrefix(first.KID, "shop-") {
		t.Fatalf("HS256 key: %+v %q %v", first, shown, err)
	}
	ks := keySet{Current: first}
	rotated, shown2, err := ks.rotate("ES256", "shop", now, Overlap, false)
	if err != nil || shown2 != "" || rotated.Current.Algorithm != "ES256" || rotated.Previous == nil ||
		rotated.Previous.KID != first.KID || !rotated.Previous.Until.Equal(now.Add(Overlap)) {
		t.Fatalf("rotated: %+v %q %v", rotated, shown2, err)
	}
	sealed, err := rotated.seal(plain{}, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openKeySet(plain{}, "blog", sealed); err == nil {
		t.Fatal("keys sealed for one site opened as another's")
	}
	opened, err := openKeySet(plain{}, "shop", sealed)
	if err != nil || opened.Current.KID != rotated.Current.KID {
		t.Fatalf("opened %+v, %v", opened, err)
	}
	keys, err := opened.signers(30_000_000_000, now.Add(time.Hour))
	if err != nil || keys.Previous == nil || keys.Current.Algorithm() != "ES256" || keys.Previous.Algorithm() != "HS256" {
		t.Fatalf("signers during the overlap: %+v, %v", keys, err)
	}
	info := opened.info(now.Add(time.Hour))
	if info.PreviousKID != first.KID || !strings.Contains(info.PublicKeyPEM, "PUBLIC KEY") || info.PreviousPublicKeyPEM != "" {
		t.Fatalf("info: %+v", info)
	}
	if keys, _ := opened.signers(30_000_000_000, now.Add(Overlap)); keys.Previous != nil {
		t.Fatal("the previous key signs after its overlap")
	}
	if info := opened.info(now.Add(Overlap)); info.PreviousKID != "" {
		t.Fatal("the previous key is shown after its overlap")
	}
	revoked, _, _ := ks.rotate("HS256", "shop", now, Overlap, true)
	if revoked.Previous != nil {
		t.Fatal("revoke kept the previous key")
	}
}
