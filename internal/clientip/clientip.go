// Package clientip finds the address of the visitor behind a request.
//
// Forwarding headers are believed only from configured proxies; the address becomes rate-limit
// keys and storable hashes.
package clientip

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver extracts client addresses. It is safe for concurrent use.
type Resolver struct {
	trusted []netip.Prefix
}

// NewResolver trusts forwarding headers only from peers inside trusted. With no prefixes the
// headers are ignored and the TCP peer is the client.
func NewResolver(trusted []netip.Prefix) *Resolver {
	r := &Resolver{trusted: make([]netip.Prefix, 0, len(trusted))}
	for _, p := range trusted {
		if p.IsValid() {
			r.trusted = append(r.trusted, normalizePrefix(p))
		}
	}
	return r
}

// ParseTrusted reads a comma-separated list of CIDRs and bare IPs ("10.0.0.0/8, 192.0.2.1,
// fd00::/8"). Empty entries are skipped; a bad entry is an error naming it.
func ParseTrusted(csv string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for entry := range strings.SplitSeq(csv, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		p, err := parsePrefixOrAddr(entry)
		if err != nil {
			return nil, fmt.Errorf("clientip: trusted proxy entry %q: %w", entry, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePrefixOrAddr(s string) (netip.Prefix, error) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return normalizePrefix(p), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("zones are not allowed")
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// normalizePrefix masks host bits and turns ::ffff:a.b.c.d/104 into a.b.c.d/8, because
// addresses are unmapped before they are compared.
func normalizePrefix(p netip.Prefix) netip.Prefix {
	a, bits := p.Addr(), p.Bits()
	if a.Is4In6() {
		a, bits = a.Unmap(), max(bits-96, 0)
	}
	return netip.PrefixFrom(a, bits).Masked()
}

// IsTrusted reports whether addr belongs to a trusted proxy.
func (r *Resolver) IsTrusted(addr netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ClientIP returns the visitor's address: the TCP peer, unless the peer is a trusted proxy,
// in which case the forwarding headers are walked from the right (the end the proxies append
// to) past trusted hops, and the first untrusted hop is the client. Anything left of it was
// written by the client and may be forged.
//
// A malformed or obfuscated hop ("unknown", "for=_hidden") ends the walk at the last trusted
// hop before it. If the request carries both X-Forwarded-For and Forwarded and the two walks
// disagree, one of them was supplied by the client and passed through, and there is no telling
// which: the peer is returned, so forging one of the headers gains nothing.
//
// The result is invalid only when RemoteAddr is not an address (never with net/http servers).
func (r *Resolver) ClientIP(req *http.Request) netip.Addr {
	peer := parsePeer(req.RemoteAddr)
	if !peer.IsValid() || !r.IsTrusted(peer) {
		return peer
	}
	xff, fwd := req.Header["X-Forwarded-For"], req.Header["Forwarded"]
	switch {
	case len(xff) > 0 && len(fwd) > 0:
		a, b := r.walkXFF(peer, xff), r.walkForwarded(peer, fwd)
		if a != b {
			return peer
		}
		return a
	case len(xff) > 0:
		return r.walkXFF(peer, xff)
	case len(fwd) > 0:
		return r.walkForwarded(peer, fwd)
	}
	return peer
}

// parsePeer reads http.Request.RemoteAddr ("ip:port", "[ipv6]:port", or a bare ip).
func parsePeer(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().WithZone("").Unmap()
	}
	if a, err := netip.ParseAddr(remote); err == nil {
		return a.WithZone("").Unmap()
	}
	return netip.Addr{}
}

// step advances a right-to-left walk by one hop. It returns the address the walk settles on
// so far and whether to go on: only past a well-formed trusted hop.
func (r *Resolver) step(last netip.Addr, hop netip.Addr, ok bool) (netip.Addr, bool) {
	if !ok {
		return last, false
	}
	return hop, r.IsTrusted(hop)
}

// walkXFF walks X-Forwarded-For: every header line, each a comma list, right to left.
func (r *Resolver) walkXFF(peer netip.Addr, lines []string) netip.Addr {
	cur := peer
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
		for end := len(line); end >= 0; {
			start := strings.LastIndexByte(line[:end], ',') + 1
			entry := strings.TrimSpace(line[start:end])
			end = start - 1
			if entry == "" {
				continue // empty list elements are allowed (RFC 9110 section 5.6.1) and name no hop
			}
			hop, ok := parseXFFHop(entry)
			var more bool
			if cur, more = r.step(cur, hop, ok); !more {
				return cur
			}
		}
	}
	return cur
}

// walkForwarded walks RFC 7239 Forwarded elements right to left, using each one's for=.
func (r *Resolver) walkForwarded(peer netip.Addr, lines []string) netip.Addr {
	var buf [16]string
	cur := peer
	for i := len(lines) - 1; i >= 0; i-- {
		elems, ok := splitForwarded(lines[i], buf[:0])
		if !ok {
			return cur // unbalanced quotes: no hop in this line can be trusted to be split right
		}
		for j := len(elems) - 1; j >= 0; j-- {
			hop, ok := forwardedFor(elems[j])
			var more bool
			if cur, more = r.step(cur, hop, ok); !more {
				return cur
			}
		}
	}
	return cur
}

// Key is the rate-limit key for addr: IPv4 per address ("192.0.2.1/32"), IPv6 per /64
// ("2001:db8:1:2::/64"), because one IPv6 host usually controls a whole /64.
func Key(addr netip.Addr) string {
	if !addr.IsValid() {
		return "invalid"
	}
	addr = addr.WithZone("").Unmap()
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits) // cannot fail: bits fits the address family
	return p.String()
}

// HashPrefix is the only form of a client address that may be stored: a hex HMAC-SHA256 under
// key of the address's network (IPv4 /24, IPv6 /48), enough to group abuse by network without
// keeping anything that identifies a person. It returns "" for an invalid address.
func HashPrefix(key []byte, addr netip.Addr) string {
	if !addr.IsValid() {
		return ""
	}
	addr = addr.WithZone("").Unmap()
	bits := 24
	if addr.Is6() {
		bits = 48
	}
	p, _ := addr.Prefix(bits)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(p.String()))
	return hex.EncodeToString(mac.Sum(nil))
}
