package clientip

import (
	"net/netip"
	"strings"
)

// parseXFFHop reads one X-Forwarded-For entry: "192.0.2.1", "192.0.2.1:4711", "2001:db8::1",
// "[2001:db8::1]" or "[2001:db8::1]:4711", with optional surrounding spaces.
func parseXFFHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Addr{}, false
	}
	if s[0] == '[' {
		return parseBracketed(s)
	}
	if a, ok := parseAddr(s); ok {
		return a, true
	}
	// IPv4 with a port; a bare IPv6 address was handled above.
	host, port, found := strings.Cut(s, ":")
	if !found || !validPort(port) {
		return netip.Addr{}, false
	}
	a, ok := parseAddr(host)
	return a, ok && a.Is4()
}

// parseNode reads a Forwarded node (RFC 7239 section 6) after unquoting: IPv4 with an
// optional port, or a bracketed IPv6 address with an optional port. "unknown" and obfuscated
// identifiers ("_hidden") name no address and are reported as not ok.
func parseNode(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	if s[0] == '[' {
		return parseBracketed(s)
	}
	host, port, found := strings.Cut(s, ":")
	if found && !validPort(port) {
		return netip.Addr{}, false
	}
	a, ok := parseAddr(host)
	return a, ok && a.Is4()
}

// parseBracketed reads "[ipv6]" or "[ipv6]:port".
func parseBracketed(s string) (netip.Addr, bool) {
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return netip.Addr{}, false
	}
	if rest := s[end+1:]; rest != "" && (rest[0] != ':' || !validPort(rest[1:])) {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s[1:end])
	if err != nil || !a.Is6() || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// parseAddr parses a bare address, refusing zones: a zone from a header means nothing here.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// validPort accepts a decimal port or an RFC 7239 obfuscated port ("_abc"): the port does not
// matter, only that the hop is well formed.
func validPort(p string) bool {
	if p == "" || len(p) > 32 {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// splitForwarded splits one Forwarded header line into its comma-separated elements,
// respecting quoted strings, appending to dst. Empty elements are dropped. It reports false
// when a quoted string is not closed.
func splitForwarded(line string, dst []string) ([]string, bool) {
	start, quoted := 0, false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case quoted && c == '\\':
			i++ // quoted-pair: the next byte is literal
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			dst = appendElement(dst, line[start:i])
			start = i + 1
		}
	}
	if quoted {
		return dst, false
	}
	return appendElement(dst, line[start:]), true
}

func appendElement(dst []string, e string) []string {
	if e = strings.TrimSpace(e); e != "" {
		dst = append(dst, e)
	}
	return dst
}

// forwardedFor returns the address in an element's for= parameter. An element without for=,
// with it twice, or with a value that is not an address is not ok.
func forwardedFor(elem string) (netip.Addr, bool) {
	var value string
	seen := false
	for rest := elem; rest != ""; {
		var pair string
		pair, rest = cutPair(rest)
		name, v, found := strings.Cut(strings.TrimSpace(pair), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(name), "for") {
			continue
		}
		if seen {
			return netip.Addr{}, false
		}
		value, seen = strings.TrimSpace(v), true
	}
	if !seen {
		return netip.Addr{}, false
	}
	node, ok := unquote(value)
	if !ok {
		return netip.Addr{}, false
	}
	return parseNode(node)
}

// cutPair cuts the first ';'-separated pair off an element, respecting quoted strings.
func cutPair(s string) (pair, rest string) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case c == ';' && !quoted:
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// unquote strips the quotes of a quoted-string. Node values never need escapes, so one that
// contains a backslash is refused rather than decoded.
func unquote(v string) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return v, !strings.ContainsAny(v, `"\`)
	}
	if v[len(v)-1] != '"' {
		return "", false
	}
	inner := v[1 : len(v)-1]
	return inner, !strings.ContainsAny(inner, `"\`)
}
