package clientip

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzClientIP feeds arbitrary X-Forwarded-For and Forwarded values (newlines separate header
// lines) to a trusted peer. ClientIP must not panic, and must return either the peer or an
// address that is written in one of the headers.
func FuzzClientIP(f *testing.F) {
	f.Add("198.51.100.7, 10.0.0.2", "")
	f.Add("", `for="[2001:db8::7]:4711";proto=https, for=10.0.0.2`)
	f.Add("6.6.6.6", "for=_hidden")
	r := testResolver(f)
	peer := netip.MustParseAddr("10.0.0.1")
	f.Fuzz(func(t *testing.T, xff, fwd string) {
		var xffLines, fwdLines []string
		if xff != "" {
			xffLines = strings.Split(xff, "\n")
		}
		if fwd != "" {
			fwdLines = strings.Split(fwd, "\n")
		}
		got := r.ClientIP(request("10.0.0.1:443", xffLines, fwdLines))
		if got == peer {
			return
		}
		if !got.IsValid() || got.Zone() != "" || got.Is4In6() {
			t.Fatalf("ClientIP = %v: not a plain address", got)
		}
		if !writtenIn(got, xff+"\n"+fwd) {
			t.Fatalf("ClientIP = %s, which is neither the peer nor in the headers", got)
		}
	})
}

// writtenIn reports whether text spells addr, alone or with a port, in any notation: it
// reparses every run of address characters independently of the code under test.
func writtenIn(addr netip.Addr, text string) bool {
	isAddrChar := func(r rune) bool {
		return r == '.' || r == ':' || r == '[' || r == ']' || r == '%' || r == '_' ||
			('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
	}
	for _, word := range strings.FieldsFunc(text, func(r rune) bool { return !isAddrChar(r) }) {
		for _, cand := range candidates(word) {
			if a, err := netip.ParseAddr(cand); err == nil && a.Unmap() == addr {
				return true
			}
		}
	}
	return false
}

// candidates strips the decorations a hop may carry: brackets, a port, a "for=" prefix.
func candidates(word string) []string {
	out := []string{word}
	if i := strings.IndexByte(word, '['); i >= 0 {
		if j := strings.IndexByte(word[i:], ']'); j > 0 {
			out = append(out, word[i+1:i+j])
		}
	}
	if host, _, ok := strings.Cut(word, ":"); ok {
		out = append(out, host)
	}
	return out
}
