package clientip

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func testResolver(t testing.TB) *Resolver {
	t.Helper()
	trusted, err := ParseTrusted("10.0.0.0/8, 192.168.1.1 ,2001:db8:ffff::/48")
	if err != nil {
		t.Fatal(err)
	}
	return NewResolver(trusted)
}

func request(remote string, xff, fwd []string) *http.Request {
	r := &http.Request{RemoteAddr: remote, Header: http.Header{}}
	if xff != nil {
		r.Header["X-Forwarded-For"] = xff
	}
	if fwd != nil {
		r.Header["Forwarded"] = fwd
	}
	return r
}

func TestClientIP(t *testing.T) {
	const client = "198.51.100.7"
	cases := []struct {
		name   string
		remote string
		xff    []string
		fwd    []string
		want   string
	}{
		// Untrusted peers: headers change nothing.
		{"untrusted peer, no headers", "203.0.113.9:5555", nil, nil, "203.0.113.9"},
		{"untrusted peer spoofs XFF", "203.0.113.9:5555", []string{"1.2.3.4"}, nil, "203.0.113.9"},
		{"untrusted peer spoofs trusted XFF", "203.0.113.9:5555", []string{"10.0.0.5"}, nil, "203.0.113.9"},
		{"untrusted peer spoofs Forwarded", "203.0.113.9:5555", nil, []string{"for=1.2.3.4"}, "203.0.113.9"},
		{"untrusted neighbour of a trusted IP", "192.168.1.2:80", []string{"1.2.3.4"}, nil, "192.168.1.2"},
		{"trusted peer without headers", "10.0.0.1:80", nil, nil, "10.0.0.1"},

		// Trusted peer, X-Forwarded-For.
		{"one hop", "10.0.0.1:80", []string{client}, nil, client},
		{"client-forged hop on the left", "10.0.0.1:80", []string{"6.6.6.6, " + client}, nil, client},
		{"trusted hops skipped", "10.0.0.1:80", []string{"6.6.6.6, " + client + ", 10.0.0.2,192.168.1.1"}, nil, client},
		{"several header lines", "10.0.0.1:80", []string{"6.6.6.6", client + ", 10.0.0.2"}, nil, client},
		{"garbage between trusted hops", "10.0.0.1:80", []string{client + ", garbage, 10.0.0.2"}, nil, "10.0.0.2"},
		{"garbage right-most", "10.0.0.1:80", []string{client + ", not-an-ip"}, nil, "10.0.0.1"},
		{"empty elements skipped", "10.0.0.1:80", []string{client + ", , 10.0.0.2,"}, nil, client},
		{"spaces trimmed", "10.0.0.1:80", []string{"  " + client + "  "}, nil, client},
		{"IPv4 with port", "10.0.0.1:80", []string{client + ":4711"}, nil, client},
		{"IPv6", "10.0.0.1:80", []string{"2001:db8:1::7"}, nil, "2001:db8:1::7"},
		{"bracketed IPv6 with port", "10.0.0.1:80", []string{"[2001:db8:1::7]:443"}, nil, "2001:db8:1::7"},
		{"IPv4-mapped IPv6 unmapped", "10.0.0.1:80", []string{"::ffff:" + client}, nil, client},
		{"mapped trusted hop skipped", "10.0.0.1:80", []string{client + ", ::ffff:10.0.0.2"}, nil, client},
		{"zone refused", "10.0.0.1:80", []string{"fe80::1%eth0"}, nil, "10.0.0.1"},
		{"IPv6 with unbracketed port refused", "10.0.0.1:80", []string{"[2001:db8::1]x"}, nil, "10.0.0.1"},
		{"all hops trusted", "10.0.0.1:80", []string{"10.0.0.3, 10.0.0.2"}, nil, "10.0.0.3"},
		{"trusted IPv6 peer", "[2001:db8:ffff::1]:443", []string{client}, nil, client},
		{"IPv4-mapped peer", "[::ffff:10.0.0.1]:1234", []string{client}, nil, client},
		{"bare-address RemoteAddr", "10.0.0.1", []string{client}, nil, client},

		// Trusted peer, Forwarded.
		{"Forwarded for", "10.0.0.1:80", nil, []string{"for=" + client}, client},
		{"Forwarded quoted with port and params", "10.0.0.1:80", nil,
			[]string{`For="` + client + `:80";proto=https;by=10.0.0.1`}, client},
		{"Forwarded IPv6", "10.0.0.1:80", nil, []string{`for="[2001:db8:1::7]:4711"`}, "2001:db8:1::7"},
		{"Forwarded IPv6 obfuscated port", "10.0.0.1:80", nil, []string{`for="[2001:db8:1::7]:_p1"`}, "2001:db8:1::7"},
		{"Forwarded forged hop on the left", "10.0.0.1:80", nil, []string{"for=6.6.6.6, for=" + client}, client},
		{"Forwarded several lines", "10.0.0.1:80", nil, []string{"for=6.6.6.6", "for=" + client + ", for=10.0.0.2"}, client},
		{"Forwarded obfuscated hop stops the walk", "10.0.0.1:80", nil,
			[]string{"for=" + client + ", for=_hidden, for=10.0.0.2"}, "10.0.0.2"},
		{"Forwarded unknown right-most", "10.0.0.1:80", nil, []string{"for=" + client + ", for=unknown"}, "10.0.0.1"},
		{"Forwarded unbracketed IPv6 refused", "10.0.0.1:80", nil, []string{"for=2001:db8::1"}, "10.0.0.1"},
		{"Forwarded unclosed quote", "10.0.0.1:80", nil, []string{`for="` + client}, "10.0.0.1"},
		{"Forwarded escape refused", "10.0.0.1:80", nil, []string{`for="198.51.100.\7"`}, "10.0.0.1"},
		{"Forwarded element without for", "10.0.0.1:80", nil, []string{"for=" + client + ", proto=https"}, "10.0.0.1"},
		{"Forwarded duplicate for", "10.0.0.1:80", nil, []string{"for=6.6.6.6;for=" + client}, "10.0.0.1"},
		{"Forwarded comma inside quotes", "10.0.0.1:80", nil, []string{`for=` + client + `;ext="a,b"`}, client},

		// Both headers: a proxy sets one; the other may come from the client.
		{"both agree", "10.0.0.1:80", []string{client}, []string{"for=" + client}, client},
		{"client-supplied Forwarded", "10.0.0.1:80", []string{client}, []string{"for=6.6.6.6"}, "10.0.0.1"},
		{"client-supplied XFF", "10.0.0.1:80", []string{"6.6.6.6"}, []string{"for=" + client}, "10.0.0.1"},
	}
	r := testResolver(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := r.ClientIP(request(c.remote, c.xff, c.fwd))
			if got.String() != c.want {
				t.Fatalf("ClientIP = %s, want %s", got, c.want)
			}
		})
	}
}

func TestClientIPWithoutTrustedProxies(t *testing.T) {
	r := NewResolver(nil)
	got := r.ClientIP(request("10.0.0.1:80", []string{"198.51.100.7"}, []string{"for=198.51.100.7"}))
	if got != netip.MustParseAddr("10.0.0.1") {
		t.Fatalf("ClientIP = %s, want the peer when no proxy is trusted", got)
	}
}

func TestClientIPInvalidRemoteAddr(t *testing.T) {
	if got := testResolver(t).ClientIP(request("@pipe", []string{"198.51.100.7"}, nil)); got.IsValid() {
		t.Fatalf("ClientIP = %s, want the invalid address", got)
	}
}

func TestClientIPDoesNotAllocate(t *testing.T) {
	r := testResolver(t)
	xff := request("10.0.0.1:80", []string{"6.6.6.6, 198.51.100.7, 10.0.0.2"}, nil)
	fwd := request("10.0.0.1:80", nil, []string{`for=6.6.6.6, for="[2001:db8::7]:80";proto=https, for=10.0.0.2`})
	for name, req := range map[string]*http.Request{"xff": xff, "forwarded": fwd} {
		if n := testing.AllocsPerRun(100, func() { r.ClientIP(req) }); n != 0 {
			t.Errorf("%s: %v allocations per call, want 0", name, n)
		}
	}
}

func TestParseTrusted(t *testing.T) {
	got, err := ParseTrusted(" 10.1.2.3/8,, 192.0.2.1 , 2001:db8::/32 ,::ffff:172.16.0.0/108, ")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.0.2.1/32", "2001:db8::/32", "172.16.0.0/12"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Fatalf("entry %d = %s, want %s", i, got[i], want[i])
		}
	}
	if got, err := ParseTrusted("  "); err != nil || len(got) != 0 {
		t.Fatalf("blank list: %v, %v; want empty", got, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.internal", "10.0.0.1/8/8", "fe80::1%eth0", "300.1.1.1"} {
		_, err := ParseTrusted("10.0.0.0/8, " + bad)
		if err == nil || !strings.Contains(err.Error(), `"`+bad+`"`) {
			t.Errorf("ParseTrusted(%q): err %v, want one naming the entry", bad, err)
		}
	}
}

func TestKey(t *testing.T) {
	cases := map[string]string{
		"198.51.100.7":         "198.51.100.7/32",
		"::ffff:198.51.100.7":  "198.51.100.7/32",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":      "2001:db8:1:3::/64",
	}
	for in, want := range cases {
		if got := Key(netip.MustParseAddr(in)); got != want {
			t.Errorf("Key(%s) = %s, want %s", in, got, want)
		}
	}
	if got := Key(netip.Addr{}); got != "invalid" {
		t.Errorf("Key(invalid) = %q", got)
	}
}

func TestKeyGroupsIPv6By64(t *testing.T) {
	base := netip.MustParseAddr("2001:db8:aa:bb::").As16()
	keys := map[string]bool{}
	for i := range 200 {
		a := base
		a[8], a[15] = byte(i), byte(i*7) // vary the interface identifier only
		keys[Key(netip.AddrFrom16(a))] = true
	}
	if len(keys) != 1 || !keys["2001:db8:aa:bb::/64"] {
		t.Fatalf("200 addresses in one /64 gave keys %v, want only 2001:db8:aa:bb::/64", keys)
	}
	if Key(netip.MustParseAddr("2001:db8:aa:bc::1")) == "2001:db8:aa:bb::/64" {
		t.Fatal("the neighbouring /64 shares the key")
	}
}

func TestHashPrefix(t *testing.T) {
	key := []byte("secret")
	h := HashPrefix(key, netip.MustParseAddr("198.51.100.7"))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("198.51.100.0/24"))
	if want := hex.EncodeToString(mac.Sum(nil)); h != want {
		t.Fatalf("HashPrefix = %s, want HMAC of the /24: %s", h, want)
	}
	same := []string{"198.51.100.200", "::ffff:198.51.100.1"}
	for _, s := range same {
		if got := HashPrefix(key, netip.MustParseAddr(s)); got != h {
			t.Errorf("%s hashes differently from 198.51.100.7 in the same /24", s)
		}
	}
	if HashPrefix(key, netip.MustParseAddr("198.51.101.7")) == h {
		t.Error("another /24 hashes the same")
	}
	if HashPrefix([]byte("other"), netip.MustParseAddr("198.51.100.7")) == h {
		t.Error("another key hashes the same")
	}
	v6 := HashPrefix(key, netip.MustParseAddr("2001:db8:1:2::1"))
	if HashPrefix(key, netip.MustParseAddr("2001:db8:1:ffff::9")) != v6 {
		t.Error("two addresses in one IPv6 /48 hash differently")
	}
	if HashPrefix(key, netip.MustParseAddr("2001:db8:2::1")) == v6 {
		t.Error("another IPv6 /48 hashes the same")
	}
	if HashPrefix(key, netip.Addr{}) != "" {
		t.Error("invalid address hashed")
	}
}
