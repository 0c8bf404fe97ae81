package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrBlockedAddress is wrapped by every refusal of the SSRF guard, at save time and at dial time.
var ErrBlockedAddress = errors.New("address is not a public unicast address")

// blockedPrefixes are special-purpose ranges that netip's predicates do not cover. Together with
// IsLoopback, IsPrivate, IsLinkLocal*, IsMulticast and IsUnspecified they approximate the IANA
// special-purpose registries: nothing here is a normal public n8n host.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // CGNAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, includes broadcast
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated), :: and ::1
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments (Teredo, ORCHID, …)
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4 embeds arbitrary IPv4
	netip.MustParsePrefix("3fff::/20"),       // documentation
}

// nat64 embeds an IPv4 address in its low 32 bits; it is judged by that address.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// isPublicAddr reports whether ip is a globally routable unicast address that is safe to dial for an
// untrusted target. IPv4-mapped and NAT64 forms are judged by the IPv4 address they carry.
func isPublicAddr(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() && nat64.Contains(ip) {
		b := ip.As16()
		return isPublicAddr(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsMulticast() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// guardControl is a net.Dialer.Control hook. It sees the address after DNS resolution, just before
// connect(2), so a hostname that re-resolves to an internal address (DNS rebinding) is still refused.
func guardControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return ErrBlockedAddress
	}
	if !isPublicAddr(ap.Addr()) {
		// The address is not in the error: it would reach the logs (docs/security.md).
		return ErrBlockedAddress
	}
	return nil
}

// ValidateUntrustedURL checks a URL entered through an API or dashboard before it is saved: https,
// a host, and (unless allowPrivate) only public addresses when resolved. The dial-time guard repeats
// the address check on every call, so this is an early, friendly rejection rather than the defence.
func ValidateUntrustedURL(raw string, allowPrivate bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return ValidateUntrustedURLContext(ctx, raw, allowPrivate)
}

// ValidateUntrustedURLContext is ValidateUntrustedURL with a caller-chosen context for DNS.
func ValidateUntrustedURLContext(ctx context.Context, raw string, allowPrivate bool) error {
	return ValidateUntrustedURLWith(ctx, raw, allowPrivate, nil)
}

// Resolver looks host names up; *net.Resolver is one. Tests pass their own to make a name
// resolve to chosen addresses, at save time and at dial time alike.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// ValidateUntrustedURLWith is ValidateUntrustedURLContext resolving with r (nil = the system's).
func ValidateUntrustedURLWith(ctx context.Context, raw string, allowPrivate bool, r Resolver) error {
	u, err := parseTargetURL(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "https" {
		return urlError("the webhook URL must use https")
	}
	if allowPrivate {
		return nil
	}
	addrs, err := resolveHost(ctx, r, u.Hostname())
	if err != nil {
		// The resolver's error names the host and the resolver: keep only its class.
		return urlError("the webhook host could not be resolved (" + errorClass(err) + ")")
	}
	for _, a := range addrs {
		if !isPublicAddr(a) {
			return fmt.Errorf("the webhook host resolves to a non-public address: %w", ErrBlockedAddress)
		}
	}
	return nil
}

// WarnTrustedURL returns a warning for an operator-configured URL that sends tokens in clear text
// over the internet (plain http to a host that does not look private), and "" otherwise. It does
// not touch the network: names without a dot and internal suffixes count as private.
func WarnTrustedURL(raw string) string {
	u, err := parseTargetURL(raw)
	if err != nil {
		return "the webhook URL is not valid: " + err.Error()
	}
	if u.Scheme == "https" || looksPrivateHost(u.Hostname()) {
		return ""
	}
	return "the webhook URL uses plain http to a public host: tokens and messages travel unencrypted; use https"
}

// parseTargetURL accepts absolute http(s) URLs with a host and nothing else.
func parseTargetURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, urlError("the webhook URL cannot be parsed")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, urlError("the webhook URL must start with https:// (or http:// for trusted hosts)")
	}
	if u.Hostname() == "" {
		return nil, urlError("the webhook URL has no host")
	}
	return u, nil
}

func resolveHost(ctx context.Context, r Resolver, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, urlError("the webhook host has no addresses")
	}
	return addrs, nil
}

var privateSuffixes = []string{".local", ".localhost", ".internal", ".lan", ".home.arpa", ".svc", ".cluster.local"}

func looksPrivateHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if ip, err := netip.ParseAddr(host); err == nil {
		return !isPublicAddr(ip)
	}
	if host == "localhost" || !strings.Contains(host, ".") {
		return true
	}
	for _, s := range privateSuffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}
