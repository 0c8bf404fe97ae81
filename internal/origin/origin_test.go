package origin

import (
	"strings"
	"testing"
)

func mustList(t *testing.T, entries ...string) List {
	t.Helper()
	l, err := ParseList(entries)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestAllows(t *testing.T) {
	l := mustList(t, "https://shop.com", "https://*.shop.com", "http://localhost:3000")
	cases := []struct {
		origin string
		want   bool
	}{
		{"https://shop.com", true},
		// Browsers send one canonical form; any other is not a browser's and is refused, so it
		// can never be echoed back in Access-Control-Allow-Origin.
		{"https://SHOP.com", false},
		{"HTTPS://shop.com", false},
		{"https://shop.com/", false},
		{"https://shop.com:443", false},
		{"http://localhost:3000/", false},
		{"https://www.shop.com", true},
		{"https://a.b.shop.com", true},
		{"http://localhost:3000", true},
		{"http://shop.com", false},               // other scheme
		{"https://shop.com:8443", false},         // other port
		{"https://www.shop.com:444", false},      // wildcard keeps the port
		{"http://www.shop.com", false},           // wildcard keeps the scheme
		{"https://shop.com.evil.com", false},     // suffix trick
		{"https://evilshop.com", false},          // no dot boundary
		{"https://www.shop.com.evil.com", false}, // subdomain of another domain
		{"https://.shop.com", false},
		{"null", false},
		{"", false},
		{"https://shop.com/path", false},
		{"https://user@shop.com", false},
		{"javascript://shop.com", false},
		{"http://localhost:3001", false},
		{"http://localhost", false},
		{"https://shop.com.", false},
		{"https://shop%2ecom", false},
	}
	for _, c := range cases {
		if got := l.Allows(c.origin); got != c.want {
			t.Errorf("Allows(%q) = %v, want %v", c.origin, got, c.want)
		}
	}
}

func TestAllowsHost(t *testing.T) {
	l := mustList(t, "https://shop.com", "https://*.shop.com", "http://localhost:3000", "http://[::1]:8080")
	cases := []struct {
		host string
		want bool
	}{
		{"shop.com", true},
		{"SHOP.com", true}, // location.hostname is lower-case; case never decides
		{"www.shop.com", true},
		{"a.b.shop.com", true},
		{"localhost", true}, // a bare host name carries no port or scheme
		{"[::1]", true},
		{"evil.com", false},
		{"shop.com.evil.com", false},
		{"evilshop.com", false},
		{".shop.com", false},
		{"shop.com.", false},
		{"shop.com:443", false}, // not a bare host name
		{"https://shop.com", false},
		{"shop.com/x", false},
		{"user@shop.com", false},
		{"*.shop.com", false},
		{"shop%2ecom", false},
		{"", false},
		{"::1", false},
	}
	for _, c := range cases {
		if got := l.AllowsHost(c.host); got != c.want {
			t.Errorf("AllowsHost(%q) = %v, want %v", c.host, got, c.want)
		}
	}
}

func TestParsePatternRejects(t *testing.T) {
	for _, bad := range []string{"shop.com", "ftp://shop.com", "https://*.com", "https://*.1.2.3.4", "https://shop.com/x", "*", "https://*"} {
		if _, err := ParsePattern(bad); err == nil {
			t.Errorf("ParsePattern(%q) accepted", bad)
		}
	}
}

func TestFrameAncestors(t *testing.T) {
	l := mustList(t, "https://shop.com", "https://*.shop.com:8443", "http://[::1]:8080")
	want := "https://shop.com https://*.shop.com:8443" // IPv6 literals are not valid CSP sources
	if got := l.FrameAncestors(); got != want {
		t.Fatalf("FrameAncestors = %q, want %q", got, want)
	}
	if got := (List{}).FrameAncestors(); got != "'none'" {
		t.Fatalf("empty list = %q", got)
	}
}

// FuzzOrigin checks that the matcher never panics, and never lets an origin through whose host
// is not the pattern's host or a dot-separated subdomain of it.
func FuzzOrigin(f *testing.F) {
	for _, s := range []string{"https://shop.com", "https://a.shop.com", "https://shop.com.evil.com", "null", "https://evilshop.com", "http://[::1]:80", "https://shop.com:443/", "HTTPS://A.SHOP.COM"} {
		f.Add(s)
	}
	l, err := ParseList([]string{"https://shop.com", "https://*.shop.com"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !l.Allows(s) {
			return
		}
		o, err := Parse(s)
		if err != nil {
			t.Fatalf("allowed %q but it does not parse", s)
		}
		if o.String() != s {
			t.Fatalf("allowed %q, which is not the canonical form %q", s, o.String())
		}
		if o.Scheme != "https" || o.Port != 443 || (o.Host != "shop.com" && !strings.HasSuffix(o.Host, ".shop.com")) {
			t.Fatalf("allowed %q (%+v)", s, o)
		}
	})
}
